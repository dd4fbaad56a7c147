"""Every page once under streamlit.testing.v1.AppTest, with the committed weights."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import runtime
from harness.apptest import chart
from harness.drawing import SEVEN, render
from ui.inputs import DIGITS_PROMPT
from ui.presentation import STEPS, step_params

TIMEOUT = 60
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def digits_page():
    return AppTest.from_file(str(ROOT / "views/digits.py"), default_timeout=TIMEOUT)


def _metric(at, label):
    return next((m.value for m in at.metric if m.label == label), None)


def test_home_links_every_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "CNN vs RNN, live"
    linked = {link.proto.page for link in at.get("page_link")}
    pages = sorted(p.stem for p in (ROOT / "views").glob("*.py") if p.stem != "home")
    assert pages and linked == set(pages)


# home.py links pages, which needs app.py's navigation: it is covered by the test above.
@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "views").glob("*.py") if p.stem != "home"))
def test_every_page_runs_without_input(page):
    at = AppTest.from_file(str(ROOT / "views" / page), default_timeout=TIMEOUT).run()
    assert not at.exception


def test_empty_canvas_prompts_and_predicts_nothing(digits_page):
    at = digits_page.run()
    assert not at.exception
    assert any(info.value == DIGITS_PROMPT for info in at.info)
    assert _metric(at, "Prediction") is None


def test_drawn_seven_is_recognised(digits_page):
    digits_page.session_state["digits_drawing"] = render(SEVEN)  # what the canvas sends: (280, 280, 4) RGBA
    at = digits_page.run()
    assert not at.exception
    assert _metric(at, "Prediction") == "7"
    assert not at.warning  # a clear 7 is not "unsure"
    captions = " ".join(str(c.value) for c in at.caption)
    assert "MNIST test accuracy" in captions
    assert len(at.get("plotly_chart")) >= 5  # bars, pixel grid, filters, feature maps, sweep, before/after


def test_gallery_digit_is_classified_as_its_label(digits_page):
    with np.load(runtime.weights_dir() / "mnist_gallery.npz") as gallery:
        labels = gallery["labels"]
    digits_page.session_state["digits_source"] = "gallery"
    digits_page.session_state["digits_gallery"] = 21
    at = digits_page.run()
    assert not at.exception
    assert _metric(at, "Prediction") == str(labels[21])


def test_a_gallery_digit_clicked_off_gives_the_drawing_back(digits_page):
    with np.load(runtime.weights_dir() / "mnist_gallery.npz") as gallery:
        picked = next(i for i, label in enumerate(gallery["labels"]) if label != 7)
        label = str(gallery["labels"][picked])
    digits_page.session_state["digits_drawing"] = render(SEVEN)
    digits_page.session_state["digits_source"] = "gallery"
    digits_page.session_state["digits_gallery"] = picked
    at = digits_page.run()
    assert _metric(at, "Prediction") == label
    at.pills(key="digits_gallery").set_value(None).run()
    assert not at.exception
    assert _metric(at, "Prediction") == "7"


def test_scribble_is_marked_unsure(digits_page):
    rng = np.random.default_rng(3)
    scribble = [[tuple(p) for p in rng.random((40, 2))]]  # 40 random zig-zags across the canvas
    digits_page.session_state["digits_drawing"] = render(scribble, width=10)
    at = digits_page.run()
    assert not at.exception
    assert any("Unsure" in w.value for w in at.warning)


def test_conv_step_controls_update_the_equation(digits_page):
    digits_page.session_state["digits_drawing"] = render(SEVEN)
    at = digits_page.run()
    before = [latex.value for latex in at.latex]
    at.number_input(key="digits_step_filter").set_value(3)
    at.slider(key="digits_step_row").set_value(8).run()
    assert not at.exception
    assert [latex.value for latex in at.latex] != before
    assert any("row 8" in md.value for md in at.markdown)


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_broken_weights_give_a_message_not_a_traceback(digits_page, tmp_path, monkeypatch, damage):
    if damage == "corrupt":
        (tmp_path / "cnn.json").write_text((runtime.weights_dir() / "cnn.json").read_text())
        (tmp_path / "cnn.pt").write_bytes(b"\x00garbage")
    monkeypatch.setenv("CNNRNN_WEIGHTS", str(tmp_path))
    st.cache_resource.clear()
    try:
        at = digits_page.run()
    finally:
        st.cache_resource.clear()
    assert not at.exception
    assert any("python -m training.train_cnn" in e.value and damage in e.value for e in at.error)


# ---------------------------------------------------------------- text page

ROOSEVELT_URL_TEXT = "President Roosevelt was one of the most influential presidents in American history."


@pytest.fixture
def text_page():
    return AppTest.from_file(str(ROOT / "views/text.py"), default_timeout=TIMEOUT)


def flagged_html(at) -> str:
    """The autocorrect section's text, with its underlines."""
    return next(str(h.proto.body) for h in at.get("html") if "data-flag" in str(h.proto.body) or "underline" in str(
        h.proto.body))  # fmt: skip


