"""The display rules behind issue 14, without a browser: chart titles that fit a phone and clear the modebar,
presentation steps that name what they show, and a toolbar for viewers. tests/classroom/test_browser_display.py checks
the same in Chromium."""

from __future__ import annotations

import html
import re
import tomllib

import pytest

from figures.common import MODEBAR_BAND_PX, NARROW_CHART_PX, TITLE_PX, figure, fit_title, wrap_label
from harness.browser import REPO_ROOT
from ui import presentation

TITLE = "How sure the tagger is of each tag, token by token (CRF marginals)"


def visible(line: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", line))


@pytest.mark.parametrize("width", [12, 20, 31, 43, 200])
def test_wrapped_lines_fit_and_keep_every_word(width):
    lines = wrap_label(TITLE, width)
    assert all(len(line) <= width for line in lines)
    assert " ".join(lines) == TITLE


def test_wrapped_lines_are_even_not_a_full_line_and_a_stray_word():
    lines = wrap_label("The feature map it fills in, position by position", 43)
    assert lines == ["The feature map it fills", "in, position by position"]


def test_wrapping_counts_what_plotly_shows_and_keeps_its_breaks():
    assert wrap_label("Tom &amp; Jerry", 11) == ["Tom &amp; Jerry"]  # &amp; shows as one character
    assert wrap_label("<b>bold</b> words", 10) == ["<b>bold</b> words"]  # tags show nothing
    assert wrap_label("first<br>second line", 40) == ["first", "second line"]
    assert wrap_label("a supercalifragilistic word", 8) == ["a", "supercalifragilistic", "word"]


def test_fit_title_wraps_and_sets_the_title_below_the_modebar():
    original = figure([], {"title": {"text": TITLE}, "height": 300, "margin": {"l": 10, "t": 36}})
    fitted = fit_title(original)
    lines = fitted.layout.title.text.split(" <br>")
    max_chars = (NARROW_CHART_PX - 12) / (0.5 * TITLE_PX)
    assert len(lines) == 2 and all(len(visible(line)) <= max_chars for line in lines)
    assert " ".join(lines) == TITLE
    title = fitted.layout.title
    assert (title.yref, title.y, title.yanchor, title.xanchor) == ("container", 1, "top", "left")
    assert title.pad.t >= MODEBAR_BAND_PX
    # The room for the band and the second line is added on top, so the plot keeps its height.
    added = fitted.layout.margin.t - 36
    assert added >= MODEBAR_BAND_PX + 1.3 * TITLE_PX - 1
    assert fitted.layout.height - 300 == added
    assert fitted.layout.margin.l == 10
    assert original.layout.title.text == TITLE and original.layout.height == 300  # a copy: the cache's stays


def test_tick_labels_above_the_plot_get_room_below_the_title():
    layout = {"title": {"text": "Short"}, "margin": {"t": 36}, "font": {"size": 17}}
    plain = fit_title(figure([], layout))
    topped = fit_title(figure([], {**layout, "xaxis": {"side": "top"}}))
    assert topped.layout.margin.t - plain.layout.margin.t >= 17


def test_a_wider_chart_takes_longer_lines():
    fitted = fit_title(figure([], {"title": {"text": TITLE}}), title_px=22, chart_px=presentation.CHART_PX)
    assert "<br>" not in fitted.layout.title.text


def test_a_figure_without_a_title_is_left_alone():
    fig = figure([], {"height": 300})
    assert fit_title(fig) is fig


def test_every_presentation_step_names_what_it_shows():
    missing = [step.title for step in presentation.STEPS if not step.anchor]
    assert not missing, f"give these steps an anchor, the key of the element their line talks about: {missing}"


def test_the_toolbar_is_for_viewers():
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"
