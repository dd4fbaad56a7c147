"""The comparison page's figures and the charts' text alternatives: arrays in, figures and captions out."""

import json

import numpy as np
import pytest

import runtime
from figures import compare as fig
from figures import digits as digit_fig
from figures import speller as spell_fig
from figures import text as text_fig


def test_label_diff_marks_exactly_the_disagreements_and_escapes():
    tokens = ["<b>Jordan</b>", "scored", "."]
    html = fig.label_diff_html(tokens, ["B-LOC", "O", "O"], ["B-PER", "O", "O"])
    assert "<b>Jordan</b>" not in html and "&lt;b&gt;Jordan&lt;/b&gt;" in html
    assert html.count("dashed") == 2  # the one differing token, in both rows
    assert "B-LOC" in html and "B-PER" in html


def test_receptive_field_bars_shade_the_window_and_scale_each_model():
    tokens = [f"w{i}" for i in range(12)]
    cnn = np.zeros(12)
    cnn[3:8] = [0.1, -0.2, 0.4, 0.2, 0.1]
    rnn = np.linspace(-1, 2, 12)
    figure = fig.receptive_field_bars(tokens, cnn, rnn, position=5, radius=2)
    window = figure.layout.shapes[0]
    assert (window.x0, window.x1) == (2.5, 7.5)
    cnn_bar, rnn_bar = figure.data
    assert max(abs(np.asarray(cnn_bar.y))) == 1.0 and max(abs(np.asarray(rnn_bar.y))) == 1.0
    assert list(cnn_bar.customdata) == list(cnn)  # hover keeps the raw values
    assert figure.layout.title.text.startswith("Integrated gradients")
    # Occlusion: changes in probability, one unit for both models, drawn unscaled.
    occlusion = fig.receptive_field_bars(tokens, cnn / 4, rnn / 4, position=5, radius=2, view="occlusion")
    np.testing.assert_allclose(occlusion.data[0].y, cnn / 4)
    assert occlusion.layout.title.text.startswith("Occlusion") and occlusion.layout.yaxis.tickformat == "+.0%"
    with pytest.raises(ValueError, match="view"):
        fig.receptive_field_bars(tokens, cnn, rnn, 5, 2, view="saliency")


def test_reach_summary_counts_what_lies_outside_the_window():
    cnn = np.array([0, 0, 0.5, -1, 0.5, 0, 0])
    rnn = np.array([1, 0, 0, 2, 0, 0, 1])
    reach = fig.reach_summary(cnn, rnn, position=3, radius=1)
    assert reach == {
        "cnn_farthest": 1,
        "rnn_farthest": 3,
        "cnn_outside_total": 0.0,
        "rnn_outside_share": 0.5,
        "rnn_outside_largest": 1.0,
        "words_outside": 4,
    }


def test_reach_caption_says_exactly_zero_only_when_it_is():
    cnn = {"label": "B-PER", "probability": 0.915, "completeness": "residual 0.4%"}
    rnn = {"label": "B-PER", "probability": 0.989, "completeness": "residual under 0.1%"}
    ig = fig.reach_summary(np.array([1.0, 2.0, 0, 0]), np.array([1.0, 2.0, 0.5, 0.5]), position=0, radius=1)
    occluded = fig.reach_summary(np.array([-0.1, -0.9, 0, 0]), np.array([-0.1, -0.9, 0.02, -0.03]), 0, 1)
    caption = fig.reach_caption("Roosevelt", cnn, rnn, ig, occluded)
    assert caption.startswith("Why “Roosevelt”? The CNN labels it B-PER (91.5%), the BiLSTM B-PER (98.9%).")
    assert "2 words of this sentence lie outside the CNN's window" in caption
    assert "are exactly 0, and replacing any one of them changes its probability by exactly 0" in caption
    assert "carry 25% of its attribution" in caption and "by up to 3.0 percentage points" in caption
    assert "Completeness: CNN residual 0.4%; BiLSTM residual under 0.1%." in caption
    leaky = fig.reach_summary(np.array([1.0, 2.0, 0.1, 0]), np.array([1.0, 2.0, 0.5, 0.5]), position=0, radius=1)
    caption = fig.reach_caption("Roosevelt", cnn, rnn, leaky, occluded)
    assert "exactly 0" not in caption.split("On the BiLSTM")[0] and "add up to 0.1 in magnitude" in caption
    one_outside = fig.reach_summary(np.array([1.0, 0, 0]), np.array([1.0, 0.5, 0.5]), position=0, radius=1)
    assert "1 word of this sentence lies outside" in fig.reach_caption("a", cnn, rnn, one_outside, one_outside)
    inside = fig.reach_summary(np.array([1.0, 2.0]), np.array([1.0, 2.0]), position=0, radius=1)
    assert "fits inside the CNN's window" in fig.reach_caption("a", cnn, rnn, inside, inside)


