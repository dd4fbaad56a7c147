"""Live training: the models learn, bad settings are caught, and many sessions share one server safely
(live/run.py, live/worker.py, live/symbols.py)."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest
import torch

from harness.live_fixtures import SYMBOLS, symbol_drawing
from harness.waiting import wait_until
from live.run import (
    DIVERGED_LOSS,
    LiveConfig,
    LiveConfigError,
    LiveRun,
    build_model,
    live_data,
    recalibrate_batch_norm,
)
from live.symbols import (
    MIN_EXAMPLES,
    SymbolError,
    SymbolLesson,
    check_symbols,
    split_drawings,
)
from live.worker import TrainingPool, Worker
from models.cnn import DigitCNN
from models.digits import load_digit_model
from models.preprocess import preprocess
from sources.augment import AugmentConfig, augment


@pytest.fixture(scope="module")
def data(mnist):
    # Smaller than the page's 10,000 / 2,000, so the tests stay quick; the code path is the same.
    return live_data(mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test, train_size=3000, heldout_size=500)


def small(**settings) -> LiveConfig:
    return LiveConfig(**{"max_seconds": 60.0, "max_steps": 20, **settings})


def run_to_end(run: LiveRun) -> LiveRun:
    while not run.finished:
        run.advance()
    return run


class Polls:
    """A session that is always there and counts how often its worker asks: a worker asks once per look at its
    commands, and a paused one looks every POLL_S seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def __call__(self) -> bool:
        with self._lock:
            self.count += 1
        return True

    def wait_for_more_looks(self, looks: int = 4) -> None:
        """Until the worker has looked at its commands `looks` more times: enough that one stepping when it
        should not would have finished a step meanwhile (it asks up to three times per step)."""
        seen = self.count
        wait_until(lambda: self.count >= seen + looks, what=f"{looks} more looks at the commands")


# ---------------------------------------------------------------- models and settings


def test_the_live_cnn_has_a_5x5_first_layer_and_the_pretrained_one_keeps_3x3():
    live = build_model("cnn", LiveConfig(), torch.Generator().manual_seed(0))
    assert live.conv1.kernel_size == (5, 5) and live.conv2[0].kernel_size == (3, 3)
    assert load_digit_model("cnn")[0].conv1.kernel_size == (3, 3)
    assert isinstance(live, DigitCNN)


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"kinds": ()}, "CNN, the RNN or both"),
        ({"kinds": ("mlp",)}, "CNN, the RNN or both"),
        ({"learning_rate": -1.0}, "learning rate"),
        ({"learning_rate": float("nan")}, "learning rate"),
        ({"optimiser": "lion"}, "optimiser"),
        ({"batch_size": 0}, "batch size"),
        ({"max_seconds": 0.0}, "time budget"),
    ],
)
def test_impossible_settings_are_refused_in_words(settings, words):
    with pytest.raises(LiveConfigError, match=words):
        LiveConfig(**settings)


def test_a_seed_gives_the_same_start_whatever_the_global_generator_does(data):
    torch.manual_seed(1)
    a = LiveRun(small(seed=5), data).learners["cnn"].model
    torch.manual_seed(2)
    b = LiveRun(small(seed=5), data).learners["cnn"].model
    c = LiveRun(small(seed=6), data).learners["cnn"].model
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    assert not torch.equal(a.conv1.weight, c.conv1.weight)


def test_a_few_steps_teach_both_models_something(data):
    run = run_to_end(LiveRun(small(max_steps=60), data))
    for kind, learner in run.learners.items():
        curve = learner.heldout.rows()
        assert curve[0, 0] == 0 and curve[-1, 0] == 60, kind  # scored before the first step and after the last
        assert curve[0, 4] < 0.25, kind  # random weights: about chance
        assert curve[-1, 4] > curve[0, 4] + 0.2, kind
        assert len(learner.train) == 60
    assert run.finished == "steps"


