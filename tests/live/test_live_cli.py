"""The headless contract: `python -m live {cnn,rnn,both} --seconds S [--threads 1] [--seed N]` prints JSON
with each model's held-out accuracy, the examples seen, the steps and the seconds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from runtime import PROJECT_ROOT

ROOT = PROJECT_ROOT


def live(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "live", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_both_models_within_a_cpu_budget():
    result = live("both", "--seconds", "2", "--threads", "1", "--seed", "3")
    assert set(result["heldout_accuracy"]) == {"cnn", "rnn"}
    assert all(0.0 <= a <= 1.0 for a in result["heldout_accuracy"].values())
    assert result["finished"] == "seconds" and 2.0 <= result["seconds"] < 6.0
    assert result["steps"] > 0 and result["examples_seen"] == result["steps"] * 64
    for model in result["models"].values():
        assert model["steps"] == result["steps"] and model["examples_seen"] == result["examples_seen"]
        assert 0 < model["seconds"] <= result["seconds"]
    assert result["config"]["seed"] == 3 and result["threads"] == 1


@pytest.mark.parametrize("kind", ["cnn", "rnn"])
def test_one_model_dry_run(kind):
    result = live(kind, "--dry-run", "--curves")
    assert list(result["heldout_accuracy"]) == [kind] and result["steps"] == 20
    curve = result["models"][kind]["heldout_curve"]
    assert curve[0][1] == 0 and curve[-1][1] == 20 * 64  # scored at the start and at the end


def test_a_seed_repeats_the_run():
    first, second = (live("cnn", "--dry-run", "--seed", "7") for _ in range(2))
    assert first["heldout_accuracy"] == second["heldout_accuracy"]
