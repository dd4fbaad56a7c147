"""What every figure module shares: lean plotly figures from plain dicts."""

import html
import re

import plotly.graph_objects as go

MARGIN = {"l": 10, "r": 10, "t": 36, "b": 10}
# Signed values, blue negative through white to red positive (ColorBrewer RdBu), centred on 0 by zmin = -zmax.
NEGATIVE_COLOUR, POSITIVE_COLOUR = "#2166ac", "#b2182b"
SIGNED_SCALE = [[0.0, NEGATIVE_COLOUR], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, POSITIVE_COLOUR]]
IMAGE_AXIS = {"visible": False, "constrain": "domain"}


def figure(traces: list[dict], layout: dict) -> go.Figure:
    """A figure from plain dicts, skipping plotly's per-property validation: building a
    validated heatmap costs ~30 ms, this costs well under 1 ms. The dicts here are fixed
    by the figure modules and covered by tests; user text in them is escaped."""
    # An empty template: plotly's default one costs ~2 ms and 6 KB per chart, and Streamlit
    # applies its own theme in the browser anyway.
    return go.Figure(data=traces, layout={"template": {}, **layout}, _validate=False)


def signed_heatmap(z, vmax: float, hovertemplate: str, **placement) -> dict:
    """A heatmap trace of signed values: white at 0, full blue or red at -vmax or +vmax. `placement` (x, y,
    customdata) goes beside z."""
    return {
        "type": "heatmap",
        "z": z,
        **placement,
        "colorscale": SIGNED_SCALE,
        "zmin": -vmax,
        "zmax": vmax,
        "hovertemplate": hovertemplate,
        "colorbar": {"thickness": 10},
    }


def probability_heatmap(z, x, y, hovertemplate: str) -> dict:
    """A heatmap trace of probabilities, 0 to 100% on Viridis."""
    return {
        "type": "heatmap",
        "z": z,
        "x": x,
        "y": y,
        "colorscale": "Viridis",
        "zmin": 0,
        "zmax": 1,
        "hovertemplate": hovertemplate,
        "colorbar": {"thickness": 10, "tickformat": ".0%"},
    }


def plot_text(token: str) -> str:
    """User text for a plotly label: plotly.js reads a subset of HTML in labels (<b>, <a href>, <br>...),
    so it is escaped."""
    return html.escape(token)


# ---------------------------------------------------------------- titles that fit a phone
# Plotly draws a title on one line, however narrow the chart, and its modebar (shown on hover, and all the time
# on a touch screen) lies over the chart's top right corner. So a title is broken into lines that fit the
# narrowest chart we lay out, one on a 390 px phone (358 px inside the page's padding), and it starts below a
# band as tall as the modebar.
NARROW_CHART_PX = 358
MODEBAR_BAND_PX = 36  # the modebar is 28 px from the chart's top; a title's box reaches ~5 px above its pad
TITLE_PX = 16  # the title size Streamlit's theme gives a chart
TITLE_INSET_PX = 6  # from the chart's left edge, and kept free at its right
# A bold Source Sans character is 0.41-0.46 em wide on average in our titles; 0.5 em leaves room for wide ones.
TITLE_EM_PER_CHAR = 0.5
LINE_SPACING = 1.3  # plotly's, between the lines of a text
MULTILINE_RAISE_EM = 0.7
PLOTLY_TOP_MARGIN = 100  # plotly's default, for a figure that sets none
PLOTLY_FONT_PX = 12  # plotly's default font size
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _visible_length(text: str) -> int:
    """Characters a plotly label shows: tags take none, an escaped character one."""
    return len(html.unescape(_TAG.sub("", text)))


def wrap_label(text: str, max_chars: int) -> list[str]:
    """A plotly label cut at spaces into lines of at most `max_chars` visible characters (a longer word keeps
    a line of its own), as evenly as that many lines allow; existing <br> breaks are kept."""
    lines = []
    for paragraph in _BREAK.split(text):
        words = paragraph.split(" ")
        fewest = len(_greedy(words, max_chars))
        width = max_chars
        # Narrow the lines while they still take no more of them: "a title of two" + "halves", not one
        # full line and a word.
        while width > 1 and len(_greedy(words, width - 1)) == fewest:
            width -= 1
        lines.extend(_greedy(words, width))
    return lines


def _greedy(words: list[str], width: int) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and _visible_length(lines[-1]) + 1 + _visible_length(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def fit_title(fig: go.Figure, title_px: int = TITLE_PX, chart_px: int = NARROW_CHART_PX) -> go.Figure:
    """A copy of `fig` whose title, at `title_px`, is wrapped to fit a chart `chart_px` wide and set below the
    modebar's band; the top margin, and the height where one is set, grow by what that takes, so the plot
    keeps its size. A figure without a title is returned as it is."""
    data = fig.to_plotly_json()
    layout = dict(data.get("layout", {}))
    title = layout.get("title")
    title = {"text": title} if isinstance(title, str) else dict(title or {})
    if not title.get("text"):
        return fig
    max_chars = int((chart_px - 2 * TITLE_INSET_PX) / (TITLE_EM_PER_CHAR * title_px))
    lines = wrap_label(title["text"], max_chars)
    line_px = LINE_SPACING * title_px
    extra = round(MODEBAR_BAND_PX + (len(lines) - 1) * line_px)
    if any(name.startswith("xaxis") and (axis or {}).get("side") == "top" for name, axis in layout.items()):
        # Tick labels above the plot share the top margin with the title: plotly makes room for them, or for a
        # title, not for both.
        extra += round(LINE_SPACING * layout.get("font", {}).get("size", PLOTLY_FONT_PX))
    margin = dict(layout.get("margin", {}))
    layout["margin"] = {**margin, "t": margin.get("t", PLOTLY_TOP_MARGIN) + extra}
    if layout.get("height"):
        layout["height"] = layout["height"] + extra
    layout["title"] = {
        **title,
        # A space ends each line, so the title's text (what a screen reader or a search finds) keeps its words apart.
        "text": " <br>".join(lines),
        "font": {**title.get("font", {}), "size": title_px},
        "x": 0,
        "xref": "container",
        "xanchor": "left",
        "y": 1,
        "yref": "container",
        "yanchor": "top",
        # Plotly sets the first line of a title of several 0.7 em higher than a title of one: undone here.
        "pad": {"l": TITLE_INSET_PX, "t": MODEBAR_BAND_PX + (MULTILINE_RAISE_EM * title_px if len(lines) > 1 else 0)},
    }
    return figure(data.get("data", []), layout)
