"""A class at once: many sessions over Streamlit's own websocket protocol (harness/protocol.py), so a session
costs the generator a socket, not a browser, and the server's CPU is the server's.

    python -m benchmarks.spike spike [--sessions 60] [--arrive-s 10] [--duration-s 120] [--replicas 1]
    python -m benchmarks.spike train [--sessions 30] [--arrive-s 5] [--train-seconds 60] [--close 3]
    python -m benchmarks.spike sequence [--sessions 300]

Each run starts its own servers: `--replicas 1` is one `streamlit run app.py`, reached directly; 2 or more are
deploy/replicas.py's cluster, reached through HAProxy. Loopback addresses only.

- spike: sessions arrive evenly over --arrive-s and each, for --duration-s, repeats the action mix with a
  --think-s pause before each action, as a student reads the answer: a gallery digit on the digit page, a
  sentence on the text page, a gallery digit and a sentence on the comparison page (each action opens its
  page first when the session is elsewhere). Every answer is checked against the one computed offline with the
  same code and weights: the predicted digit, both readers' digits, the entity labels, both taggers' entities.
  A wrong answer, a traceback or a timeout is an error. Latency is the generator's send to the run's end
  (`script_finished`), on loopback: the server's time to answer. --browsers real Chromium sessions
  (benchmarks/load.py) run during the spike: their errors and latencies are reported beside.
  Before the spike, one session alone measures each action's server CPU (the capacity model's input): the
  model predicts the server's CPU over the spike from the actions done, and is compared with /proc.
- train: sessions open the training page, set a --train-seconds budget and press Start within --arrive-s, then
  follow their run as the browser does (the live charts' fragment, rerun on its own timer) until it ends.
  Reported: how soon each press is answered with "Training…" or a place in line, each run's wait for a trainer
  and its budget, and, after --close sessions vanish while waiting and the rest close, whether the server's
  threads and pool are back where they started.
- sequence: sessions one after another, each doing the action mix once and closing; the server's resident
  memory after each. Growth over the last 100 is the leak check.

The server's CPU (utime + stime of every replica and HAProxy) and memory (VmRSS) come from /proc. JSON on
stdout, a summary on stderr. Bounds: at most MAX_SESSIONS sessions and MAX_SECONDS seconds of spike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np

import runtime
from benchmarks.replicas import cpu_seconds, rss_mb
from deploy.replicas import Cluster
from harness.browser import cluster_ports
from harness.protocol import ProtocolError, StreamlitSession, parse_base_url
from ui.compare import DIGITS_TAB, TEXT_TAB

MAX_SESSIONS = 200
SEEN = " (seen before)"  # an action's name when the replica has answered the same input before
MAX_SECONDS = 600
ACTIONS = ("digits", "text", "compare_digit", "compare_text")
# Where each action happens: a page, or the comparison page's tab (one page, two tabs: a student switches tab).
PAGE_OF = {"digits": "digits", "text": "text", "compare_digit": "compare_digit", "compare_text": "compare_text"}
TAB_OF = {"compare_digit": DIGITS_TAB, "compare_text": TEXT_TAB}
GALLERY_SIZE = 40  # at most this many gallery digits are picked from
NAMES = ("Angela Merkel", "Nelson Mandela", "Chen Wei", "Kofi Annan", "Farah Khan", "Lionel Messi", "Hana Mori",
         "Boris Petrov", "Julia Child", "Taylor Swift", "Diego Rivera", "Amara Okafor")  # fmt: skip
PLACES = ("Berlin", "Lagos", "Tokyo", "Lima", "Oslo", "Chicago", "Hanoi", "Nairobi", "Madrid", "Seoul", "Perth")
ORGS = ("Microsoft", "Reuters", "Siemens", "Toyota", "Boeing", "Google", "the United Nations", "Barcelona")
MARK = re.compile(r'<mark title="[^"]*\((?P<label>[A-Z]+)\)[^"]*"[^>]*>(?P<text>.*?)<span', re.S)


def sentence(index: int) -> str:
    """A distinct sentence per index (so each is new to the page's caches), names from every continent."""
    name, place, org = NAMES[index % len(NAMES)], PLACES[(index * 7) % len(PLACES)], ORGS[(index * 5) % len(ORGS)]
    return f"{name} met people from {org} in {place} on Monday, {index % 97 + 2} days before the vote."


# ---------------------------------------------------------------- what every answer must be


@dataclass
class Expected:
    """Answers computed offline with the app's own code and weights."""

    digit: dict[int, int]  # gallery index -> the digit page's prediction
    compare_digit: dict[int, tuple[int, int]]  # gallery index -> (CNN, row RNN) on the comparison page
    sentences: dict[int, str] = field(default_factory=dict)
    text: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # BiLSTM-CRF's (text, label) pairs
    compare_text: dict[int, tuple[list, list]] = field(default_factory=dict)  # (CNN tagger, BiLSTM)


def expected_answers(sentence_count: int) -> Expected:
    from models.compare import compare_digit
    from models.digits import load_digit_model, predict
    from models.ner import load_tagger, tag
    from ui.resources import GALLERY_FILE, weights_file

    cnn, _ = load_digit_model("cnn")
    rnn, _ = load_digit_model("rnn")
    with np.load(weights_file(GALLERY_FILE)) as archive:
        images = archive["images"][:GALLERY_SIZE]
    digit = {i: predict(cnn, image).analysis.prediction for i, image in enumerate(images)}
    both = {}
    for i, image in enumerate(images):
        comparison = compare_digit(cnn, rnn, image, repeats=0)
        both[i] = (comparison.cnn.prediction, int(np.argmax(comparison.rnn.probs)))
    expected = Expected(digit, both)
    bilstm, cnn_tagger = load_tagger("bilstm")[0], load_tagger("cnn")[0]
    for i in range(sentence_count):
        text = expected.sentences[i] = sentence(i)
        rnn_pairs = sorted((e["text"], e["label"]) for e in tag(bilstm, text).entities)
        cnn_pairs = sorted((e["text"], e["label"]) for e in tag(cnn_tagger, text).entities)
        expected.text[i], expected.compare_text[i] = rnn_pairs, (cnn_pairs, rnn_pairs)  # as the page: CNN first
    return expected


def marks(html: str) -> list[tuple[str, str]]:
    import html as html_module

    return sorted((html_module.unescape(m["text"]), m["label"]) for m in MARK.finditer(html))


def metric(run, label: str) -> str | None:
    for element in run.of_kind("metric"):
        if element.label == label:
            return element.body
    return None


def check(action: str, run, key: int, expected: Expected) -> str | None:
    """None when the run shows the expected answer, else what was wrong, in words."""
    if run.exceptions:
        return f"traceback: {run.exceptions[0][:160]}"
    if action == "digits":
        shown, want = metric(run, "Prediction"), str(expected.digit[key])
        return None if shown == want else f"digit page showed {shown!r} for gallery {key}, expected {want!r}"
    if action == "compare_digit":
        shown = (metric(run, "The CNN says"), metric(run, "The row-by-row RNN says"))
        want = tuple(str(d) for d in expected.compare_digit[key])
        return None if shown == want else f"comparison showed {shown} for gallery {key}, expected {want}"
    found = [marks(text) for text in run.texts if "<mark" in text]
    if action == "text":
        want = expected.text[key]
        return None if found[:1] == [want] else f"text page showed {found[:1]} for sentence {key}, expected {want}"
    want = list(expected.compare_text[key])
    return None if found == want else f"comparison showed {found} for sentence {key}, expected {want}"


# ---------------------------------------------------------------- one session


@dataclass
class Answer:
    action: str  # an action, or "open:<page>"
    latency_s: float
    error: str | None
    at_s: float  # when it was sent, from the start of the phase


class Student:
    """One session over the protocol, doing the action mix; it counts its own sentences and gallery picks."""

    def __init__(self, port: int, index: int, expected: Expected, clock_start: float, seen: set) -> None:
        self.session = StreamlitSession(port, timeout_s=120.0)
        self.index, self.expected, self.clock_start = index, expected, clock_start
        self.seen = seen  # (replica, action, key) already asked, by any session: the server's caches hold them
        self.page = ""
        self.answers: list[Answer] = []
        self.actions_done = 0
        self.replica = ""
        self.cpu_probe = None  # calibration: the server's CPU seconds, read around each answer
        self.cpu_costs: list[tuple[str, float]] = []

    async def connect(self) -> None:
        await self.session.connect()
        self.replica = self.session.ws.response.headers.get("X-Replica", "")

    async def _timed(self, name: str, call, check_answer=None) -> bool:
        if self.cpu_probe is not None:  # calibration: the server quiet before, and its last frames sent after
            await asyncio.sleep(0.3)
            before = self.cpu_probe()
        sent = time.perf_counter() - self.clock_start
        try:
            run = await call()
            error = check_answer(run) if check_answer else (run.exceptions[0][:160] if run.exceptions else None)
            latency = run.latency_s
        except (TimeoutError, ProtocolError, OSError) as failure:
            error, latency = f"{type(failure).__name__}: {str(failure)[:160]}", float("nan")
        self.answers.append(Answer(name, latency, error, sent))
        if self.cpu_probe is not None:
            await asyncio.sleep(0.3)
            self.cpu_costs.append((name, self.cpu_probe() - before))
        return error is None

    async def open_page(self, action: str) -> bool:
        """Open the action's page, and on the comparison page pick the action's tab (a rerun of its own, as the
        browser's tab click is); the tab a session last chose stays chosen, as in the browser."""
        page = PAGE_OF[action]
        if action not in TAB_OF:
            opened = await self._timed(f"open:{page}", lambda: self.session.open(page))
        elif self.page in PAGE_OF.values() and self.page.startswith("compare"):
            opened = True
        else:
            opened = await self._timed("open:compare", lambda: self.session.open("compare"))
            self.page = "compare_digit" if "compare_gallery" in self.session.last.widget_ids else "compare_text"
        if opened and action in TAB_OF and self.page != page:
            opened = await self._timed(f"open:{page}", lambda: self.session.set_widget("compare_tab", TAB_OF[action]))
        self.page = page if opened else ""
        return opened

    async def do(self, action: str, key: int | None = None) -> int:
        """The action itself, on its page; returns its gallery digit or sentence. Each session walks its own
        order through the gallery and the sentences, so the answers differ from one action to the next. An
        answer the server has given before (to any session on the replica) is named so: its caches make it
        cheaper (ui/resources.py), and the capacity model prices the two apart."""
        step = self.index * 7 + self.actions_done
        self.actions_done += 1
        if action in ("digits", "compare_digit"):
            key = step % len(self.expected.digit) if key is None else key
            widget = "digits_gallery" if action == "digits" else "compare_gallery"
            value = [str(key + 1)]  # a pill's value is its shown label
        else:
            key = step % len(self.expected.sentences) if key is None else key
            widget = "text_input" if action == "text" else "compare_text"
            value = self.expected.sentences[key]
        cache_key = (self.replica, action, key)
        name = action + SEEN if cache_key in self.seen else action
        self.seen.add(cache_key)
        await self._timed(name, lambda: self.session.set_widget(widget, value),
                          lambda run: check(action, run, key, self.expected))  # fmt: skip
        return key

    async def act(self, action: str) -> None:
        if self.page == PAGE_OF[action] or await self.open_page(action):
            await self.do(action)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.session.close()


# ---------------------------------------------------------------- servers and their numbers


class Servers:
    """`replicas` servers; `port` is what a session connects to (the replica, or HAProxy in front of several)."""

    def __init__(self, replicas: int, env: dict | None = None) -> None:
        self.cluster = Cluster(replicas, *cluster_ports(replicas), host="127.0.0.1", env=env or {})

    def __enter__(self) -> Servers:
        self.cluster.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.cluster.__exit__(*exc)

    @property
    def replica_ports(self) -> list[int]:
        return [replica.port for replica in self.cluster.replicas]

    @property
    def port(self) -> int:
        if len(self.cluster.replicas) == 1:
            return self.replica_ports[0]
        return parse_base_url(self.cluster.url)[1]

    def name_of(self, port: int) -> str:
        """The replica's name as HAProxy's X-Replica header gives it; "" for a lone replica, reached directly."""
        if len(self.cluster.replicas) == 1:
            return ""
        return next(replica.name for replica in self.cluster.replicas if replica.port == port)

    @property
    def pids(self) -> list[int]:
        """Every replica, and HAProxy when the sessions go through it."""
        pids = [replica.process.pid for replica in self.cluster.replicas]
        return pids + ([self.cluster.haproxy.pid] if len(pids) > 1 else [])

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)

    def rss(self) -> list[float]:
        return [round(rss_mb(replica.process.pid), 1) for replica in self.cluster.replicas]

    def threads(self) -> int:
        total = 0
        for replica in self.cluster.replicas:
            with open(f"/proc/{replica.process.pid}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("Threads:"))
        return total


def percentile(values: list[float], q: float) -> float | None:
    values = sorted(v for v in values if v == v)
    if not values:
        return None
    return round(values[min(len(values) - 1, int(q * len(values)))], 3)


def latency_summary(answers: list[Answer]) -> dict:
    seconds = [a.latency_s for a in answers]
    return {"count": len(answers), "median_s": percentile(seconds, 0.5), "p95_s": percentile(seconds, 0.95),
            "max_s": percentile(seconds, 1.0)}  # fmt: skip


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- calibration: server CPU per action, alone


async def warm_up(servers: Servers, expected: Expected, seen: set) -> None:
    """Every page opened once on every replica, so the models are loaded: a running demo is measured."""
    for port in servers.replica_ports:
        warm = Student(port, 0, expected, time.perf_counter(), seen)
        await warm.connect()
        warm.replica = servers.name_of(port)
        for action in ACTIONS:
            await warm.act(action)
        await warm.close()


async def calibrate(servers: Servers, expected: Expected, repeats: int, seen: set) -> dict[str, float]:
    """Each replica warmed, then on the first one, alone, each page open and each action `repeats` times, with
    a new input and then the same one again: the server's CPU from before the send until 0.3 s after the
    answer (the websocket's last frames included)."""
    await warm_up(servers, expected, seen)
    student = Student(servers.replica_ports[0], 1, expected, time.perf_counter(), seen)
    pid = servers.cluster.replicas[0].process.pid
    student.cpu_probe = lambda: cpu_seconds(pid)
    await student.connect()
    student.replica = servers.name_of(servers.replica_ports[0])
    for _ in range(repeats):
        for action in ACTIONS:
            student.page = ""  # every page opened afresh, its tab chosen afresh
            if await student.open_page(action):
                await student.do(action, await student.do(action))  # a new input, then the same again
    await student.close()
    errors = [a.error for a in student.answers if a.error]
    if errors:
        raise RuntimeError(f"calibration saw wrong answers: {errors[:3]}")
    costs: dict[str, list[float]] = {}
    for name, cost in student.cpu_costs:
        costs.setdefault(name, []).append(cost)
    return {name: round(statistics.median(values), 4) for name, values in costs.items()}


# ---------------------------------------------------------------- spike


async def student_session(port, index, expected, start, delay_s, duration_s, think_s, rng, seen) -> Student:
    await asyncio.sleep(delay_s)
    student = Student(port, index, expected, start, seen)
    try:
        await student.connect()
    except (TimeoutError, OSError, ProtocolError) as failure:
        student.answers.append(Answer("connect", float("nan"), f"{type(failure).__name__}: {failure}", delay_s))
        return student
    ends = time.perf_counter() + duration_s
    order = ACTIONS[index % len(ACTIONS) :] + ACTIONS[: index % len(ACTIONS)]
    turn = 0
    while time.perf_counter() < ends:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)  # reading the last answer
        if time.perf_counter() >= ends:
            break
        await student.act(order[turn % len(order)])
        turn += 1
    await student.close()
    return student


