"""The live-training page's targets, measured on the page's own code path.

    python -m benchmarks.live_training                      # every phase (about 4 CPU minutes)
    python -m benchmarks.live_training --phases cnn rerun   # some of them

Phases:
- cnn: `python -m live cnn --seconds 30`, from random weights on one torch thread: the first
  CPU second at which held-out accuracy (2,000 MNIST test digits) reaches 97%, and where it ends. Target:
  >= 97% within 30 s.
- rnn: `python -m live rnn --seconds 60`: held-out accuracy at 30 s and at 60 s (reported).
- race: `python -m live both --seconds 60`: both on the same batches (reported).
- symbols: a tick, a star and an A, 5 drawings of each to learn from and 10 more of each held back, drawn by
  harness/live_fixtures.py with a different slant, size, place, wobble and pen for every copy, preprocessed
  as the canvas is; the pretrained CNN fine-tuned by the page's SymbolLesson in its 10-CPU-second budget.
  Targets: held-back accuracy >= 90% and MNIST held-out accuracy >= 95%, within 10 s.
- rerun: one digit-page rerun after a drawing (AppTest, as benchmarks/digit_page.py), median of --runs,
  with the server idle and then while one training runs in a worker thread of the same process, with the
  training page's live charts rebuilt twice a second as its fragment does. Target: at most 2x idle.
- memory: in a fresh process, the resident memory a running training adds (peak during the run, less the
  process with the shared MNIST subset loaded and torch's training machinery imported): the page's default
  settings and its largest ones, two trainings at once, and a symbol lesson; and what is left once they
  stop. Target: <= 150 MB per training.

Times are CPU seconds of the training thread (what the budgets count), so they hold on a busy machine;
the wall-clock figures and the load average are reported beside them. JSON on stdout, a summary on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

from runtime import PROJECT_ROOT as REPO_ROOT

PHASES = ("cnn", "rnn", "race", "symbols", "rerun", "memory")
CNN_TARGET, CNN_SECONDS = 0.97, 30.0
RNN_SECONDS = (30.0, 60.0)
SYMBOL_TARGET, SYMBOL_MNIST_TARGET, SYMBOL_SECONDS = 0.90, 0.95, 10.0
RERUN_FACTOR = 2.0
MEMORY_TARGET_MB = 150.0
REFRESH_S = 0.5
RERUN_GAP_S = 0.2


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def headless(*args: str) -> dict:
    """One run of the headless contract, the page's own path."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "live", *args, "--threads", "1", "--curves"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_wall_seconds"] = round(time.perf_counter() - started, 1)
    return result


def accuracy_at(curve: list, seconds: float) -> tuple[float, float]:
    """(seconds, held-out accuracy) of the last evaluation at or before `seconds` of CPU."""
    before = [point for point in curve if point[0] <= seconds + 1e-9]
    point = before[-1] if before else curve[0]
    return point[0], point[2]


# ---------------------------------------------------------------- phases


def phase_cnn(seconds: float) -> dict:
    result = headless("cnn", "--seconds", str(seconds))
    curve = result["models"]["cnn"]["heldout_curve"]
    first = next((point for point in curve if point[2] >= CNN_TARGET), None)
    out = {
        "command": f"python -m live cnn --seconds {seconds:g} --threads 1",
        "final_accuracy": result["heldout_accuracy"]["cnn"],
        "seconds": result["seconds"],
        "first_at_target": None if first is None else {"seconds": first[0], "examples": first[1], "accuracy": first[2]},
        "min_accuracy_after_first": None if first is None else min(p[2] for p in curve if p[0] >= first[0]),
        "steps": result["steps"],
        "examples_seen": result["examples_seen"],
        "filter_median_cosine": result["models"]["cnn"]["filter_median_cosine"],
        "filter_median_change": result["models"]["cnn"]["filter_median_change"],
        "wall_seconds": result["wall_seconds"],
        "target": CNN_TARGET,
        "pass": first is not None and first[0] <= CNN_SECONDS,
    }
    log(f"cnn: {out['final_accuracy']:.2%} after {out['seconds']:.1f} s CPU ({out['wall_seconds']:.0f} s wall); "
        f"first >= 97% at {first[0] if first else 'never'} s; conv1's median cosine to its start "
        f"{out['filter_median_cosine']}")  # fmt: skip
    return out