def test_the_step_budget_and_the_time_budget_each_end_a_run(data):
    assert run_to_end(LiveRun(small(max_steps=3), data)).steps == 3
    timed = run_to_end(LiveRun(small(max_steps=100_000, max_seconds=0.5), data))
    assert timed.finished == "seconds" and 0.5 <= timed.cpu_seconds < 5


def test_a_learning_rate_of_zero_moves_no_weight(data):
    run = LiveRun(small(kinds=("cnn",), learning_rate=0.0, max_steps=5), data)
    before = {k: v.clone() for k, v in run.learners["cnn"].model.named_parameters()}
    run_to_end(run)
    after = dict(run.learners["cnn"].model.named_parameters())
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_a_huge_learning_rate_is_caught_as_divergence(data):
    run = run_to_end(LiveRun(small(learning_rate=1e6, max_steps=50), data))
    assert run.finished == "diverged"
    for learner in run.learners.values():
        assert learner.divergence is not None and learner.divergence.step < 50
        loss = learner.divergence.loss
        assert not np.isfinite(loss) or loss > DIVERGED_LOSS
    summary = run.summary()
    assert all(m["diverged_at_step"] is not None for m in summary["models"].values())


def test_the_rnn_is_scored_after_every_row_and_the_cnn_shows_its_filters_moving(data):
    run = run_to_end(LiveRun(small(max_steps=30), data))
    rnn, cnn = run.learners["rnn"], run.learners["cnn"]
    assert rnn.evaluation.rows_accuracy.shape == (28,)
    assert rnn.evaluation.rows_accuracy[-1] == pytest.approx(rnn.evaluation.accuracy)
    picture = cnn.picture
    assert picture.filters.shape == cnn.initial_filters.shape == (8, 5, 5)
    assert picture.fixed_maps.shape == (8, 28, 28)
    assert np.all(picture.filter_cosine < 1.0) and np.all(picture.filter_change > 0)
    assert cnn.evaluation.confusion.sum() == len(data.heldout_labels)


def test_batch_norm_is_measured_afresh_before_scoring():
    torch.manual_seed(0)
    model = DigitCNN(LiveConfig().model_config("cnn"))
    images = torch.rand(64, 1, 28, 28)
    model.conv2[1].momentum = 0.3  # not torch's default, so putting it back shows
    model.eval()
    recalibrate_batch_norm(model, images, chunk=64)
    with torch.no_grad():
        inputs = model.conv2[0](torch.relu(model.conv1(images)))  # what conv2's batch norm normalises
    torch.testing.assert_close(model.conv2[1].running_mean, inputs.mean(dim=(0, 2, 3)))
    assert model.conv2[1].momentum == 0.3 and not model.training  # the model's own settings are put back


# ---------------------------------------------------------------- workers and the pool


def test_a_worker_steps_plays_pauses_and_resets(data, monkeypatch):
    monkeypatch.setattr("live.worker.POLL_S", 0.01)  # a paused worker looks at its commands every 10 ms
    polls = Polls()
    worker = Worker(LiveRun(small(max_steps=10_000), data), TrainingPool(1), alive=polls)
    worker.step()
    wait_until(lambda: worker.job.steps == 1 and not worker.busy, what="one step")
    polls.wait_for_more_looks()
    assert worker.job.steps == 1 and worker.status().state == "paused"
    worker.play()
    wait_until(lambda: worker.job.steps >= 5, what="playing")
    worker.pause()
    wait_until(lambda: not worker.busy, what="pause")
    paused_at = worker.job.steps
    polls.wait_for_more_looks()
    assert worker.job.steps == paused_at and worker.status().state == "paused"
    worker.play()
    wait_until(lambda: worker.job.steps > paused_at, what="resume")
    run = worker.job
    worker.stop()  # reset while training
    assert worker.join(30)
    assert worker.job is None and worker.status().state == "stopped" and run.finished == "stopped"
    assert worker.pool.load().running == 0


