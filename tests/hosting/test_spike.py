"""The class-sized load generator (benchmarks/spike.py, over harness/protocol.py) against the real app.

- It sees what a browser sees: the same gallery digit and the same sentence give the same answers in Chromium
  and over the protocol.
- A short spike: 10 sessions for 20 s, every answer checked against the one computed offline.
- A short class training: a few sessions press Start at once with fair shares on; every press is answered
  with "Training…" or a place in line, every run finishes or its tab closes, and then the server's worker
  threads and its training pool are back where they started.

The last two are marked `spike`, so that `-m "not spike"` leaves them out; the full runs (60 sessions for
2 minutes, 30 trainings, 300 sessions in a row) are `python -m benchmarks.spike`.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks import spike
from harness.browser import REPO_ROOT, browser_fixtures, metric_value, skip_or_fail
from harness.protocol import StreamlitSession, parse_base_url
from tests.hosting.test_replicas import require_haproxy

REQUIRED_WEIGHTS = ("cnn.pt", "cnn.json", "rnn.pt", "rnn.json", "mnist_gallery.npz", "bilstm.pt", "bilstm.json",
                    "bilstm_vocab.json", "cnn_tagger.pt", "cnn_tagger.json", "speller.pt", "speller.json")  # fmt: skip
REBUILD = "python -m training.train_cnn, train_rnn, train_ner and train_speller"
SENTENCE = "Amara Okafor met people from Siemens in Nairobi on Monday, before Taylor Swift sang in Madrid."
GALLERY_LABEL = "5"  # the gallery's fifth digit, as its pill and a link name it

app_url, page = browser_fixtures(REQUIRED_WEIGHTS, REBUILD, viewport={"width": 1400, "height": 1000})

# The [entity text, label chip] pairs of every <mark> on the page.
PAGE_MARKS = """() => [...document.querySelectorAll('mark')].map(m => {
  const chip = m.querySelector('span');
  return [m.textContent.slice(0, m.textContent.length - chip.textContent.length), chip.textContent];
})"""


def in_own_thread(call, *args):
    """`call(*args)` on a thread of its own: Playwright's sync API keeps an event loop on this one (the browser
    fixture lives for the whole module), and the protocol client runs its own with asyncio.run."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(call, *args).result(timeout=600)


def require_weights() -> None:
    missing = [name for name in REQUIRED_WEIGHTS if not (REPO_ROOT / "weights" / name).exists()]
    if missing:
        skip_or_fail(f"weights/{', weights/'.join(missing)} missing: run `{REBUILD}`")


async def protocol_answers(port: int) -> tuple[str, list[tuple[str, str]]]:
    async with StreamlitSession(port) as session:
        await session.open("digits")
        digit = spike.metric(await session.set_widget("digits_gallery", [GALLERY_LABEL]), "Prediction")
        await session.open("text")
        run = await session.set_widget("text_input", SENTENCE)
    return digit, next(spike.marks(text) for text in run.texts if "<mark" in text)


@pytest.mark.browser
def test_the_generator_sees_what_a_browser_sees(app_url, page):
    port = parse_base_url(app_url)[1]
    digit, entities = in_own_thread(asyncio.run, protocol_answers(port))
    page.goto(f"{app_url}/digits?digits_gallery={GALLERY_LABEL}")  # a link names a pill by its label
    page.get_by_text(f"Gallery digit #{GALLERY_LABEL}:").wait_for()
    assert metric_value(page, "Prediction") == digit
    page.goto(f"{app_url}/text")
    area = page.get_by_label("Your text")
    page.locator("mark").first.wait_for()  # the example's entities: the page has run once
    area.fill(SENTENCE)
    area.press("Control+Enter")
    page.locator("mark").filter(has_text="Amara Okafor").wait_for()
    page.wait_for_function(f"({PAGE_MARKS})().length === {len(entities)}")
    assert sorted(tuple(pair) for pair in page.evaluate(PAGE_MARKS)) == entities
    assert {label for _, label in entities} >= {"PER", "LOC"}  # the sentence's names were found at all


@pytest.mark.spike
def test_a_short_spike_answers_every_action_right():
    require_weights()
    require_haproxy()
    arguments = ["spike", "--sessions", "10", "--duration-s", "20", "--arrive-s", "5", "--think-s", "2",
                 "--browsers", "0", "--calibration-repeats", "1"]  # fmt: skip
    result = in_own_thread(spike.main, arguments)
    assert result["errors"] == 0, result["error_examples"]
    counts = result["capacity_model"]["counts"]
    done = {action: counts.get(action, 0) + counts.get(action + spike.SEEN, 0) for action in spike.ACTIONS}
    assert all(n >= 2 for n in done.values()), counts
    assert result["answers_checked"] == sum(done.values())
    assert result["capacity_model"]["predicted_server_cpu_s"] > 0 and result["server_cpu_s"] > 0


@pytest.mark.spike
def test_a_class_pressing_start_is_answered_queued_and_cleaned_up():
    """Four runs of 12 s asked for on one trainer, a class wait of 8 s: every run of the class gets the same
    share (the 5 s floor), one tab closes while in line, and afterwards nothing is left."""
    require_weights()
    require_haproxy()
    arguments = ["train", "--sessions", "4", "--arrive-s", "1", "--train-seconds", "12", "--close", "1",
                 "--class-wait-s", "8"]  # fmt: skip
    result = in_own_thread(spike.main, arguments)
    assert result["errors"] == [] and result["exceptions"] == []
    assert result["answered_with_state_s"]["all_running_or_queued"]
    assert result["closed_while_queued"] == 1 and result["finished"] == 3
    assert result["budgets_s"] == [5.0]  # one class, one share: 8 s / 4 = 2 s, raised to the 5 s floor
    assert re.search(r"0 trainings running, 0 waiting", result["pool_after"]), result["pool_after"]
    assert result["threads_after_all_closed"] <= result["threads_before"], "a closed tab left its worker behind"
