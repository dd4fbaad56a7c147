"""The speller's parts against references: edit distances against their recursive definition, the index
against a scan of the dictionary, the context model's two directions against what they may see."""

import functools
import random

import numpy as np
import pytest
import torch

from models.speller.alignment import alignment_costs, osa_alignment, osa_distance
from models.speller.alphabet import EDITABLE_CODES, NUM_SEGMENTS, VOCAB_SIZE, encode, pad_codes
from models.speller.context import ContextConfig, ContextLM, WordVocab, pad_sentences, reverse_padded
from models.speller.index import DeleteIndex
from models.speller.text import lm_form, sentences, tokenize


def osa_reference(a: str, b: str) -> int:
    """OSA distance by its recursive definition, memoised: independent of any table-filling code."""

    @functools.cache
    def d(i: int, j: int) -> int:
        if i == 0 or j == 0:
            return i + j
        best = min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))
        if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
            best = min(best, d(i - 2, j - 2) + 1)
        return best

    return d(len(a), len(b))


def unit_cost_matrix() -> np.ndarray:
    """Costs that make alignment_costs the OSA distance (markers and padding never edited)."""
    cost = np.full((NUM_SEGMENTS + 1, NUM_SEGMENTS + 1), np.inf, dtype=np.float32)
    for code in (1, 2, *EDITABLE_CODES):  # BOS, EOS and every editable symbol match themselves for free
        cost[1 + code, 1 + code] = 0.0
    for x in EDITABLE_CODES:
        cost[0, 1 + x] = 1.0  # deletion
        cost[1 + x, 0] = 1.0  # insertion
        for y in EDITABLE_CODES:
            if x != y:
                cost[1 + y, 1 + x] = 1.0  # substitution
                cost[1 + VOCAB_SIZE + y * VOCAB_SIZE + x, 1 + VOCAB_SIZE + x * VOCAB_SIZE + y] = 1.0  # swap
    return cost


def random_words(n: int, seed: int, alphabet: str = "abcde'", max_len: int = 9) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(max_len + 1))) for _ in range(n)]


def test_osa_distance_known_values():
    assert osa_distance("", "") == 0
    assert osa_distance("abc", "") == 3
    assert osa_distance("kitten", "sitting") == 3
    assert osa_distance("teh", "the") == 1  # one swap
    assert osa_distance("ca", "abc") == 3  # OSA edits no substring twice (true Damerau-Levenshtein gives 2)


def test_osa_distance_and_alignment_match_the_recursive_definition():
    words = random_words(100, seed=1)
    for a in words[:50]:
        for b in words[50:]:
            expected = osa_reference(a, b)
            assert osa_distance(a, b) == expected, (a, b)
            steps = osa_alignment(a, b)
            assert "".join(s for s, _ in steps) == a and "".join(t for _, t in steps) == b
            assert sum(s != t for s, t in steps) == expected, (a, b, steps)


def test_learned_alignment_with_unit_costs_is_the_osa_distance():
    words = random_words(300, seed=2)
    codes, lengths = pad_codes(words)
    unit = unit_cost_matrix()
    for query in ["", "a", "ab", "abcab", "badcae", "eeeeee", "ab'cd", "abcdeabcdeab"]:
        expected = np.array([osa_reference(query, w) for w in words])
        assert (alignment_costs(unit, encode(query), codes, lengths)[0] == expected).all()


def test_delete_index_finds_exactly_the_words_within_distance_two():
    rng = random.Random(3)
    dictionary = sorted(set(random_words(1500, seed=4, alphabet="abcdefg", max_len=11)))
    index = DeleteIndex(dictionary, max_distance=2, prefix_length=7)
    queries = [rng.choice(dictionary) for _ in range(40)]
    queries += ["".join(rng.choice("abcdefgh") for _ in range(rng.randrange(14))) for _ in range(60)]
    queries += ["", "a", "abcdefgabcdefg", "gfedcbagfedcba"]
    for query in queries:
        ids, distances = index.lookup(query)
        found = {dictionary[i]: int(d) for i, d in zip(ids, distances, strict=True)}
        expected = {w: osa_reference(query, w) for w in dictionary if osa_reference(query, w) <= 2}
        assert found == expected, query


