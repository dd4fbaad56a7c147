"""Figures for autocorrect: flagged text and the character RNN reading a word. No streamlit here."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from figures.common import MARGIN, figure, plot_text, probability_heatmap, signed_heatmap

# Below this probability a typed letter counts as a surprise to the RNN.
SURPRISE_BELOW = 0.05


# How each kind of flag is underlined: a misspelling (not a word at all), words run together (not a word, best
# split in two), a real word in the wrong place, and two real words that make one here. The
# line lies on the page itself, so it has a colour for Streamlit's light theme and one for its dark, Okabe–Ito
# vermillion and blue darkened or lightened to 4.5:1 against each page (tests/classroom/test_contrast.py); light-dark()
# picks one by the theme.
FLAG_STYLES = {
    "unknown": ("wavy", ("#c04f00", "#ff8c42"), "not a word"),
    "split": ("dashed", ("#c04f00", "#ff8c42"), "words run together"),
    "real_word": ("double", ("#0072b2", "#56b4e9"), "a real word, but not here"),
    "join": ("dotted", ("#0072b2", "#56b4e9"), "one word, typed as two"),
}
# What hovering over a flag says before its suggestions.
FLAG_HINTS = {"real_word": "A real word, but not here. ", "split": "Words run together. ", "join": "One word here. "}
PART_COLOURS = {"edit": "#e69f00", "frequency": "#009e73", "context": "#0072b2"}
PART_NAMES = {"edit": "edit model", "frequency": "word frequency", "context": "the RNN's context"}


def _underline(kind: str) -> str:
    line, (light, dark), _ = FLAG_STYLES[kind]
    # The light colour first: a browser without light-dark() (before 2024) drops the second and keeps it.
    return (
        f"text-decoration:underline {line} {light};text-decoration-color:light-dark({light},{dark});"
        "text-decoration-thickness:2px;text-underline-offset:4px"
    )


def flag_legend_html() -> str:
    items = "".join(
        f'<span style="margin-right:1.2em"><span style="{_underline(kind)}">{html.escape(kind_name)}</span></span>'
        for kind, (_, _, kind_name) in FLAG_STYLES.items()
    )
    return f'<div style="font-size:0.9rem;margin-bottom:0.3em">{items}</div>'


def flagged_html(text: str, flags) -> str:
    """The text with each flagged word underlined in its kind's style; hovering lists its suggestions.
    All user text is escaped."""
    parts, cursor = [], 0
    for flag in sorted(flags, key=lambda f: f.start):
        parts.append(html.escape(text[cursor : flag.start]))
        hint = ", ".join(f"{s.word} ({s.score:.0%})" for s in flag.suggestions[:3]) or "no suggestion"
        prefix = FLAG_HINTS.get(flag.kind, "")
        parts.append(
            f'<span title="{html.escape(prefix + "Did you mean: " + hint, quote=True)}" '
            f'data-flag="{flag.kind}" style="{_underline(flag.kind)}">{html.escape(text[flag.start : flag.end])}</span>'
        )
        cursor = flag.end
    parts.append(html.escape(text[cursor:]))
    return f'<div dir="auto" style="font-size:1.1rem;line-height:1.9;white-space:pre-wrap">{"".join(parts)}</div>'


def score_parts_bars(words: list[str], parts: list[dict[str, float]], typed: str | None) -> go.Figure:
    """Each candidate's score as the sum of its parts (edit, frequency, context), stacked, with a diamond
    at the total: the highest total wins. `typed` names the real word that was typed, if it is among them."""
    labels = [plot_text(w) + (" (typed)" if w == typed else "") for w in words]
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "name": PART_NAMES[part],
            "y": labels,
            "x": [p[part] for p in parts],
            "marker": {"color": colour},
            "hovertemplate": f"%{{y}}: {PART_NAMES[part]} %{{x:+.2f}}<extra></extra>",
        }
        for part, colour in PART_COLOURS.items()
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "total",
            "y": labels,
            "x": [sum(p.values()) for p in parts],
            "marker": {"symbol": "diamond", "size": 12, "color": "#000000", "line": {"color": "#ffffff", "width": 1}},
            "hovertemplate": "%{y}: total %{x:+.2f}<extra></extra>",
        }
    )
    layout = {
        "title": {"text": "Why this correction: each candidate's score, part by part (higher wins)"},
        "barmode": "relative",
        "height": 150 + 34 * len(words),
        "margin": {**MARGIN, "l": 10},
        "yaxis": {"type": "category", "autorange": "reversed", "automargin": True},
        "xaxis": {"title": {"text": "score (log scale)"}, "zeroline": True},
        "legend": {"orientation": "h", "y": -0.25},
    }
    return figure(traces, layout)


def expectation_bars(expectation, top: int = 6) -> go.Figure:
    """What the context model expected at one position: the top words from the left, from the right,
    and from both sides, as three panels of bars."""
    panels = (
        ("left", "reading left to right"),
        ("right", "reading right to left"),
        ("both", "both sides together"),
    )
    traces, layout = (
        [],
        {
            "title": {"text": f"What the RNN expected in place of “{plot_text(expectation.word)}”"},
            "height": 120 + 26 * top,
            "margin": MARGIN,
            "showlegend": False,
        },
    )
    for i, (side, name) in enumerate(panels):
        pairs = getattr(expectation, side)[:top]
        suffix = "" if i == 0 else str(i + 1)
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "x": [p for _, p in pairs],
                "y": [plot_text(w) for w, _ in pairs],
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "marker": {"color": PART_COLOURS["context"] if side != "both" else "#56b4e9"},
                "text": [f"{p:.0%}" for _, p in pairs],
                "textposition": "outside",
                "hovertemplate": f"{name}: %{{y}} %{{x:.1%}}<extra></extra>",
            }
        )
        layout[f"xaxis{suffix}"] = {
            "domain": [i / 3 + 0.02, (i + 1) / 3 - 0.04],
            "tickformat": ".0%",
            "range": [0, 1.25 * max([p for _, p in pairs], default=1.0)],
            "title": {"text": name},
        }
        layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "autorange": "reversed", "type": "category"}
    return figure(traces, layout)


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
    heat = probability_heatmap(
        np.asarray(probs, dtype=np.float32),
        symbols,
        prefixes,
        "after “%{y}” the next letter is %{x}: %{z:.1%}<extra></extra>",
    )
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
    trace = signed_heatmap(hidden.T, vmax, "after %{x}<br>unit %{y}: %{z:.3f}<extra></extra>", x=steps)  # (H, T)
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


def score_parts_caption(words: list[str], parts: list[dict[str, float]], typed: str | None) -> str:
    """The chart's numbers in words: the winner, and which part decided it against the runner-up."""
    if not words:
        return ""
    totals = [sum(p.values()) for p in parts]
    order = sorted(range(len(words)), key=lambda i: -totals[i])
    best = order[0]
    text = f"“{words[best]}” scores highest ({totals[best]:+.2f})."
    rival = next((i for i in order if words[i] == typed and i != best), order[1] if len(order) > 1 else None)
    if rival is None:
        return text
    gaps = {part: parts[best][part] - parts[rival][part] for part in PART_NAMES}
    decisive = max(gaps, key=gaps.get)
    against = "the typed word" if words[rival] == typed else "the runner-up"
    text += f" Against {against}, “{words[rival]}” ({totals[rival]:+.2f}), "
    if gaps[decisive] <= 0:
        return text + "no part favours it; every part is at least as high for the rival."
    pieces = [f"{PART_NAMES[part]} {gap:+.2f}" for part, gap in gaps.items()]
    return text + f"the parts differ by {', '.join(pieces)}: {PART_NAMES[decisive]} decides the most."


