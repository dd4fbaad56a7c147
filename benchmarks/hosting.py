"""The hosted demo's two budgets: time to the first page, and memory with every model loaded.

    python -m benchmarks.hosting [--runs 3]

(a) First page: from starting `streamlit run app.py` (a cold process) to the home page's title
    painted in headless Chromium, which is already running. Targets: <= 6 s.
(b) Memory: the server's resident set (RSS, from /proc) after one session has opened every
    page, so that every model, the gallery and the speller are loaded and cached. Also the
    peak (VmHWM). Target: RSS <= 600 MB.

Each run starts a fresh server. JSON on stdout, a summary on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from harness.browser import (
    chromium_available,
    free_port,
    launch_browser,
    start_streamlit,
    stop,
    wait_for_idle_script,
)

FIRST_PAGE_TARGET_S = 6.0
RSS_TARGET_MB = 600.0
TIMEOUT_MS = 120_000
# Every page and view, so every cached model gets loaded.
VISITS = (
    ("digits?digits_gallery=1", "Prediction"),
    ("pen?pen_example=A+4%2C+two+strokes", "The pen RNN says"),
    ("text", "The entities it found"),
    ("compare?compare_gallery=2", "The CNN says"),
    ("compare?compare_tab=The+same+sentence", "Size, accuracy and speed"),
)


def memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024  # kB -> MB
    return {"rss_mb": round(fields["VmRSS"], 1), "peak_rss_mb": round(fields["VmHWM"], 1)}


@contextlib.contextmanager
def server(port: int):
    process = start_streamlit(port, env={"CNNRNN_WEIGHTS": None})
    try:
        yield process
    finally:
        stop(process)


def one_run(browser) -> dict:
    port = free_port()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    started = time.perf_counter()
    with server(port) as process:
        url = f"http://localhost:{port}"
        while True:  # the server is not listening yet: retry until it answers
            try:
                page.goto(url, timeout=2_000)
                break
            except Exception:  # noqa: BLE001 - connection refused while it starts
                if time.perf_counter() - started > 60:
                    raise
                time.sleep(0.05)
        page.get_by_role("heading", name="CNN vs RNN, live").wait_for()
        first_page_s = time.perf_counter() - started
        after_start = memory_mb(process.pid)
        for path, marker in VISITS:
            page.goto(f"{url}/{path}")
            page.get_by_text(marker).first.wait_for()
            wait_for_idle_script(page)
        loaded = memory_mb(process.pid)
    page.close()
    return {"first_page_s": round(first_page_s, 2), "rss_at_start_mb": after_start["rss_mb"], **loaded}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="fresh servers to start (default: 3)")
    args = parser.parse_args(argv)
    if not chromium_available():
        sys.exit("needs /usr/bin/chromium and playwright (pip install -r requirements-dev.txt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        runs = [one_run(browser) for _ in range(args.runs)]
        browser.close()
    first = [r["first_page_s"] for r in runs]
    rss = [r["rss_mb"] for r in runs]
    result = {
        "first_page_s_median": float(np.median(first)),
        "first_page_s_max": max(first),
        "rss_mb_median": float(np.median(rss)),
        "rss_mb_max": max(rss),
        "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
        "targets": {"first_page_s": FIRST_PAGE_TARGET_S, "rss_mb": RSS_TARGET_MB},
        "runs": runs,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "command": "python -m benchmarks.hosting " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    print(
        f"first page painted {result['first_page_s_median']:.2f} s after start (median of {len(runs)}, max "
        f"{result['first_page_s_max']:.2f}; target <= {FIRST_PAGE_TARGET_S:.0f} s). RSS with every model loaded "
        f"{result['rss_mb_median']:.0f} MB (max {result['rss_mb_max']:.0f}, peak {result['peak_rss_mb_max']:.0f}; "
        f"target <= {RSS_TARGET_MB:.0f} MB)",
        file=sys.stderr,
    )
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