def phase_rnn(seconds: tuple[float, float]) -> dict:
    result = headless("rnn", "--seconds", str(seconds[1]), "--steps", "1000000")  # time, not steps, ends it
    curve = result["models"]["rnn"]["heldout_curve"]
    points = {f"{s:g}": dict(zip(("seconds", "accuracy"), accuracy_at(curve, s), strict=True)) for s in seconds}
    out = {
        "command": f"python -m live rnn --seconds {seconds[1]:g} --steps 1000000 --threads 1",
        "at": points,
        "final_accuracy": result["heldout_accuracy"]["rnn"],
        "steps": result["steps"],
        "examples_seen": result["examples_seen"],
        "wall_seconds": result["wall_seconds"],
    }
    log("rnn: " + ", ".join(f"{p['accuracy']:.2%} at {p['seconds']:.1f} s" for p in points.values()))
    return out


def phase_race(seconds: float) -> dict:
    result = headless("both", "--seconds", str(seconds))
    out = {"command": f"python -m live both --seconds {seconds:g} --threads 1"}
    for kind, model in result["models"].items():
        out[kind] = {
            "final_accuracy": model["heldout_accuracy"],
            "own_seconds": model["seconds"],
            "examples_seen": model["examples_seen"],
            "at_half_budget": accuracy_at(model["heldout_curve"], model["seconds"] / 2),
        }
    out["wall_seconds"] = result["wall_seconds"]
    log("race: " + ", ".join(f"{k} {v['final_accuracy']:.2%} ({v['own_seconds']:.1f} s own CPU)"
                             for k, v in out.items() if isinstance(v, dict)))  # fmt: skip
    return out


def live_data_and_augment():
    from live.run import default_augmenter, live_data
    from sources.mnist import fetch, load

    mnist = load(fetch())
    return live_data(mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test), default_augmenter()


def in_thread(function, *args):
    """Run in a fresh thread, as the page's worker does (see benchmarks/digit_page.py on why it matters)."""
    out = {}

    def target():
        import torch

        torch.set_num_threads(1)
        out["value"] = function(*args)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    return out["value"]


def lesson_inputs(seed: int, train_each: int = 5, heldback_each: int = 10):
    """The pretrained CNN, and a tick, a star and an A: `train_each` drawings of each to learn from and
    `heldback_each` others held back, each drawn afresh and preprocessed as the canvas is."""
    from harness.live_fixtures import SYMBOLS, symbol_drawing
    from live.symbols import Symbol
    from models.digits import load_digit_model
    from models.preprocess import preprocess

    rng = np.random.default_rng(seed)

    def drawings(name: str, count: int) -> tuple:
        return tuple(preprocess(symbol_drawing(name, rng)).final for _ in range(count))

    base, _ = load_digit_model("cnn")
    return base, [Symbol(name, drawings(name, train_each), drawings(name, heldback_each)) for name in SYMBOLS]


def phase_symbols(train_each: int, heldback_each: int, seed: int) -> dict:
    from live.symbols import LessonConfig, SymbolLesson

    data, augment = live_data_and_augment()
    base, symbols = lesson_inputs(seed, train_each, heldback_each)
    config = LessonConfig(max_seconds=SYMBOL_SECONDS)

    def lesson():
        started = time.perf_counter()
        job = SymbolLesson(base, symbols, data, augment, config)
        while not job.finished:
            job.advance()
        return job.view(), time.perf_counter() - started

    view, wall = in_thread(lesson)
    heldback = float(np.trace(view.confusion[:, : len(symbols)]) / view.confusion.sum())
    out = {
        "symbols": list(view.names),
        "train_drawings_each": train_each,
        "heldback_drawings_each": heldback_each,
        "heldback_accuracy": round(heldback, 4),
        "per_symbol_accuracy": [round(float(a), 4) for a in view.per_symbol_accuracy],
        "mnist_heldout_accuracy": round(view.mnist_accuracy, 4),
        "cpu_seconds": round(view.cpu_seconds, 2),
        "wall_seconds": round(wall, 2),
        "steps": view.steps,
        "pass": heldback >= SYMBOL_TARGET and view.mnist_accuracy >= SYMBOL_MNIST_TARGET
        and view.cpu_seconds <= SYMBOL_SECONDS + 0.5,
    }  # fmt: skip
    log(f"symbols: held-back {heldback:.1%}, MNIST {view.mnist_accuracy:.2%}, {view.cpu_seconds:.1f} s CPU")
    return out


