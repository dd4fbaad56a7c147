"""An optional record of how long each script run takes on the server.

benchmarks/digit_page.py sets CNNRNN_RUN_TIMES to a file and reads back, for each
stroke it draws in a real browser, how long the server spent on the rerun it caused.
Unset (the normal case), this costs nothing.
"""

import contextlib
import os
import threading
import time

_lock = threading.Lock()


@contextlib.contextmanager
def timed_run(page: str):
    path = os.environ.get("CNNRNN_RUN_TIMES")
    if not path:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed_ms = (time.perf_counter() - start) * 1000
        with _lock, open(path, "a") as fh:
            fh.write(f"{page}\t{elapsed_ms:.3f}\n")