def test_with_one_slot_the_second_session_waits_its_turn_then_runs(data):
    pool = TrainingPool(1)
    first = Worker(LiveRun(small(max_steps=10_000), data), pool)
    second = Worker(LiveRun(small(max_steps=10_000), data), pool)
    first.play()
    wait_until(lambda: first.status().state == "running", what="the first to run")
    second.play()
    wait_until(lambda: second.status().state == "queued", what="the second to queue")
    assert second.status().queue_position == 1 and pool.load().waiting == 1
    queued_at = first.job.steps
    wait_until(lambda: first.job.steps >= queued_at + 5, what="the first to train on")
    assert second.job.steps == 0 and second.status().state == "queued"  # still waiting while the first trains
    first.pause()  # a paused run gives its slot up
    wait_until(lambda: second.job.steps > 0, what="the second to run")
    assert second.status().state == "running"
    for worker in (first, second):
        worker.stop()
        assert worker.join(30)
    assert pool.load() == type(pool.load())(1, 0, 0, 0)


def test_a_closed_session_frees_its_worker_and_its_models(data):
    session_open = threading.Event()
    session_open.set()
    pool = TrainingPool(1)
    worker = Worker(LiveRun(small(max_steps=100_000), data), pool, alive=session_open.is_set, grace_s=0.3)
    model = weakref.ref(worker.job.learners["cnn"].model)
    worker.play()
    wait_until(lambda: worker.job is not None and worker.job.steps > 2, what="training")
    session_open.clear()  # the tab closes
    assert worker.join(30), "the worker thread must end"
    assert worker.job is None and pool.load().running == 0 and pool.load().workers == 0
    gc.collect()
    assert model() is None, "the session's model must be freed"


def test_a_paused_run_in_a_closed_session_is_freed_too(data):
    session_open = threading.Event()
    session_open.set()
    worker = Worker(LiveRun(small(), data), TrainingPool(1), alive=session_open.is_set, grace_s=0.3)
    worker.step()
    wait_until(lambda: worker.job.steps == 1 and not worker.busy, what="one step")
    session_open.clear()
    assert worker.join(30) and worker.job is None


class Failing:
    """A job that breaks on its third step."""

    finished = None
    steps = 0

    def advance(self, force_evaluation: bool = False) -> None:
        self.steps += 1
        if self.steps == 3:
            raise RuntimeError("out of cheese")

    def stop(self, reason: str) -> None:
        self.finished = reason


def test_a_failing_job_says_why_and_gives_its_slot_back():
    pool = TrainingPool(1)
    worker = Worker(Failing(), pool)
    worker.play()
    assert worker.join(30)
    status = worker.status()
    assert status.error == "RuntimeError: out of cheese" and status.finished == "error" and not worker.busy
    assert worker.job is not None  # kept, so the page can say what happened
    assert pool.load().running == 0 and pool.load().workers == 0


def test_two_sessions_training_at_once_never_share_curves_or_weights(data):
    """Each run, trained beside another with other settings, ends exactly where it ends alone."""
    settings = [small(conv_filters=4, learning_rate=1e-3, seed=1, max_steps=25),
                small(conv_filters=8, learning_rate=3e-3, seed=2, max_steps=40, batch_size=32)]  # fmt: skip
    pool = TrainingPool(2)
    workers = [Worker(LiveRun(config, data), pool) for config in settings]
    for worker in workers:
        worker.play()
    wait_until(lambda: all(w.job.finished for w in workers), what="both runs")
    alone = []
    for config in settings:  # the same runs, one at a time, on the same path
        solo = Worker(LiveRun(config, data), TrainingPool(1))
        solo.play()
        wait_until(lambda solo=solo: solo.job.finished, what="a run alone")
        alone.append(solo.job)
    for worker, solo, config in zip(workers, alone, settings, strict=True):
        view = worker.job.view()
        assert view.config == config and view.steps == config.max_steps
        assert len(view.learners["cnn"].train) == config.max_steps
        for kind, learner in worker.job.learners.items():
            # The weights, not batch norm's running statistics: those are re-measured at each scoring, and
            # when scoring happens depends on CPU time.
            ours, theirs = dict(learner.model.named_parameters()), dict(solo.learners[kind].model.named_parameters())
            assert all(torch.equal(ours[k], theirs[k]) for k in ours), kind
    cnn_a, cnn_b = (w.job.learners["cnn"].model for w in workers)
    assert cnn_a is not cnn_b and cnn_a.conv1.weight.shape[0] == 4 and cnn_b.conv1.weight.shape[0] == 8
    for worker in workers:
        worker.stop()