def refresh_live_charts(view, data) -> None:
    """What the training page's live fragment builds on each refresh, serialised as st.plotly_chart does."""
    import plotly.io

    from figures import digits as digit_figures
    from figures import live as fig

    figures = [fig.learning_curves(view.learners)]
    fig.curves_caption(view.learners, len(data.heldout_labels), view.config.learning_rate)
    cnn, rnn = view.learners.get("cnn"), view.learners.get("rnn")
    if cnn is not None and cnn.picture is not None:
        picture = cnn.picture
        figures += [
            fig.filters_then_and_now(cnn.initial_filters, picture.filters, picture.step),
            fig.filter_drift_bars(picture.filter_cosine, picture.filter_change),
            digit_figures.feature_map_grid(picture.fixed_maps, "conv1"),
        ]
    if rnn is not None and rnn.evaluation is not None:
        figures.append(fig.rows_accuracy(rnn.evaluation.rows_accuracy))
    digits = [str(d) for d in range(10)]
    for kind, learner in view.learners.items():
        evaluation = learner.evaluation
        if evaluation is not None:
            figures.append(fig.confusion_matrix(evaluation.confusion, digits, digits, kind, "#000000"))
            if len(evaluation.wrong):
                figures.append(fig.mistakes(data.heldout_images[evaluation.wrong, 0].numpy(),
                                            data.heldout_labels[evaluation.wrong].numpy(),
                                            evaluation.wrong_predictions, kind))  # fmt: skip
    for figure in figures:
        plotly.io.to_json(figure, validate=False)


def phase_rerun(runs: int, seed: int) -> dict:
    from streamlit.testing.v1 import AppTest

    from benchmarks.digit_page import fail_on_page_error, jittered_drawing
    from live.run import LiveConfig, LiveRun
    from live.worker import TrainingPool, Worker

    rng = np.random.default_rng(seed)
    app = AppTest.from_file(str(REPO_ROOT / "views" / "digits.py"), default_timeout=120)
    app.run()
    fail_on_page_error(app)
    # AppTest runs the page without a server, and streamlit says so on every element: not news here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)

    def reruns(count: int) -> list[float]:
        times = []
        for run in range(count):
            app.session_state["digits_drawing"] = jittered_drawing(("7", "1")[run % 2], rng)
            started = time.perf_counter()
            app.run()
            times.append(time.perf_counter() - started)
            fail_on_page_error(app)
            # A visitor draws now and then: spread the reruns over seconds, so that the training's evaluations
            # and the live charts' refreshes (every REFRESH_S) fall among them.
            time.sleep(RERUN_GAP_S)
        return times

    reruns(3)  # warm
    idle = reruns(runs)
    data, augment = live_data_and_augment()
    run = LiveRun(LiveConfig(max_seconds=600.0), data, augment)  # both models, the page's defaults
    worker = Worker(run, TrainingPool(1), threads=1)
    worker.play()
    stop = threading.Event()
    refreshes = []

    def watcher() -> None:  # the training page open in another tab, redrawing its live charts
        while not stop.is_set():
            started = time.perf_counter()
            refresh_live_charts(run.view(), data)
            refreshes.append(time.perf_counter() - started)
            stop.wait(max(0.0, REFRESH_S - (time.perf_counter() - started)))

    while run.steps < 5:
        time.sleep(0.05)
    page = threading.Thread(target=watcher)
    page.start()
    steps_before, cpu_before, wall_before = run.steps, run.cpu_seconds, time.perf_counter()
    loaded = reruns(runs)
    steps_during = run.steps - steps_before
    cpu_during = run.cpu_seconds - cpu_before
    wall_during = time.perf_counter() - wall_before
    stop.set()
    page.join()
    worker.stop()
    worker.join(60)
    idle_ms, loaded_ms = statistics.median(idle) * 1000, statistics.median(loaded) * 1000
    out = {
        "idle_median_ms": round(idle_ms, 1),
        "idle_p90_ms": round(float(np.percentile(idle, 90)) * 1000, 1),
        "training_median_ms": round(loaded_ms, 1),
        "training_p90_ms": round(float(np.percentile(loaded, 90)) * 1000, 1),
        "ratio": round(loaded_ms / idle_ms, 2),
        "runs": runs,
        "training_steps_meanwhile": steps_during,
        "seconds_meanwhile": round(wall_during, 1),
        "training_cpu_share": round(cpu_during / wall_during, 2),
        "live_chart_refresh_median_ms": round(statistics.median(refreshes) * 1000, 1) if refreshes else None,
        "target_ratio": RERUN_FACTOR,
        "pass": loaded_ms <= RERUN_FACTOR * idle_ms,
    }
    log(f"rerun: idle {idle_ms:.1f} ms, while training {loaded_ms:.1f} ms ({out['ratio']:.2f}x); the training "
        f"got {out['training_cpu_share']:.0%} of a core meanwhile; live charts "
        f"{out['live_chart_refresh_median_ms']} ms")  # fmt: skip
    return out


