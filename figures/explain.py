"""Figures for "Why this label?": integrated gradients and occlusion, arrays in, plotly figures and captions
out. No streamlit here.

Every caption is built from the numbers and words each change by its sign ("raises it by 1.20", "falls from
99.0% to 0.1%"), so it reads true whatever the numbers are. User text is escaped before plotly sees it.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from figures.common import MARGIN, NEGATIVE_COLOUR, POSITIVE_COLOUR, figure, plot_text

# Okabe–Ito, distinguishable with the common colour-vision deficiencies.
PART_COLOURS = {"word": "#56B4E9", "char": "#E69F00", "case": "#009E73"}
PART_NAMES = {"word": "word vector", "char": "spelling (char-CNN)", "case": "capitalisation"}
# Red for the label, blue against, grey neither: the signed colours every figure uses.
FOR, AGAINST, NEUTRAL = POSITIVE_COLOUR, NEGATIVE_COLOUR, "#bbbbbb"
# Below this gap (in nats, about 1% in probability) the relative completeness residual means little.
SMALL_GAP = 0.01
RULE_NAMES = {"gauss-legendre": "Gauss–Legendre", "midpoint": "midpoint (Riemann)"}


def _labels(tokens: list[str]) -> list[str]:
    return [f"{i}: {plot_text(token)}" for i, token in enumerate(tokens)]  # unique x even when a word repeats


def _token_axis(labels: list[str], tokens: list[str]) -> dict:
    return {"tickangle": -45, "tickmode": "array", "tickvals": labels, "ticktext": [plot_text(t) for t in tokens]}


def percent(p: float) -> str:
    return f"{p:.1%}"


def number(x: float) -> str:
    """A signed number with a true minus sign: −0.25, 1.20."""
    return f"{x:.2f}".replace("-", "−")


def probability_change(before: float, after: float) -> str:
    """'falls from 98.9% to 0.1%', 'rises from …', 'stays at 91.5%' (exactly equal) or 'barely moves from …'."""
    if after == before:
        return f"stays at {percent(before)}"
    if percent(after) == percent(before):
        return f"barely moves from {percent(before)}"
    return f"{'falls' if after < before else 'rises'} from {percent(before)} to {percent(after)}"


# ---------------------------------------------------------------- integrated gradients


def integrated_gradients_bars(
    tokens: list[str], parts: dict[str, np.ndarray], position: int, label: str, probability: float
) -> go.Figure:
    """Each token's attribution to log p(label), stacked by input (word vector, spelling, capitalisation),
    with a diamond at each token's total. The explained token's total is drawn larger."""
    labels = _labels(tokens)
    traces = [
        {
            "type": "bar",
            "name": PART_NAMES[name],
            "x": labels,
            "y": np.asarray(values, dtype=np.float64),
            "marker": {"color": PART_COLOURS[name]},
            "hovertemplate": f"%{{x}}<br>{PART_NAMES[name]}: %{{y:.3f}}<extra></extra>",
        }
        for name, values in parts.items()
    ]
    total = np.sum([np.asarray(v, dtype=np.float64) for v in parts.values()], axis=0)
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "total",
            "x": labels,
            "y": total,
            "marker": {
                "symbol": "diamond",
                "color": "#000000",
                "size": [13 if i == position else 8 for i in range(len(tokens))],
            },
            "hovertemplate": "%{x}<br>total: %{y:.3f}<extra></extra>",
        }
    )
    layout = {
        "title": {
            "text": f"Integrated gradients: what each word adds to log p({label}) for “{plot_text(tokens[position])}” "
            f"({percent(probability)})"
        },
        "height": 360,
        "barmode": "relative",
        "margin": {**MARGIN, "b": 80},
        "xaxis": _token_axis(labels, tokens),
        "yaxis": {"title": {"text": "attribution (log-probability)"}, "zeroline": True},
        "legend": {"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
    }
    return figure(traces, layout)


def integrated_gradients_caption(tokens: list[str], scores: np.ndarray, position: int, label: str) -> str:
    """Which words raise log p(label) most and which lower it most, each by how much (a magnitude)."""
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    raising = [f"“{tokens[i]}” (by {scores[i]:.2f})" for i in order[:3] if scores[i] > 0]
    lowering = [f"“{tokens[i]}” (by {-scores[i]:.2f})" for i in order[::-1][:2] if scores[i] < 0]
    return (
        f"Integrated gradients of log p({label}) for “{tokens[position]}”. "
        + (f"Raising it most: {', '.join(raising)}. " if raising else "No word raises it. ")
        + (f"Lowering it most: {', '.join(lowering)}." if lowering else "No word lowers it.")
    )


def residual_words(attribution_sum: float, log_prob: float, baseline_log_prob: float) -> str:
    """The completeness residual, |sum − (f(x) − f(baseline))| / |f(x) − f(baseline)|, in words; when the gap
    is under SMALL_GAP there is almost nothing to share out, and the ratio would mean little."""
    gap = log_prob - baseline_log_prob
    if abs(gap) < SMALL_GAP:
        return f"no residual worth dividing: f(x) − f(baseline) is only {number(gap)}"
    residual = abs(attribution_sum - gap) / abs(gap)
    return "residual under 0.1%" if residual < 0.001 else f"residual {residual:.1%}"


def completeness_caption(
    attribution_sum: float, log_prob: float, baseline_log_prob: float, steps: int, rule: str = "gauss-legendre"
) -> str:
    """The check that the attributions add up to f(x) − f(baseline), in numbers."""
    gap = log_prob - baseline_log_prob
    return (
        f"Completeness check: the attributions sum to {number(attribution_sum)}; f(x) − f(baseline) = "
        f"{number(log_prob)} − ({number(baseline_log_prob)}) = {number(gap)}; "
        f"{residual_words(attribution_sum, log_prob, baseline_log_prob)} ({steps}-point {RULE_NAMES[rule]} "
        "quadrature along the straight path from the baseline)."
    )


# ---------------------------------------------------------------- occlusion


def occlusion_bars(tokens: list[str], occluded: np.ndarray, probability: float, position: int, label: str) -> go.Figure:
    """p(label) at the explained token with each word in turn replaced by the unknown word, against a
    dashed line at p with every word in place. Red: the word's absence lowers p (it supported the label);
    blue: its absence raises p; grey: no change at all."""
    occluded = np.asarray(occluded, dtype=np.float64)
    labels = _labels(tokens)
    colours = [FOR if p < probability else AGAINST if p > probability else NEUTRAL for p in occluded]
    trace = {
        "type": "bar",
        "x": labels,
        "y": occluded,
        "marker": {
            "color": colours,
            "line": {"color": ["#000" if i == position else "rgba(0,0,0,0)" for i in range(len(tokens))], "width": 2},
        },
        "hovertemplate": f"without %{{x}}<br>p({label}) = %{{y:.1%}}<extra></extra>",
    }
    line = {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "y0": probability,
        "y1": probability,
        "line": {"color": "#000000", "dash": "dash", "width": 1.5},
    }
    layout = {
        "title": {
            "text": f"Occlusion: p({label}) for “{plot_text(tokens[position])}” with each word replaced "
            f"(dashed: {percent(probability)} with all words)"
        },
        "height": 340,
        "margin": {**MARGIN, "b": 80},
        "xaxis": _token_axis(labels, tokens),
        "yaxis": {"title": {"text": f"p({label}) without the word"}, "range": [0, 1.02], "tickformat": ".0%"},
        "shapes": [line],
        "showlegend": False,
    }
    return figure([trace], layout)


def occlusion_caption(tokens: list[str], occluded: np.ndarray, probability: float, position: int, label: str) -> str:
    """What happens to p(label) without the token itself, without the other word that matters most, and how
    many words change nothing at all."""
    occluded = np.asarray(occluded, dtype=np.float64)
    change = occluded - probability
    parts = [
        f"Occlusion: with every word in place, p({label}) for “{tokens[position]}” is {percent(probability)}. "
        f"With the word itself replaced by the unknown word it {probability_change(probability, occluded[position])}"
    ]
    others = [i for i in range(len(tokens)) if i != position]
    if others:
        strongest = max(others, key=lambda i: abs(change[i]))
        if change[strongest] != 0:
            parts.append(
                f"; among the other words, replacing “{tokens[strongest]}” moves it most: it "
                f"{probability_change(probability, occluded[strongest])}"
            )
        unchanged = sum(change[i] == 0 for i in others)
        if unchanged:
            parts.append(f". Replacing any of {unchanged} other word{'s' if unchanged != 1 else ''} changes nothing")
    return "".join(parts) + "."
