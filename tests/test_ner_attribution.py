"""The article's example, explained: which word made each Roosevelt what it is."""

import numpy as np
import pytest

from models.ner import attribute, load_tagger, tag

ROOSEVELT = (
    "President Roosevelt was one of the most influential presidents in American history. "
    "However, Roosevelt Street in Manhattan was not named after him."
)


@pytest.fixture(scope="module")
def tagged():
    model, _ = load_tagger("bilstm")
    return model, tag(model, ROOSEVELT)


@pytest.mark.parametrize(("sentence", "label", "driver"), [(0, "B-PER", "President"), (1, "B-LOC", "Street")])
def test_the_deciding_word_drives_each_roosevelt(tagged, sentence, label, driver):
    model, result = tagged
    positions = [i for i, s in enumerate(result.sentence_ids) if s == sentence]
    tokens = [result.tokens[i] for i in positions]
    at = tokens.index("Roosevelt")
    assert result.tags[positions[at]] == label
    explained = attribute(model, tokens, at, label)
    others = [i for i in range(len(tokens)) if i != at]
    strongest = max(others, key=lambda i: explained.scores[i])
    assert tokens[strongest] == driver and explained.scores[strongest] > 0
    np.testing.assert_allclose(sum(explained.parts.values()), explained.scores, rtol=1e-5, atol=1e-6)