# ---------------------------------------------------------------- symbols


def drawn(symbol: str, count: int, rng) -> list[np.ndarray]:
    return [preprocess(symbol_drawing(symbol, rng)).final for _ in range(count)]


def test_too_few_drawings_are_refused_in_words():
    with pytest.raises(SymbolError, match="has 1 drawing: draw at least 5"):
        split_drawings("star", [np.zeros((28, 28))])
    with pytest.raises(SymbolError, match="Draw at least"):
        check_symbols([])
    with pytest.raises(SymbolError, match="name"):
        split_drawings("  ", [np.zeros((28, 28))] * MIN_EXAMPLES)
    twice = split_drawings("tick", [np.zeros((28, 28))] * MIN_EXAMPLES)
    with pytest.raises(SymbolError, match="share a name"):
        check_symbols([twice, twice])
    with pytest.raises(SymbolError, match="already a digit"):
        check_symbols([split_drawings("7", [np.zeros((28, 28))] * MIN_EXAMPLES)])


def test_every_fifth_drawing_is_held_back():
    symbol = split_drawings("tick", [np.full((28, 28), i, dtype=np.float32) for i in range(11)])
    assert [int(d[0, 0]) for d in symbol.heldback] == [4, 9]
    assert len(symbol.train) == 9


def test_the_cnn_learns_two_symbols_from_five_drawings_and_keeps_its_digits(data):
    rng = np.random.default_rng(0)
    base, _ = load_digit_model("cnn")
    before = {name: value.clone() for name, value in base.state_dict().items()}
    symbols = [split_drawings(name, drawn(name, 10, rng)) for name in list(SYMBOLS)[:2]]
    config = AugmentConfig()
    lesson = SymbolLesson(base, symbols, data, lambda x, g: augment(x, config, g))
    while not lesson.finished:
        lesson.advance()
    view = lesson.view()
    assert view.finished == "steps" and view.classifier is not None
    assert view.per_symbol_accuracy.tolist() == [1.0, 1.0]  # two held-back drawings of each
    assert view.mnist_accuracy >= 0.95
    assert view.classifier.labels[-2:] == tuple(SYMBOLS)[:2]
    star = preprocess(symbol_drawing("star", rng)).final
    assert view.classifier.labels[int(view.classifier.probabilities(star).argmax())] == "star"
    after = base.state_dict()  # the base, which may be the server's shared model, is left as it was
    assert all(torch.equal(before[name], after[name]) for name in before)