def expectation_caption(expectation) -> str:
    def top(pairs):
        return ", ".join(f"{word} {p:.0%}" for word, p in pairs[:3]) or "nothing"

    return (
        f"In place of “{expectation.word}”, reading from the left the RNN expected {top(expectation.left)}; "
        f"reading from the right, {top(expectation.right)}; both sides together, {top(expectation.both)}."
    )


def hidden_caption(hidden: np.ndarray, step: str = "step") -> str:
    """The hidden states' key numbers in words; `step` names what one step reads (a letter, a row)."""
    hidden = np.asarray(hidden, dtype=np.float64)
    change = np.abs(np.diff(hidden, axis=0)).sum(1) if len(hidden) > 1 else np.zeros(1)
    most = int(change.argmax()) + 1 if len(hidden) > 1 else 0
    return (
        f"{hidden.shape[1]} hidden units over {len(hidden)} {step}s, values from {hidden.min():.2f} to "
        f"{hidden.max():.2f}; the memory changed most at {step} {most}."
    )


def context_changes_caption(changes: int, without_rnn: bool) -> str:
    shown = "without the RNN" if without_rnn else "with the RNN"
    if changes == 0:
        return f"Shown {shown}. Switching the RNN on or off changes no correction in this text."
    plural = "correction" if changes == 1 else "corrections"
    return f"Shown {shown}. Switching the RNN on or off changes {changes} {plural}, listed above."


def informal_note(tweets: dict | None, metrics: dict) -> str:
    """Where the informal words it leaves alone come from (weights/speller_tweets.json: source, citation,
    licence, tweets counted), and the held-out tweets' false alarms from the manifest; "" without the file."""
    if not tweets or not tweets.get("source"):
        return ""
    credit = "; ".join(str(tweets[key]) for key in ("citation", "licence") if tweets.get(key))
    counted = f"{tweets['tweets']:,} tweets of the " if tweets.get("tweets") else "the "
    sentence = (f"Informal words (lol, pls, soooo) are left as typed: the words tweets use, counted in {counted}"
                f"{tweets['source']}{f' ({credit})' if credit else ''}")  # fmt: skip
    alarms = metrics.get("clean_btc_f_false_alarm_rate")
    if alarms is not None:
        sentence += f"; on held-out tweets it changes {alarms:.1%} of their words"
    return sentence + "."


def speller_metrics_note(metrics: dict) -> str:
    """The corrector's measured figures from its manifest, in words; parts not measured are left out."""
    parts = []
    fixed, plain = metrics.get("test_correction_rate"), metrics.get("test_correction_rate_no_context")
    alarms = metrics.get("test_false_alarm_rate")
    if fixed is not None:
        sentence = f"On held-out sentences (data/speller/test.tsv) the corrector fixes {fixed:.0%} of the errors"
        if plain is not None:
            gap = 100 * (fixed - plain)
            effect = "adds" if gap > 0 else "takes away" if gap < 0 else "changes"
            amount = f"{abs(gap):.0f} points" if gap else "nothing"
            sentence += f", {plain:.0%} without the RNN: its context {effect} {amount}"
        if alarms is not None:
            sentence += f"; it changes {alarms:.1%} of the words that were right"
        parts.append(sentence + " (`python -m training.evaluate speller --sentences data/speller/test.tsv`).")
    norvig = [metrics.get(f"spell-testset{i}_top1") for i in (1, 2)]
    if all(value is not None for value in norvig):
        parts.append(
            f"Single misspelt words, Norvig's two test sets: {norvig[0]:.1%} and {norvig[1]:.1%} right first "
            "(`python -m training.evaluate speller`)."
        )
    return " ".join(parts) or "The speller's manifest holds no measured figures."
