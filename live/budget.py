"""When a live job has spent its budget: one rule for a training run and a symbol lesson alike."""

from __future__ import annotations

# The smallest CPU budget a run may have: the page's slider starts here, and a fair share never goes below it
# (the CNN alone passes 97% held-out in about 4 s of CPU: benchmarks/live_training.py).
MIN_BUDGET_S = 5


def spent(steps: int, max_steps: int, cpu_seconds: float, max_seconds: float) -> str | None:
    """ "steps" or "seconds" once either budget is used up (steps are checked first), else None."""
    if steps >= max_steps:
        return "steps"
    if cpu_seconds >= max_seconds:
        return "seconds"
    return None
