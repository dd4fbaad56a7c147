"""Server CPU per action on each page: full reruns against fragment reruns, uncached against cached, and
Streamlit's garbage collection after every script run (its default) against none (.streamlit/config.toml), in
one run.

    python -m benchmarks.page_cpu [--repeats 8] [--out FILE]

For each of the two settings, one `streamlit run app.py` server and one headless Chromium session. Each
action is a real interaction (a gallery pick, a layer switch, a sentence typed and submitted, a setting
changed); its cost is the server process's CPU time (utime + stime from /proc, every thread: the script run,
the websocket, serialising the charts, media) from just before the action until the session has been quiet
for 0.4 s after the run's end.
The page loads themselves are not counted.

- digits: a gallery pick reruns the page; the feature-map "Layer" control reruns only its fragment.
- pen: an example put on the canvas reruns the page (both readers, the answers after each stroke, the
  timeline and the order experiment); a step of the timeline reruns only its fragment.
- text / compare, a sentence: new sentences, then the same sentences again, which `st.cache_data`
  (ui/resources.py) answers where the page caches its analysis.
- compare, digits: new gallery digits, then the same digits again (their occlusion maps cached), and its
  "Layer" control (a fragment).
- train: a setting changed with no training (the page), and while a CNN trains for `--train-seconds` CPU
  seconds the polling fragment's cost: the server's CPU over the run less the run's own CPU seconds.

Also reported: the server's resident memory after the last action.

Why the two settings: with every model loaded the process holds millions of Python objects, and a full
collection walks them all, about 0.2 s of CPU, after each run of a page or a fragment (profiled with cProfile:
`gc.collect` is most of a training-page poll). Python's own collector still runs by its thresholds.

JSON on stdout (median and mean per action, in ms of CPU), a table on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.replicas import cpu_seconds, rss_mb
from deploy.replicas import wait_healthy
from harness.browser import chromium_available, free_port, launch_browser, start_streamlit, stop
from ui.examples import PEN_EXAMPLES
from ui.live import KIND_NAMES

QUIET_S = 0.4
TIMEOUT_MS = 120_000
NAMES = ["Alice Walker", "Boris Petrov", "Chen Wei", "Dana Scully", "Emil Nolde", "Farah Khan", "Gustav Mahler",
         "Hana Mori", "Ivan Drago", "Julia Child", "Kofi Annan", "Lena Meyer"]  # fmt: skip
CITIES = ["Paris", "Lagos", "Oslo", "Lima", "Hanoi", "Perth", "Quito", "Riga", "Seoul", "Tunis", "Vienna", "Zagreb"]


def sentences(count: int) -> list[str]:
    """Distinct sentences of the same shape, so that each is a cache miss the first time."""
    return [
        f"{NAMES[i % len(NAMES)]} flew to {CITIES[(3 * i) % len(CITIES)]} on Monday to meet the United Nations "
        f"team, and wrote a leter about it to {NAMES[(i + 5) % len(NAMES)]}."
        for i in range(count)
    ]


class Session:
    """One browser tab, counting the script runs its websocket reports as finished."""

    def __init__(self, browser, server_pid: int) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._message = ForwardMsg
        self.pid = server_pid
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.set_default_timeout(TIMEOUT_MS)
        self.finished = 0
        self.last_frame = time.monotonic()
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        self.last_frame = time.monotonic()
        if isinstance(payload, bytes):
            message = self._message.FromString(payload)
            if message.WhichOneof("type") == "script_finished":
                self.finished += 1

    def settle(self, runs_before: int) -> None:
        """Wait until a run has finished since `runs_before`, then until nothing has arrived for QUIET_S."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
            if self.finished > runs_before and time.monotonic() - self.last_frame >= QUIET_S:
                return
        raise TimeoutError("the page did not settle")

    def open(self, url: str) -> None:
        runs = self.finished
        self.page.goto(url)
        self.settle(runs)

    def measure(self, act) -> float:
        """Server CPU milliseconds for one action, from a quiet page to a quiet page."""
        self.settle(self.finished - 1)
        runs, before = self.finished, cpu_seconds(self.pid)
        act(self.page)
        self.settle(runs)
        return 1000 * (cpu_seconds(self.pid) - before)


def summary(values: list[float]) -> dict:
    return {"median_ms": round(statistics.median(values), 1), "mean_ms": round(statistics.fmean(values), 1),
            "n": len(values)}  # fmt: skip


def pick_pill(group: str, label: str):
    return lambda page: page.get_by_role("radiogroup", name=group).get_by_role("radio", name=label, exact=True).click()


def choose(key: str, label: str):
    return lambda page: page.locator(f".st-key-{key}").get_by_role("radio", name=label, exact=True).click()


def press_key(slider: str, key: str):
    """Move the slider labelled `slider` one step from the keyboard, as a user would."""

    def act(page) -> None:
        thumb = page.get_by_role("slider", name=slider)
        thumb.focus()
        thumb.press(key)

    return act


def enter(key: str, value: str, field: str = "input", submit: str = "Enter"):
    """Type `value` into the widget keyed `key` and submit it (a text area submits with Control+Enter)."""

    def act(page) -> None:
        box = page.locator(f".st-key-{key} {field}")
        box.fill(value)
        box.press(submit)

    return act


def submit_text(key: str, text: str):
    return enter(key, text, field="textarea", submit="Control+Enter")


