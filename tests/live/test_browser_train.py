"""The training page in headless Chromium, against the real app: start, pause, one step, resume and reset,
then a drawing for the trained models; two symbols taught and one recognised; a second session queued
behind the first; a closed tab that gives its trainer back.

The server runs with one training at a time (CNNRNN_LIVE_SLOTS=1), as on a 2-core machine.
Skips when Chromium or Playwright is missing, except under CI, where that is a failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode

import numpy as np
import pytest

from figures.live import FINISHED, LEARNED, PAUSED, SERVER_LIMIT, TRAINING, pool_line, run_status
from harness.browser import (
    REPO_ROOT,
    chromium_available,
    digit_strokes,
    draw_strokes,
    metric_value,
    skip_or_fail,
    streamlit_server,
    wait_for_idle_script,
)
from harness.live_fixtures import canvas_strokes
from live.worker import PoolLoad, WorkerStatus
from ui.live import KIND_NAMES, RESET_NOTICE
from ui.train import START_PROMPT

pytestmark = pytest.mark.browser

TIMEOUT_MS = 120_000  # generous: training shares two cores with the browser, and CI machines are slow
REQUIRED_WEIGHTS = ("cnn.pt", "cnn.json")


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    if not chromium_available():
        skip_or_fail("needs /usr/bin/chromium and the playwright package (pip install -r requirements-dev.txt)")
    missing = [name for name in REQUIRED_WEIGHTS if not (REPO_ROOT / "weights" / name).exists()]
    if missing:
        skip_or_fail(f"weights/{', weights/'.join(missing)} missing: run `python -m training.train_cnn`")
    with streamlit_server(env={"CNNRNN_WEIGHTS": None, "CNNRNN_LIVE_SLOTS": "1"}) as url:
        yield url


def open_page(browser, app_url: str, query: str = ""):
    """A fresh tab is a fresh Streamlit session."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{app_url}/train{query}")
    page.get_by_text(SERVER_LIMIT).wait_for()
    return page


class Pad:
    """One of the page's canvases, for harness/browser.py draw_strokes: the page has two, each in a keyed
    container, so the canvas is looked up inside its container."""

    def __init__(self, page, key: str) -> None:
        self._page, self._key = page, key

    def locator(self, selector: str):
        return self._page.locator(f".st-key-{self._key}").locator(selector)

    @property
    def mouse(self):
        return self._page.mouse


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def status(page, text: str):
    return page.locator('[data-testid="stAlert"]').filter(has_text=text)


def paused_step(page) -> int:
    alert = status(page, f"{PAUSED} (step")
    alert.wait_for()
    return int(re.search(rf"{PAUSED} \(step ([\d,]+)", alert.inner_text()).group(1).replace(",", ""))


def accuracy(page, kind: str) -> float:
    value = metric_value(page, f"{kind}: held-out accuracy")
    return float(value.rstrip("%")) / 100 if value.endswith("%") else 0.0


