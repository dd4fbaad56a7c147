"""The classroom features in headless Chromium: touch drawing on a phone, presentation mode,
shared links, and the keyboard.

Skips when Chromium or Playwright is missing, except under CI, where that is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import numpy as np
import pytest

from harness.browser import (
    REPO_ROOT,
    app_with_weights,
    canvas_locator,
    digit_strokes,
    draw_strokes,
    metric_value,
    touch_strokes,
    wait_for_idle_script,
)
from ui.inputs import DIGITS_PROMPT
from ui.presentation import STEPS

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
REQUIRED_WEIGHTS = ("cnn.pt", "cnn.json", "mnist_gallery.npz", "bilstm.pt", "bilstm.json", "speller.pt")


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    with app_with_weights(REQUIRED_WEIGHTS, "python -m training.train_cnn && python -m training.train_ner") as url:
        yield url


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    page.close()


def gallery_labels() -> np.ndarray:
    with np.load(REPO_ROOT / "weights" / "mnist_gallery.npz") as gallery:
        return gallery["labels"]


def test_touch_drawing_on_a_phone(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{app_url}/digits")
        page.locator('[data-testid="stAlertContentInfo"]').filter(has_text=DIGITS_PROMPT).wait_for()
        touch_strokes(page, digit_strokes()["7"])
        assert metric_value(page, "Prediction") == "7"
        # The page fits the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


@pytest.mark.parametrize("presenting", [False, True], ids=["sidebar-open", "presentation-mode"])
def test_a_1024_px_screen_keeps_the_canvas_whole_and_the_answer_beside_it(browser, app_url, presenting):
    """A 1024x768 laptop or projector: the whole canvas takes the mouse (draw_strokes checks its
    edges), the page does not scroll sideways, and the prediction sits next to the canvas, not below."""
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{app_url}/digits{'?present=1' if presenting else ''}")
        page.locator('[data-testid="stAlertContentInfo"]').filter(has_text=DIGITS_PROMPT).wait_for()
        assert page.locator('[data-testid="stSidebar"]').is_visible() is not presenting
        draw_strokes(page, digit_strokes()["7"])
        assert metric_value(page, "Prediction") == "7"
        canvas = canvas_locator(page).bounding_box()
        answer = page.locator('[data-testid="stMetric"]').first.bounding_box()
        assert answer["x"] >= canvas["x"] + canvas["width"]
        assert answer["y"] < canvas["y"] + canvas["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    finally:
        page.close()


def test_shared_link_opens_the_same_gallery_digit(page, app_url):
    number = 22
    page.goto(f"{app_url}/digits?digits_gallery={number}")
    assert metric_value(page, "Prediction") == str(gallery_labels()[number - 1])
    selected = page.get_by_role("radiogroup", name="Gallery digit").locator('[aria-checked="true"]')
    assert selected.inner_text().strip() == str(number)


def test_shared_link_opens_the_same_text_and_token(page, app_url):
    text = "Angela Merkel met Emmanuel Macron in Berlin on Monday."
    page.goto(f"{app_url}/text?text_input={quote(text)}&text_token=6")
    # The box can be drawn before the script's first run fills it: wait for the value, then check.
    box = page.get_by_label("Your text")
    page.wait_for_function("([el, text]) => el.value === text", arg=[box.element_handle(), text])
    wait_for_idle_script(page)
    token = page.get_by_role("combobox", name="Token")
    page.wait_for_function("el => el.value.startsWith('6: ')", arg=token.element_handle())
    assert box.input_value() == text
    assert token.input_value().startswith("6: Berlin")


def test_gallery_digit_can_be_chosen_with_the_keyboard(page, app_url):
    page.goto(f"{app_url}/digits")
    page.locator('[data-testid="stAlertContentInfo"]').filter(has_text=DIGITS_PROMPT).wait_for()
    pills = page.get_by_role("radiogroup", name="Gallery digit")
    pills.get_by_role("radio", name="3", exact=True).focus()
    page.keyboard.press("Enter")
    assert metric_value(page, "Prediction") == str(gallery_labels()[2])
    page.keyboard.press("Tab")  # focus moves on: nothing traps the keyboard
    assert page.evaluate("document.activeElement !== document.body")


def test_presentation_mode_steps_through_the_examples(page, app_url):
    page.goto(f"{app_url}/?present=1")
    # The presenter bar is drawn after the projector's style: once it shows, the style is on the page. (Waiting
    # for an idle script alone once read the font size before the style had come: 16 px.)
    page.get_by_role("link", name="Start").wait_for()
    wait_for_idle_script(page)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    page.wait_for_function("parseFloat(getComputedStyle(document.documentElement).fontSize) >= 20")
    page.get_by_role("link", name="Start").click()
    page.get_by_text(f"1 / {len(STEPS)}").wait_for()
    assert metric_value(page, "Prediction") == str(gallery_labels()[21]) == "7"
    page.get_by_role("link", name="Next").click()
    page.get_by_text(f"2 / {len(STEPS)}").wait_for()
    page.get_by_role("link", name="Next").click()
    page.get_by_text(f"3 / {len(STEPS)}").wait_for()
    box = page.get_by_label("Your text")  # the bar can appear before the page below it: wait for the text
    page.wait_for_function("el => el.value.includes('Roosevelt Street')", arg=box.element_handle())
    page.get_by_role("link", name="Previous").click()
    page.get_by_text(f"2 / {len(STEPS)}").wait_for()
    page.get_by_role("button", name="Exit").click()
    page.locator('[data-testid="stSidebar"]').wait_for(state="visible")
    assert "present" not in page.url


def test_presentation_toggle_in_the_sidebar(page, app_url):
    page.goto(app_url)
    page.get_by_text("Presentation mode").click()
    page.get_by_role("link", name="Start").wait_for()
    assert "present=1" in page.url


def test_a_session_that_dies_mid_run_leaves_the_others_working(browser, app_url):
    doomed = browser.new_page()
    doomed.set_default_timeout(TIMEOUT_MS)
    doomed.goto(f"{app_url}/text")
    doomed.locator("mark").first.wait_for()
    box = doomed.get_by_label("Your text")
    box.fill("Bill Clinton spoke in Washington. " * 500)  # a long rerun
    box.press("Control+Enter")
    doomed.close()  # gone mid-run, as a closed laptop lid
    survivor = browser.new_page()
    survivor.set_default_timeout(TIMEOUT_MS)
    try:
        survivor.goto(f"{app_url}/text?text_input={quote('Nelson Mandela visited Tokyo.')}")
        survivor.locator("mark").filter(has_text="Nelson Mandela").first.wait_for()
        survivor.locator("mark").filter(has_text="Tokyo").first.wait_for()
    finally:
        survivor.close()
