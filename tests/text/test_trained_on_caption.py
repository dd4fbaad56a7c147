"""What the text page says the tagger was trained on (figures.text.trained_on_caption, read from the
manifest's data.corpora), and the page's lower-case and social-media presets under AppTest."""

import pytest
from streamlit.testing.v1 import AppTest

import runtime
from figures.text import trained_on_caption
from ui import resources
from ui.examples import LOWER_CASE, SOCIAL, TEXT_PRESETS

CONLL = {"name": "CoNLL-2003 English (Reuters news, 1996)", "sentences": 14041}
BTC = {
    "name": "Broad Twitter Corpus",
    "sentences": 6606,
    "citation": "Derczynski, Bontcheva and Roberts, COLING 2016",
    "licence": "CC BY 4.0",
}
# The sentence the page has always shown for a manifest without data.corpora.
LEGACY = " It was trained on {:,} sentences of Reuters news (CoNLL-2003)."
TIMEOUT = 90
needs_weights = pytest.mark.skipif(
    not (runtime.weights_dir() / "bilstm.pt").exists(), reason="the tagger's weights are not built yet"
)


def test_one_corpus():
    expected = "It was trained on 14,041 sentences of CoNLL-2003 English (Reuters news, 1996)."
    assert trained_on_caption([CONLL]) == expected


def test_one_corpus_with_its_citation_and_licence():
    assert trained_on_caption([BTC]) == (
        "It was trained on 6,606 sentences of Broad Twitter Corpus "
        "(Derczynski, Bontcheva and Roberts, COLING 2016; CC BY 4.0)."
    )


def test_two_corpora_add_up_and_each_keeps_its_count_and_citation():
    assert trained_on_caption([CONLL, BTC]) == (
        "It was trained on 20,647 sentences: 14,041 from CoNLL-2003 English (Reuters news, 1996) and 6,606 from "
        "Broad Twitter Corpus (Derczynski, Bontcheva and Roberts, COLING 2016; CC BY 4.0)."
    )


def test_three_corpora_and_a_licence_alone():
    third = {"name": "A new corpus", "sentences": 1, "licence": "CC0"}
    assert trained_on_caption([CONLL, BTC, third]).endswith(
        "(Derczynski, Bontcheva and Roberts, COLING 2016; CC BY 4.0) and 1 from A new corpus (CC0)."
    )
    assert trained_on_caption([third]) == "It was trained on 1 sentence of A new corpus (CC0)."


def test_a_corpus_without_a_count_gives_no_made_up_total():
    caption = trained_on_caption([CONLL, {"name": "Some tweets"}])
    assert caption == ("It was trained on 14,041 sentences of CoNLL-2003 English (Reuters news, 1996) and Some tweets.")


def test_no_corpora_say_nothing():
    assert trained_on_caption([]) == ""


# ---------------------------------------------------------------- the page


@pytest.fixture
def text_page():
    return AppTest.from_file(str(runtime.PROJECT_ROOT / "views/text.py"), default_timeout=TIMEOUT)


def _intro(at) -> str:
    return next(str(c.value) for c in at.caption if str(c.value).startswith("A recurrent network reads"))


@needs_weights
def test_the_new_presets_run_and_the_caption_reads_the_manifest(text_page):
    assert list(TEXT_PRESETS)[-2:] == ["Typed in lower case", "A social media post"]
    at = text_page.run()
    assert not at.exception
    data = resources.ner_tagger("bilstm")[1].get("data", {})
    if data.get("corpora"):
        assert _intro(at).endswith(" " + trained_on_caption(data["corpora"]))
    else:  # the manifest as committed before data.corpora: the sentence as it always read
        assert _intro(at).endswith(LEGACY.format(data["train_sentences"]))
    for label, text in (("Typed in lower case", LOWER_CASE), ("A social media post", SOCIAL)):
        at.pills(key="text_preset").set_value(label).run()
        assert not at.exception
        assert at.text_area(key="text_input").value == text
        assert at.selectbox(key="text_token").options  # tagged: a token to explain was offered


@needs_weights
def test_a_manifest_with_corpora_lists_them(text_page, monkeypatch):
    model, manifest = resources.ner_tagger("bilstm")
    listed = {**manifest, "data": {**manifest.get("data", {}), "corpora": [CONLL, BTC]}}
    monkeypatch.setattr(resources, "ner_tagger", lambda kind="bilstm": (model, listed))
    at = text_page.run()
    assert not at.exception
    assert _intro(at).endswith(" " + trained_on_caption([CONLL, BTC]))
    assert "Broad Twitter Corpus (Derczynski, Bontcheva and Roberts, COLING 2016; CC BY 4.0)" in _intro(at)
