"""Words run together and split apart (issue 22), and the false alarms that must not happen: names kept as
typed wherever they stand, British and American spellings left alone both ways."""

import json
import subprocess
import sys

import pytest
import torch

from models.speller import correct_text, correct_tokens
from models.speller.corrector import find_joins
from models.speller.reading import read_joins
from models.speller.text import lm_form, sentences, tokenize
from models.speller.variants import are_variants, variant_key
from runtime import PROJECT_ROOT
from tests.speller import fixed
from training.speller.evaluation import align_tokens, evaluate_corrections, evaluate_sentences, read_sentence_pairs

RUN_TOGETHER = PROJECT_ROOT / "tests" / "data" / "speller_run_together.tsv"


# ---------------------------------------------------------------------------------------------
# Splits


@pytest.mark.parametrize(
    ("wrong", "right"),
    [
        ("my old one brokedown", "my old one broke down"),
        ("I like it alot.", "I like it a lot."),
        ("He stood infront of the house.", "He stood in front of the house."),
        ("Alot of people came.", "A lot of people came."),
    ],
)
def test_words_run_together_are_split_in_context(speller, wrong, right):
    flags = correct_text(speller, wrong)
    assert [f.kind for f in flags] == ["split"], flags
    assert fixed(speller, wrong) == right


def test_a_split_is_left_alone_where_one_word_fits(speller):
    """ "allmost" splits into two known words, "all most", but one word fits the sentence far better."""
    text = "It was allmost dark when we got home."
    flags = correct_text(speller, text, k=20)
    assert [(f.word, f.kind, f.suggestions[0].word) for f in flags] == [("allmost", "unknown", "almost")]
    assert "all most" in [s.word for s in flags[0].suggestions]


def test_a_split_is_one_token_with_its_space(speller):
    assert correct_tokens(speller, "I like it alot .".split()) == ["I", "like", "it", "a lot", "."]


def test_the_run_together_set_is_mostly_fixed(speller):
    """The shipped set of words run together: at least 80% split right, with the RNN reading the sentence."""
    pairs = read_sentence_pairs(RUN_TOGETHER)
    assert len(pairs) >= 25
    result = evaluate_sentences(speller, pairs, context=True)
    assert result["skipped"] == 0 and result["n_errors"] == len(pairs)
    assert result["correction_rate"] >= 0.8, result


# ---------------------------------------------------------------------------------------------
# Joins


@pytest.mark.parametrize(
    ("wrong", "right"),
    [
        ("Every one was happy at the party.", "Everyone was happy at the party."),
        ("Some times I walk to school.", "Sometimes I walk to school."),
        ("I did it all by my self.", "I did it all by myself."),
        ("They looked every where for the dog.", "They looked everywhere for the dog."),
    ],
)
def test_two_words_that_make_one_are_joined_in_context(speller, wrong, right):
    flags = correct_text(speller, wrong)
    assert [f.kind for f in flags] == ["join"], flags
    assert flags[0].typed is not None and flags[0].typed.word == flags[0].word and " " in flags[0].word
    assert fixed(speller, wrong) == right


@pytest.mark.parametrize(
    "text",
    [
        "Every one of them came to the party.",
        "I gave a present to every one of my friends.",
        "There were some times when I was sad.",
        "It was a new car.",
        "I may be late.",
    ],
)
def test_two_words_are_left_apart_where_they_fit(speller, text):
    assert find_joins(speller, text, tokenize(text)), "no join was even considered"
    assert correct_text(speller, text) == []


def test_a_join_gives_its_word_to_the_first_token(speller):
    assert correct_tokens(speller, "Some times I walk to school .".split()) == [
        "Sometimes",
        "",
        *"I walk to school .".split(),
    ]


def test_joins_are_read_as_defined(speller):
    """read_joins batches every variant of every sentence; each score must still be log P of the variant's
    words and the W words after them (forwards), and of the variant's words and the W words before them
    (backwards), with the variant in place and the sentence read alone, full softmax each time."""
    from models.speller.context import pad_sentences

    text = "Some times I walk to school. I did it all by my self."
    found = tokenize(text)
    joins = find_joins(speller, text, found)
    read_joins(speller, found, joins)
    window, model, column = speller.config.context_window, speller.model.context, speller.feature
    assert len(joins) >= 2
    for join in joins:
        group = next(g for g in sentences(found) if join.first in g)
        position = group.index(join.first) + 1
        typed = speller.vocab.encode([lm_form(found[i]) for i in group])
        variants = [[int(speller.context_ids[i]) for i in join.typed_ids], [int(speller.context_ids[join.joined_id])]]
        for row, words in enumerate(variants):
            ids = typed[:position] + words + typed[position + 2 :]
            batch, lengths = pad_sentences([ids])
            with torch.inference_mode():
                out = model(batch, lengths)
                left = model.logits(out.left_query[0], "left").log_softmax(-1)[torch.arange(len(ids)), batch[0]]
                right = model.logits(out.right_query[0], "right").log_softmax(-1)[torch.arange(len(ids)), batch[0]]
            m = len(words)
            forwards = left[position : min(position + m - 1 + window, len(ids) - 1) + 1].sum().item()
            backwards = right[max(position - window, 0) : position + m].sum().item()
            assert join.features[row, column["context_left"]] == pytest.approx(forwards, abs=1e-3)
            assert join.features[row, column["context_right"]] == pytest.approx(backwards, abs=1e-3)


