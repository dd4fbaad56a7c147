"""Figures for autocorrect: flagged text and the character RNN reading a word. No streamlit here."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from figures.common import MARGIN, figure

# Below this probability a typed letter counts as a surprise to the RNN.
SURPRISE_BELOW = 0.05


def flagged_html(text: str, flags) -> str:
    """The text with each flagged word underlined in a wavy line; hovering lists its suggestions.
    All user text is escaped."""
    parts, cursor = [], 0
    for flag in sorted(flags, key=lambda f: f.start):
        parts.append(html.escape(text[cursor : flag.start]))
        hint = ", ".join(f"{s.word} ({s.score:.0%})" for s in flag.suggestions[:3]) or "no suggestion"
        parts.append(
            f'<span title="{html.escape("Did you mean: " + hint, quote=True)}" style="text-decoration:underline '
            f'wavy #d55e00;text-decoration-thickness:2px;text-underline-offset:3px">'
            f"{html.escape(text[flag.start : flag.end])}</span>"
        )
        cursor = flag.end
    parts.append(html.escape(text[cursor:]))
    return f'<div dir="auto" style="font-size:1.1rem;line-height:1.9;white-space:pre-wrap">{"".join(parts)}</div>'


def typed_letter_probabilities(word: str, symbols: list[str], probs: np.ndarray) -> np.ndarray:
    """P(the letter actually typed | the letters before it), one per letter of `word` (then "$")."""
    index = {s: i for i, s in enumerate(symbols)}
    typed = list(word.lower()) + ["$"]
    return np.array([probs[t, index[c]] if c in index else np.nan for t, c in enumerate(typed)])


def next_letter_heatmap(word: str, symbols: list[str], probs: np.ndarray) -> go.Figure:
    """Rows: the prefix read so far; columns: the next symbol. Circles mark what was typed,
    orange where the RNN found it unlikely."""
    word = word.lower()
    prefixes = [html.escape(f"{word[:t]}▸") for t in range(len(word) + 1)]
    typed = list(word) + ["$"]
    typed_p = typed_letter_probabilities(word, symbols, probs)
    heat = {
        "type": "heatmap",
        "z": np.asarray(probs, dtype=np.float32),
        "x": symbols,
        "y": prefixes,
        "colorscale": "Viridis",
        "zmin": 0,
        "zmax": 1,
        "hovertemplate": "after “%{y}” the next letter is %{x}: %{z:.1%}<extra></extra>",
        "colorbar": {"thickness": 10, "tickformat": ".0%"},
    }
    marks = {
        "type": "scatter",
        "mode": "markers",
        "x": typed,
        "y": prefixes,
        "marker": {
            "symbol": "circle-open",
            "size": 16,
            "line": {"width": 3},
            "color": ["#e69f00" if p < SURPRISE_BELOW else "#ffffff" for p in np.nan_to_num(typed_p, nan=1.0)],
        },
        "customdata": typed_p,
        "hovertemplate": "typed %{x}: the RNN gave it %{customdata:.1%}<extra></extra>",
        "showlegend": False,
    }
    layout = {
        "title": {"text": "What the RNN expects next (circles: typed; orange: a surprise)"},
        "height": 120 + 26 * len(prefixes),
        "margin": MARGIN,
        "xaxis": {"type": "category", "categoryorder": "array", "categoryarray": symbols, "side": "top"},
        "yaxis": {"type": "category", "autorange": "reversed"},
    }
    return figure([heat, marks], layout)


def next_letter_bars(prefix: str, symbols: list[str], row: np.ndarray, typed: str | None, top: int = 10) -> go.Figure:
    """The distribution after one prefix, as bars: "networ" -> k towers over c."""
    order = list(np.argsort(-np.asarray(row))[:top])
    if typed in symbols and symbols.index(typed) not in order:
        order[-1] = symbols.index(typed)  # the typed letter is always shown, however unlikely
    letters = [symbols[i] for i in order]
    colours = ["#e69f00" if letter == typed else "#0072b2" for letter in letters]
    trace = {
        "type": "bar",
        "x": letters,
        "y": np.asarray(row)[order].tolist(),
        "marker": {"color": colours},
        "text": [f"{p:.0%}" for p in np.asarray(row)[order]],
        "textposition": "outside",
        "hovertemplate": "%{x}: %{y:.2%}<extra></extra>",
    }
    title = f"After “{html.escape(prefix)}”, the next letter" + (
        f" (typed: {html.escape(typed)}, in orange)" if typed else ""
    )
    layout = {
        "title": {"text": title},
        "height": 300,
        "margin": MARGIN,
        "yaxis": {"range": [0, 1.15], "tickformat": ".0%"},
        "xaxis": {"type": "category"},
    }
    return figure([trace], layout)


def hidden_state_heatmap(word: str, hidden: np.ndarray) -> go.Figure:
    """The LSTM's hidden state (units x steps) after each letter it has read."""
    word = word.lower()
    steps = ["^"] + [html.escape(c) + f" ({i + 1})" for i, c in enumerate(word)]
    hidden = np.asarray(hidden, dtype=np.float32)
    vmax = float(np.abs(hidden).max()) or 1.0
    trace = {
        "type": "heatmap",
        "z": hidden.T,  # (H, T)
        "x": steps,
        "colorscale": [[0.0, "#2166ac"], [0.5, "#f7f7f7"], [1.0, "#b2182b"]],
        "zmin": -vmax,
        "zmax": vmax,
        "hovertemplate": "after %{x}<br>unit %{y}: %{z:.3f}<extra></extra>",
        "colorbar": {"thickness": 10},
    }
    layout = {
        "title": {"text": f"Its memory: the {hidden.shape[1]} hidden units after each letter"},
        "height": 320,
        "margin": MARGIN,
        "xaxis": {"type": "category"},
        "yaxis": {"title": {"text": "hidden unit"}},
    }
    return figure([trace], layout)


# ---------------------------------------------------------------- text alternatives


def next_letter_caption(prefix: str, symbols: list[str], row: np.ndarray, typed: str | None) -> str:
    row = np.asarray(row, dtype=np.float64)
    top = np.argsort(-row)[:3]
    expected = ", ".join(f"{symbols[i]} {row[i]:.0%}" for i in top)
    typed_note = ""
    if typed is not None and typed in symbols:
        typed_note = f" The letter typed, {typed}, got {row[symbols.index(typed)]:.1%}."
    return f"After “{prefix}” the RNN expects: {expected}.{typed_note}"


def surprise_caption(word: str, symbols: list[str], probs: np.ndarray) -> str:
    typed_p = typed_letter_probabilities(word, symbols, probs)[: len(word)]
    if not len(typed_p) or np.all(np.isnan(typed_p)):
        return ""
    worst = int(np.nanargmin(typed_p))
    surprises = int(np.sum(typed_p < SURPRISE_BELOW))
    return (
        f"Reading “{word}”, the RNN was most surprised by letter {worst + 1}, “{word[worst]}” "
        f"({typed_p[worst]:.1%}); {surprises} letter{'s' if surprises != 1 else ''} fell below "
        f"{SURPRISE_BELOW:.0%}."
    )


def hidden_caption(hidden: np.ndarray) -> str:
    hidden = np.asarray(hidden, dtype=np.float64)
    change = np.abs(np.diff(hidden, axis=0)).sum(1) if len(hidden) > 1 else np.zeros(1)
    step = int(change.argmax()) + 1 if len(hidden) > 1 else 0
    return (
        f"{hidden.shape[1]} hidden units over {len(hidden)} steps, values from {hidden.min():.2f} to "
        f"{hidden.max():.2f}; the memory changed most at step {step}."
    )