async def browser_sessions(url: str, count: int, start_after_s: float) -> list[dict]:
    """`count` real Chromium sessions (benchmarks/load.py's draw, gallery pick and sentence), during the spike."""
    if count == 0:
        return []
    from playwright.async_api import async_playwright

    from benchmarks.load import expected_results, run_session
    from harness.browser import CHROMIUM, CHROMIUM_ARGS

    gallery, texts = expected_results(count)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        runs = [run_session(browser, url, i, gallery, texts, start_after_s + 3.0 * i) for i in range(count)]
        results = await asyncio.gather(*runs, return_exceptions=True)
        await browser.close()
    return [r if isinstance(r, dict) else {"errors": [repr(r)], "latencies": {}} for r in results]


async def spike(servers: Servers, args, expected: Expected) -> dict:
    seen: set = set()
    per_action_cpu = await calibrate(servers, expected, args.calibration_repeats, seen)
    log(f"calibration, server CPU per action alone (s): {per_action_cpu}")
    rng = random.Random(args.seed)
    cpu_before, rss_before, started = servers.cpu(), servers.rss(), time.perf_counter()
    peak_rss, sampling = list(rss_before), True

    async def sample() -> None:
        while sampling:
            peak_rss[:] = [max(a, b) for a, b in zip(peak_rss, servers.rss(), strict=True)]
            await asyncio.sleep(1.0)

    sampler = asyncio.create_task(sample())
    sessions = [
        student_session(servers.port, i, expected, started, i * args.arrive_s / args.sessions, args.duration_s,
                        args.think_s, random.Random(rng.random()), seen)
        for i in range(args.sessions)
    ]  # fmt: skip
    url = f"http://127.0.0.1:{servers.port}"
    students, browsers = await asyncio.gather(
        asyncio.gather(*sessions), browser_sessions(url, args.browsers, args.arrive_s)
    )
    wall = time.perf_counter() - started
    sampling = False
    await sampler
    cpu = servers.cpu() - cpu_before
    answers = [a for s in students for a in s.answers]
    actions = [a for a in answers if a.action.removesuffix(SEEN) in ACTIONS]
    counts = {name: sum(a.action == name for a in answers) for name in sorted({a.action for a in answers})}
    predicted = sum(per_action_cpu.get(name, 0.0) * n for name, n in counts.items())
    errors = [f"session {s.index}, {a.action}: {a.error}" for s in students for a in s.answers if a.error]
    browser_errors = [e for b in browsers for e in b["errors"]]
    replicas = {}
    for student in students:
        replicas[student.replica or "direct"] = replicas.get(student.replica or "direct", 0) + 1
    return {
        "sessions": args.sessions, "replicas": args.replicas, "arrive_s": args.arrive_s,
        "duration_s": args.duration_s, "think_s": args.think_s,
        "sessions_per_replica": replicas,
        "errors": len(errors), "error_examples": errors[:5],
        "answers": len(answers), "answers_checked": len(actions),
        "actions": latency_summary(actions),
        "page_opens": latency_summary([a for a in answers if a.action.startswith("open:")]),
        "by_action": {name: latency_summary([a for a in answers if a.action == name]) for name in counts},
        "server_cpu_s": round(cpu, 1), "wall_s": round(wall, 1), "server_cores_busy": round(cpu / wall, 2),
        "capacity_model": {
            "cpu_per_action_alone_s": per_action_cpu, "counts": counts, "predicted_server_cpu_s": round(predicted, 1),
            "measured_over_predicted": round(cpu / predicted, 3) if predicted else None,
        },
        "rss_mb_before": rss_before, "rss_mb_after": servers.rss(), "rss_mb_peak": peak_rss,
        "generator_cpu_s": round(time.process_time(), 1),
        "browsers": {"sessions": len(browsers), "errors": len(browser_errors), "error_examples": browser_errors[:3],
                     "latencies_ms": [b["latencies"] for b in browsers]},
    }  # fmt: skip


