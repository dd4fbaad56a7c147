"""Sessions through HAProxy and 2 replicas, against one replica direct, in one run.

    python -m benchmarks.replicas [--sessions 10] [--replicas 2]

Each phase starts its own servers (deploy/replicas.py), opens one page per replica first so the models are
loaded, then runs --sessions concurrent headless Chromium sessions, each its own browser context (its own
cookies, as separate users): it opens /digits?digits_gallery=N and picks two more gallery digits, waiting
each time for the prediction the CNN gives that image offline; a wrong or missing one is an error.
Phase 1 connects straight to one replica; phase 2 goes through HAProxy to --replicas replicas.

Reported per phase: sessions served correctly, errors, each replica's sessions (its affinity cookie), the
script reruns timed inside the servers (ui/timing.py, p50/p95), the servers' CPU seconds per rerun
(utime+stime of the replica processes over the phase, divided by its reruns: everything the server does
for one action, websocket and media included), and resident memory per replica after warm-up and with
every session open, hence memory per session. The browsers run on the same machine as the servers, so
wall-clock latency here is mostly Chromium; the in-server figures are what the capacity model uses.

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
from pathlib import Path

import numpy as np

from deploy.replicas import AFFINITY_COOKIE, Cluster, LaunchError
from harness.browser import CHROMIUM, CHROMIUM_ARGS, chromium_available, cluster_ports

TIMEOUT_MS = 180_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def expected_predictions() -> dict[int, int]:
    """The CNN's prediction for each gallery digit, by its number in a link (1-based), computed offline."""
    from models.digits import load_digit_model, predict
    from ui.resources import GALLERY_FILE, weights_file

    model, _ = load_digit_model("cnn")
    with np.load(weights_file(GALLERY_FILE)) as archive:
        images = archive["images"]
    return {i + 1: predict(model, image).analysis.prediction for i, image in enumerate(images)}


def session_digits(index: int, count: int) -> list[int]:
    return [(index + step) % count + 1 for step in (0, 7, 13)]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def run_session(browser, url: str, index: int, expected: dict, opened: list, delay_s: float) -> dict:
    await asyncio.sleep(delay_s)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    opened.append(context)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    try:
        for step, digit in enumerate(session_digits(index, len(expected))):
            if step == 0:
                await page.goto(f"{url}/digits?digits_gallery={digit}")
            else:
                pills = page.get_by_role("radiogroup", name="Gallery digit")
                await pills.get_by_role("radio", name=str(digit), exact=True).click()
            await page.get_by_text(f"Gallery digit #{digit}:").wait_for()
            value = page.locator('[data-testid="stMetricValue"]')
            await value.filter(has_text=re.compile(rf"^\s*{expected[digit]}\s*$")).wait_for()
            if await page.locator('[data-testid="stException"]').count():
                errors.append(f"session {index}: a traceback on digit {digit}")
    except Exception as error:  # noqa: BLE001 - every failure is a counted error, not a crash of the benchmark
        errors.append(f"session {index}: {type(error).__name__}: {str(error).splitlines()[0]}")
    cookie = next((c["value"] for c in await context.cookies() if c["name"] == AFFINITY_COOKIE), None)
    return {"errors": errors, "replica": cookie}


async def run_phase(url: str, warm_urls: list[str], sessions: int, expected: dict, pids: list[int], ramp_s: float):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        for warm in warm_urls:  # straight to each replica: every one loads its model before the clock starts
            page = await browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            await page.goto(f"{warm}/digits?digits_gallery=1")
            await page.get_by_text("Gallery digit #1:").wait_for()
            await page.close()
        rss_warm = [rss_mb(pid) for pid in pids]
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        opened: list = []
        started = time.perf_counter()
        results = await asyncio.gather(
            *(run_session(browser, url, i, expected, opened, i * ramp_s / sessions) for i in range(sessions))
        )
        wall = time.perf_counter() - started
        cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
        rss_open = [rss_mb(pid) for pid in pids]  # every session still open
        for context in opened:
            await context.close()
        await browser.close()
    return results, wall, cpu, rss_warm, rss_open


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "p50": round(float(np.percentile(values, 50)), 1),
        "p95": round(float(np.percentile(values, 95)), 1),
        "n": len(values),
    }


