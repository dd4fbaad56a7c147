"""Integrated gradients and occlusion for the two taggers (models/explain.py), and their figures.

- completeness: the attributions add up to f(sentence) − f(baseline), within 2%, on the committed weights;
- the quadrature agrees with a 2000-step Riemann sum, the reference that needs no extra package;
- the baseline and the occlusion are what they say: recomputed directly from hand-made encodings;
- (that the convolutional tagger's two views are exactly zero outside its window: tests/compare/test_compare_models.py);
- (the article's Roosevelt, explained: tests/text/test_ner_attribution.py).
"""

import numpy as np
import pytest
import torch

import runtime
from figures import explain as explain_fig
from models.explain import (
    COMPLETENESS_TOLERANCE,
    DEFAULT_STEPS,
    MAX_STEPS,
    UNKNOWN_WORD,
    explain,
    explain_token,
    integrated_gradients,
    occlusion,
    quadrature,
    sentence_of,
)
from models.ner import (
    CASES,
    NER_MODELS,
    TAGS,
    TAGS_IOBES,
    UNK,
    NERTagger,
    load_tagger,
    make_batch,
    tag,
)
from tests.text.taggers import SENTENCE
from tests.text.taggers import small_tagger as toy_tagger
from ui.examples import NEWS, ROOSEVELT, SPORTS


def small_tagger(encoder: str, dilations=(1, 2, 1), tags=TAGS) -> NERTagger:
    return toy_tagger(encoder, dilations, tags, strong_emissions=True)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread, as the app runs (ui/resources.py): on a busy machine two threads per process can make
    these dozens of small backward passes many times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SMALL = {
    "bilstm": lambda: small_tagger("bilstm"),
    "bilstm-iobes": lambda: small_tagger("bilstm", tags=TAGS_IOBES),
    "cnn": lambda: small_tagger("cnn"),
}


def log_prob(model: NERTagger, rows: list[tuple], position: int, label: str) -> np.ndarray:
    """log p(label at position) for hand-made encodings, one plain forward pass each."""
    with torch.inference_mode():
        out = []
        for row in rows:
            batch = make_batch([row])
            emissions = model(batch).emissions
            out.append(float(model.iob2_log_probs(emissions, batch.mask)[0, position, TAGS.index(label)]))
    return np.array(out)


def unknown(model: NERTagger) -> tuple[int, int, list[int]]:
    """The replacement the docstring states: word <unk>, one <unk> character, lowercase."""
    return model.vocab.word_index[UNK], CASES.index("lower"), [model.vocab.char_index[UNK]]


# ------------------------------------------------------------ small random taggers


def test_quadrature_weights_sum_to_one_and_integrate_polynomials():
    for rule in ("gauss-legendre", "midpoint"):
        alphas, weights = quadrature(16, rule)
        assert alphas.min() > 0 and alphas.max() < 1 and weights.sum() == pytest.approx(1.0)
    alphas, weights = quadrature(8)
    assert (weights * alphas**15).sum() == pytest.approx(1 / 16, rel=1e-12)  # exact up to degree 2n − 1
    with pytest.raises(ValueError, match="steps"):
        quadrature(0)
    with pytest.raises(ValueError, match="rule"):
        quadrature(8, "simpson")


