"""Live training, free of streamlit: runs (run.py), symbol lessons (symbols.py), their budget (budget.py),
the worker pool (worker.py) and the headless command (`python -m live`)."""
