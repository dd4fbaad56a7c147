"""Figures for the text page: tagged text in, HTML or plotly figures out. No streamlit here.

All user text is escaped with html.escape before it enters any HTML, so emoji, right-to-left
scripts and `<script>` tags are shown literally and never run.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from figures.colour import tint
from figures.common import MARGIN, figure, plot_text, probability_heatmap

# Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
LABEL_COLOURS = {"PER": "#E69F00", "LOC": "#56B4E9", "ORG": "#009E73", "MISC": "#CC79A7"}
LABEL_NAMES = {"PER": "person", "LOC": "location", "ORG": "organisation", "MISC": "other name"}
UNKNOWN_COLOUR = "#999999"
# An entity's box sets its text colour together with its background, a tint of its label's colour, so it reads
# at 4.5:1 or better (WCAG AA) whatever the page behind: one pair for a light page, one for a dark, chosen by
# light-dark(), which follows Streamlit's theme (the app sets color-scheme from it). tests/classroom/test_contrast.py.
ENTITY_TEXT = {"light": "#1a1a1a", "dark": "#f5f5f5"}
_TINT = {"light": ("#ffffff", 0.25), "dark": ("#171614", 0.3)}  # laid over: a base near the theme's page, weight


def entity_background(label: str, theme: str) -> str:
    """The opaque background of `label`'s box in the "light" or "dark" theme."""
    base, weight = _TINT[theme]
    return tint(LABEL_COLOURS.get(label, UNKNOWN_COLOUR), base, weight)


def _box_style(label: str) -> str:
    light, dark = entity_background(label, "light"), entity_background(label, "dark")
    text_light, text_dark = ENTITY_TEXT["light"], ENTITY_TEXT["dark"]
    # The light pair first: a browser without light-dark() (before 2024) drops the second and keeps it.
    return (
        f"color:{text_light};background:{light};color:light-dark({text_light},{text_dark});"
        f"background:light-dark({light},{dark});border:2px solid {LABEL_COLOURS.get(label, UNKNOWN_COLOUR)}"
    )


def _chip(label: str) -> str:
    # The label's own colour with black text: 6:1 or better for every label, on any page.
    return (
        f'<span style="font-size:0.7em;font-weight:700;margin-left:0.35em;padding:0 0.3em;border-radius:0.25em;'
        f'background:{LABEL_COLOURS.get(label, UNKNOWN_COLOUR)};color:#000;vertical-align:middle">'
        f"{html.escape(label)}</span>"
    )


def legend_html() -> str:
    items = "".join(
        f'<span style="display:inline-block;margin:0 0.8em 0.3em 0;padding:0.1em 0.45em;border-radius:0.35em;'
        f'{_box_style(label)}">{LABEL_NAMES[label]} {_chip(label)}</span>'
        for label in LABEL_COLOURS
    )
    return f'<div style="font-size:0.9rem;margin-bottom:0.5em">{items}</div>'


def entity_html(text: str, entities: list[dict]) -> str:
    """displaCy-style: the text with each entity as a coloured span carrying its label; hovering
    shows the label and the tagger's confidence. Offsets index into `text`."""
    parts, cursor = [], 0
    for entity in sorted(entities, key=lambda e: e["start"]):
        start, end, label = entity["start"], entity["end"], entity["label"]
        parts.append(html.escape(text[cursor:start]))
        tooltip = html.escape(f"{LABEL_NAMES.get(label, label)} ({label}), {entity['score']:.0%} confident", quote=True)
        parts.append(
            f'<mark title="{tooltip}" style="{_box_style(label)};border-radius:0.35em;padding:0.05em 0.3em;'
            f'line-height:2.1">{html.escape(text[start:end])}{_chip(label)}</mark>'
        )
        cursor = end
    parts.append(html.escape(text[cursor:]))
    body = "".join(parts)
    # dir="auto" lets a right-to-left paragraph run right to left; pre-wrap keeps the user's line breaks.
    return f'<div dir="auto" style="font-size:1.15rem;line-height:2.1;white-space:pre-wrap">{body}</div>'


def tag_probability_heatmap(tokens: list[str], marginals: np.ndarray, tag_names: tuple[str, ...]) -> go.Figure:
    """Tokens (x) by tags (y): p(tag | sentence) from the CRF's forward-backward marginals."""
    tokens = [plot_text(t) for t in tokens]
    labels = [f"{i}: {token}" for i, token in enumerate(tokens)]  # unique x even when a word repeats
    z = np.asarray(marginals, dtype=np.float32).T  # (K, T)
    trace = probability_heatmap(z, labels, list(tag_names), "%{x}<br>%{y}: %{z:.1%}<extra></extra>")
    layout = {
        "title": {"text": "How sure the tagger is of each tag, token by token (CRF marginals)"},
        "height": 330,
        "margin": {**MARGIN, "b": 80},
        "xaxis": {"tickangle": -45, "tickmode": "array", "tickvals": labels, "ticktext": list(tokens)},
        "yaxis": {"autorange": "reversed"},
    }
    return figure([trace], layout)


# ---------------------------------------------------------------- text alternatives


def marginals_caption(tokens: list[str], marginals: np.ndarray, tag_names: tuple[str, ...]) -> str:
    """The most probable tag of every non-O token, and the least sure token."""
    marginals = np.asarray(marginals, dtype=np.float64)
    best = marginals.argmax(1)
    named = [f"{tokens[i]} {tag_names[k]} {marginals[i, k]:.0%}" for i, k in enumerate(best) if tag_names[k] != "O"]
    unsure = int(marginals.max(1).argmin())
    found = "Tagged tokens: " + "; ".join(named) + ". " if named else "Every token is most likely O (no entity). "
    return found + f"Least sure: “{tokens[unsure]}”, {marginals[unsure].max():.0%} for {tag_names[best[unsure]]}."


def _corpus_phrase(corpus: dict) -> str:
    """`Broad Twitter Corpus (Derczynski, Bontcheva and Roberts, COLING 2016; CC BY 4.0)`: the name, then the
    citation and the licence where the manifest gives them."""
    notes = "; ".join(str(corpus[key]) for key in ("citation", "licence") if corpus.get(key))
    return f"{corpus['name']} ({notes})" if notes else str(corpus["name"])


def _sentences(count: int) -> str:
    return f"{count:,} sentence{'' if count == 1 else 's'}"


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def trained_on_caption(corpora: list[dict]) -> str:
    """What the tagger was trained on, from its manifest's data.corpora ([{name, sentences, citation?,
    licence?}, ...]): one corpus reads "It was trained on 14,041 sentences of NAME.", several "It was trained
    on 20,647 sentences: 14,041 from NAME and 6,606 from NAME (CITATION; LICENCE)." "" for no corpora."""
    if not corpora:
        return ""
    counts = [corpus.get("sentences") for corpus in corpora]
    if len(corpora) == 1 or None in counts:  # one corpus, or no honest total: each corpus with its own count
        parts = [
            f"{_sentences(count)} of {_corpus_phrase(corpus)}" if count is not None else _corpus_phrase(corpus)
            for corpus, count in zip(corpora, counts, strict=True)
        ]
        return f"It was trained on {_and_list(parts)}."
    parts = [f"{count:,} from {_corpus_phrase(corpus)}" for corpus, count in zip(corpora, counts, strict=True)]
    return f"It was trained on {_sentences(sum(counts))}: {_and_list(parts)}."
