"""Helpers for the real-browser tests and the digit-page benchmark: a Streamlit server,
headless Chromium, and digits drawn with the mouse.

Not a test module: pytest collects only test_*.py.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from deploy.replicas import merged_env, wait_healthy
from ui.inputs import CANVAS_SIZE

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

Point = tuple[float, float]
Stroke = Sequence[Point]


def chromium_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return CHROMIUM.exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cluster_ports(replicas: int, attempts: int = 50) -> tuple[int, int, int]:
    """(HAProxy's port, its stats port, the first of `replicas` consecutive replica ports): distinct and free.

    Separate free_port() calls can return one port twice (the kernel reuses a port once its socket closes),
    and the port after a free one may be taken, so every port stays bound until all are chosen.
    """
    with contextlib.ExitStack() as held:

        def hold(port: int = 0) -> int | None:
            sock = held.enter_context(socket.socket())
            try:
                sock.bind(("127.0.0.1", port))
            except (OSError, OverflowError):  # taken, or past 65535
                return None
            return sock.getsockname()[1]

        port, stats = hold(), hold()
        for _ in range(attempts):
            first = hold()
            if all(hold(first + offset) for offset in range(1, replicas)):
                return port, stats, first
    raise RuntimeError(f"no {replicas} consecutive free ports found in {attempts} tries")


@contextlib.contextmanager
def streamlit_server(
    port: int | None = None, env: Mapping[str, str | None] | None = None, timeout: float = 60.0
) -> Iterator[str]:
    """Run `streamlit run app.py` from the repo root and yield its base URL once healthy.

    `env` overrides the inherited environment; a value of None removes that variable.
    """
    port = port or free_port()
    # A file rather than a pipe: nobody reads a pipe while tests run, and a full one blocks the server.
    with tempfile.TemporaryFile() as log:
        process = start_streamlit(port, env, log)
        try:
            base_url = f"http://localhost:{port}"
            wait_healthy(f"{base_url}/_stcore/health", process, timeout, "streamlit", log)
            yield base_url
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """Ask the server to exit; kill it if it has not within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_streamlit(port: int, env: Mapping[str, str | None] | None = None, log=subprocess.DEVNULL) -> subprocess.Popen:
    """`streamlit run app.py` on `port`, headless, from the repo root; returns at once.
    `env` overrides the inherited environment; a value of None removes that variable."""
    server_env = merged_env(dict(env or {}))
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.port", str(port), "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=REPO_ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT)


def metric_value(page, label: str) -> str:
    """The value shown by the st.metric labelled `label`, once visible."""
    name = page.locator('[data-testid="stMetricLabel"]').filter(has_text=label)
    value = page.locator('[data-testid="stMetric"]').filter(has=name).locator('[data-testid="stMetricValue"]')
    value.wait_for(state="visible")
    return value.inner_text().strip()


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def canvas_locator(page):
    # The canvas lives in an open shadow root; Playwright's CSS engine pierces it.
    return page.locator("canvas.upper-canvas")