def test_start_pause_step_resume_reset_then_draw_for_the_trained_model(browser, app_url):
    page = open_page(browser, app_url, "?" + urlencode({"train_seconds": 60, "train_models": KIND_NAMES["cnn"]}))
    button(page, "Start").click()
    status(page, TRAINING).wait_for()
    button(page, "Pause").click()
    before = paused_step(page)
    # The paused fragment reruns the whole page to redraw the buttons: act once that run is over.
    button(page, "Resume").wait_for()
    wait_for_idle_script(page)
    button(page, "One step").click()
    page.get_by_text(f"{PAUSED} (step {before + 1:,} of").wait_for()
    button(page, "Resume").click()
    status(page, TRAINING).wait_for()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
             m.innerText.includes('CNN: held-out accuracy') && parseFloat(m.querySelector(
             '[data-testid="stMetricValue"]').innerText) >= 95)""",
        timeout=300_000,
    )
    button(page, "Pause").click()
    paused_step(page)
    draw_strokes(Pad(page, "train_digit_pad"), digit_strokes()["7"])
    answer = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="your CNN (step")
    answer.wait_for()
    assert re.search(r"your CNN \(step [\d,]+\): 7 ", answer.inner_text()), answer.inner_text()
    button(page, "Reset").click()
    page.get_by_text(RESET_NOTICE).wait_for()
    page.get_by_text(START_PROMPT.replace("**", "")).wait_for()  # ui/train.py's prompt once no run is left
    assert not page.locator(".stPlotlyChart").filter(has_text="held-out digits").count()
    page.close()


def test_the_readme_link_opens_the_page_with_its_settings(browser, app_url):
    from playwright.sync_api import expect

    query = re.search(r"`(\?train_models=[^`]+)`", (REPO_ROOT / "README.md").read_text()).group(1)
    settings = dict(parse_qsl(query[1:]))
    page = open_page(browser, app_url, query)
    wait_for_idle_script(page)
    # Each widget shows its value once its component has rendered: wait for it (expect retries), within 10 s.
    chosen = page.locator(".st-key-train_models").get_by_role("radio", checked=True)
    expect(chosen).to_have_text(re.compile(re.escape(settings["train_models"]) + r"\s*$"), timeout=10_000)
    learning_rate = page.locator(".st-key-train_lr input")
    expect(learning_rate).to_have_value(settings["train_lr"], timeout=10_000)
    for key in ("train_batch", "train_filters"):
        slider = page.locator(f".st-key-{key}").get_by_role("slider")
        expect(slider).to_have_attribute("aria-valuetext", settings[key], timeout=10_000)
    page.close()


def test_two_symbols_are_taught_and_one_recognised(browser, app_url):
    page = open_page(browser, app_url)
    pad = Pad(page, "train_symbol_pad")
    rng = np.random.default_rng(4)
    for name in ("tick", "star"):
        for count in range(1, 6):
            draw_strokes(pad, canvas_strokes(name, rng))
            page.wait_for_timeout(400)  # the canvas sends its drawing 200 ms after the mouse is up
            drawn = pad.locator("canvas.upper-canvas").element_handle()
            button(page, f"{name} ({count - 1})").click()
            button(page, f"{name} ({count})").wait_for()
            # Adding empties the canvas by mounting a new one: draw on that, not on the old one going away.
            page.wait_for_function("canvas => !canvas.isConnected", arg=drawn)
    button(page, "Teach the CNN").click()
    status(page, LEARNED).wait_for()
    draw_strokes(pad, canvas_strokes("star", rng))
    assert metric_value(page, "The CNN says") == "star"
    page.close()


def test_with_one_trainer_the_second_session_waits_then_runs(browser, app_url):
    first = open_page(browser, app_url, "?train_seconds=60")
    second = open_page(browser, app_url, "?train_seconds=5")
    button(first, "Start").click()
    status(first, TRAINING).wait_for()
    second.bring_to_front()
    button(second, "Start").click()
    _, next_in_line = run_status(WorkerStatus("queued", 1, None, None), 0, 0.0, 5, 20_000)
    status(second, next_in_line).wait_for()
    first.bring_to_front()
    button(first, "Pause").click()  # a paused run gives its trainer up
    second.bring_to_front()  # the live charts refresh on the browser's timer, which a background tab slows down
    status(second, TRAINING).wait_for()
    status(second, FINISHED["seconds"]).wait_for(timeout=300_000)  # 5 CPU seconds, on two cores shared with the browser
    for page in (first, second):
        page.close()  # their sessions end, and with them their workers


def test_a_closed_tab_gives_its_trainer_back(browser, app_url):
    leaving = open_page(browser, app_url, "?train_seconds=60")
    button(leaving, "Start").click()
    status(leaving, TRAINING).wait_for()
    watcher = open_page(browser, app_url)
    watcher.get_by_text(pool_line(PoolLoad(1, 1, 0, 1))).wait_for()
    leaving.close()  # the tab closes while training: its session ends
    for _ in range(60):
        watcher.reload()
        watcher.get_by_text(SERVER_LIMIT).wait_for()
        if watcher.get_by_text(pool_line(PoolLoad(1, 0, 0, 0))).count():
            break
        watcher.wait_for_timeout(1000)
    watcher.get_by_text(pool_line(PoolLoad(1, 0, 0, 0))).wait_for(timeout=1000)
    watcher.close()