# ---------------------------------------------------------------- a class pressing Start


TRAINING_WORDS = "Training…"
QUEUED_WORDS = "Waiting for a free trainer"
DONE_WORDS = ("Done:", "Stopped")
BUDGET = re.compile(r"of (?P<budget>[\d.]+) CPU seconds")


def training_state(texts: list[str]) -> tuple[str, str]:
    """("running" | "queued" | "done" | "", the status sentence) from a run of the training page."""
    for text in texts:
        if text.startswith(TRAINING_WORDS):
            return "running", text
        if text.startswith(QUEUED_WORDS):
            return "queued", text
        if text.startswith(DONE_WORDS):
            return "done", text
    return "", ""


async def trainee(servers: Servers, index: int, start: float, delay_s: float, args, record: dict) -> None:
    session = StreamlitSession(servers.port, timeout_s=120.0)
    await session.connect()
    try:
        await session.open("train")
        await session.set_widget("train_seconds", [float(args.train_seconds)])  # a slider sends a list
        await asyncio.sleep(max(0.0, delay_s - (time.perf_counter() - start)))
        pressed = time.perf_counter()
        run = await session.click("train_start")
        state, text = training_state(run.texts)
        record.update(pressed_s=round(pressed - start, 2), answered_s=round(run.latency_s, 3), first_state=state,
                      first_text=text[:160], exceptions=run.exceptions[:1])  # fmt: skip
        if state == "running":
            record["started_after_s"] = round(run.latency_s, 2)
        closing = index >= args.sessions - args.close  # the last to press, so they are still in line
        while state != "done":
            if closing and state == "queued":  # a tab closed while it waits in line
                record["closed_while"] = "queued"
                return
            if not session.auto_reruns:
                run = await session.rerun()
            else:
                fragment, interval = next(iter(session.auto_reruns.items()))
                await asyncio.sleep(interval)
                run = await session.rerun_fragment(fragment)
            if run.exceptions:
                record.setdefault("exceptions", []).append(run.exceptions[0][:160])
            seen_state, seen_text = training_state(run.texts)
            if seen_state:  # a run without a status line (a redraw cut short) keeps the last one
                state, text = seen_state, seen_text
            if state == "running" and "started_after_s" not in record:
                record["started_after_s"] = round(time.perf_counter() - pressed, 2)
            if time.perf_counter() - pressed > MAX_SECONDS * 3:
                record["error"] = "never finished"
                return
        record.update(finished_after_s=round(time.perf_counter() - pressed, 1), last_text=text[:220])
        budget = BUDGET.search(text)
        record["budget_s"] = float(budget["budget"]) if budget else None
    except (TimeoutError, ProtocolError, OSError) as failure:
        record["error"] = f"{type(failure).__name__}: {str(failure)[:160]}"
    finally:
        await session.close()