@pytest.mark.parametrize("name", sorted(SMALL))
def test_baseline_and_occlusion_are_what_they_say(name):
    model = SMALL[name]()
    tokens, position, label = SENTENCE[:9], 2, "B-LOC"
    words, cases, chars = model.vocab.encode(tokens, model.config.max_word_chars)
    word, case, char = unknown(model)
    # f(baseline): every token replaced, computed here by an ordinary forward pass.
    everything = (np.full(len(tokens), word), np.full(len(tokens), case), [char] * len(tokens))
    _, f_x, f_baseline = integrated_gradients(model, tokens, position, label, steps=4)
    direct_x, direct_baseline = log_prob(model, [(words, cases, chars), everything], position, label)
    assert f_x == pytest.approx(direct_x, abs=1e-5) and f_baseline == pytest.approx(direct_baseline, abs=1e-5)
    # Occlusion: one token at a time, each recomputed alone.
    rows = []
    for i in range(len(tokens)):
        w, k, c = words.copy(), cases.copy(), list(chars)
        w[i], k[i], c[i] = word, case, char
        rows.append((w, k, c))
    occluded, probability = occlusion(model, tokens, position, label)
    np.testing.assert_allclose(occluded, np.exp(log_prob(model, rows, position, label)), rtol=1e-5, atol=1e-7)
    assert probability == pytest.approx(np.exp(direct_x), rel=1e-5)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_explanation_is_complete_and_split_by_input(name):
    model = SMALL[name]()
    encoded = model.vocab.encode(SENTENCE, model.config.max_word_chars)
    # The least likely label: a random tagger is near-certain of its favourite, which leaves little to share out.
    label = min(TAGS, key=lambda t: log_prob(model, [encoded], 3, t)[0])
    with torch.inference_mode():  # callers may already be in inference mode
        e = explain(model, SENTENCE, 3, label)
    assert e.integrated_gradients.shape == e.occlusion.shape == (len(SENTENCE),)
    np.testing.assert_allclose(sum(e.parts.values()), e.integrated_gradients, rtol=1e-9, atol=1e-12)
    assert abs(e.completeness_gap) > 0.1 and e.completeness_residual <= 0.02
    assert e.steps in (DEFAULT_STEPS, 2 * DEFAULT_STEPS, MAX_STEPS) and UNKNOWN_WORD in e.baseline
    assert label in e.target
    # Lowercase words share the baseline's casing: their casing part is exactly zero.
    lower = [i for i, t in enumerate(SENTENCE) if t.islower()]
    assert lower and np.all(e.parts["case"][lower] == 0.0)


def test_no_gradient_reaches_the_shared_parameters_and_nothing_is_kept():
    model = SMALL["bilstm"]()
    before = set(vars(model)) | {name for name, _ in model.named_modules()}
    explain(model, ["Roosevelt", "Street"], 0, "B-LOC")
    assert all(p.grad is None for p in model.parameters())
    assert set(vars(model)) | {name for name, _ in model.named_modules()} == before


def test_bad_requests_say_what_is_wrong():
    model = SMALL["cnn"]()
    with pytest.raises(ValueError, match="outside a sentence of 2 tokens"):
        explain(model, ["Roosevelt", "Street"], 2, "B-LOC")
    with pytest.raises(ValueError, match="unknown label"):
        explain(model, ["Roosevelt", "Street"], 0, "B-CITY")
    with pytest.raises(ValueError, match="empty"):
        explain(model, [], 0, "O")
    tagged = tag(model, "Roosevelt Street . In Manhattan .")
    assert sentence_of(tagged, 4) == (["In", "Manhattan", "."], 1)
    with pytest.raises(ValueError, match="outside the text's 6 tokens"):
        sentence_of(tagged, 6)


# ------------------------------------------------------------ the committed weights

PRESENT = {name: (runtime.weights_dir() / f"{stem}.pt").exists() for name, stem in NER_MODELS.items()}
TAGGERS = [
    pytest.param(name, marks=pytest.mark.skipif(not PRESENT[name], reason=f"weights for {name} not built"))
    for name in ("bilstm", "cnn")
]


@pytest.fixture(scope="module")
def taggers():
    return {}


def committed(taggers: dict, name: str) -> NERTagger:
    if name not in taggers:
        taggers[name] = load_tagger(name)[0]
    return taggers[name]


@pytest.mark.parametrize("name", TAGGERS)
def test_completeness_within_two_percent_on_real_sentences(taggers, name):
    model = committed(taggers, name)
    checked = 0
    for text in (ROOSEVELT, NEWS, SPORTS):
        tagged = tag(model, text)
        for index, label in enumerate(tagged.tags):
            if label == "O" and index % 4:
                continue  # every entity token, and a sample of the rest
            e = explain_token(model, tagged, index)
            assert e.probability == pytest.approx(tagged.marginals[index, TAGS.index(label)], abs=1e-5)
            gap_error = abs(e.attribution_sum - e.completeness_gap)
            if label != "O":
                assert e.completeness_residual <= 0.02, (tagged.tokens[index], e.completeness_residual)
                checked += 1
            else:  # p(O) is often near 1 with and without the words: the gap itself may be ~0
                assert gap_error <= 0.02 * max(1.0, abs(e.completeness_gap))
    assert checked >= 10


