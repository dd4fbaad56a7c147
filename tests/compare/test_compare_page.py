"""The comparison page under AppTest, on the committed weights; and what happens without them."""

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import runtime
from harness.apptest import chart, chart_keys
from harness.drawing import SEVEN, render
from models.ner import load_tagger, tag
from runtime import PROJECT_ROOT
from ui.examples import FAR_CLUE
from ui.inputs import COMPARE_PROMPT

TIMEOUT = 90
ROOT = PROJECT_ROOT
NEEDED = ("rnn.pt", "cnn_tagger.pt", "robustness.json", "ner_speed.json")
pytestmark = pytest.mark.skipif(
    not all((runtime.weights_dir() / name).exists() for name in NEEDED),
    reason="the comparison's weights and results are not all built yet",
)


@pytest.fixture
def compare_page():
    return AppTest.from_file(str(ROOT / "views/compare.py"), default_timeout=TIMEOUT)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_a_gallery_digit_clicked_off_asks_for_a_digit(compare_page):
    compare_page.session_state["compare_drawing"] = render(SEVEN)  # drawn before the gallery was touched
    at = compare_page.run()
    assert _metrics(at)
    at.pills(key="compare_gallery").set_value(None).run()
    assert not at.exception
    assert not _metrics(at) and any(info.value == COMPARE_PROMPT for info in at.info)


def test_both_networks_read_the_default_gallery_digit(compare_page):
    at = compare_page.run()
    assert not at.exception
    with np.load(runtime.weights_dir() / "mnist_gallery.npz") as gallery:
        label = str(gallery["labels"][0])
    assert _metrics(at) == {"The CNN says": label, "The row-by-row RNN says": label}
    table = at.dataframe[0].value
    assert list(table["model"].str[:3]) == ["CNN", "RNN"]
    assert (table["time for this digit (ms)"] > 0).all()
    # rows read, guesses per row, hidden state, feature maps, occlusion, robustness: each with something drawn
    assert chart_keys(at) == {
        "compare_rows_image",
        "compare_lines",
        "compare_hidden",
        "compare_maps",
        "compare_digit_occlusion",
        "compare_robustness",
    }
    assert all(chart(at, key)["data"] for key in chart_keys(at))


def test_rows_slider_replays_the_reading(compare_page):
    at = compare_page.run()
    at.slider(key="compare_rows").set_value(6).run()
    assert not at.exception
    assert any("After 6 of 28 rows" in c.value for c in at.caption)


def test_a_drawn_seven_goes_through_both(compare_page):
    compare_page.session_state["compare_drawing"] = render(SEVEN)
    compare_page.session_state["compare_source"] = "canvas"
    at = compare_page.run()
    assert not at.exception
    assert _metrics(at) == {"The CNN says": "7", "The row-by-row RNN says": "7"}


def test_roosevelt_through_both_taggers(compare_page):
    compare_page.query_params["compare_tab"] = "The same sentence"
    at = compare_page.run()
    assert not at.exception
    bodies = [str(h.proto.body) for h in at.get("html")]
    assert any("Roosevelt Street" in body and "LOC" in body for body in bodies)
    # The first Roosevelt: its sentence has words beyond the CNN's window, and they count exactly zero.
    at.selectbox(key="compare_token").set_value(1).run()
    assert not at.exception
    caption = next(c.value for c in at.caption if c.value.startswith("Why “Roosevelt”?"))
    assert "On the CNN, their integrated gradients are exactly 0, and replacing any one of them changes its" in caption
    # Both views, both taggers, and speed against length.
    assert chart_keys(at) == {"compare_ig", "compare_occlusion", "compare_speed"}
    assert all(chart(at, key)["data"] for key in chart_keys(at))


def test_far_clue_preset(compare_page):
    compare_page.query_params["compare_tab"] = "The same sentence"
    at = compare_page.run()
    at.pills(key="compare_preset").set_value("The clue is far away").run()
    assert not at.exception
    assert at.text_area(key="compare_text").value.startswith("Morgan, after")
    # The default token is the first disagreement, a Morgan: the CNN must label both alike, the BiLSTM does not.
    bilstm, cnn = (tag(load_tagger(name)[0], FAR_CLUE).tags for name in ("bilstm", "cnn"))
    first = next(i for i, (b, c) in enumerate(zip(bilstm, cnn, strict=True)) if b != c)
    assert at.selectbox(key="compare_token").value == first
    caption = next(c.value for c in at.caption if c.value.startswith("Why “Morgan”?"))
    assert f"the BiLSTM {bilstm[first]}" in caption and "their integrated gradients are exactly 0" in caption
    assert "changes its probability by exactly 0: they have no influence at all" in caption


def test_hostile_text_is_shown_literally(compare_page):
    compare_page.query_params["compare_tab"] = "The same sentence"
    compare_page.query_params["compare_text"] = "<script>alert(1)</script> 🙂 שלום Bob Dylan sang in Paris."
    at = compare_page.run()
    assert not at.exception
    bodies = " ".join(str(h.proto.body) for h in at.get("html"))
    assert "<script>" not in bodies and "&lt;script&gt;" in bodies and "שלום" in bodies


@pytest.mark.parametrize("missing", ["rnn", "cnn_tagger"])
def test_missing_weights_name_the_command_and_spare_the_rest(compare_page, tmp_path, monkeypatch, missing):
    for path in runtime.weights_dir().iterdir():
        if not path.name.startswith(f"{missing}."):
            (tmp_path / path.name).symlink_to(path)
    monkeypatch.setenv("CNNRNN_WEIGHTS", str(tmp_path))
    st.cache_resource.clear()
    try:
        compare_page.query_params["compare_tab"] = "The same sentence" if missing == "cnn_tagger" else "The same digit"
        at = compare_page.run()
        digits = AppTest.from_file(str(ROOT / "views/digits.py"), default_timeout=TIMEOUT)
        digits.query_params["digits_gallery"] = "1"
        digits.run()
    finally:
        st.cache_resource.clear()
    assert not at.exception
    command = "python -m training.train_rnn" if missing == "rnn" else "python -m training.train_ner --encoder cnn"
    assert any(command in e.value for e in at.error)
    assert not digits.exception and [m.value for m in digits.metric]  # the digit page still works