def _entities(at):
    frame = next(df.value for df in at.dataframe)
    return {(row.text, row.label) for row in frame.itertuples()}


def test_roosevelt_example_is_labelled_as_in_the_article(text_page):
    at = text_page.run()
    assert not at.exception
    entities = _entities(at)
    assert {("Roosevelt", "PER"), ("Roosevelt Street", "LOC"), ("Manhattan", "LOC"), ("American", "MISC")} <= entities
    html = str(at.get("html")[0].proto.body)
    assert "Roosevelt Street" in html and "PER" in html and "LOC" in html
    # tag probabilities, integrated gradients, occlusion; next-letter bars and heatmap, hidden states; no flag
    assert {c.key for c in at.get("plotly_chart")} == {
        "text_marginals",
        "text_integrated_gradients",
        "text_occlusion",
        "text_next_letter",
        "text_next_letter_map",
        "text_speller_hidden",
    }


def test_the_taggers_score_and_command_are_the_manifests(text_page):
    at = text_page.run()
    recorded = json.loads((runtime.weights_dir() / "bilstm.json").read_text())
    expected = f"test F1 {recorded['metrics']['test_f1']:.2f} (`{recorded['evaluate_command']}`)."
    assert any(str(c.value).endswith(expected) for c in at.caption)
    assert expected.endswith("(`python -m training.evaluate ner --model bilstm`).")  # the text as it always read


def test_text_comes_from_the_url(text_page):
    text_page.query_params["text_input"] = "Angela Merkel visited Paris ."
    at = text_page.run()
    assert not at.exception
    assert {("Angela Merkel", "PER"), ("Paris", "LOC")} <= _entities(at)


def test_empty_text_prompts(text_page):
    at = text_page.run()
    at.text_area(key="text_input").set_value("   ").run()
    assert not at.exception
    assert any("Type or paste" in info.value for info in at.info)
    assert not at.dataframe


def test_long_hostile_text_is_cut_and_shown_literally(text_page):
    hostile = "<script>alert('x')</script> 🙂 שלום עולם Bob Dylan sang in Paris . "
    at = text_page.run()
    at.text_area(key="text_input").set_value(hostile * 2000).run()
    assert not at.exception
    assert any("only the first 20,000" in w.value for w in at.warning)
    body = str(at.get("html")[0].proto.body)
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "🙂" in body and "שלום" in body


def test_a_tweet_with_handles_hashtags_a_link_and_emoji_is_tagged_and_shown_as_typed(text_page):
    tweet = "RT @lagos_tech: so proud 😍🔥 Ngozi Okonjo-Iweala visited Nairobi #WTO https://t.co/x4Yz9Qa, networc rocks"
    text_page.query_params["text_input"] = tweet
    at = text_page.run()
    assert not at.exception
    entities = _entities(at)
    assert ("Ngozi Okonjo-Iweala", "PER") in entities
    assert "@lagos_tech" in {name for name, _ in entities} and "@" not in {name for name, _ in entities}
    body = str(at.get("html")[0].proto.body)
    assert "😍🔥" in body and "https://t.co/x4Yz9Qa" in body
    # What someone chose to type is not a misspelling; the real typo beside it still is.
    assert re.findall(r'data-flag="[^"]+"[^>]*>([^<]+)</span>', flagged_html(at)) == ["networc"]


def test_token_choice_explains_its_label(text_page):
    at = text_page.run()
    # Token 1 is the first "Roosevelt": a person, because of "President" before it.
    at.selectbox(key="text_token").set_value(1).run()
    assert not at.exception
    assert "log p(B-PER)" in chart(at, "text_integrated_gradients")["layout"]["title"]["text"]
    assert "p(B-PER)" in chart(at, "text_occlusion")["layout"]["title"]["text"]
    captions = [str(c.value) for c in at.caption]
    # The word itself raises its label most, and without it the label falls (both measured on the real weights).
    assert any(c.startswith("Integrated gradients of log p(B-PER) for “Roosevelt”. Raising it most: “Roosevelt”")
               for c in captions)  # fmt: skip
    assert any("With the word itself replaced by the unknown word it falls from" in c for c in captions)
    assert any("Baseline: every token of the sentence replaced by an unknown" in c for c in captions)
    check = next(c for c in captions if c.startswith("Completeness check"))
    residual = re.search(r"residual (under )?([\d.]+)%", check)
    assert residual and float(residual.group(2)) <= 2.0


