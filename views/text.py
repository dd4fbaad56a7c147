"""Type text → RNN: named entities from a bidirectional LSTM with a CRF on top."""

import pandas as pd
import streamlit as st

from figures import explain as explain_fig
from figures import speller as spell_fig
from figures import text as fig
from models.checkpoint import WeightsError
from models.speller import changed_by_context
from ui import charts, resources, url_state
from ui import text as sections
from ui.examples import ROOSEVELT, TEXT_PRESETS
from ui.inputs import cut_text

state = st.session_state


def use_preset() -> None:
    if state.get("text_preset"):
        state.text_input = TEXT_PRESETS[state.text_preset]


def apply_corrections(corrections: list[tuple[int, int, str]]) -> None:
    """Replace text[start:end] by each word, from the last so earlier offsets stay valid."""
    text = state.text_input
    for start, end, word in sorted(corrections, reverse=True):
        text = text[:start] + word + text[end:]
    state.text_input = text


st.title("Type text → RNN")
intro = (
    "A recurrent network reads a sentence word by word, in both directions, and labels every name it finds as a "
    "person, location, organisation or other name."
)
try:
    manifest = resources.ner_tagger("bilstm")[1]
except WeightsError as error:
    st.caption(intro)
    st.error(str(error))
    st.stop()
data = manifest.get("data", {})
trained_on = data.get("train_sentences")
if data.get("corpora"):
    st.caption(intro + " " + fig.trained_on_caption(data["corpora"]))
elif trained_on:
    st.caption(intro + f" It was trained on {trained_on:,} sentences of Reuters news (CoNLL-2003).")
else:
    st.caption(intro)

st.pills("Examples", options=list(TEXT_PRESETS), key="text_preset", on_change=use_preset)
text = st.text_area("Your text", value=ROOSEVELT, key="text_input", height=110, bind="query-params")

text = cut_text(text)

if not text.strip():
    st.info("✍️ Type or paste some English text above, or pick an example, to see its named entities.")
    st.stop()

tagged = resources.tagged_text(text, resources.weights_key())

st.header("1 · The entities it found")
st.container(key="text_entity_view").html(fig.legend_html() + fig.entity_html(tagged.text, tagged.entities))
if tagged.entities:
    table = pd.DataFrame(tagged.entities)[["text", "label", "score", "start", "end"]]
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "text": "entity",
            "score": st.column_config.ProgressColumn("confidence", format="percent", min_value=0, max_value=1),
            "start": "from char",
            "end": "to char",
        },
        key="text_entities",
    )
else:
    st.caption("No names found. Try a sentence with people, places or companies in it.")

st.header("2 · Token by token, and why")
token_options = list(range(len(tagged.tokens)))
entity_starts = [i for i, label in enumerate(tagged.tags) if label != "O"]
url_state.token_choice("text_token", len(token_options), entity_starts[0] if entity_starts else 0, text)
chosen = st.selectbox(
    "Token",
    token_options,
    format_func=lambda i: f"{i}: {tagged.tokens[i]}  ({tagged.tags[i]})",
    key="text_token",
    on_change=url_state.remember("text_token"),
)
sentence = [i for i, s in enumerate(tagged.sentence_ids) if s == tagged.sentence_ids[chosen]]
tokens = [tagged.tokens[i] for i in sentence]
charts.show(
    fig.tag_probability_heatmap(tokens, tagged.marginals[sentence], tagged.tag_names),
    "text_marginals",
    fig.marginals_caption(tokens, tagged.marginals[sentence], tagged.tag_names),
)
label = tagged.tags[chosen]
explained = resources.explained_token(text, chosen, resources.weights_key())
position = explained.position
st.subheader("Why this label?")
st.caption(
    f"Two views of why “{tokens[position]}” is {label} ({explained.probability:.1%}). Explained: "
    f"{explained.target}. Baseline: {explained.baseline}."
)
charts.show(
    explain_fig.integrated_gradients_bars(tokens, explained.parts, position, label, explained.probability),
    "text_integrated_gradients",
    explain_fig.integrated_gradients_caption(tokens, explained.integrated_gradients, position, label)
    + " Integrated gradients share out the difference between the sentence and the baseline among the words, "
    "each split into its word vector, its spelling and its capitalisation: up raises the log-probability of the "
    "label, down lowers it.",
)
st.caption(
    explain_fig.completeness_caption(
        explained.attribution_sum, explained.log_prob, explained.baseline_log_prob, explained.steps, explained.rule
    )
)
charts.show(
    explain_fig.occlusion_bars(tokens, explained.occlusion, explained.probability, position, label),
    "text_occlusion",
    explain_fig.occlusion_caption(tokens, explained.occlusion, explained.probability, position, label)
    + " Occlusion needs no calculus: each word in turn is replaced by the unknown word and the sentence read again. "
    "The BiLSTM reads the whole sentence, so words far away can matter.",
)

