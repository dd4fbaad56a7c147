"""Many users at once: concurrent browser sessions against one `streamlit run app.py`.

    python -m benchmarks.load [--sessions 20] [--crashers 2]

Every session is its own headless Chromium page, so its own Streamlit session, and all of
them run at the same time. Each one:
1. opens /digits and draws a digit with the mouse (7, 1, 0 or 4, each session placing it
   differently), then waits for that digit's prediction;
2. picks its own gallery digit and waits for the prediction the CNN gives that image offline;
3. opens /text, types its own sentence (different names in each session) and waits for the
   entities that the tagger finds in it offline.
One session opens each page first, so the models are loaded before the clock starts.
Each result is checked against the expected one, so a result leaking from another session,
or a wrong one, counts as an error. Latency runs from the action (mouse-up, click, Ctrl+Enter)
to the expected result on screen. All the browsers run on the same machine as the server, so
on 2 cores this figure is mostly Chromium rendering 20 pages at once; the server's own share,
each script run timed inside the server (ui/timing.py), is reported beside it.

--crashers more sessions start a rerun and close their page abruptly in the middle of it; the
others must not notice, and the server must still answer afterwards.

JSON on stdout, a summary on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from harness.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    chromium_available,
    digit_strokes,
    streamlit_server,
)
from ui.inputs import CANVAS_SIZE, DIGITS_PROMPT

TIMEOUT_MS = 120_000
DIGITS = ("7", "1", "0", "4")
PEOPLE = ("Angela Merkel", "Nelson Mandela", "Boris Yeltsin", "Bill Clinton", "Helmut Kohl", "Jacques Chirac")
PLACES = ("Berlin", "Moscow", "Paris", "Tokyo", "Nairobi", "Chicago", "Madrid")
COMPANIES = ("Microsoft", "Reuters", "Siemens", "Toyota", "Boeing")


def session_sentence(index: int) -> str:
    person, place = PEOPLE[index % len(PEOPLE)], PLACES[index % len(PLACES)]
    company = COMPANIES[index % len(COMPANIES)]
    return f"{person} met executives of {company} in {place} on Monday, {index + 2} days before the vote."


def expected_results(sessions: int) -> tuple[dict[int, int], dict[int, set[tuple[str, str]]]]:
    """What each session must see, computed offline with the same code and weights."""
    from models.digits import load_digit_model, predict
    from models.ner import load_tagger, tag
    from ui.resources import GALLERY_FILE, weights_file

    cnn, _ = load_digit_model("cnn")
    with np.load(weights_file(GALLERY_FILE)) as archive:
        images = archive["images"]
    gallery = {i: predict(cnn, images[i % len(images)]).analysis.prediction for i in range(sessions)}
    tagger, _ = load_tagger("bilstm")
    texts = {i: {(e["text"], e["label"]) for e in tag(tagger, session_sentence(i)).entities} for i in range(sessions)}
    return gallery, texts


def shown_value(page, value: str):
    """The metric showing exactly `value`; Playwright waits for it inside the page, without
    a round trip per poll, which matters with 20 pages on 2 cores."""
    return page.locator('[data-testid="stMetricValue"]').filter(has_text=re.compile(rf"^\s*{re.escape(value)}\s*$"))


# True once the page's entity marks are exactly `expected`: each <mark> holds the entity's text,
# then a <span> chip with its label.
MARKS_EQUAL = """expected => {
  const found = [...document.querySelectorAll('mark')].map(m => {
    const chip = m.querySelector('span');
    return [m.textContent.slice(0, m.textContent.length - chip.textContent.length), chip.textContent];
  });
  const key = pairs => JSON.stringify(pairs.map(p => p.join('\\t')).sort());
  return key(found) === key(expected);
}"""


async def draw(page, strokes, offset: tuple[float, float]) -> None:
    canvas = page.locator("canvas.upper-canvas")
    await canvas.wait_for(state="visible")
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    scale = box["width"] / CANVAS_SIZE
    dx, dy = offset
    for stroke in strokes:
        (x0, y0), *rest = stroke
        await page.mouse.move(box["x"] + (x0 + dx) * scale, box["y"] + (y0 + dy) * scale)
        await page.mouse.down()
        for x, y in rest:
            steps = max(1, round(np.hypot(x - x0, y - y0) / 15))
            await page.mouse.move(box["x"] + (x + dx) * scale, box["y"] + (y + dy) * scale, steps=steps)
            x0, y0 = x, y
        await page.mouse.up()


async def run_session(browser, url: str, index: int, gallery: dict, texts: dict, delay_s: float) -> dict:
    await asyncio.sleep(delay_s)  # users arrive over a few seconds, then all work at once
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    latencies, errors = {}, []
    try:
        # 1. draw a digit
        await page.goto(f"{url}/digits")
        await page.locator('[data-testid="stAlertContentInfo"]').filter(has_text=DIGITS_PROMPT).wait_for()
        digit = DIGITS[index % len(DIGITS)]
        offset = (((index * 7) % 21) - 10.0, ((index * 5) % 15) - 7.0)
        await draw(page, digit_strokes()[digit], offset)
        started = time.perf_counter()
        await shown_value(page, digit).wait_for()
        latencies["draw_ms"] = (time.perf_counter() - started) * 1000
        # 2. pick a gallery digit
        number = index % 40 + 1
        pills = page.get_by_role("radiogroup", name="Gallery digit")
        await pills.get_by_role("radio", name=str(number), exact=True).click()
        started = time.perf_counter()
        await page.get_by_text(f"Gallery digit #{number}:").wait_for()
        await shown_value(page, str(gallery[index])).wait_for()
        latencies["gallery_ms"] = (time.perf_counter() - started) * 1000
        # 3. type a sentence
        await page.goto(f"{url}/text")
        area = page.get_by_label("Your text")
        await area.wait_for()
        await page.locator("mark").first.wait_for()
        sentence = session_sentence(index)
        await area.fill(sentence)
        await area.press("Control+Enter")
        started = time.perf_counter()
        expected = texts[index]
        await page.wait_for_function(MARKS_EQUAL, arg=sorted(expected), polling=50)
        latencies["text_ms"] = (time.perf_counter() - started) * 1000
    except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the others
        errors.append(f"session {index}: {type(error).__name__}: {str(error)[:200]}")
    finally:
        await page.close()
    return {"session": index, "latencies": latencies, "errors": errors}


async def crash_session(browser, url: str, index: int) -> None:
    """Start a rerun, then vanish mid-run, as a closed laptop lid does."""
    page = await browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(f"{url}/text")
    area = page.get_by_label("Your text")
    await area.wait_for(timeout=TIMEOUT_MS)
    await area.fill(session_sentence(index) * 50)
    await area.press("Control+Enter")
    await asyncio.sleep(0.05 * (index % 3))
    await page.close()


async def warm_up(browser, url: str) -> None:
    """One visit to each page first, so the models are loaded: the sessions measure a running demo,
    not its start (benchmarks/hosting.py measures that)."""
    page = await browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(f"{url}/digits?digits_gallery=1")
    await page.get_by_text("Gallery digit #1:").wait_for()
    await page.goto(f"{url}/text")
    await page.locator("mark").first.wait_for()
    await page.close()


async def run_all(url: str, sessions: int, crashers: int, gallery: dict, texts: dict, ramp_s: float) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        await warm_up(browser, url)
        tasks = [run_session(browser, url, i, gallery, texts, i * ramp_s / sessions) for i in range(sessions)]
        tasks += [crash_session(browser, url, sessions + i) for i in range(crashers)]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await browser.close()
    crashed = [r for r in results[sessions:] if isinstance(r, Exception)]
    if crashed:
        print(f"{len(crashed)} crash sessions failed to even start: {crashed[0]!r}", file=sys.stderr)
    return [r if isinstance(r, dict) else {"errors": [repr(r)], "latencies": {}} for r in results[:sessions]]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (default: 20)")
    parser.add_argument("--crashers", type=int, default=2, help="extra sessions that die mid-rerun (default: 2)")
    parser.add_argument(
        "--ramp-s", type=float, default=5.0, help="sessions arrive evenly over this many seconds (default: 5)"
    )
    args = parser.parse_args(argv)
    if not chromium_available():
        sys.exit("needs /usr/bin/chromium and playwright (pip install -r requirements-dev.txt)")
    gallery, texts = expected_results(args.sessions)
    run_times = Path(tempfile.mkdtemp(prefix="load-")) / "run_times.tsv"
    with streamlit_server(env={"CNNRNN_WEIGHTS": None, "CNNRNN_RUN_TIMES": str(run_times)}) as url:
        started = time.perf_counter()
        results = asyncio.run(run_all(url, args.sessions, args.crashers, gallery, texts, args.ramp_s))
        wall = time.perf_counter() - started
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as response:
            healthy = response.read().decode().strip() == "ok"
    errors = [e for r in results for e in r["errors"]]
    summary = {}
    for kind in ("draw_ms", "gallery_ms", "text_ms"):
        values = [r["latencies"][kind] for r in results if kind in r["latencies"]]
        if values:
            summary[kind] = {
                "p50": round(float(np.percentile(values, 50)), 1),
                "p95": round(float(np.percentile(values, 95)), 1),
                "n": len(values),
            }
    # Server side: how long each script run took inside the server (ui/timing.py), under this load.
    server_ms: dict[str, list[float]] = {}
    for line in run_times.read_text().splitlines():
        page_name, ms = line.split("\t")
        server_ms.setdefault(page_name, []).append(float(ms))
    server = {
        name: {
            "p50": round(float(np.percentile(v, 50)), 1),
            "p95": round(float(np.percentile(v, 95)), 1),
            "n": len(v),
        }
        for name, v in sorted(server_ms.items())
    }
    result = {
        "sessions": args.sessions,
        "crashers": args.crashers,
        "ramp_s": args.ramp_s,
        "errors": errors,
        "correct_sessions": sum(1 for r in results if not r["errors"]),
        "server_healthy_after": healthy,
        "latency_ms": summary,
        "server_run_ms": server,
        "wall_s": round(wall, 1),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "command": "python -m benchmarks.load " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    lines = [f"{k}: p50 {v['p50']:.0f} ms, p95 {v['p95']:.0f} ms (n={v['n']})" for k, v in summary.items()]
    print(
        f"{result['correct_sessions']}/{args.sessions} sessions all correct, {len(errors)} errors, server healthy "
        f"after: {healthy}; in the browser: "
        + "; ".join(lines)
        + "; script runs in the server: "
        + "; ".join(f"{k}: p50 {v['p50']:.0f} ms, p95 {v['p95']:.0f} ms (n={v['n']})" for k, v in server.items()),
        file=sys.stderr,
    )
    for error in errors[:10]:
        print("  " + error, file=sys.stderr)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