def test_rows_read_image_dims_the_unread_rows():
    image = np.ones((28, 28), dtype=np.float32)
    figure = fig.rows_read_image(image, 10)
    shown = np.asarray(figure.data[0].z)
    assert np.all(shown[:10] == 1.0) and np.allclose(shown[10:], 0.25)
    assert not fig.rows_read_image(image, 28).layout.shapes


def test_step_lines_name_the_leading_classes():
    probs = np.full((28, 10), 0.01)
    probs[:, 7] = np.linspace(0.1, 0.9, 28)
    probs[:, 1] = np.linspace(0.6, 0.05, 28)
    figure = fig.step_probability_lines(probs, rows_read=12, top=2)
    named = {trace.name for trace in figure.data if trace.showlegend}
    assert named == {"“7”", "“1”"}
    assert figure.layout.shapes[0].x0 == 12


def test_captions_carry_the_numbers():
    probs = np.array([0.01, 0.02, 0.9, 0.07] + [0.0] * 6)
    assert digit_fig.probability_caption(probs) == "Probabilities, highest first: 2: 90.0%, 3: 7.0%, 1: 2.0%."
    image = np.zeros((28, 28))
    image[10:12, 5:9] = 1.0
    assert "8 of 784 pixels inked, in rows 10–11 and columns 5–8" in digit_fig.pixel_grid_caption(image)
    assert digit_fig.pixel_grid_caption(np.zeros((28, 28))) == "28×28 input: no ink."
    maps = np.zeros((4, 7, 7))
    maps[2, 3, 3] = 1.5
    assert "strongest is channel 2 (peak 1.50); 3 channels stay at zero" in digit_fig.feature_map_caption(maps, "c")
    tokens = ["President", "Roosevelt", "spoke"]
    marginals = np.array([[0.9, 0.1, 0], [0.02, 0.98, 0], [0.6, 0.3, 0.1]])
    caption = text_fig.marginals_caption(tokens, marginals, ("O", "B-PER", "I-PER"))
    assert "Roosevelt B-PER 98%" in caption and "Least sure: “spoke”, 60% for O" in caption
    symbols = ["a", "k", "c"]
    assert "k 90%" in spell_fig.next_letter_caption("networ", symbols, np.array([0.05, 0.9, 0.05]), "c")


def test_figures_serialise():
    figure = fig.receptive_field_bars(["a", "b"], np.array([0.0, 1.0]), np.array([1.0, 1.0]), 1, 4)
    json.loads(figure.to_json())


def _speed(cnn_one, rnn_one, cnn_two, rnn_two):
    def model(one, two):
        return {"timings_ms": {"1": {"encoder": one, "tagging": [t * 2 for t in one]}, "2": {"encoder": two}}}

    return {"lengths": [5, 320], "models": {"cnn": model(cnn_one, cnn_two), "bilstm": model(rnn_one, rnn_two)}}


def test_speed_note_words_each_comparison_from_the_numbers():
    from figures.measured import speed_note

    note = speed_note(_speed([1.3, 6.0], [0.5, 8.0], [0.9, 3.0], [0.6, 6.0]))
    assert "8.0 ms (BiLSTM) and 6.0 ms (CNN)" in note and "so the CNN is faster there" in note
    assert "For 5 words the CNN is the slower (1.3 against 0.5 ms)" in note
    assert "time at 320 words falls by 50% and the BiLSTM's falls by 25%: the convolution gains more" in note
    assert "BiLSTM-CRF 16.0 ms, the CNN tagger 12.0 ms" in note
    flipped = speed_note(_speed([0.4, 9.0], [0.5, 8.0], [0.4, 8.5], [0.5, 4.0]))
    assert "so the BiLSTM is faster there" in flipped and "the slower" not in flipped
    assert "CNN's time at 320 words falls by 6% and the BiLSTM's falls by 50%: here the BiLSTM gains more" in flipped


@pytest.mark.parametrize(
    ("before", "after", "phrase"),
    [
        (10.0, 7.0, "falls by 30%"),
        (10.9, 12.5, "rises by 15%"),
        (5.0, 5.01, "stays the same"),
        (0.0, 1.0, "stays the same"),
    ],
)
def test_a_time_change_reads_true_for_either_sign(before, after, phrase):
    from figures.measured import time_change

    assert time_change(before, after) == phrase
    assert "-" not in time_change(before, after)


def test_the_committed_speed_note_never_prints_a_negative_change():
    from figures.measured import speed_note

    note = speed_note(json.loads((runtime.weights_dir() / "ner_speed.json").read_text()))
    assert "by -" not in note


def _tilts(cnn: float, rnn: float) -> dict[str, dict]:
    """Manifests that hold only what the note reads: each model's largest training rotation."""
    return {name: {"training": {"augment": {"max_rotation_deg": deg}}} for name, deg in (("cnn", cnn), ("rnn", rnn))}


def _robustness() -> dict:
    return json.loads((runtime.weights_dir() / "robustness.json").read_text())


