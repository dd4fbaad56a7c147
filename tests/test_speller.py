import argparse
import functools
import hashlib
import random
import threading
import time

import numpy as np
import pytest
import torch

from models import checkpoint
from models.speller import (
    UNIT_COST,
    DeleteIndex,
    Speller,
    SpellerConfig,
    alignment_costs,
    apply_case,
    cli_json,
    correct_text,
    encode,
    load_speller,
    next_letter_distributions,
    osa_distance,
    osa_distances,
    pad_codes,
    suggest,
)


def osa_reference(a: str, b: str) -> int:
    """OSA distance by its recursive definition, memoised: independent of the table-filling code."""

    @functools.cache
    def d(i: int, j: int) -> int:
        if i == 0 or j == 0:
            return i + j
        best = min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))
        if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
            best = min(best, d(i - 2, j - 2) + 1)
        return best

    return d(len(a), len(b))


def random_words(n: int, seed: int, alphabet: str = "abcde'", max_len: int = 9) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(max_len + 1))) for _ in range(n)]


def test_osa_distance_known_values():
    assert osa_distance("", "") == 0
    assert osa_distance("abc", "") == 3
    assert osa_distance("kitten", "sitting") == 3
    assert osa_distance("teh", "the") == 1  # one swap
    assert osa_distance("ca", "abc") == 3  # OSA edits no substring twice (true Damerau-Levenshtein gives 2)
    assert osa_distance("recieve", "receive") == 1


def test_osa_distance_matches_the_recursive_definition():
    words = random_words(120, seed=1)
    for a in words[:60]:
        for b in words[60:]:
            assert osa_distance(a, b) == osa_reference(a, b), (a, b)


def test_batched_distances_match_the_reference():
    words = random_words(300, seed=2)
    codes, lengths = pad_codes(words)
    for query in ["", "a", "ab", "abcab", "badcae", "eeeeee", "ab'cd", "abcdeabcdeab"]:
        expected = np.array([osa_reference(query, w) for w in words])
        assert (osa_distances(encode(query), codes, lengths) == expected).all()
        assert (alignment_costs(UNIT_COST, encode(query), codes, lengths)[0] == expected).all()


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


# ---------------------------------------------------------------------------------------------
# With the committed weights


@pytest.fixture(scope="module")
def speller_and_manifest():
    try:
        return load_speller()
    except checkpoint.WeightsError as exc:
        pytest.fail(f"committed speller weights missing: {exc}")


@pytest.fixture(scope="module")
def speller(speller_and_manifest):
    return speller_and_manifest[0]


def test_weights_are_small(speller_and_manifest):
    weights_path, _ = checkpoint.paths("speller")
    assert weights_path.stat().st_size < 6 * 2**20
    assert speller_and_manifest[1]["torch_version"]


def test_after_networ_k_towers_over_c(speller):
    symbols, probs, hidden = next_letter_distributions(speller, "networ")
    assert probs.shape == (7, 27) and hidden.shape == (7, speller.config.hidden_size)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    after = probs[len("networ")]
    assert after[symbols.index("k")] > 5 * after[symbols.index("c")]


def test_common_typos_are_corrected(speller):
    for wrong, right in [("speling", "spelling"), ("recieve", "receive"), ("networc", "network"), ("teh", "the")]:
        found = suggest(speller, wrong)
        assert found and found[0].word == right, (wrong, found)
        assert 0.0 <= found[-1].score <= found[0].score <= 1.0


def test_known_words_come_first(speller):
    for word in ["the", "network", "receive", "don't"]:
        assert suggest(speller, word)[0].word == word
    assert suggest(speller, "The")[0].word == "the"


def test_text_leaves_digits_urls_emails_and_other_scripts_alone(speller):
    text = (
        "Call 555-1234 or mail jon.doe@exmaple.com, see https://exmaple.org/pagge and www.speling.net: "
        "Москва 東京 naïve h2o"
    )
    assert correct_text(speller, text) == []