async def pool_line(port: int) -> str:
    async with StreamlitSession(port) as session:
        run = await session.open("train")
    return next((t for t in run.texts if t.startswith("This server trains")), "")


async def class_training(servers: Servers, args) -> dict:
    for port in servers.replica_ports:  # the MNIST subset and the page loaded on every replica before the class
        async with StreamlitSession(port) as warm:
            await warm.open("train")
    await asyncio.sleep(1.0)
    threads_before, cpu_before = servers.threads(), servers.cpu()
    start = time.perf_counter()
    records = [{"session": i} for i in range(args.sessions)]
    rng = random.Random(args.seed)
    delays = sorted(rng.uniform(1.0, 1.0 + args.arrive_s) for _ in range(args.sessions))
    await asyncio.gather(*(trainee(servers, i, start, delays[i], args, records[i]) for i in range(args.sessions)))
    wall = time.perf_counter() - start
    await asyncio.sleep(8.0)  # the workers' grace period (live/worker.GRACE_S) after the last tab closed
    lines = [await pool_line(port) for port in servers.replica_ports]
    line, threads_after = " | ".join(lines), servers.threads()
    finished = [r for r in records if "finished_after_s" in r]
    waits = [r["started_after_s"] for r in finished if "started_after_s" in r]
    return {
        "sessions": args.sessions, "pressed_within_s": args.arrive_s, "train_seconds_asked": args.train_seconds,
        "closed_while_queued": sum(r.get("closed_while") == "queued" for r in records),
        "answered_with_state_s": {"max": max(r.get("answered_s", float("inf")) for r in records),
                                  "all_running_or_queued": all(r.get("first_state") in ("running", "queued")
                                                               for r in records)},
        "finished": len(finished), "errors": [r["error"] for r in records if "error" in r],
        "exceptions": [r["exceptions"] for r in records if r.get("exceptions")],
        "longest_wait_for_trainer_s": max(waits) if waits else None,
        "median_wait_for_trainer_s": statistics.median(waits) if waits else None,
        "budgets_s": sorted({r["budget_s"] for r in finished if r.get("budget_s")}),
        "last_finished_after_s": max((r["finished_after_s"] for r in finished), default=None),
        "wall_s": round(wall, 1), "server_cpu_s": round(servers.cpu() - cpu_before, 1),
        "threads_before": threads_before, "threads_after_all_closed": threads_after, "pool_after": line,
        "records": records,
    }  # fmt: skip