def test_tokens_keep_offsets_and_sentences():
    text = 'He said "thanks four the help." Then he left!\n\nA new one, with www.example.org and 42 cats.'
    found = tokenize(text)
    for token in found:
        assert text[token.start : token.end] == token.text
    words = [token.text for token in found if token.kind == "word"]
    assert words[:5] == ["He", "said", "thanks", "four", "the"]
    assert [t.kind for t in found if t.text.startswith("www")] == ["url"]
    groups = [[found[i].text for i in group] for group in sentences(found)]
    assert groups[0][-1] == "." and groups[1][:2] == ['"', "Then"] and groups[2][0] == "A"
    forms = {t.text: lm_form(t) for t in found}
    assert forms["42"] == "<num>" and forms["Then"] == "then" and forms["www.example.org"] == "<unk>"
    opening = {t.text for t in found if t.opens_sentence and t.kind == "word"}
    assert {"He", "Then", "A"} <= opening and "four" not in opening


def test_reverse_padded_reverses_each_row_within_its_length():
    x = torch.arange(12).view(2, 6)
    lengths = torch.tensor([4, 6])
    reversed_x = reverse_padded(x[..., None], lengths)[..., 0]
    assert reversed_x.tolist() == [[3, 2, 1, 0, 4, 5], [11, 10, 9, 8, 7, 6]]
    assert torch.equal(reverse_padded(reversed_x[..., None], lengths)[..., 0], x)


def test_each_direction_of_the_context_model_sees_only_its_own_side():
    """The left query at t may depend on ids[:t] only, the right query on ids[t + 1 :] only."""
    torch.manual_seed(0)
    vocab = WordVocab(["<pad>", "<s>", "<unk>", "<num>", *"abcdefgh"])
    model = ContextLM(ContextConfig(vocab_size=len(vocab), word_dim=8, hidden_size=12)).eval()
    ids, lengths = pad_sentences([vocab.encode(list("abcdef")), vocab.encode(list("gh"))])
    base = model(ids, lengths)
    t = 3
    changed = ids.clone()
    changed[0, t] = vocab.ids["h"]
    out = model(changed, lengths)
    assert torch.allclose(out.left_query[0, : t + 1], base.left_query[0, : t + 1])  # positions <= t read only < t
    assert not torch.allclose(out.left_query[0, t + 1], base.left_query[0, t + 1])
    assert torch.allclose(out.right_query[0, t:], base.right_query[0, t:])  # positions >= t read only > t
    assert not torch.allclose(out.right_query[0, t - 1], base.right_query[0, t - 1])
    # The padded row's answers do not depend on the padding.
    alone = model(*pad_sentences([vocab.encode(list("gh"))]))
    assert torch.allclose(alone.right_query[0], base.right_query[1, : lengths[1]], atol=1e-6)
    assert torch.allclose(alone.left_query[0], base.left_query[1, : lengths[1]], atol=1e-6)


def test_context_logits_for_chosen_words_match_the_full_matrix():
    torch.manual_seed(1)
    model = ContextLM(ContextConfig(vocab_size=30, word_dim=8, hidden_size=12)).eval()
    query = torch.randn(5, 8)
    words = torch.randint(0, 30, (5, 4))
    for direction in ("left", "right"):
        full = model.logits(query, direction)
        assert torch.allclose(model.logits(query, direction, words), full.gather(1, words), atol=1e-5)


@pytest.mark.parametrize("bad", ["<s> word", "word"])
def test_vocab_must_start_with_the_special_symbols(bad):
    with pytest.raises(ValueError):
        WordVocab(bad.split())
