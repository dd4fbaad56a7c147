"""Browser, drawing, AppTest and live-training fixtures shared by tests/ and benchmarks/."""