@pytest.mark.parametrize("name", TAGGERS)
def test_explain_doubles_the_steps_until_completeness_holds(taggers, name):
    """Where 64 nodes miss completeness by more than 1%, explain() doubles them; the answer it gives is
    integrated_gradients at the steps it reports, and its residual is within the tolerance."""
    model = committed(taggers, name)
    tagged = tag(model, SPORTS)
    seen = set()
    for index, label in enumerate(tagged.tags):
        if label == "O":
            continue
        tokens, position = sentence_of(tagged, index)
        first, f_x, f_baseline = integrated_gradients(model, tokens, position, label)
        first_residual = abs(first.sum() - (f_x - f_baseline)) / abs(f_x - f_baseline)
        e = explain_token(model, tagged, index)
        assert e.completeness_residual <= COMPLETENESS_TOLERANCE or e.steps == MAX_STEPS
        assert (e.steps == DEFAULT_STEPS) == (first_residual <= COMPLETENESS_TOLERANCE)
        again, *_ = integrated_gradients(model, tokens, position, label, steps=e.steps)
        np.testing.assert_allclose(e.integrated_gradients, again.sum(1), rtol=1e-9, atol=1e-12)
        seen.add(e.steps)
    assert seen


@pytest.mark.parametrize("name", TAGGERS)
def test_quadrature_agrees_with_a_2000_step_riemann_sum(taggers, name):
    model = committed(taggers, name)
    tagged = tag(model, ROOSEVELT)
    tokens, position = sentence_of(tagged, 1)
    ours, f_x, f_baseline = integrated_gradients(model, tokens, position, tagged.tags[1])
    reference, _, _ = integrated_gradients(model, tokens, position, tagged.tags[1], steps=2000, rule="midpoint")
    ours, reference = ours.sum(1), reference.sum(1)
    assert abs(reference.sum() - (f_x - f_baseline)) <= 1e-3 * abs(f_x - f_baseline)  # the reference is complete
    np.testing.assert_allclose(ours, reference, atol=0.02 * np.abs(reference).max())


# ------------------------------------------------------------ figures and captions


def test_captions_read_true_for_every_sign():
    tokens = ["President", "Roosevelt", "spoke"]
    caption = explain_fig.integrated_gradients_caption(tokens, np.array([0.8, 2.5, -0.3]), 1, "B-PER")
    assert "Raising it most: “Roosevelt” (by 2.50), “President” (by 0.80)" in caption
    assert "Lowering it most: “spoke” (by 0.30)" in caption and "-0" not in caption
    none = explain_fig.integrated_gradients_caption(tokens, np.array([-0.1, -0.2, 0.0]), 1, "O")
    assert "No word raises it." in none and "(by 0.20)" in none
    assert explain_fig.probability_change(0.99, 0.2) == "falls from 99.0% to 20.0%"
    assert explain_fig.probability_change(0.2, 0.99) == "rises from 20.0% to 99.0%"
    assert explain_fig.probability_change(0.5, 0.5) == "stays at 50.0%"
    assert explain_fig.probability_change(0.5, 0.50001) == "barely moves from 50.0%"
    occlusion_text = explain_fig.occlusion_caption(tokens, np.array([0.6, 0.01, 0.9]), 0.9, 1, "B-PER")
    assert "it falls from 90.0% to 1.0%" in occlusion_text and "“President” moves it most" in occlusion_text
    assert "Replacing any of 1 other word changes nothing" in occlusion_text
    check = explain_fig.completeness_caption(2.31, -0.01, -2.34, 64)
    assert "sum to 2.31; f(x) − f(baseline) = −0.01 − (−2.34) = 2.33; residual 0.9%" in check
    flat = explain_fig.completeness_caption(0.0001, -0.001, -0.002, 64)
    assert "no residual worth dividing" in flat and "%" not in flat.split(";")[-1].split("(")[0]


def test_figures_show_the_views():
    tokens = ["<b>President</b>", "Roosevelt", "spoke"]
    parts = {"word": np.array([0.1, 1.0, -0.2]), "char": np.array([0.0, 0.5, 0.1]), "case": np.zeros(3)}
    bars = explain_fig.integrated_gradients_bars(tokens, parts, 1, "B-PER", 0.99)
    assert [trace.name for trace in bars.data] == ["word vector", "spelling (char-CNN)", "capitalisation", "total"]
    np.testing.assert_allclose(bars.data[-1].y, [0.1, 1.5, -0.1])
    assert "<b>" not in bars.to_json() and "B-PER" in bars.layout.title.text
    occluded = explain_fig.occlusion_bars(tokens, np.array([0.5, 0.01, 0.99]), 0.99, 1, "B-PER")
    assert list(occluded.data[0].marker.color) == [explain_fig.FOR, explain_fig.FOR, explain_fig.NEUTRAL]
    assert occluded.layout.shapes[0].y0 == 0.99
