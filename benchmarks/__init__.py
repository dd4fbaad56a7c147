"""Speed, memory and load targets, run as python -m benchmarks.NAME from the repository root."""