def wait_for_idle_script(page) -> None:
    """Wait until the app's current script run has finished."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(state="attached")


def clear_canvas(page) -> None:
    """Click "Clear the canvas" and wait for the new, empty canvas to replace the old one.

    The info prompt can come back before the canvas component remounts, so it is no sign
    that the canvas is ready to draw on.
    """
    old_canvas = canvas_locator(page).element_handle()
    page.get_by_role("button", name="Clear the canvas").click()
    page.wait_for_function("canvas => !canvas.isConnected", arg=old_canvas)
    canvas_locator(page).wait_for(state="visible")


# True when the canvas itself is what the mouse hits at its left and right edges. Not the top
# edge: the canvas's own toolbar, invisible until hovered, lies over the top 30 px of its right half.
CANVAS_UNCOVERED = """
canvas => {
  const r = canvas.getBoundingClientRect();
  const xs = [r.left + 2, r.right - 2], ys = [(r.top + r.bottom) / 2, r.bottom - 2];
  return xs.every(x => ys.every(y => canvas.getRootNode().elementFromPoint(x, y) === canvas));
}
"""


def draw_strokes(page, strokes: Sequence[Stroke], pixels_per_move: float = 15.0) -> None:
    """Draw each stroke, a polyline in canvas pixels (0..280), with the mouse."""
    canvas = canvas_locator(page)
    canvas.wait_for(state="visible")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    if not canvas.evaluate(CANVAS_UNCOVERED):
        # Mouse events would land on whatever hides the canvas: fail here, not with a missing prediction.
        raise AssertionError(f"part of the canvas is hidden or clipped (its box: {box}); is the viewport too narrow?")
    # The canvas may be displayed smaller than its 280 px drawing surface.
    scale_x, scale_y = box["width"] / CANVAS_SIZE, box["height"] / CANVAS_SIZE
    for stroke in strokes:
        (x0, y0), *rest = stroke
        page.mouse.move(box["x"] + x0 * scale_x, box["y"] + y0 * scale_y)
        page.mouse.down()
        for x, y in rest:
            # Moves along long segments too, as a hand would make: the freehand brush smooths
            # between the points it gets, and would round off a long straight edge.
            steps = max(1, round(np.hypot(x - x0, y - y0) / pixels_per_move))
            page.mouse.move(box["x"] + x * scale_x, box["y"] + y * scale_y, steps=steps)
            x0, y0 = x, y
        page.mouse.up()


def pen_strokes_listed(page, count: int) -> None:
    """On the pen page: wait until its table of answers after each stroke has `count` rows, and the run that
    drew it has ended (so the metrics beside it are this drawing's)."""
    table = page.locator(".st-key-pen_answer [data-testid='stDataFrame']")
    table.wait_for(state="visible")
    page.wait_for_function(
        "([root, n]) => root.isConnected && root.querySelectorAll('[role=\"row\"]').length === n + 1",
        arg=[table.element_handle(), count],
    )
    wait_for_idle_script(page)


def _ellipse(cx: float, cy: float, rx: float, ry: float, points: int = 28) -> list[Point]:
    # From the top, clockwise, a little past the start so the loop closes as a hand-drawn 0 does.
    angles = -np.pi / 2 + np.linspace(0, 2 * np.pi + 0.3, points)
    return [(float(cx + rx * np.cos(a)), float(cy + ry * np.sin(a))) for a in angles]


def digit_strokes() -> dict[str, list[list[Point]]]:
    """Polyline drawings of a few digits, in 280x280 canvas pixels, one list of strokes each.

    Every point has y >= 45, clear of where the canvas toolbar rests (see CANVAS_UNCOVERED).
    """
    return {
        "7": [[(85, 60), (195, 60), (170, 110), (145, 165), (125, 220)]],
        "1": [[(150, 50), (143, 135), (136, 225)]],
        "0": [_ellipse(140, 140, 55, 85)],
        "4": [[(120, 50), (90, 160), (190, 160)], [(165, 90), (160, 230)]],
    }


def skip_or_fail(reason: str) -> None:
    """Skip, saying why; under CI a browser test that cannot run is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser tests must run")
    pytest.skip(reason)


@contextlib.contextmanager
def app_with_weights(required: Sequence[str], rebuild: str) -> Iterator[str]:
    """The real app on the committed weights (whatever CNNRNN_WEIGHTS says), or a skip."""
    if not chromium_available():
        skip_or_fail("needs /usr/bin/chromium and the playwright package (pip install -r requirements-dev.txt)")
    missing = [name for name in required if not (REPO_ROOT / "weights" / name).exists()]
    if missing:
        skip_or_fail(f"weights/{', weights/'.join(missing)} missing: run `{rebuild}`")
    with streamlit_server(env={"CNNRNN_WEIGHTS": None}) as url:
        yield url


def browser_fixtures(
    required: Sequence[str],
    rebuild: str,
    *,
    viewport: Mapping[str, int],
    path: str | None = None,
    ready: Callable[[object], object] | None = None,
    timeout_ms: float = 60_000,
):
    """A browser-test module's two fixtures, as `app_url, page = browser_fixtures(...)`: `app_url`, the real app
    on the committed weights for the whole module (app_with_weights: `required` under weights/, else a skip that
    names `rebuild`); `page`, a fresh tab for each test, so a fresh Streamlit session that sees no other test's
    input, of size `viewport`, at `path` on the app when one is given, and returned once `ready(page)` has.

    The tab uses the `browser` fixture (tests/conftest.py), which starts Chromium once per module.
    """

    @pytest.fixture(scope="module", name="app_url")
    def app_url() -> Iterator[str]:
        with app_with_weights(required, rebuild) as url:
            yield url

    @pytest.fixture(name="page")
    def page(browser, app_url):
        tab = browser.new_page(viewport=dict(viewport))
        tab.set_default_timeout(timeout_ms)
        if path is not None:
            tab.goto(f"{app_url}{path}")
            if ready is not None:
                ready(tab)
        yield tab
        tab.close()

    return app_url, page


def touch_strokes(page, strokes: Sequence[Stroke], pixels_per_move: float = 10.0) -> None:
    """Draw each stroke with a finger: real touch events through Chromium's input pipeline
    (DevTools Input.dispatchTouchEvent), as a phone sends them, not mouse events."""
    canvas = canvas_locator(page)
    canvas.wait_for(state="visible")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    scale_x, scale_y = box["width"] / CANVAS_SIZE, box["height"] / CANVAS_SIZE
    session = page.context.new_cdp_session(page)

    def touch(kind: str, x: float | None = None, y: float | None = None) -> None:
        points = [] if x is None else [{"x": box["x"] + x * scale_x, "y": box["y"] + y * scale_y, "id": 1}]
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    for stroke in strokes:
        (x0, y0), *rest = stroke
        touch("touchStart", x0, y0)
        for x, y in rest:
            steps = max(1, round(np.hypot(x - x0, y - y0) / pixels_per_move))
            for t in np.linspace(0, 1, steps + 1)[1:]:
                touch("touchMove", x0 + (x - x0) * t, y0 + (y - y0) * t)
            x0, y0 = x, y
        touch("touchEnd")
    session.detach()
