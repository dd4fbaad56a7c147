"""The comparison's two reference checks, and the pieces around them:

- both of the convolutional tagger's explanations (integrated gradients, occlusion) are exactly
  zero outside its receptive field, while the BiLSTM's reach across the whole sentence;
- the row RNN's probabilities after the last row are its final prediction, and what it
  knows after row t depends on rows 0..t only.
"""

import numpy as np
import pytest
import torch

import runtime
from models.compare import compare_digit, compare_text, read_digit
from models.explain import explain
from models.ner import NERTagger, load_tagger, make_batch
from models.rnn import RowRNN, RowRNNConfig
from tests.text.taggers import SENTENCE, small_tagger


def influential_positions(model: NERTagger, tokens: list[str], position: int) -> dict[str, set[int]]:
    """The tokens that move the label of tokens[position], in each view: a non-zero integrated gradient, or
    a probability that changes at all when the token is replaced by the unknown word."""
    e = explain(model, tokens, position, "B-LOC", steps=8)
    return {
        "integrated gradients": {int(i) for i in np.flatnonzero(e.integrated_gradients != 0.0)},
        "occlusion": {int(i) for i in np.flatnonzero(e.occlusion != e.probability)},
    }


@pytest.mark.parametrize("dilations", [(1, 2, 1), (1, 1), (1, 2, 4)])
@pytest.mark.parametrize("position", [0, 3, 9, len(SENTENCE) - 1])
def test_cnn_explanations_are_exactly_zero_outside_its_window(dilations, position):
    model = small_tagger("cnn", dilations)
    radius = model.config.window_radius
    assert radius == sum(dilations)
    window = set(range(max(0, position - radius), min(len(SENTENCE), position + radius + 1)))
    for view, seen in influential_positions(model, SENTENCE, position).items():
        assert seen <= window, view  # exact zeros, not small numbers, beyond the window
        assert position in seen and len(seen) >= len(window) - 2, view  # and it does look at its window


def test_bilstm_explanations_reach_the_whole_sentence():
    model = small_tagger("bilstm")
    assert model.config.window_radius is None
    for view, seen in influential_positions(model, SENTENCE, 2).items():
        assert seen == set(range(len(SENTENCE))), view


def test_cnn_tagger_gives_a_padded_sentence_the_same_emissions_as_alone():
    model = small_tagger("cnn")
    short, long = SENTENCE[:5], SENTENCE
    encode = model.vocab.encode
    with torch.inference_mode():
        alone = model(make_batch([encode(short, 30)])).emissions[0]  # (5, K)
        padded = model(make_batch([encode(long, 30), encode(short, 30)])).emissions[1, :5]
    torch.testing.assert_close(alone, padded, rtol=1e-5, atol=1e-6)


def test_cnn_tagger_probabilities_are_a_softmax_per_token():
    model = small_tagger("cnn")
    batch = make_batch([model.vocab.encode(SENTENCE, 30)])
    with torch.inference_mode():
        emissions = model(batch).emissions
        probs = model.tag_log_probs(emissions, batch.mask).exp()
        torch.testing.assert_close(probs, emissions.softmax(-1))
        assert torch.equal(model.decode(emissions, batch.mask), emissions.argmax(-1))


# ------------------------------------------------------------ the row RNN


@pytest.fixture(scope="module")
def row_rnn():
    torch.manual_seed(0)
    return RowRNN(RowRNNConfig(hidden=24, layers=2)).eval()