# ---------------------------------------------------------------- memory, in a fresh process

MEMORY_CASES = {
    "default": {},
    # The largest settings the page offers (ui/live.py): both models, racing.
    "largest": {"conv_filters": 16, "lstm_units": 128, "batch_size": 128, "augment": True},
}


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def probe_memory(case: str, count: int, seconds: float) -> dict:
    """Child process: load what the server has loaded, then run `count` trainings at once, sampling RSS."""
    import torch

    from live.run import LiveConfig, LiveRun
    from live.symbols import LessonConfig, SymbolLesson
    from live.worker import TrainingPool, Worker

    torch.set_num_threads(1)
    data, augment = live_data_and_augment()
    import figures.live  # noqa: F401 - what a server has imported too

    # A server has trained before: torch's optimiser and autograd imports are paid once per process, not per
    # training. Three steps of a default run import them, in a worker as on the server; stopping it hands its
    # memory back (live/worker.py release_freed_memory).
    warm = Worker(LiveRun(LiveConfig(max_steps=3), data, augment), TrainingPool(1))
    warm.play()
    while not warm.job.finished:
        time.sleep(0.05)
    warm.stop()
    warm.join(60)
    lesson_parts = lesson_inputs(0) if case == "lesson" else None
    baseline = rss_mb()
    pool = TrainingPool(count)
    if case == "lesson":
        base, symbols = lesson_parts
        jobs = [SymbolLesson(base, symbols, data, augment, LessonConfig()) for _ in range(count)]
    else:
        jobs = [LiveRun(LiveConfig(max_seconds=seconds, seed=i, **MEMORY_CASES[case]), data, augment)
                for i in range(count)]  # fmt: skip
    workers = [Worker(job, pool) for job in jobs]
    del jobs
    for worker in workers:
        worker.play()
    peak = baseline
    while not all(worker.job.finished for worker in workers):
        peak = max(peak, rss_mb())
        time.sleep(0.05)
    peak = max(peak, rss_mb())
    for worker in workers:
        worker.stop()
        worker.join(60)
    del workers
    after = rss_mb()  # every worker stopped and dropped, as when their sessions end
    return {"case": case, "trainings": count, "baseline_mb": round(baseline, 1), "peak_mb": round(peak, 1),
            "per_training_mb": round((peak - baseline) / count, 1), "after_stop_mb": round(after, 1),
            "left_after_stop_mb": round(after - baseline, 1)}  # fmt: skip


def phase_memory(seconds: float) -> dict:
    out = {}
    for case, count in (("default", 1), ("largest", 1), ("default", 2), ("lesson", 1)):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.live_training", "--probe-memory", case, str(count), str(seconds)],
            cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        result = json.loads(done.stdout.strip().splitlines()[-1])
        out[f"{case}_x{count}"] = result
        log(f"memory: {case} x{count}: +{result['per_training_mb']:.0f} MB per training (baseline "
            f"{result['baseline_mb']:.0f} MB; {result['left_after_stop_mb']:+.0f} MB once stopped)")  # fmt: skip
    worst = max(result["per_training_mb"] for result in out.values())
    out["worst_per_training_mb"] = worst
    out["target_mb"] = MEMORY_TARGET_MB
    out["pass"] = worst <= MEMORY_TARGET_MB
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES), help="(default: all)")
    parser.add_argument("--runs", type=int, default=20, help="timed digit-page reruns each way (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="seed for drawings (default: 0)")
    parser.add_argument("--memory-seconds", type=float, default=8.0,
                        help="CPU seconds each memory probe trains (default: 8)")  # fmt: skip
    parser.add_argument("--probe-memory", nargs=3, metavar=("CASE", "COUNT", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe_memory:
        case, count, seconds = args.probe_memory
        result = probe_memory(case, int(count), float(seconds))
        print(json.dumps(result), flush=True)
        return result
    report: dict = {"machine": {"cpus": os.cpu_count(), "load_average_at_start": load_average()}}
    phases = {
        "cnn": lambda: phase_cnn(CNN_SECONDS),
        "rnn": lambda: phase_rnn(RNN_SECONDS),
        "race": lambda: phase_race(RNN_SECONDS[1]),
        "symbols": lambda: phase_symbols(5, 10, args.seed),
        "rerun": lambda: phase_rerun(args.runs, args.seed),
        "memory": lambda: phase_memory(args.memory_seconds),
    }
    for name in args.phases:
        report[name] = phases[name]()
        report[name]["load_average_after"] = load_average()
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()