def test_models_speller_text_shows_a_join():
    text = "Some times I walk to school."
    result = subprocess.run(
        [sys.executable, "-m", "models", "speller", "--text", text],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    flags = json.loads(result.stdout)["flags"]
    assert [(f["kind"], f["word"], f["suggestions"][0]["word"]) for f in flags] == [("join", "Some times", "Sometimes")]
    assert text[flags[0]["start"] : flags[0]["end"]] == "Some times" and flags[0]["typed"]["word"] == "Some times"


# ---------------------------------------------------------------------------------------------
# Scoring splits and joins in `python -m training.evaluate speller --sentences`


def test_alignment_pairs_splits_and_joins():
    assert align_tokens("a b".split(), "a b".split()) == [(0, 1, 0, 1), (1, 2, 1, 2)]
    assert align_tokens("I like it alot .".split(), "I like it a lot .".split())[3] == (3, 4, 3, 5)
    assert align_tokens("Some times I go".split(), "Sometimes I go".split())[0] == (0, 2, 0, 1)
    assert align_tokens("one two three".split(), "one two".split()) is None


def test_splits_and_joins_count_as_one_error_each():
    pairs = [("I like it alot .", "I like it a lot ."), ("Some times I go .", "Sometimes I go .")]
    answers = {
        "I like it alot .": ["I", "like", "it", "a lot", "."],
        "Some times I go .": ["Sometimes", "", "I", "go", "."],
    }
    result = evaluate_corrections(lambda tokens: answers[" ".join(tokens)], pairs)
    assert (result["n_errors"], result["n_fixed"], result["n_false_alarms"], result["skipped"]) == (2, 2, 0, 0)
    assert result["n_tokens"] == 9 and result["accuracy"] == 1.0
    # Left as typed, neither is fixed; a join where none was meant changes two right tokens.
    left = evaluate_corrections(lambda tokens: list(tokens), pairs)
    assert (left["n_errors"], left["n_fixed"], left["n_false_alarms"]) == (2, 0, 0)
    joined = evaluate_corrections(lambda tokens: ["Sometimes", "", "I", "go", "."], [("Some times I go .",) * 2])
    assert joined["n_false_alarms"] == 2 and joined["n_errors"] == 0


# ---------------------------------------------------------------------------------------------
# False alarms


@pytest.mark.parametrize(
    "text",
    [
        "Bobick worked at MIT.",
        "Citrone played for the club.",
        "Gaudin was born in Paris.",
        "Belgrano fought in the war.",
        "Eberhard wrote the book.",
        "Okonkwo went home.",
        "Aaron Bobick worked at MIT with Marie Citrone.",
        "Then Paul Gaudin and Manuel Belgrano spoke to Karl Eberhard.",
    ],
)
def test_surnames_stay_as_typed_at_the_start_and_after_a_first_name(speller, text):
    assert correct_text(speller, text) == []


@pytest.mark.parametrize(
    ("wrong", "right"),
    [
        ("Becuase it rained, we stayed.", "Because it rained, we stayed."),
        ("Teh end.", "The end."),
        ("Towrad three o'clock they came.", "Toward three o'clock they came."),
    ],
)
def test_typos_opening_a_sentence_are_still_fixed(speller, wrong, right):
    assert fixed(speller, wrong) == right


@pytest.mark.parametrize(
    "text",
    [
        "I did it in your favour.",
        "Do me a favor.",
        "We went to the theatre.",
        "We went to the theater.",
        "She was traveling alone.",
        "She was travelling alone.",
        "What colour is it?",
        "What color is it?",
    ],
)
def test_british_and_american_spellings_are_left_alone(speller, text):
    assert correct_text(speller, text) == []


def test_variants_are_the_two_spellings_of_one_word():
    for british, american in [
        ("favour", "favor"),
        ("theatre", "theater"),
        ("travelling", "traveling"),
        ("colours", "colors"),
        ("realise", "realize"),
        ("defence", "defense"),
        ("catalogue", "catalog"),
        ("grey", "gray"),
    ]:
        assert are_variants(british, american) and are_variants(american, british)
        assert variant_key(british) == variant_key(american) == american
    for a, b in [("four", "for"), ("filled", "filed"), ("prise", "prize"), ("hour", "hor"), ("favour", "favour")]:
        assert not are_variants(a, b)


def test_handles_hashtags_and_identifiers_are_never_corrected(speller):
    """Names someone chose are not misspellings: the words of @handles, #hashtags, snake_case and paths,
    glued to their mark or after a lone one (tweets as a corpus tokenises them), get no flag, no split."""
    for text in (
        "@colgo congrats to matt_levinson on #auspol",
        "@ cowboypirate loved the #studentsfirst talk on r/sciense",
    ):
        flagged = [text[f.start : f.end] for f in correct_text(speller, text) if f.suggestions]
        assert not set(flagged) & {
            "colgo",
            "matt_levinson",
            "levinson",
            "auspol",
            "cowboypirate",
            "studentsfirst",
            "sciense",
        }
    # The same misspelling as prose is still fixed.
    assert [f.suggestions[0].word for f in correct_text(speller, "I loved the sciense talk")] == ["science"]
