"""The pen page in headless Chromium, against the real app and the committed weights: draw two strokes
with the mouse and with a finger, replay the timeline, shuffle the points, open an example from a link.

Skips when Chromium or Playwright is missing, except under CI, where that is a failure.
"""

from __future__ import annotations

import re

import pytest

from harness.browser import (
    browser_fixtures,
    clear_canvas,
    digit_strokes,
    draw_strokes,
    metric_value,
    pen_strokes_listed,
    touch_strokes,
)
from ui.pen import PEN_PROMPT

pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000

app_url, page = browser_fixtures(
    ("pen.pt", "pen.json", "cnn.pt", "cnn.json"),
    "python -m training.train_pen",
    viewport={"width": 1400, "height": 1000},
    path="/pen",
    ready=lambda page: prompt(page).wait_for(),
    timeout_ms=TIMEOUT_MS,
)


def prompt(page):
    return page.locator('[data-testid="stAlertContentInfo"]').filter(has_text=PEN_PROMPT)


def caption_with(page, pattern: str):
    return page.locator('[data-testid="stCaptionContainer"]').filter(has_text=re.compile(pattern))


def test_two_mouse_strokes_replayed_and_shuffled(page):
    four = digit_strokes()["4"]
    draw_strokes(page, four[:1])
    pen_strokes_listed(page, 1)
    draw_strokes(page, four[1:])
    pen_strokes_listed(page, 2)
    assert metric_value(page, "The pen RNN says") == "4"
    assert metric_value(page, "The CNN says") == "4"

    total = int(re.search(r"After (\d+) of \1 points", caption_with(page, r"After \d+ of").inner_text()).group(1))
    thumb = page.get_by_role("slider", name="Points read")
    thumb.focus()
    thumb.press("Home")  # back to the first point
    caption_with(page, rf"After 1 of {total} points").wait_for()

    sentence = page.get_by_text(re.compile("in a random order"))
    first = sentence.inner_text()
    assert "pixel for pixel the same, so the CNN's answer is identical" in first
    page.get_by_role("button", name="Shuffle again").click()
    page.wait_for_function(
        "([el, before]) => !el.isConnected || el.innerText !== before", arg=[sentence.element_handle(), first]
    )
    assert "pixel for pixel the same" in sentence.inner_text()


def test_two_touch_strokes_are_read_and_clear_empties_the_page(page):
    touch_strokes(page, digit_strokes()["4"])
    pen_strokes_listed(page, 2)
    assert metric_value(page, "The pen RNN says") == "4"
    clear_canvas(page)
    prompt(page).wait_for(state="visible")


def test_an_example_link_opens_on_its_drawing(browser, app_url):
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    tab.set_default_timeout(TIMEOUT_MS)
    try:
        tab.goto(f"{app_url}/pen?pen_example=A+7%2C+one+stroke&pen_order=strokes+reversed")
        assert metric_value(tab, "The pen RNN says") == "7"
        tab.get_by_text(re.compile("reading the strokes backwards")).wait_for()
    finally:
        tab.close()