def test_typos_are_flagged_fixed_and_names_left_alone(text_page):
    text_page.query_params["text_input"] = "Roosevelt said the networc of streets arround Manhattan was planed well."
    at = text_page.run()
    assert not at.exception
    flagged = flagged_html(at)
    assert 'data-flag="unknown"' in flagged and "networc" in flagged and "arround" in flagged and "wavy" in flagged
    # The top suggestion's button shows it with its posterior, which for so plain a typo is high.
    label = next(b.label for b in at.button if b.label.startswith("network ("))
    assert int(label.removeprefix("network (").removesuffix("%)")) >= 50
    at.button(key="text_fix_all").click().run()
    assert not at.exception
    fixed = at.text_area(key="text_input").value
    assert "network of streets around Manhattan" in fixed and fixed.startswith("Roosevelt said")


def test_one_click_applies_one_suggestion(text_page):
    text_page.query_params["text_input"] = "The networc is down."
    at = text_page.run()
    button = next(b for b in at.button if b.label.startswith("network ("))
    button.click().run()
    assert at.text_area(key="text_input").value == "The network is down."


def test_rnn_expects_k_after_networ(text_page):
    at = text_page.run()  # the watched word defaults to the article's "networc"
    assert not at.exception
    figure = chart(at, "text_next_letter")
    probs = dict(zip(figure["data"][0]["x"], figure["data"][0]["y"], strict=True))
    assert "networ" in figure["layout"]["title"]["text"]
    assert probs["k"] > 5 * probs["c"]


def test_a_real_word_in_the_wrong_place_is_flagged_and_fixed(text_page):
    text_page.query_params["text_input"] = "Thanks four the help."
    at = text_page.run()
    assert not at.exception
    assert 'data-flag="real_word"' in flagged_html(at) and "double" in flagged_html(at)
    # The chosen flag is explained: its candidates' scores in parts, and what the RNN expected there.
    parts = chart(at, "text_score_parts")
    assert {trace["name"] for trace in parts["data"]} >= {"edit model", "word frequency", "the RNN's context"}
    assert "four (typed)" in parts["data"][0]["y"]
    assert "for" in chart(at, "text_expectation")["data"][2]["y"]
    next(b for b in at.button if b.label.startswith("for (")).click().run()
    assert not at.exception
    assert at.text_area(key="text_input").value == "Thanks for the help."
    assert "data-flag" not in flagged_html(at)


def test_without_the_rnn_the_real_word_stays(text_page):
    text_page.query_params["text_input"] = "A letter form my aunt. The networc is down."
    at = text_page.run()
    assert 'data-flag="real_word"' in flagged_html(at)
    at.toggle(key="text_no_rnn").set_value(True).run()
    assert not at.exception
    html = flagged_html(at)
    assert 'data-flag="real_word"' not in html and 'data-flag="unknown"' in html  # networc is still flagged
    changes = next(df.value for df in at.dataframe if "with the RNN" in df.value.columns)
    expected = {"word": "form", "with the RNN": "from", "without the RNN": "(left as typed)"}
    assert changes.to_dict("records") == [expected]


def test_the_rnn_toggle_does_not_explain_the_token_again(text_page, monkeypatch):
    import models.explain

    calls = []
    explain_token = models.explain.explain_token

    def counted(*args, **kwargs):
        calls.append(args[2])
        return explain_token(*args, **kwargs)

    monkeypatch.setattr(models.explain, "explain_token", counted)
    # A sentence no other test tags, so the first run cannot be answered from an earlier test's cache.
    text_page.query_params["text_input"] = "A letter form my aunt reached Oslo ."
    at = text_page.run()
    assert not at.exception
    assert len(calls) == 1
    at.toggle(key="text_no_rnn").set_value(True).run()
    assert not at.exception and at.toggle(key="text_no_rnn").value
    at.toggle(key="text_no_rnn").set_value(False).run()
    assert len(calls) == 1
    # Another token is explained afresh: the count is of real work, not of a wrapper that is never called.
    at.selectbox(key="text_token").set_value(0 if calls[0] != 0 else 1).run()
    assert len(calls) == 2


@pytest.mark.parametrize("index", range(len(STEPS)))
def test_every_presentation_step_runs(index):
    at = AppTest.from_file(str(ROOT / STEPS[index].page), default_timeout=TIMEOUT)
    for key, value in step_params(index).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    if STEPS[index].params.get("text_input"):
        assert at.text_area(key="text_input").value == STEPS[index].params["text_input"]
