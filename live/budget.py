"""When a live job has spent its budget: one rule for a training run and a symbol lesson alike."""

from __future__ import annotations


def spent(steps: int, max_steps: int, cpu_seconds: float, max_seconds: float) -> str | None:
    """ "steps" or "seconds" once either budget is used up (steps are checked first), else None."""
    if steps >= max_steps:
        return "steps"
    if cpu_seconds >= max_seconds:
        return "seconds"
    return None
