"""Two replicas behind HAProxy (deploy/replicas.py), in headless Chromium: sessions are spread over both,
each stays on its replica and gets its own result; when a replica dies, its sessions come back on the live
one with their state from the URL, and HAProxy takes the dead replica out of rotation and back in.

Each session is its own browser context, so its own cookies, as separate users are. Which replica served a
session is read three ways: HAProxy's affinity cookie, the X-Replica header HAProxy adds to every HTTP
response (page, scripts, media), and HAProxy's count of connections open to each replica (the websockets).

Skips without Chromium, Playwright or haproxy, except under CI, where that is a failure.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest

from deploy.replicas import AFFINITY_COOKIE, Cluster
from harness.browser import REPO_ROOT, chromium_available, cluster_ports, skip_or_fail
from harness.waiting import wait_until
from tests.hosting.test_replicas import require_haproxy

pytestmark = pytest.mark.browser

REQUIRED_WEIGHTS = ("cnn.pt", "cnn.json", "mnist_gallery.npz")
# Generous: ten sessions and two servers share a loaded 2-core machine with their browsers.
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not chromium_available():
        skip_or_fail("needs /usr/bin/chromium and the playwright package (pip install -r requirements-dev.txt)")
    require_haproxy()
    missing = [name for name in REQUIRED_WEIGHTS if not (REPO_ROOT / "weights" / name).exists()]
    if missing:
        skip_or_fail(f"weights/{', weights/'.join(missing)} missing: run `python -m training.train_cnn`")
    with Cluster(2, *cluster_ports(2), host="127.0.0.1", env={"CNNRNN_WEIGHTS": None}) as running:
        yield running


@pytest.fixture(scope="module")
def app_url(cluster) -> str:
    return cluster.url


@pytest.fixture(scope="module")
def expected() -> dict[int, int]:
    """The CNN's prediction for each gallery digit, by its number in a link (1-based), computed offline."""
    from models.digits import load_digit_model, predict
    from ui.resources import GALLERY_FILE, weights_file

    model, _ = load_digit_model("cnn")
    with np.load(weights_file(GALLERY_FILE)) as archive:
        images = archive["images"]
    return {i + 1: predict(model, image).analysis.prediction for i, image in enumerate(images)}


@dataclass
class Session:
    context: object
    page: object
    digit: int  # the gallery digit it shows now, as in its URL
    replicas_seen: list[tuple[str, str | None]] = field(default_factory=list)  # (URL, its X-Replica)

    def cookie(self) -> str | None:
        return next((c["value"] for c in self.context.cookies() if c["name"] == AFFINITY_COOKIE), None)


def open_session(browser, url: str, digit: int) -> Session:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    session = Session(context, page, digit)
    page.on("response", lambda r: session.replicas_seen.append((r.url, r.headers.get("x-replica"))))
    page.goto(f"{url}/digits?digits_gallery={digit}")
    return session


def shows(session: Session, expected: dict[int, int]) -> None:
    """Wait until the page shows its digit's caption and that digit's offline prediction, with no error."""
    page = session.page
    page.get_by_text(f"Gallery digit #{session.digit}:").wait_for()
    value = page.locator('[data-testid="stMetricValue"]').filter(
        has_text=re.compile(rf"^\s*{expected[session.digit]}\s*$")
    )
    value.wait_for()
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(state="attached")
    assert page.locator('[data-testid="stException"]').count() == 0, f"a traceback on digit {session.digit}"


def pick(session: Session, digit: int) -> None:
    pills = session.page.get_by_role("radiogroup", name="Gallery digit")
    pills.get_by_role("radio", name=str(digit), exact=True).click()
    session.digit = digit


def wait_for(condition, what: str) -> None:
    wait_until(condition, what, timeout=120.0, interval=0.5)  # HAProxy's stats page, asked twice a second


def open_connections(cluster: Cluster) -> dict[str, int]:
    return {name: int(row["scur"]) for name, row in cluster.stats().items()}


def close_all(sessions: list[Session]) -> None:
    for session in sessions:
        session.context.close()