# ---------------------------------------------------------------- sessions one after another


async def sequence(servers: Servers, args, expected: Expected) -> dict:
    seen: set = set()
    await warm_up(servers, expected, seen)  # models loaded first: growth, not the first load, is the question
    rss, errors, start = [], [], time.perf_counter()
    for index in range(args.sessions):
        student = Student(servers.port, index, expected, start, seen)
        await student.connect()
        for action in ACTIONS:
            await student.act(action)
        await student.close()
        errors += [f"session {index}, {a.action}: {a.error}" for a in student.answers if a.error]
        rss.append(sum(servers.rss()))
        if index % 25 == 24:
            log(f"{index + 1} sessions: {rss[-1]:.1f} MB")
    last = min(100, len(rss) - 1)
    return {
        "sessions": args.sessions, "errors": len(errors), "error_examples": errors[:5],
        "rss_mb_after_each": rss, "rss_mb_first": rss[0], "rss_mb_last": rss[-1],
        f"growth_over_last_{last}_mb": round(rss[-1] - rss[-1 - last], 1),
        f"peak_over_last_{last}_mb": round(max(rss[-last:]) - rss[-1 - last], 1),
        "wall_s": round(time.perf_counter() - start, 1),
    }  # fmt: skip


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", choices=("spike", "train", "sequence"))
    parser.add_argument("--sessions", type=int, default=None,
                        help="sessions (default: 60 for spike, 30 for train, 300 for sequence)")  # fmt: skip
    parser.add_argument("--replicas", type=int, default=1, help="servers; 2+ behind HAProxy (default: 1)")
    parser.add_argument(
        "--arrive-s",
        type=float,
        default=None,
        help="sessions arrive (spike) or press Start (train) within this many s (default: 10 / 5)",
    )
    parser.add_argument("--duration-s", type=float, default=120.0, help="spike: each session's time (default: 120)")
    parser.add_argument("--think-s", type=float, default=4.0,
                        help="spike: mean pause before each action, uniform in 0.5-1.5x (default: 4)")  # fmt: skip
    parser.add_argument("--browsers", type=int, default=2, help="spike: real Chromium sessions too (default: 2)")
    parser.add_argument("--calibration-repeats", type=int, default=5, help="spike: per action (default: 5)")
    parser.add_argument("--train-seconds", type=int, default=60, help="train: each run's budget (default: 60)")
    parser.add_argument("--close", type=int, default=3,
                        help="train: this many sessions close while queued (default: 3)")  # fmt: skip
    parser.add_argument(
        "--class-wait-s",
        type=float,
        default=None,
        help="train: the servers' CNNRNN_CLASS_WAIT_S (default: theirs, runtime.CLASS_WAIT_S)",
    )
    parser.add_argument(
        "--slots",
        type=int,
        default=None,
        help="train: the servers' CNNRNN_LIVE_SLOTS (default: theirs, one per core less one)",
    )
    parser.add_argument("--seed", type=int, default=0, help="think times and arrivals (default: 0)")
    args = parser.parse_args(argv)
    args.sessions = args.sessions or {"spike": 60, "train": 30, "sequence": 300}[args.phase]
    args.arrive_s = args.arrive_s if args.arrive_s is not None else {"train": 5.0}.get(args.phase, 10.0)
    if not 1 <= args.sessions <= (MAX_SESSIONS if args.phase != "sequence" else 1000):
        parser.error(f"--sessions must be 1 to {MAX_SESSIONS} (sequence: 1000)")
    if not (0 < args.duration_s <= MAX_SECONDS and 0 <= args.arrive_s <= MAX_SECONDS):
        parser.error(f"--duration-s and --arrive-s must be within {MAX_SECONDS} s")
    if not 1 <= args.replicas <= 8 or args.browsers < 0 or args.close < 0:
        parser.error("--replicas must be 1 to 8; --browsers and --close 0 or more")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    runtime.configure_threads()  # one thread, as the server: more only fight the servers for the 2 cores
    env = {"CNNRNN_WEIGHTS": None}
    if args.class_wait_s is not None:
        env["CNNRNN_CLASS_WAIT_S"] = f"{args.class_wait_s:g}"
    if args.slots is not None:
        env["CNNRNN_LIVE_SLOTS"] = str(args.slots)
    sentence_count = args.sessions * 8 if args.phase != "train" else 0
    expected = expected_answers(max(sentence_count, 16)) if args.phase != "train" else None
    with Servers(args.replicas, env) as servers:
        phase = {"spike": lambda: spike(servers, args, expected), "train": lambda: class_training(servers, args),
                 "sequence": lambda: sequence(servers, args, expected)}[args.phase]  # fmt: skip
        result = asyncio.run(phase())
    result = {
        "benchmark": f"spike {args.phase}", "command": "python -m benchmarks.spike " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_after": [round(x, 2) for x in os.getloadavg()], **result,
    }  # fmt: skip
    print(json.dumps(result, indent=1))
    summary = {k: v for k, v in result.items() if k not in ("records", "rss_mb_after_each", "by_action")}
    log(json.dumps(summary, indent=1)[:4000])
    return result


if __name__ == "__main__":
    main()
