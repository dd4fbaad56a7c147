"""The comparison page in headless Chromium, against the real app and the committed weights:
every control on both tabs, once.

Skips when Chromium or Playwright is missing, except under CI, where that is a failure.
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.browser import (
    CANVAS_UNCOVERED,
    REPO_ROOT,
    browser_fixtures,
    canvas_locator,
    clear_canvas,
    digit_strokes,
    draw_strokes,
    wait_for_idle_script,
)
from ui.inputs import COMPARE_PROMPT

pytestmark = pytest.mark.browser

REQUIRED = ("cnn.pt", "rnn.pt", "bilstm.pt", "cnn_tagger.pt", "mnist_gallery.npz", "robustness.json", "ner_speed.json")
TIMEOUT_MS = 60_000

# Each test opens the page itself, on a fresh tab.
app_url, page = browser_fixtures(
    REQUIRED,
    "python -m training.train_rnn && python -m training.robustness",
    viewport={"width": 1400, "height": 1200},
    timeout_ms=TIMEOUT_MS,
)


def both_say(page, digit: str) -> None:
    page.wait_for_function(
        """digit => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
                     .map(e => e.innerText.trim()).filter(v => v === digit).length === 2""",
        arg=digit,
    )


def test_digit_tab_controls(page, app_url):
    page.goto(f"{app_url}/compare")
    wait_for_idle_script(page)
    with np.load(REPO_ROOT / "weights" / "mnist_gallery.npz") as gallery:
        labels = gallery["labels"]
    both_say(page, str(labels[0]))  # the first gallery digit, shown before anyone draws
    # gallery pills
    page.get_by_role("radiogroup", name="Gallery digit").get_by_role("radio", name="22", exact=True).click()
    both_say(page, str(labels[21]))
    assert "compare_gallery=22" in page.url
    # canvas
    draw_strokes(page, digit_strokes()["7"])
    both_say(page, "7")
    # rows-read slider, from the keyboard
    slider = page.get_by_role("slider", name="Rows read")
    slider.focus()
    slider.press("Home")
    page.get_by_text("After 1 of 28 rows").wait_for()
    for _ in range(4):
        slider.press("ArrowRight")
    page.get_by_text("After 5 of 28 rows").wait_for()
    # layer and perturbation controls
    page.get_by_role("radiogroup", name="Layer").get_by_role("radio", name="conv4", exact=True).click()
    page.get_by_text("conv4: 64 feature maps of 14×14").wait_for()
    page.get_by_role("radiogroup", name="Perturbation").get_by_role("radio", name="Rotation").click()
    page.get_by_text("Accuracy as the digit turns").first.wait_for()
    # clear
    clear_canvas(page)
    page.locator('[data-testid="stAlertContentInfo"]').filter(has_text=COMPARE_PROMPT).wait_for()


def test_canvas_is_whole_on_a_1024_px_screen_with_the_sidebar_open(browser, app_url):
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{app_url}/compare")
        canvas = canvas_locator(page)
        canvas.wait_for(state="visible")
        assert page.locator('[data-testid="stSidebar"]').is_visible()
        assert canvas.evaluate(CANVAS_UNCOVERED)
        # The gallery still fits beside the canvas rather than wrapping below it.
        gallery = page.get_by_role("radiogroup", name="Gallery digit").bounding_box()
        box = canvas.bounding_box()
        assert gallery["x"] >= box["x"] + box["width"]
        assert gallery["y"] < box["y"] + box["height"]
    finally:
        page.close()


def test_text_tab_controls(page, app_url):
    page.goto(f"{app_url}/compare")
    page.get_by_role("tab", name="The same sentence").click()
    page.get_by_text("CNN tagger · sees").wait_for()
    assert "compare_tab=" in page.url
    page.locator("mark").filter(has_text="Roosevelt Street").first.wait_for()
    # example pills
    page.get_by_role("radiogroup", name="Examples").get_by_role("radio", name="The clue is far away").click()
    box = page.get_by_label("Your text")
    page.wait_for_function("el => el.value.startsWith('Morgan, after')", arg=box.element_handle())
    # typing
    box.fill("Paris Hilton flew to Paris on Monday.")
    box.press("Control+Enter")
    page.locator("mark").filter(has_text="Paris Hilton").first.wait_for()
    wait_for_idle_script(page)
    # the token to explain
    token = page.get_by_role("combobox", name="Token to explain")
    token.click()
    page.get_by_role("option", name="4: Paris").click()
    page.get_by_text("Why “Paris”?").wait_for()
    page.wait_for_url("**compare_token=4**")
    # threads for the speed chart
    page.get_by_role("radiogroup", name="CPU threads").get_by_role("radio", name="2", exact=True).click()
    page.get_by_text("2 threads", exact=False).first.wait_for()