def test_text_flags_typos_with_offsets_and_casing(speller):
    text = "Speling is hard. The NETWROK was slow and the comittee agreed."
    flags = {f.word: f for f in correct_text(speller, text)}
    assert set(flags) == {"Speling", "NETWROK", "comittee"}
    for flag in flags.values():
        assert text[flag.start : flag.end] == flag.word
    assert flags["Speling"].suggestions[0].word == "Spelling"
    assert flags["NETWROK"].suggestions[0].word == "NETWORK"
    assert flags["comittee"].suggestions[0].word == "committee"
    assert apply_case("network", "upper") == "NETWORK" and apply_case("network", "capitalised") == "Network"


def test_apostrophes_names_and_protected_spans(speller):
    text = "We don't know if O'Neill won't come; it's Roosevelt's call, and Kwame's too."
    assert correct_text(speller, text) == []
    assert correct_text(speller, "They dont care.")[0].suggestions[0].word == "don't"
    # An unknown capitalised word inside a sentence is taken for a name ...
    assert correct_text(speller, "We met Obradovic yesterday.") == []
    # ... and a protected span (a named entity from the tagger) is never corrected, even if lower-case.
    text = "the roosevlt papers"
    assert correct_text(speller, text, protected_spans=[(4, 12)]) == []
    assert [f.word for f in correct_text(speller, text)] == ["roosevlt"]


def test_a_sixty_letter_word_is_quick(speller):
    word = "pneumonoultramicroscopicsilicovolcanoconiosis" + "abcdefghijklmno"
    assert len(word) == 60
    started = time.perf_counter()
    assert suggest(speller, word) == []
    flags = correct_text(speller, f"A {word} here.")
    assert time.perf_counter() - started < 0.5
    assert [f.word for f in flags] == [word]


def test_cli_json(speller):
    result = cli_json("networc")
    assert result["suggestions"][0]["word"] == "network"
    assert len(result["next_letter"]) == len("networc") + 1
    assert result["next_letter"][6]["prefix"] == "networ"
    assert result["next_letter"][6]["top"][0]["letter"] == "k"


def test_forward_keeps_no_state(speller):
    model = speller.model
    before = set(vars(model))
    hooks = [len(m._forward_hooks) for m in model.modules()]
    next_letter_distributions(speller, "state")
    assert set(vars(model)) == before
    assert [len(m._forward_hooks) for m in model.modules()] == hooks


def test_concurrent_callers_get_their_own_results(speller):
    words = ["speling", "recieve", "networc", "definately", "comittee", "wierd", "teh", "acommodate"]
    expected = [suggest(speller, w) for w in words]
    results = [None] * len(words)

    def work(i):
        for _ in range(5):
            results[i] = suggest(speller, words[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(words))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


def test_committed_weights_reproduce_their_dev_accuracy(speller_and_manifest):
    from training.speller_eval import evaluate_pairs
    from training.train_speller import dev_pairs, parse_args

    speller, manifest = speller_and_manifest
    training = manifest["training"]
    args = parse_args([])
    args = argparse.Namespace(**{**vars(args), **{k: training[k] for k in vars(args) if k in training}})
    counts = speller.model.lexicon_counts.numpy()
    pairs = dev_pairs(speller.words, counts, args)
    digest = hashlib.sha256("\n".join(f"{t}\t{w}" for t, w in pairs).encode()).hexdigest()
    assert digest == manifest["data"]["dev_pairs_sha256"]
    result = evaluate_pairs(speller, pairs)
    assert result["accuracy"] == pytest.approx(manifest["metrics"]["dev_top1"], abs=1e-4)


def test_config_round_trips_through_the_manifest(speller_and_manifest):
    _, manifest = speller_and_manifest
    config = SpellerConfig(**checkpoint._tuples(manifest["config"]))
    model = Speller(config)
    state = torch.load(checkpoint.paths("speller")[0], map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