def test_ten_sessions_spread_over_two_replicas_each_sticky_and_correct(browser, cluster, expected):
    # Gallery digits 1, 4, 7, ... are labelled 0, 1, 2, ...: every session has its own answer.
    sessions: list[Session] = []
    try:
        for i in range(10):
            sessions.append(open_session(browser, cluster.url, 3 * i + 1))
        for session in sessions:
            shows(session, expected)
        # A second rerun each, through the same websocket, which fetches new media over HTTP.
        for i, session in enumerate(sessions):
            pick(session, 3 * ((i + 5) % 10) + 2)
        for session in sessions:
            shows(session, expected)

        cookies = [session.cookie() for session in sessions]
        assert set(cookies) == {"r0", "r1"}, f"sessions not spread over both replicas: {cookies}"
        for session, cookie in zip(sessions, cookies, strict=True):
            elsewhere = [(url, r) for url, r in session.replicas_seen if r != cookie]
            assert not elsewhere, f"session on digit {session.digit}, cookie {cookie}, also served by: {elsewhere}"
            assert len(session.replicas_seen) >= 5  # the page, its scripts, its media
        # Each session's websocket is one open connection on the replica its cookie names.
        per_replica = {name: cookies.count(name) for name in ("r0", "r1")}
        wait_for(lambda: open_connections(cluster) == per_replica, f"HAProxy's open connections == {per_replica}")
    finally:
        close_all(sessions)


IMAGES_LOADED = "() => [...document.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)"


def test_a_dead_replicas_sessions_recover_on_the_live_one_from_their_url(browser, cluster, expected):
    sessions: list[Session] = []
    try:
        # One at a time, each shown before the next opens: its websocket is open, so leastconn alternates.
        for i in range(6):
            sessions.append(open_session(browser, cluster.url, 3 * i + 2))
            shows(sessions[-1], expected)
        on_r0 = [s for s in sessions if s.cookie() == "r0"]
        on_r1 = [s for s in sessions if s.cookie() == "r1"]
        assert len(on_r0) >= 2 and on_r1, "sessions not spread over both replicas"

        for session in sessions:  # gone after a reload, kept by a page that never reloaded
            session.page.evaluate("window.sameLoad = true")
        killed_at = time.monotonic()
        cluster.kill_replica(0)
        # Streamlit's client reconnects by itself, and HAProxy sends it to r1; the new cookie tells the page's
        # script (ui/affinity.py) that its session moved, and it reloads the page from its URL: no user action.
        recovered_s = []
        for session in on_r0:
            session.page.wait_for_function("() => window.sameLoad === undefined", timeout=TIMEOUT_MS)
            shows(session, expected)
            session.page.wait_for_function(IMAGES_LOADED, timeout=TIMEOUT_MS)
            recovered_s.append(time.monotonic() - killed_at)
            assert session.cookie() == "r1"
        print(f"moved sessions working again {', '.join(f'{s:.1f}' for s in recovered_s)} s after the kill")
        wait_for(lambda: cluster.stats()["r0"]["status"].startswith("DOWN"), "HAProxy to mark r0 DOWN")
        # Within seconds (HAProxy's checks, the client's reconnection, a reload); loose for a loaded CI machine.
        assert max(recovered_s) < 30, recovered_s
        wait_for(lambda: open_connections(cluster) == {"r0": 0, "r1": len(sessions)}, "all websockets on r1")
        # The sessions that were on r1 all along never noticed: same page load, same answer.
        for session in on_r1:
            assert session.page.evaluate("window.sameLoad") is True
            shows(session, expected)
            assert session.cookie() == "r1"
        # A moved session goes on working on r1.
        pick(on_r0[0], 30)
        shows(on_r0[0], expected)

        # Back in rotation once it answers its health checks again; a new user goes to it.
        cluster.start_replica(cluster.replicas[0])
        wait_for(lambda: cluster.stats()["r0"]["status"] == "UP", "HAProxy to put r0 back UP")
        newcomer = open_session(browser, cluster.url, 29)
        sessions.append(newcomer)
        shows(newcomer, expected)
        assert newcomer.cookie() == "r0"  # leastconn: r1 holds every other session
    finally:
        close_all(sessions)