# ---------------------------------------------------------------- autocorrect
st.header("3 · Autocorrect that reads the sentence")
st.caption(
    "A word-level LSTM reads each sentence forwards and another reads it backwards. Where a word may be wrong, "
    "each likely candidate is put in its place and both read the sentence again: how well the candidate and the "
    "words around it then fit is the context score. The corrector adds it to how people mistype (the edit model) "
    "and how common each word is, so it catches real words in the wrong place, like “thanks four the help”, "
    "which no dictionary can."
)
try:
    corrector, speller_manifest = resources.speller()
except WeightsError as error:
    st.error(str(error))
    st.stop()
# Names the tagger found are never "corrected".
protected = tuple((e["start"], e["end"]) for e in tagged.entities)
with_rnn, without_rnn = resources.text_corrections(text, protected, resources.weights_key())
plain = st.toggle(
    "Without the RNN",
    key="text_no_rnn",
    help="The same corrector with the RNN's context switched off: the same candidates, edit model and frequency.",
)
flags = without_rnn if plain else with_rnn
st.container(key="text_flag_view").html(spell_fig.flag_legend_html() + spell_fig.flagged_html(text, flags))
changes = changed_by_context(with_rnn, without_rnn)
if changes:
    st.dataframe(
        pd.DataFrame(
            {
                "word": [c.word for c in changes],
                "with the RNN": [c.with_context or "(left as typed)" for c in changes],
                "without the RNN": [c.without_context or "(left as typed)" for c in changes],
            }
        ),
        hide_index=True,
        key="text_context_changes",
    )
st.caption(spell_fig.context_changes_caption(len(changes), plain))
if not flags:
    st.caption("No spelling mistakes found. Names the tagger recognised are never flagged.")
else:
    for flag in flags[:12]:
        word_col, *suggestion_cols = st.columns([1.2, 1, 1, 1], vertical_alignment="center")
        note = f" *({spell_fig.FLAG_STYLES[flag.kind][2]})*" if flag.kind != "unknown" else ""
        word_col.markdown(f"**{flag.word}** →{note}")
        for column, suggestion in zip(suggestion_cols, flag.suggestions[:3], strict=False):
            column.button(
                f"{suggestion.word} ({suggestion.score:.0%})",
                key=f"text_fix_{flag.start}_{suggestion.word}",
                on_click=apply_corrections,
                args=([(flag.start, flag.end, suggestion.word)],),
                width="stretch",
            )
    st.button(
        "Apply all top suggestions",
        key="text_fix_all",
        icon=":material/spellcheck:",
        on_click=apply_corrections,
        args=([(f.start, f.end, f.suggestions[0].word) for f in flags if f.suggestions],),
    )


sections.explain_section(corrector, text, flags)
sections.watch_section(corrector, [f.word for f in flags])

metrics = manifest.get("metrics", {})
speller_metrics = speller_manifest.get("metrics", {})
informal = spell_fig.informal_note(resources.measured_json("speller_tweets.json"), speller_metrics)
st.caption("Speller: " + spell_fig.speller_metrics_note(speller_metrics) + (" " + informal if informal else ""))
st.caption(
    f"Tagger: char-CNN + GloVe word vectors → BiLSTM → CRF; CoNLL-2003 test F1 "
    f"{metrics.get('test_f1', float('nan')):.2f} (`{manifest.get('evaluate_command', '')}`)."
)
