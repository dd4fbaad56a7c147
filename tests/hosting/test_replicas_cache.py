"""Identical work done once per replica: sessions on the same text share its tagging and corrections
(ui/resources.py tagged_text, text_corrections; st.cache_data), and each text still gets its own; on the
comparison page, a sentence's explanations and a digit's occlusion maps (compared_explanations,
digit_occlusions)."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import models.ner
import models.speller
from runtime import PROJECT_ROOT
from ui import resources

ROOT = PROJECT_ROOT
TIMEOUT = 60


def counted(monkeypatch, *targets) -> dict[str, int]:
    """Count the calls of each (module, function name) in `targets`, by name, with Streamlit's caches
    cleared first: how often the page's pure work really ran."""
    counts = dict.fromkeys((name for _, name in targets), 0)
    for module, name in targets:
        monkeypatch.setattr(module, name, _counting(getattr(module, name), name, counts))
    st.cache_data.clear()
    return counts


def _counting(real, name: str, counts: dict[str, int]):
    def wrapper(*args, **kwargs):
        counts[name] += 1
        return real(*args, **kwargs)

    return wrapper


@pytest.fixture
def calls(monkeypatch):
    yield counted(monkeypatch, (models.ner, "tag"), (models.speller, "correct_text"))
    st.cache_data.clear()


def session(text: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "views/text.py"), default_timeout=TIMEOUT)
    at.query_params["text_input"] = text
    return at.run()


def entities(at: AppTest) -> str:
    return at.get("html")[0].proto.body if at.get("html") else ""


def test_sessions_on_the_same_text_share_one_computation(calls):
    first = session("Angela Merkel visited Paris on Monday .")
    assert not first.exception
    assert calls == {"tag": 1, "correct_text": 2}  # with and without the RNN's context
    # A second session (a second student on the same preset), and a rerun of the first: nothing recomputed.
    second = session("Angela Merkel visited Paris on Monday .")
    first.toggle(key="text_no_rnn").set_value(True).run()
    assert not second.exception and not first.exception
    assert calls == {"tag": 1, "correct_text": 2}
    assert entities(second) == entities(first) and "Angela Merkel" in entities(second)


def test_each_text_gets_its_own_result(calls):
    merkel = session("Angela Merkel visited Paris on Monday .")
    mandela = session("Nelson Mandela spoke in Nairobi .")
    assert calls == {"tag": 2, "correct_text": 4}
    assert "Nelson Mandela" in entities(mandela) and "Nelson Mandela" not in entities(merkel)
    assert "Angela Merkel" not in entities(mandela)


def test_the_caches_are_bounded():
    for cached in (resources.tagged_text, resources.text_corrections):
        assert cached._info.max_entries == resources.TEXT_CACHE_ENTRIES  # where Streamlit records the bound


@pytest.fixture
def compare_calls(monkeypatch):
    import models.compare
    import models.occlusion

    yield counted(monkeypatch, (models.compare, "explain_both"), (models.occlusion, "digit_occlusion"))
    st.cache_data.clear()


def compare_session(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "views/compare.py"), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_the_comparison_page_explains_a_sentence_and_occludes_a_digit_once(compare_calls):
    sentence = {"compare_tab": "The same sentence", "compare_text": "Angela Merkel visited Paris on Monday ."}
    first, second = compare_session(**sentence), compare_session(**sentence)
    assert not first.exception and not second.exception
    assert compare_calls["explain_both"] == 1
    other = compare_session(compare_tab="The same sentence", compare_text="Nelson Mandela spoke in Nairobi .")
    assert not other.exception and compare_calls["explain_both"] == 2

    digit = {"compare_tab": "The same digit", "compare_gallery": "5"}
    first, second = compare_session(**digit), compare_session(**digit)
    assert not first.exception and not second.exception
    assert compare_calls["digit_occlusion"] == 1
    assert not compare_session(compare_tab="The same digit", compare_gallery="6").exception
    assert compare_calls["digit_occlusion"] == 2
    for cached in (resources.compared_explanations, resources.digit_occlusions):
        assert cached._info.max_entries > 0