def test_a_class_shares_the_trainer_equally_and_the_next_run_alone_keeps_its_budget(data):
    """With fair shares on: a run that would train for 60 CPU seconds stops at its share once another queues,
    the one that queued gets the same share though nobody waits behind it (one class, one share), and a run
    started after the class's turn is over keeps the budget it asked for."""
    pool = TrainingPool(1, class_wait_s=3.0, min_share_s=0.1)  # a class of 2 on 1 slot: 1.5 s each
    first = Worker(LiveRun(small(max_steps=1_000_000), data), pool)
    first.play()
    wait_until(lambda: first.job.steps > 0, what="the first run computing")
    second = Worker(LiveRun(small(max_steps=1_000_000, max_seconds=2.0), data), pool)
    second.play()
    assert second.status().state == "queued" and second.status().queue_position == 1  # at once, not "Ready"
    wait_until(lambda: first.job.finished and second.job.finished, timeout=60, what="the class's two runs")
    for worker, asked in ((first, 60.0), (second, 2.0)):
        view = worker.job.view()
        assert view.finished == "seconds" and view.config.max_seconds == asked
        # The share, exactly: the first run had spent well under 1.5 s when the second joined.
        assert view.max_seconds == 1.5 and view.shortened_for == 1
    wait_until(lambda: pool.load().running == 0, what="the pool idle")
    alone = Worker(LiveRun(small(max_steps=1_000_000, max_seconds=0.8), data), pool)
    alone.play()
    wait_until(lambda: alone.job.finished, timeout=60, what="a run after the class")
    assert alone.job.view().max_seconds == 0.8 and alone.job.view().shortened_for == 0
    for worker in (first, second, alone):
        worker.stop()


def test_a_run_paused_before_its_turn_leaves_the_line(data):
    pool = TrainingPool(1)
    first = Worker(LiveRun(small(max_steps=1_000_000, max_seconds=3.0), data), pool)
    first.play()
    wait_until(lambda: first.job.steps > 0, what="the first run computing")
    second = Worker(LiveRun(small(), data), pool)
    second.play()
    assert pool.load().waiting == 1
    second.pause()
    wait_until(lambda: pool.load().waiting == 0 and second.status().state == "paused", what="out of the line")
    for worker in (first, second):
        worker.stop()


def test_a_fair_share_never_falls_below_the_smallest_budget():
    pool = TrainingPool(1, class_wait_s=120.0, min_share_s=5.0)
    assert pool.fair_share() is None  # nobody waits
    tickets, class_gone = [pool.ticket() for _ in range(31)], threading.Event()
    assert pool.acquire(tickets[0], cancelled=class_gone.is_set)
    waiters = [threading.Thread(target=pool.acquire, args=(t, class_gone.is_set), daemon=True) for t in tickets[1:]]
    for waiter in waiters:
        waiter.start()
    wait_until(lambda: pool.load().waiting == 30, what="30 in line")
    share = pool.fair_share()
    assert share.waiting == 30 and share.seconds == 5.0  # a class of 31: 120 s / 31 = 3.9 s is below the floor
    class_gone.set()
    for waiter in waiters:
        waiter.join(5)
    pool.release(tickets[0])
    assert pool.load().waiting == 0 and pool.fair_share() is None
    assert TrainingPool(2, class_wait_s=120.0).fair_share() is None
    with pytest.raises(ValueError):
        TrainingPool(1, class_wait_s=0)


def test_the_shortened_budget_is_told_in_words_for_one_and_for_many():
    from figures.live import run_status, shortened_note
    from live.worker import WorkerStatus

    assert shortened_note(60, 60, 0) == "" and shortened_note(60, 60, 3) == ""  # never shortened
    assert "from 60 to 5 CPU seconds because 29 other runs were waiting" in shortened_note(60, 5, 29)
    assert "because another run was waiting" in shortened_note(30, 12.5, 1)
    assert "from 1,000,000 to 0.2 CPU seconds because 1,200 other runs" in shortened_note(1e6, 0.2, 1200)
    _, sentence = run_status(WorkerStatus("finished", None, "seconds", None), 300, 5.1, 5, 20_000, 60, 29)
    assert sentence.startswith("Done: the run used its CPU budget. (step 300 of at most 20,000; 5.1 of 5 CPU")
    assert "Shortened from 60 to 5" in sentence
    _, running = run_status(WorkerStatus("running", None, None, None), 10, 1.0, 30, 20_000, 30, 0)
    assert "Shortened" not in running