def phase(name: str, replicas: int, direct: bool, sessions: int, expected: dict, ramp_s: float) -> dict:
    run_times = Path(tempfile.mkdtemp(prefix="replicas-")) / "run_times.tsv"
    run_times.touch()
    env = {"CNNRNN_WEIGHTS": None, "CNNRNN_RUN_TIMES": str(run_times)}
    with Cluster(replicas, *cluster_ports(replicas), host="127.0.0.1", env=env) as cluster:
        pids = [replica.process.pid for replica in cluster.replicas]
        url = cluster.replicas[0].url if direct else cluster.url
        warm = [replica.url for replica in cluster.replicas]
        results, wall, cpu, rss_warm, rss_open = asyncio.run(run_phase(url, warm, sessions, expected, pids, ramp_s))
    # Each replica appends its reruns to the one file (short appends: whole lines); warm-up runs come first.
    lines = run_times.read_text().splitlines()
    digit_ms = [float(ms) for page, ms in (line.split("\t") for line in lines) if page == "digits"]
    measured = digit_ms[len(cluster.replicas) :]  # after each replica's warm-up run
    errors = [e for r in results for e in r["errors"]]
    per_replica = {}
    for r in results:
        key = r["replica"] or "direct"
        per_replica[key] = per_replica.get(key, 0) + 1
    extra_mb = sum(rss_open) - sum(rss_warm)
    return {
        "phase": name,
        "replicas": replicas,
        "through": "replica direct" if direct else "haproxy",
        "sessions": sessions,
        "sessions_correct": sum(1 for r in results if not r["errors"]),
        "errors": errors,
        "sessions_per_replica": per_replica,
        "server_rerun_ms": percentiles(measured),
        "reruns": len(measured),
        "server_cpu_s": round(cpu, 2),
        "cpu_ms_per_rerun": round(1000 * cpu / max(len(measured), 1), 1),
        "rss_mb_after_warmup": [round(v) for v in rss_warm],
        "rss_mb_sessions_open": [round(v) for v in rss_open],
        "mb_per_session": round(extra_mb / sessions, 1),
        "wall_s": round(wall, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10, help="concurrent browser sessions per phase (10)")
    parser.add_argument("--replicas", type=int, default=2, help="replicas behind HAProxy in phase 2 (2)")
    parser.add_argument("--ramp-s", type=float, default=5.0, help="sessions arrive over this many seconds (5)")
    args = parser.parse_args(argv)
    if not chromium_available():
        sys.exit("needs /usr/bin/chromium and playwright (pip install -r requirements-dev.txt)")
    expected = expected_predictions()
    try:
        through = f"{args.replicas} replicas through HAProxy"
        phases = [
            phase("one replica, direct", 1, True, args.sessions, expected, args.ramp_s),
            phase(through, args.replicas, False, args.sessions, expected, args.ramp_s),
        ]
    except LaunchError as error:
        sys.exit(f"error: {error}")
    result = {
        "phases": phases,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_avg_at_end": os.getloadavg()},
        "command": "python -m benchmarks.replicas " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    for p in phases:
        rerun = p["server_rerun_ms"]
        print(
            f"{p['phase']}: {p['sessions_correct']}/{p['sessions']} sessions correct, {len(p['errors'])} errors, "
            f"per replica {p['sessions_per_replica']}; reruns in the servers p50 {rerun.get('p50')} ms, "
            f"p95 {rerun.get('p95')} ms (n={rerun['n']}); {p['cpu_ms_per_rerun']} ms CPU per rerun; "
            f"RSS {p['rss_mb_after_warmup']} -> {p['rss_mb_sessions_open']} MB, {p['mb_per_session']} MB per "
            f"session; {p['wall_s']} s",
            file=sys.stderr,
        )
        for error in p["errors"][:5]:
            print("  " + error, file=sys.stderr)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
