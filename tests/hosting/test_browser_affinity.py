"""ui/affinity.py's watcher in headless Chromium, on one server told an affinity cookie's name: the page
reloads itself when the cookie names another replica, and only then, in normal and in presentation mode.
The whole path, with HAProxy and a killed replica, is in tests/hosting/test_replicas_browser.py.

Skips when Chromium or Playwright is missing, except under CI, where that is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.browser import chromium_available, skip_or_fail, streamlit_server
from ui.affinity import AFFINITY_COOKIE_ENV, CHECK_MS

pytestmark = pytest.mark.browser

COOKIE = "TEST_AFFINITY"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    if not chromium_available():
        skip_or_fail("needs /usr/bin/chromium and the playwright package (pip install -r requirements-dev.txt)")
    with streamlit_server(env={"CNNRNN_WEIGHTS": None, AFFINITY_COOKIE_ENV: COOKIE}) as url:
        yield url


@pytest.mark.parametrize("query", ["", "?present=1"], ids=["normal", "presenting"])
def test_the_page_reloads_when_the_cookie_names_another_replica_and_only_then(browser, app_url, query):
    context = browser.new_context()
    context.add_cookies([{"name": COOKIE, "value": "r0", "url": app_url}])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{app_url}/text{query}")
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(state="attached")
    page.wait_for_function("() => window.affinityWatch === true")
    page.evaluate("window.sameLoad = true")

    context.add_cookies([{"name": COOKIE, "value": "r0", "url": app_url}])  # the same replica: nothing moved
    page.wait_for_timeout(4 * CHECK_MS)
    assert page.evaluate("window.sameLoad") is True

    context.add_cookies([{"name": COOKIE, "value": "r1", "url": app_url}])  # the session moved
    page.wait_for_function("() => window.sameLoad === undefined")
    page.wait_for_function("() => window.affinityWatch === true")  # the reloaded page watches again
    assert page.url.endswith(f"/text{query}")
    context.close()


def test_without_a_balancer_nothing_is_installed(browser):
    with streamlit_server(env={"CNNRNN_WEIGHTS": None, AFFINITY_COOKIE_ENV: None}) as url:
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/text")
        page.get_by_text("Presentation mode").wait_for()  # drawn just before the watcher would be
        page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(state="attached")
        assert page.evaluate("window.affinityWatch") is None
        page.close()
