"""Type text → RNN: named entities from a bidirectional LSTM with a CRF on top."""

import pandas as pd
import streamlit as st

from figures import text as fig
from models.checkpoint import WeightsError
from models.ner import attribute, tag
from ui import resources
from ui.navigation import ensure_app_navigation

ensure_app_navigation()

MAX_CHARS = 20_000
ROOSEVELT = (
    "President Roosevelt was one of the most influential presidents in American history. "
    "However, Roosevelt Street in Manhattan was not named after him."
)
PRESETS = {
    "The article's example": ROOSEVELT,
    "News": (
        "The European Commission said on Thursday it disagreed with German advice to consumers to shun "
        "British lamb until scientists determine whether mad cow disease can be transmitted to sheep."
    ),
    "Sports result": (
        "Manchester United beat Juventus 2-1 at Old Trafford on Wednesday, with goals from Ryan Giggs "
        "and Eric Cantona, to top Group C of the Champions League."
    ),
    "Same word, new type": (
        "Jordan scored 30 points for Chicago. Jordan signed a peace treaty with Israel. "
        "Paris Hilton flew to Paris to visit the Hilton headquarters."
    ),
}
state = st.session_state


def use_preset() -> None:
    if state.get("text_preset"):
        state.text_input = PRESETS[state.text_preset]


st.title("Type text → RNN")
st.caption(
    "A recurrent network reads a sentence word by word, in both directions, and labels every name it finds as a "
    "person, location, organisation or other name. It was trained on 14,041 sentences of Reuters news (CoNLL-2003)."
)

try:
    model, manifest = resources.ner_tagger("bilstm")
except WeightsError as error:
    st.error(str(error))
    st.stop()

st.pills("Examples", options=list(PRESETS), key="text_preset", on_change=use_preset)
text = st.text_area("Your text", value=ROOSEVELT, key="text_input", height=110, bind="query-params")

if len(text) > MAX_CHARS:
    st.warning(f"Your text has {len(text):,} characters: only the first {MAX_CHARS:,} are tagged.")
    text = text[:MAX_CHARS]

if not text.strip():
    st.info("✍️ Type or paste some English text above, or pick an example, to see its named entities.")
    st.stop()

tagged = tag(model, text)

st.header("1 · The entities it found")
st.html(fig.legend_html() + fig.entity_html(tagged.text, tagged.entities))
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
chosen = st.selectbox(
    "Token",
    token_options,
    index=entity_starts[0] if entity_starts else 0,
    format_func=lambda i: f"{i}: {tagged.tokens[i]}  ({tagged.tags[i]})",
    key="text_token",
)
sentence = [i for i, s in enumerate(tagged.sentence_ids) if s == tagged.sentence_ids[chosen]]
first = sentence[0]
tokens = [tagged.tokens[i] for i in sentence]
st.plotly_chart(fig.tag_probability_heatmap(tokens, tagged.marginals[sentence], tagged.tag_names), key="text_marginals")
label = tagged.tags[chosen]
explained = attribute(model, tokens, chosen - first, label)
st.plotly_chart(
    fig.attribution_bars(tokens, explained.scores, chosen - first, label, explained.probability),
    key="text_attribution",
)
st.caption(
    "Gradient × input: how much each word's embedding raises (red) or lowers (blue) the log-probability of the "
    "chosen token's label. The BiLSTM reads the whole sentence, so words far away can matter."
)

metrics = manifest.get("metrics", {})
st.caption(
    f"Model: char-CNN + GloVe word vectors → BiLSTM → CRF; CoNLL-2003 test F1 "
    f"{metrics.get('test_f1', float('nan')):.2f} (`python -m training.evaluate ner --model bilstm`)."
)
