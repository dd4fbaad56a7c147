"""The committed speller, loaded once per test module and shared by every speller test."""

import pytest

from models import checkpoint
from models.speller import load_speller


@pytest.fixture(scope="module")
def speller_and_manifest():
    try:
        return load_speller()
    except checkpoint.WeightsError as exc:
        pytest.fail(f"committed speller weights missing: {exc}")


@pytest.fixture(scope="module")
def speller(speller_and_manifest):
    return speller_and_manifest[0]