# Streamlit reads any option from the environment too; this one overrides the project's config.toml.
GC_SETTINGS = {"gc after every run (Streamlit's default)": "true", "no gc after a run (this app's config)": "false"}


def run(repeats: int, train_seconds: int) -> dict:
    return {
        "settings": {
            name: run_one(repeats, train_seconds, {"STREAMLIT_RUNNER_POST_SCRIPT_GC": value})
            for name, value in GC_SETTINGS.items()
        },
        "repeats": repeats,
        "machine": {"cpus": len(os.sched_getaffinity(0)), "python": platform.python_version()},
        "command": "python -m benchmarks.page_cpu " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
    }


def run_one(repeats: int, train_seconds: int, env: dict[str, str]) -> dict:
    results: dict[str, dict] = {}
    texts = sentences(repeats)
    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = start_streamlit(port, {"CNNRNN_WEIGHTS": None, "CNNRNN_LIVE_SLOTS": "1", **env}, log)
        try:
            url = f"http://localhost:{port}"
            wait_healthy(f"{url}/_stcore/health", server, 60, "streamlit", log)
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                browser = launch_browser(playwright)
                session = Session(browser, server.pid)

                session.open(f"{url}/digits?digits_gallery=1")
                results["digits: a gallery pick (page)"] = summary(
                    [session.measure(pick_pill("Gallery digit", str(2 + i))) for i in range(repeats)]
                )
                layers = ["conv2", "conv3", "conv1"]
                results["digits: the feature-map layer (fragment)"] = summary(
                    [session.measure(choose("digits_layer", layers[i % 3])) for i in range(repeats)]
                )

                session.open(f"{url}/pen")
                examples = list(PEN_EXAMPLES)
                results["pen: an example drawn on the canvas (page)"] = summary(
                    [session.measure(pick_pill("Examples", examples[i % len(examples)])) for i in range(repeats)]
                )
                results["pen: the timeline moved a point (fragment)"] = summary(
                    [session.measure(press_key("Points read", "ArrowLeft")) for _ in range(repeats)]
                )

                session.open(f"{url}/text")
                results["text: a new sentence (page, uncached)"] = summary(
                    [session.measure(submit_text("text_input", text)) for text in texts]
                )
                results["text: a sentence seen before (page, cached)"] = summary(
                    [session.measure(submit_text("text_input", text)) for text in texts]
                )

                session.open(f"{url}/compare?" + urlencode({"compare_tab": "The same sentence"}))
                results["compare: a new sentence (page, uncached)"] = summary(
                    [session.measure(submit_text("compare_text", text)) for text in texts]
                )
                results["compare: a sentence seen before (page)"] = summary(
                    [session.measure(submit_text("compare_text", text)) for text in texts]
                )

                session.open(f"{url}/compare")
                results["compare: a new gallery digit (page)"] = summary(
                    [session.measure(pick_pill("Gallery digit", str(2 + i))) for i in range(repeats)]
                )
                results["compare: a gallery digit seen before (page)"] = summary(
                    [session.measure(pick_pill("Gallery digit", str(2 + i))) for i in range(repeats)]
                )
                results["compare: the feature-map layer (fragment)"] = summary(
                    [session.measure(choose("compare_layer", layers[i % 3])) for i in range(repeats)]
                )

                query = {"train_models": KIND_NAMES["cnn"], "train_seconds": train_seconds}
                session.open(f"{url}/train?" + urlencode(query))
                rates = ["0.001", "0.002", "0.003"]
                results["train: a setting changed, no training (page)"] = summary(
                    [session.measure(enter("train_lr", rates[i % 3])) for i in range(repeats)]
                )
                results["train: while training"] = training_overhead(session)
                results["server resident memory at the end (MB)"] = round(rss_mb(server.pid))
                browser.close()
        finally:
            stop(server)
    return results


def training_overhead(session: Session) -> dict:
    """The server's CPU while a run trains, less the run's own CPU seconds: what the live page costs. (Each
    script run has a thread of its own, so the process's total is the measure, not a thread's.)"""
    page = session.page
    session.settle(session.finished - 1)
    before, wall = cpu_seconds(session.pid), time.monotonic()
    page.get_by_role("button", name="Start", exact=True).click()
    done = page.locator('[data-testid="stAlert"]').filter(has_text="Done:")
    done.wait_for(timeout=600_000)
    session.settle(session.finished - 1)
    total, wall = cpu_seconds(session.pid) - before, time.monotonic() - wall
    trained = float(re.search(r"([\d.]+) of [\d.]+ CPU seconds", done.inner_text()).group(1))
    overhead = total - trained
    return {"server_cpu_s": round(total, 2), "run_cpu_s": trained, "wall_s": round(wall, 1),
            "page_cpu_s": round(overhead, 2), "page_cpu_ms_per_wall_s": round(1000 * overhead / wall, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=8, help="actions of each kind (8)")
    parser.add_argument("--train-seconds", type=int, default=10, help="CPU budget of the training measured (10)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if not chromium_available():
        sys.exit("needs /usr/bin/chromium and the playwright package (pip install -r requirements-dev.txt)")
    report = run(args.repeats, args.train_seconds)
    for setting, results in report["settings"].items():
        print(setting, file=sys.stderr)
        for name, row in results.items():
            print(f"  {name:50s} {json.dumps(row)}", file=sys.stderr)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return report


if __name__ == "__main__":
    main()