@pytest.mark.parametrize("curve", ["shift_x", "shift_y", "rotate", "occlude_top", "occlude_bottom"])
def test_each_robustness_explanation_holds_on_the_committed_curves(curve):
    from figures.measured import ROBUSTNESS_CLAIMS, robustness_note

    note = robustness_note(_robustness(), curve, _tilts(12.0, 12.0))
    assert note.startswith(ROBUSTNESS_CLAIMS[curve].why[:40])
    assert "do not show" not in note


def test_a_robustness_explanation_the_numbers_contradict_is_not_shown():
    from figures.measured import ROBUSTNESS_CLAIMS, robustness_note

    results = _robustness()
    # Swap the two models: the RNN now holds up sideways and the CNN falls.
    results["models"]["cnn"], results["models"]["rnn"] = results["models"]["rnn"], results["models"]["cnn"]
    note = robustness_note(results, "shift_x", _tilts(12.0, 12.0))
    assert ROBUSTNESS_CLAIMS["shift_x"].why[:40] not in note and "do not show" in note
    assert "points higher at -8 px" in note and "-8 px" in note


def test_the_rotation_note_names_each_models_training_tilt():
    from figures.measured import robustness_note

    same = robustness_note(_robustness(), "rotate", _tilts(12.0, 12.0))
    assert "tilted by at most 12° in training" in same
    different = robustness_note(_robustness(), "rotate", _tilts(10.0, 15.0))
    assert "10° (CNN) and 15° (RNN)" in different


def test_the_model_descriptions_follow_the_configs():
    from models.cnn import DigitCNNConfig
    from models.rnn import RowRNNConfig

    assert fig.cnn_description(DigitCNNConfig(kernel_size=3)) == "CNN (5 conv layers of 3×3)"
    assert fig.cnn_description(DigitCNNConfig(kernel_size=5)) == "CNN (5 conv layers of 5×5)"
    assert fig.rnn_description(RowRNNConfig(layers=3, hidden=64), 28) == "RNN (3-layer LSTM of 64 units over 28 rows)"
    assert "row of 14 pixels" in fig.reading_note(DigitCNNConfig(kernel_size=5), RowRNNConfig(row_size=14))
    assert "every 5×5 patch" in fig.reading_note(DigitCNNConfig(kernel_size=5), RowRNNConfig(row_size=14))


def test_a_missing_manifest_figure_shows_as_a_dash_not_zero():
    rows = fig.models_table(
        [("CNN", {"metrics": {}}, 1.234), ("RNN", {"parameters": 1234}, 2.0)], fig.DIGIT_METRIC, "digit"
    )
    assert rows[0]["parameters"] == "—" and rows[0]["MNIST test accuracy"] == "—"
    assert rows[1]["parameters"] == "1,234" and rows[0]["time for this digit (ms)"] == 1.23


def test_the_timing_caption_counts_the_runs_it_took():
    manifests = {
        "cnn": {"metrics": {"mnist_test_n": 10000}, "evaluate_command": "python -m training.evaluate digits"},
        "rnn": {"metrics": {"mnist_test_n": 10000}},
    }
    caption = fig.digit_models_caption(manifests, timing_runs=4)
    assert "the 10,000 MNIST test images" in caption and "the median of 4 runs" in caption
    assert "`python -m training.evaluate digits`" in caption


def test_the_rows_read_caption_follows_the_reading():
    step_probs = np.full((4, 10), 0.05)
    step_probs[:2, 3] = 0.55  # a 3 for two rows, then a 7
    step_probs[2:, 7] = 0.55
    assert fig.rows_read_caption(step_probs, 1, 3).startswith("After 1 of 4 rows the RNN's best guess is **3** (55%)")
    assert "Its final answer, 7, is on top from row 3 on." in fig.rows_read_caption(step_probs, 4, 3)
    assert "only settles on its answer at the very last row" in fig.rows_read_caption(step_probs, 4, None)
    assert "4 rows" in fig.row_memory_caption(np.zeros((4, 6))) and "6 numbers" in fig.row_memory_caption(
        np.zeros((4, 6))
    )


def test_the_tagger_descriptions_and_table_follow_configs_and_manifests():
    from types import SimpleNamespace

    cnn = SimpleNamespace(encoder="cnn", conv_dilations=[1, 2, 4, 1], crf=False)
    assert fig.tagger_description(cnn) == "CNN tagger (4 dilated convolutions)"
    assert fig.tagger_description(SimpleNamespace(encoder="bilstm", lstm_layers=1, crf=True)) == "BiLSTM-CRF"
    assert fig.tagger_description(SimpleNamespace(encoder="bilstm", lstm_layers=2, crf=False)) == "2-layer BiLSTM"
    rows = fig.models_table([("CNN tagger", {"metrics": {"test_f1": 88.123}}, 3.21)], fig.TAGGER_METRIC, "text")
    assert rows == [
        {"model": "CNN tagger", "parameters": "—", "CoNLL-2003 test F1": "88.12", "time for this text (ms)": 3.2}
    ]
    assert "`python -m x`" in fig.tagger_models_caption({"cnn": {"evaluate_command": "python -m x"}})
