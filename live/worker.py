"""Many trainings on one small server: a bounded pool, first come first served, and one worker
thread per session.

A `Worker` owns one job (a `live.run.LiveRun` or a `live.symbols.SymbolLesson`) and
drives it from its own thread, on one torch thread, between the page's commands: play, pause,
one step, stop. It holds a pool slot only while it computes. Every poll it asks `alive()`
whether its session still exists; a session gone for `grace_s` seconds stops the worker and
drops its job, so a closed tab frees its CPU and its memory. Nothing here knows Streamlit:
the page passes `alive`, and the command line passes nothing.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch

import runtime
from live.budget import MIN_BUDGET_S

# How long a session may be unreachable (a dropped connection that may come back) before its worker stops.
GRACE_S = 5.0
# How often a waiting worker looks at its commands and its session.
POLL_S = 0.25
# A run holds its slot for at most this many times its CPU budget in real time, and at least MIN_WALL_S: on a
# busy server CPU seconds come slowly, and the next in the queue should not wait for ever.
WALL_FACTOR = 3.0
MIN_WALL_S = 120.0


def wall_limit(max_seconds: float) -> float:
    return max(WALL_FACTOR * max_seconds, MIN_WALL_S)


class Job(Protocol):
    finished: str | None

    def advance(self, force_evaluation: bool = False) -> None: ...

    def stop(self, reason: str) -> None: ...

    def share(self, seconds: float, waiting: int) -> None: ...


@dataclass(frozen=True)
class PoolLoad:
    slots: int
    running: int
    waiting: int
    workers: int  # worker threads alive: running, queued, paused or holding a finished run


class TrainingPool:
    """At most `slots` jobs compute at once; the others wait in arrival order.

    With `class_wait_s`, a class pressing Start together is not served one whole budget after another. From
    the moment runs wait until the pool is idle again (one class's turn), every run computing may spend only
    an equal share, `slots × class_wait_s / class size` CPU seconds, the class size being the most runs that
    were in the pool at once meanwhile; never less than `min_share_s`, the smallest budget the page offers. So
    the last of the class starts after about `class_wait_s` (more where the floor binds: then the server
    needs more slots, README "A class at once"). A share that followed the queue as it shrank would hand the
    later runs ever larger budgets, and the last would wait class_wait_s times the harmonic number of the
    class: 470 s instead of 120 for 30 (measured, benchmarks/spike.py train). Without it every run keeps its
    budget: 30 runs of 60 s on one slot, and the last waits half an hour.
    """

    def __init__(self, slots: int, class_wait_s: float | None = None, min_share_s: float = MIN_BUDGET_S) -> None:
        if slots < 1:
            raise ValueError("a training pool needs at least one slot")
        if class_wait_s is not None and not class_wait_s > 0:
            raise ValueError("a class wait must be above 0 seconds (None turns fair shares off)")
        self.slots = slots
        self.class_wait_s = class_wait_s
        self.min_share_s = min_share_s
        self._class_size = 0  # the most runs in the pool at once since runs began to wait; 0 while none has
        self._cond = threading.Condition()
        self._running: set[int] = set()
        self._waiting: deque[int] = deque()
        self._workers: set[int] = set()
        self._tickets = itertools.count(1)

    def ticket(self) -> int:
        return next(self._tickets)

    def acquire(self, ticket: int, cancelled: Callable[[], bool]) -> bool:
        """Wait in line for a slot. False (and out of the line) as soon as `cancelled()` says so."""
        with self._cond:
            if ticket in self._running:
                return True
            self._join_line(ticket)
            while True:
                if cancelled():
                    self._waiting.remove(ticket)
                    self._cond.notify_all()
                    return False
                if self._waiting[0] == ticket and len(self._running) < self.slots:
                    self._waiting.popleft()
                    self._running.add(ticket)
                    self._cond.notify_all()  # the next in line may fit too
                    return True
                self._cond.wait(POLL_S)

    def enter_line(self, ticket: int) -> None:
        """Stand in line now, before the worker's thread asks for a slot: the press of Start is answered with
        a place in line at once. `acquire` finds the ticket there; `release` takes it out if the run pauses."""
        with self._cond:
            if ticket not in self._running:
                self._join_line(ticket)

    def _join_line(self, ticket: int) -> None:
        if ticket not in self._waiting:
            self._waiting.append(ticket)
        if self._waiting and len(self._running) + len(self._waiting) > self.slots:
            self._class_size = max(self._class_size, len(self._running) + len(self._waiting))

    def release(self, ticket: int) -> None:
        with self._cond:
            self._running.discard(ticket)
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            if not self._running and not self._waiting:
                self._class_size = 0  # the class's turn is over
            self._cond.notify_all()

    def position(self, ticket: int) -> int | None:
        """0 while computing, k when k-th in line, None otherwise."""
        with self._cond:
            if ticket in self._running:
                return 0
            if ticket in self._waiting:
                return self._waiting.index(ticket) + 1
            return None

    def fair_share(self) -> FairShare | None:
        """A running run's share during a class's turn; None when no run has had to wait or shares are off.
        `waiting` is how many others the class had."""
        with self._cond:
            size = self._class_size
        if size <= self.slots or self.class_wait_s is None:
            return None
        return FairShare(max(self.min_share_s, self.slots * self.class_wait_s / size), size - 1)

    def register(self, ticket: int, present: bool) -> None:
        with self._cond:
            (self._workers.add if present else self._workers.discard)(ticket)

    def load(self) -> PoolLoad:
        with self._cond:
            return PoolLoad(self.slots, len(self._running), len(self._waiting), len(self._workers))


@dataclass(frozen=True)
class FairShare:
    """While runs wait: the CPU seconds a running run may spend so that the last in line starts in time."""

    seconds: float
    waiting: int


@dataclass(frozen=True)
class WorkerStatus:
    state: str  # "paused", "queued", "running", "finished", "stopped"
    queue_position: int | None  # 1 = next in line, while queued
    finished: str | None  # why the job ended
    error: str | None  # an unexpected failure, in words


def _always() -> bool:
    return True


class Presence:
    """Whether a page's session is connected. The page layer says so (connect, disconnect); a worker reads
    `alive` from its own thread. Starts connected: it is made by a running page."""

    def __init__(self) -> None:
        self._connected = threading.Event()
        self._connected.set()

    def connect(self) -> None:
        self._connected.set()

    def disconnect(self) -> None:
        self._connected.clear()

    def alive(self) -> bool:
        return self._connected.is_set()


class Worker:
    """One session's job in a background thread. Commands return at once; the thread acts on them
    between two steps of the job."""

    def __init__(
        self,
        job: Job,
        pool: TrainingPool,
        alive: Callable[[], bool] = _always,
        threads: int = 1,
        wall_limit_s: float | None = None,
        grace_s: float = GRACE_S,
    ) -> None:
        self._job: Job | None = job
        self.pool = pool
        self._alive = alive
        self._threads = threads
        self._wall_limit_s = wall_limit_s
        self._grace_s = grace_s
        self._ticket = pool.ticket()
        self._cond = threading.Condition()
        self._playing = False
        self._pending_steps = 0
        self._stopping = False
        self._state = "paused"
        self._error: str | None = None
        self._unreachable_since: float | None = None
        self._running_wall = 0.0
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ commands (any thread)

    def play(self) -> None:
        with self._cond:
            self._playing = True
            self._line_up()
            self._cond.notify_all()
        self._ensure_thread()

    def pause(self) -> None:
        with self._cond:
            self._playing = False
            self._cond.notify_all()

    def step(self) -> None:
        """One step, then pause: a running job pauses first."""
        with self._cond:
            self._playing = False
            self._pending_steps += 1
            self._line_up()
            self._cond.notify_all()
        self._ensure_thread()

    def _line_up(self) -> None:
        """Under self._cond: a job that is not computing joins the pool's line now, so the page that asked
        shows its place at once rather than "Ready" until the worker's thread gets there."""
        job = self._job
        if self._state == "paused" and job is not None and not job.finished and not self._stopping:
            self.pool.enter_line(self._ticket)
            self._state = "queued"

    def stop(self) -> None:
        """End the job and drop it. Returns at once; the thread finishes its current step first."""
        with self._cond:
            self._stopping = True
            self._playing = False
            self._cond.notify_all()
        if self._thread is None:
            self._job = None
            self._state = "stopped"

    def join(self, timeout: float | None = None) -> bool:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # ------------------------------------------------------------------ reading (any thread)

    @property
    def job(self) -> Job | None:
        return self._job

    @property
    def playing(self) -> bool:
        job = self._job
        return self._playing and job is not None and not job.finished and self._state != "stopped"

    @property
    def busy(self) -> bool:
        """Playing, queued, computing or with single steps to do: the page keeps polling meanwhile."""
        job = self._job
        if job is None or job.finished or self._state == "stopped":
            return False
        return self._playing or self._pending_steps > 0 or self._state in ("queued", "running")

    def status(self) -> WorkerStatus:
        job = self._job
        position = self.pool.position(self._ticket) if self._state == "queued" else None
        return WorkerStatus(self._state, position or None, None if job is None else job.finished, self._error)

    # ------------------------------------------------------------------ the thread

    def _ensure_thread(self) -> None:
        with self._cond:
            if self._stopping or self._job is None or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._main, name=f"live-worker-{self._ticket}", daemon=True)
            self.pool.register(self._ticket, True)
            self._thread.start()

    def _session_gone(self) -> bool:
        """True once the session has been unreachable for the grace period."""
        if self._alive():
            self._unreachable_since = None
            return False
        now = time.monotonic()
        if self._unreachable_since is None:
            self._unreachable_since = now
        return now - self._unreachable_since >= self._grace_s

    def _quit(self) -> bool:
        return self._stopping or self._session_gone()

    def _main(self) -> None:
        # The one place a worker's torch thread count is set: each training gets one core's worth.
        torch.set_num_threads(self._threads)
        job = self._job
        trimmed = False
        try:
            while not self._quit():
                if job.finished:
                    self._state = "finished"
                    if not trimmed:  # the run's working memory is free now; only its record remains
                        runtime.release_freed_memory()
                        trimmed = True
                    with self._cond:
                        self._cond.wait(POLL_S)  # keep the finished run for the page until reset or session end
                    continue
                with self._cond:
                    if not self._playing and self._pending_steps == 0:
                        if self._state == "queued":  # paused before its turn: out of the line
                            self.pool.release(self._ticket)
                        self._state = "paused"
                        self._cond.wait(POLL_S)
                        continue
                self._state = "queued"
                if not self.pool.acquire(self._ticket, cancelled=self._quit):
                    break
                try:
                    self._state = "running"
                    self._compute(job)
                finally:
                    self.pool.release(self._ticket)
        except Exception as error:  # noqa: BLE001 - shown to the user instead of a dead thread
            self._error = f"{type(error).__name__}: {error}"
            traceback.print_exc()
            job.finished = job.finished or "error"  # as it stands: stopping it properly might fail the same way
        finally:
            self.pool.release(self._ticket)
            if self._quit():
                if not job.finished:
                    try:
                        job.stop("stopped")
                    except Exception:  # noqa: BLE001 - the job is dropped either way
                        traceback.print_exc()
                self._job = None  # the session is gone or reset: free the models now
                del job
                runtime.release_freed_memory()
            # After an error the job stays, for the page to show what happened, until reset or the session ends.
            self._state = "stopped"
            self.pool.register(self._ticket, False)

    def _compute(self, job: Job) -> None:
        """Advance the job until it finishes, is paused (after any single steps asked for) or must stop."""
        while not job.finished:
            with self._cond:
                if self._stopping:
                    return
                single = not self._playing and self._pending_steps > 0
                if not self._playing and not single:
                    return
                if single:
                    self._pending_steps -= 1
            if self._session_gone():
                return
            share = self.pool.fair_share()
            if share is not None:  # others wait: this run may spend only its share (checked every step)
                job.share(share.seconds, share.waiting)
            started = time.perf_counter()
            job.advance(force_evaluation=single)
            self._running_wall += time.perf_counter() - started
            if self._wall_limit_s is not None and self._running_wall >= self._wall_limit_s:
                job.stop("wall")
