"""Models and data cached once per process with st.cache_resource.

Cached objects are shared by every session and thread, so they must be read-only:
the models' forward passes return their activations instead of storing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

import runtime
from figures import digits as digit_figures
from models.digits import initial_cnn, layer_drift, load_digit_model
from models.pen import load_pen_model
from sources.mnist import GALLERY_FILE

FILTER_SNAPSHOTS_FILE = "cnn_filters.npz"


def weights_file(name: str) -> Path:
    """A file in the weights folder ($CNNRNN_WEIGHTS), resolved when it is read."""
    return runtime.weights_dir() / name


def weights_key() -> str:
    """The weights folder, as the cached analyses below take it in their key: results computed with one
    folder's weights are never answered for another's."""
    return str(runtime.weights_dir())


@dataclass(frozen=True)
class Gallery:
    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,)
    test_indices: np.ndarray  # (N,) positions in the MNIST test set


@st.cache_resource(show_spinner="Loading the digit model…")
def digit_model(kind: str = "cnn"):
    """(model, manifest). Raises checkpoint.WeightsError, which is not cached, so a
    rebuilt file is picked up on the next rerun."""
    model, manifest = load_digit_model(kind)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model, manifest


@st.cache_resource(show_spinner="Loading the pen model…")
def pen_model():
    """(the pen GRU, manifest); raises checkpoint.WeightsError (not cached). Read-only once loaded."""
    model, manifest = load_pen_model()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model, manifest


@st.cache_resource
def gallery() -> Gallery | None:
    try:
        with np.load(weights_file(GALLERY_FILE)) as archive:
            return Gallery(archive["images"], archive["labels"], archive["test_indices"])
    except (OSError, KeyError, ValueError):
        return None


@st.cache_resource
def filter_history():
    """(figure, summary) from the training script's filter snapshots, built once; or None.
    Shared between sessions, so callers must not modify the figure."""
    try:
        with np.load(weights_file(FILTER_SNAPSHOTS_FILE)) as archive:
            filters, train_loss = archive["filters"], archive["train_loss"]
    except (OSError, KeyError, ValueError):
        return None
    figure = digit_figures.filters_before_after(filters[0], filters[-1], epochs=len(filters) - 1)
    return figure, digit_figures.filter_training_summary(filters, train_loss)


@st.cache_resource
def initial_digit_cnn():
    """The digit CNN at its random start, rebuilt from its manifest's seed; None when the rebuild does not
    match the saved first-layer snapshot (so nothing unverified is shown) or a file is missing.
    Raises checkpoint.WeightsError like digit_model."""
    model, manifest = digit_model("cnn")
    seed = manifest.get("training", {}).get("seed")
    try:
        with np.load(weights_file(FILTER_SNAPSHOTS_FILE)) as archive:
            first = archive["filters"][0]  # (C1, k, k) at initialisation
    except (OSError, KeyError, ValueError):
        return None
    if seed is None:
        return None
    initial = initial_cnn(model.config, seed)
    if not np.array_equal(initial.conv1.weight.detach()[:, 0].numpy(), first):
        return None
    for parameter in initial.parameters():
        parameter.requires_grad_(False)
    return initial


@st.cache_resource
def layer_drift_chart():
    """(figure, caption) of how far training moved each layer, or None without a verified start.
    Shared between sessions, so callers must not modify the figure."""
    initial = initial_digit_cnn()
    if initial is None:
        return None
    drifts = layer_drift(initial, digit_model("cnn")[0])
    return digit_figures.layer_drift_bars(drifts), digit_figures.layer_drift_caption(drifts)


@st.cache_resource
def gallery_sheet_png() -> bytes | None:
    """The gallery as one numbered picture, PNG-encoded once per process."""
    from io import BytesIO

    from PIL import Image

    pictures = gallery()
    if pictures is None:
        return None
    buffer = BytesIO()
    Image.fromarray(digit_figures.gallery_sheet(pictures.images)).save(buffer, format="PNG")
    return buffer.getvalue()


@st.cache_resource(show_spinner="Loading the tagger…")
def ner_tagger(kind: str = "bilstm"):
    """(model, manifest); raises checkpoint.WeightsError (not cached). Read-only once loaded:
    attribution takes gradients with respect to a copy of the inputs, never the parameters."""
    from models.ner import load_tagger

    model, manifest = load_tagger(kind)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model, manifest


@st.cache_resource(show_spinner="Loading the speller…")
def speller():
    """(corrector, manifest); raises checkpoint.WeightsError (not cached). Read-only once built."""
    from models.speller import load_speller

    corrector, manifest = load_speller()
    for parameter in corrector.model.parameters():
        parameter.requires_grad_(False)
    return corrector, manifest


@st.cache_resource
def measured_json(name: str) -> dict | None:
    """A results file written by a measuring script under weights/ (robustness.json, ner_speed.json),
    read once; None when missing or unreadable. Shared: callers must not modify it."""
    import json

    try:
        return json.loads(weights_file(name).read_text())
    except (OSError, ValueError):
        return None


# Classroom texts: everyone on the same preset gets the same tagging and corrections, computed once per
# process. Bounded: each entry is one text of at most ui.inputs.MAX_CHARS characters.
TEXT_CACHE_ENTRIES = 256


@st.cache_data(max_entries=TEXT_CACHE_ENTRIES, show_spinner=False)
def tagged_text(text: str, weights_dir: str):
    """The BiLSTM-CRF's tagging of `text` (models.ner.tag). `weights_dir` (weights_key()) is part of
    the key, so weights read from elsewhere are never answered from another folder's results. Call after
    ner_tagger() has loaded; a copy per call, so callers may modify it."""
    from models.ner import tag

    return tag(ner_tagger("bilstm")[0], text)


@st.cache_data(max_entries=TEXT_CACHE_ENTRIES, show_spinner=False)
def explained_token(text: str, index: int, weights_dir: str):
    """models.explain.explain_token for token `index` of `text` by the BiLSTM-CRF: integrated gradients and
    occlusion, about 230 ms, so a rerun that only moves another control (the speller's "Without the RNN")
    does not pay it again. Keyed like tagged_text; call after ner_tagger() has loaded; a copy per call."""
    from models.explain import explain_token

    return explain_token(ner_tagger("bilstm")[0], tagged_text(text, weights_dir), index)


@st.cache_data(max_entries=TEXT_CACHE_ENTRIES, show_spinner=False)
def text_corrections(text: str, protected: tuple[tuple[int, int], ...], weights_dir: str):
    """(with the RNN's context, without it): models.speller.correct_text of `text`, leaving the `protected`
    (start, end) spans alone. Call after speller() has loaded; a copy per call."""
    from models.speller import correct_text

    corrector = speller()[0]
    spans = list(protected)
    return (
        correct_text(corrector, text, protected_spans=spans, context=True),
        correct_text(corrector, text, protected_spans=spans, context=False),
    )


@st.cache_data(max_entries=TEXT_CACHE_ENTRIES, show_spinner=False)
def compared_explanations(text: str, index: int, weights_dir: str):
    """models.compare.explain_both for token `index` of `text`: both taggers' integrated gradients and
    occlusion, the comparison page's costliest work on a sentence. Keyed like tagged_text; call after both
    ner_tagger()s have loaded. The page's own tagging stays uncached: it shows how long each one took."""
    from models.compare import compare_text, explain_both

    cnn, rnn = ner_tagger("cnn")[0], ner_tagger("bilstm")[0]
    return explain_both(cnn, rnn, compare_text(cnn, rnn, text), index)


# Digits drawn or picked: an entry is two 28x28 maps, keyed by the preprocessed image's bytes.
DIGIT_CACHE_ENTRIES = 256


@st.cache_data(max_entries=DIGIT_CACHE_ENTRIES, show_spinner=False)
def digit_occlusions(image28: np.ndarray, patch: int, weights_dir: str):
    """(CNN map, RNN map): models.occlusion.digit_occlusion of a preprocessed (28, 28) digit, about 90 ms
    of forward passes; a class on the same gallery digit computes it once. Call after both digit_model()s
    have loaded."""
    from models.occlusion import digit_occlusion

    return digit_occlusion(digit_model("cnn")[0], digit_model("rnn")[0], image28, patch=patch)
