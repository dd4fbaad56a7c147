"""The article's example, explained by both views (models/explain.py) on the committed BiLSTM-CRF: which word
made each Roosevelt what it is. Gradient × input of a probability of 0.99 once showed "Roosevelt" itself pushing
against being a person (−0.02): saturated, and false."""

import pytest

from models.explain import explain_token
from models.ner import load_tagger, tag
from ui.examples import ROOSEVELT


@pytest.fixture(scope="module")
def tagged():
    model, _ = load_tagger("bilstm")
    return model, tag(model, ROOSEVELT)


def test_roosevelt_is_a_person_because_of_the_word_itself_and_president_helps(tagged):
    model, result = tagged
    index = result.tokens.index("Roosevelt")
    assert result.tags[index] == "B-PER"
    e = explain_token(model, result, index)
    ig, at = e.integrated_gradients, e.position
    assert ig[at] > 0 and ig[at] == ig.max()  # the word itself pushes for B-PER, more than any other
    assert e.occlusion[at] == e.occlusion.min() < e.probability  # without it, the least likely to be a person
    president = e.tokens.index("President")
    assert ig[president] > 0 and e.occlusion[president] < e.probability


def test_street_makes_the_other_roosevelt_a_location(tagged):
    model, result = tagged
    index = result.tokens.index("Roosevelt", result.tokens.index("Roosevelt") + 1)
    assert result.tags[index] == "B-LOC"
    e = explain_token(model, result, index)
    others = [i for i in range(len(e.tokens)) if i != e.position]
    street = e.tokens.index("Street")
    assert max(others, key=lambda i: e.integrated_gradients[i]) == street  # the strongest push from another word
    assert min(others, key=lambda i: e.occlusion[i]) == street  # and the one whose absence costs the most
    assert e.occlusion[street] < e.probability
