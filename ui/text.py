"""The text page's autocorrect sections, each a fragment: picking a correction to explain or a word to watch
reruns only it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from figures import speller as spell_fig
from models.speller import expectations, next_letter_distributions
from ui import charts


def watch_word() -> None:
    state = st.session_state
    if state.get("text_flagged_pick"):
        state.text_watch = state.text_flagged_pick


@st.fragment
def explain_section(corrector, text: str, flags: list) -> None:
    if not flags:
        return
    labels = {f"{flag.word} ({flag.start})": flag for flag in flags}
    picked = st.pills("Explain a correction", list(labels), key="text_explain_pick", default=list(labels)[0])
    flag = labels.get(picked) or next(iter(labels.values()))
    options = ([flag.typed] if flag.typed else []) + flag.suggestions
    words = [option.word for option in options]
    parts = [option.parts for option in options]
    typed = flag.typed.word if flag.typed else None
    charts.show(
        spell_fig.score_parts_bars(words, parts, typed),
        "text_score_parts",
        spell_fig.score_parts_caption(words, parts, typed),
    )
    expected = expectations(corrector, text, flag.start)
    if expected is not None:
        charts.show(spell_fig.expectation_bars(expected), "text_expectation", spell_fig.expectation_caption(expected))


@st.fragment
def watch_section(corrector, flagged_words: list[str]) -> None:
    if flagged_words:
        st.pills("Flagged words", flagged_words, key="text_flagged_pick", on_change=watch_word)
    word = st.text_input("A word to watch the RNN read", value="networc", key="text_watch", max_chars=40)
    letters = "".join(c for c in word.lower() if "a" <= c <= "z")
    if not letters:
        st.info("Type a word made of the letters a–z to see what the RNN expects at each step.")
        return
    symbols, probs, hidden = next_letter_distributions(corrector, letters)
    typed_p = spell_fig.typed_letter_probabilities(letters, symbols, probs)
    surprise = int(np.nanargmin(typed_p[:-1])) if len(letters) else 0
    position = st.slider(
        "Letters read", 0, len(letters), surprise, key="text_watch_position",
        help="Defaults to the spot where the typed letter surprised the RNN most.",
    )  # fmt: skip
    typed = letters[position] if position < len(letters) else "$"
    bars_col, heat_col = st.columns([1, 1.4])
    charts.show(
        spell_fig.next_letter_bars(letters[:position], symbols, probs[position], typed),
        "text_next_letter",
        spell_fig.next_letter_caption(letters[:position], symbols, probs[position], typed),
        bars_col,
    )
    charts.show(
        spell_fig.next_letter_heatmap(letters, symbols, probs),
        "text_next_letter_map",
        spell_fig.surprise_caption(letters, symbols, probs),
        heat_col,
    )
    charts.show(
        spell_fig.hidden_state_heatmap(letters, hidden), "text_speller_hidden", spell_fig.hidden_caption(hidden)
    )
    st.caption(
        "This letter-level RNN carries a memory of every letter so far in its hidden state, and from it predicts "
        "the next letter: a typed letter it found unlikely is where a typo hides. Which correction to make is "
        "decided by the word-level RNN above, reading the whole sentence."
    )