def test_row_rnn_last_step_probabilities_are_its_prediction(row_rnn):
    images = torch.rand(4, 28, 28)
    with torch.inference_mode():
        fused, looped = row_rnn(images), row_rnn.read_rows(images)
    torch.testing.assert_close(looped.step_logits, fused.step_logits, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(looped.step_probs[:, -1], fused.probs)
    reading = read_digit(row_rnn, images[0].numpy())
    np.testing.assert_allclose(reading.probs, fused.probs[0].numpy(), rtol=1e-5, atol=1e-6)
    assert reading.step_probs.shape == (28, 10) and reading.hidden.shape == (28, 24)


def test_row_rnn_knows_nothing_of_rows_it_has_not_read(row_rnn):
    image = torch.rand(1, 28, 28)
    changed = image.clone()
    changed[:, 12:] = torch.rand(1, 16, 28)
    with torch.inference_mode():
        before, after = row_rnn.read_rows(image).step_probs, row_rnn.read_rows(changed).step_probs
    torch.testing.assert_close(before[:, :12], after[:, :12])
    assert not torch.allclose(before[:, 12:], after[:, 12:])


def test_settled_row():
    reading = read_digit(RowRNN(RowRNNConfig(hidden=8, layers=1)).eval(), np.zeros((28, 28), np.float32))
    settled = reading.settled_row()
    assert settled is not None and 1 <= settled <= 28
    assert (reading.step_probs[settled - 1 :].argmax(1) == reading.prediction).all()


# ------------------------------------------------------------ the committed weights

RNN_PRESENT = (runtime.weights_dir() / "rnn.pt").exists()
CNN_TAGGER_PRESENT = (runtime.weights_dir() / "cnn_tagger.pt").exists()


@pytest.mark.skipif(not RNN_PRESENT, reason="weights/rnn.pt not built yet")
def test_committed_rnn_and_cnn_agree_on_a_clear_digit(mnist):
    from models.digits import load_digit_model

    cnn, _ = load_digit_model("cnn")
    rnn, manifest = load_digit_model("rnn")
    assert manifest["metrics"]["mnist_test_accuracy"] >= 0.99
    index = int(np.flatnonzero(mnist.y_test == 7)[0])
    result = compare_digit(cnn, rnn, mnist.x_test[index])
    assert result.cnn.prediction == result.rnn.prediction == 7
    assert result.rnn.settled_row() is not None and result.cnn_ms > 0 and result.rnn_ms > 0


@pytest.mark.skipif(not CNN_TAGGER_PRESENT, reason="weights/cnn_tagger.pt not built yet")
def test_committed_cnn_tagger_window_on_the_article_example():
    cnn, manifest = load_tagger("cnn")
    bilstm, _ = load_tagger("bilstm")
    text = (
        "President Roosevelt was one of the most influential presidents in American history. "
        "However, Roosevelt Street in Manhattan was not named after him."
    )
    result = compare_text(cnn, bilstm, text, repeats=1)
    assert result.window_radius == cnn.config.window_radius > 0
    first = [i for i, s in enumerate(result.rnn.sentence_ids) if s == 0]
    tokens = [result.rnn.tokens[i] for i in first]
    at = tokens.index("Roosevelt")
    far = [i for i in range(len(tokens)) if abs(i - at) > result.window_radius]
    assert far, "the first sentence is longer than the CNN's window"
    cnn_view = explain(cnn, tokens, at, result.cnn.tags[first[at]])
    rnn_view = explain(bilstm, tokens, at, result.rnn.tags[first[at]])
    assert np.all(cnn_view.integrated_gradients[far] == 0.0) and np.all(rnn_view.integrated_gradients[far] != 0.0)
    assert np.all(cnn_view.occlusion[far] == cnn_view.probability)
    assert np.all(rnn_view.occlusion[far] != rnn_view.probability)
    assert "test_f1" in manifest["metrics"]


@pytest.mark.skipif(not CNN_TAGGER_PRESENT, reason="weights/cnn_tagger.pt not built yet")
def test_far_clue_preset_same_window_same_cnn_label():
    """The preset's two sentences share their first ten tokens, so the CNN's view of each Morgan is
    identical, and so are its probabilities, exactly; the BiLSTM reads on and tells them apart."""
    from ui.examples import FAR_CLUE

    cnn, _ = load_tagger("cnn")
    bilstm, _ = load_tagger("bilstm")
    result = compare_text(cnn, bilstm, FAR_CLUE, repeats=1)
    starts = [i for i, token in enumerate(result.rnn.tokens) if token == "Morgan"]
    assert len(starts) == 2
    first, second = (result.cnn.marginals[i] for i in starts)
    np.testing.assert_array_equal(first, second)
    assert [result.rnn.tags[i] for i in starts] == ["B-ORG", "B-PER"]
    assert result.cnn.tags[starts[0]] == result.cnn.tags[starts[1]]


def test_explain_both_explains_each_taggers_own_label_in_the_tokens_sentence():
    from models.compare import compare_text, explain_both

    cnn, _ = load_tagger("cnn")
    rnn, _ = load_tagger("bilstm")
    text = "Jordan scored 30 points. Roosevelt Street is in Manhattan."
    result = compare_text(cnn, rnn, text)
    index = result.rnn.tokens.index("Street")
    explained = explain_both(cnn, rnn, result, index)
    assert explained.tokens == ["Roosevelt", "Street", "is", "in", "Manhattan", "."]
    assert explained.position == 1 and explained.tokens[explained.position] == "Street"
    assert explained.cnn.label == result.cnn.tags[index] and explained.rnn.label == result.rnn.tags[index]
    assert explained.rnn_tags == result.rnn.tags[index - 1 : index + 5]
    with pytest.raises(ValueError):
        explain_both(cnn, rnn, result, len(result.rnn.tokens))
