"""The digit page in headless Chromium, against the real app and the committed weights:
draw with the mouse, pick a gallery digit, clear the canvas.

Skips when Chromium or Playwright is missing, except under CI, where that is a failure.
"""

from __future__ import annotations

import numpy as np
import pytest

import runtime
from harness.browser import browser_fixtures, clear_canvas, digit_strokes, draw_strokes
from sources.mnist import GALLERY_FILE
from ui.inputs import DIGITS_PROMPT

pytestmark = pytest.mark.browser

REQUIRED_WEIGHTS = ("cnn.pt", "cnn.json", "cnn_filters.npz", "mnist_gallery.npz")
# Generous: the first rerun loads the model, and CI machines are slow.
TIMEOUT_MS = 60_000

# Each test on a fresh tab of the digit page, once it shows its prompt: no test sees another's drawing.
app_url, page = browser_fixtures(
    REQUIRED_WEIGHTS,
    "python -m training.train_cnn",
    viewport={"width": 1400, "height": 1000},
    path="/digits",
    ready=lambda page: prompt(page).wait_for(),
    timeout_ms=TIMEOUT_MS,
)


def prompt(page):
    return page.locator('[data-testid="stAlertContentInfo"]').filter(has_text=DIGITS_PROMPT)


def prediction_metric(page):
    label = page.locator('[data-testid="stMetricLabel"]').filter(has_text="Prediction")
    return page.locator('[data-testid="stMetric"]').filter(has=label)


def shown_prediction(page) -> str:
    value = prediction_metric(page).locator('[data-testid="stMetricValue"]')
    value.wait_for(state="visible")
    return value.inner_text().strip()


def test_deep_link_on_a_fresh_server_keeps_the_apps_navigation(page):
    """Module-scoped server: its first request goes straight to /digits (the views live in views/, not pages/,
    so Streamlit has no legacy multipage mode to fall into)."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text("Draw a digit → CNN").wait_for()
    assert "Home" in nav.inner_text() and "app" not in nav.inner_text().split()


@pytest.mark.parametrize("digit", ["7", "1", "0"])
def test_drawn_digit_is_predicted(page, digit):
    draw_strokes(page, digit_strokes()[digit])
    assert shown_prediction(page) == digit


def test_gallery_pick_shows_its_label(page):
    with np.load(runtime.weights_dir() / GALLERY_FILE) as gallery:
        labels = gallery["labels"]
    number = 22  # an MNIST test 7
    pills = page.get_by_role("radiogroup", name="Gallery digit")
    pills.get_by_role("radio", name=str(number), exact=True).click()
    assert shown_prediction(page) == str(labels[number - 1])


def test_clear_removes_the_prediction(page):
    draw_strokes(page, digit_strokes()["7"])
    shown_prediction(page)
    clear_canvas(page)
    prompt(page).wait_for(state="visible")
    prediction_metric(page).wait_for(state="detached")
    assert prediction_metric(page).count() == 0


def test_thick_brush_still_reads_the_digit(page):
    slider = page.get_by_role("slider", name="Stroke width")
    slider.focus()
    slider.press("End")  # the widest brush, 40 px
    page.get_by_text("40", exact=True).first.wait_for()
    draw_strokes(page, digit_strokes()["1"])
    assert shown_prediction(page) == "1"


def test_layer_control_switches_the_feature_maps(page):
    draw_strokes(page, digit_strokes()["7"])
    shown_prediction(page)
    page.get_by_text("conv1: 32 feature maps of 28×28").wait_for()
    page.get_by_role("radiogroup", name="Layer").get_by_role("radio", name="conv5", exact=True).click()
    page.get_by_text("conv5: 128 feature maps of 7×7").wait_for()


def test_convolution_step_controls_move_the_window(page):
    draw_strokes(page, digit_strokes()["7"])
    shown_prediction(page)
    page.get_by_text("at row 14, column 14").wait_for()
    row = page.get_by_role("slider", name="Row")
    row.focus()
    for _ in range(3):
        row.press("ArrowLeft")
    page.get_by_text("at row 11, column 14").wait_for()
    filter_input = page.get_by_role("spinbutton", name="Filter")
    filter_input.fill("5")
    filter_input.press("Enter")
    page.get_by_text("feature map 5 holds").wait_for()
