"""The CRF against brute force: enumerate every tag path of tiny random problems."""

import itertools

import pytest
import torch

from models.crf import CRF
from models.ner import TAGS_IOBES
from models.tagging import allowed_transitions, chunks, iob2_to_iobes, to_iob2, well_formed

K = 3


def _random_crf(seed: int) -> CRF:
    torch.manual_seed(seed)
    crf = CRF(K).double()
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_(0, 1.5)
    return crf


def _problem(seed: int, lengths: list[int]):
    gen = torch.Generator().manual_seed(seed)
    length = max(lengths)
    emissions = torch.randn(len(lengths), length, K, generator=gen, dtype=torch.float64) * 2
    # Padding holds garbage: the CRF must ignore it.
    mask = torch.arange(length)[None] < torch.tensor(lengths)[:, None]
    emissions = torch.where(mask[..., None], emissions, torch.full_like(emissions, 1e3))
    return emissions, mask


def _brute_force(crf: CRF, emissions: torch.Tensor, length: int):
    """(log Z, best path, best score, marginals (length, K)) by enumerating all K**length paths."""
    scores = {}
    for path in itertools.product(range(K), repeat=length):
        score = crf.start[path[0]] + crf.end[path[-1]]
        for t, k in enumerate(path):
            score = score + emissions[t, k]
            if t:
                score = score + crf.transitions[path[t - 1], k]
        scores[path] = score
    stacked = torch.stack(list(scores.values()))
    log_z = torch.logsumexp(stacked, 0)
    best = max(scores, key=lambda p: scores[p].item())
    marginals = torch.zeros(length, K, dtype=torch.float64)
    for path, score in scores.items():
        for t, k in enumerate(path):
            marginals[t, k] += torch.exp(score - log_z)
    return log_z, best, scores[best], marginals


LENGTH_SETS = [[1], [4], [5, 1, 3], [2, 6, 1, 6], [3, 3]]


@pytest.mark.parametrize("lengths", LENGTH_SETS)
@pytest.mark.parametrize("seed", [0, 1])
def test_forward_viterbi_and_marginals_match_brute_force(lengths, seed):
    crf = _random_crf(seed)
    emissions, mask = _problem(seed + 10, lengths)
    with torch.no_grad():
        log_z = crf.log_partition(emissions, mask)
        paths, best_scores = crf.viterbi(emissions, mask)
        marginals = crf.marginals(emissions, mask)
        for b, length in enumerate(lengths):
            bf_log_z, bf_best, bf_score, bf_marginals = _brute_force(crf, emissions[b], length)
            torch.testing.assert_close(log_z[b], bf_log_z)
            assert tuple(paths[b, :length].tolist()) == bf_best
            assert paths[b, length:].eq(0).all()
            torch.testing.assert_close(best_scores[b], bf_score)
            torch.testing.assert_close(marginals[b, :length], bf_marginals)
            assert marginals[b, length:].eq(0).all()


@pytest.mark.parametrize("lengths", LENGTH_SETS)
def test_path_score_and_nll(lengths):
    crf = _random_crf(3)
    emissions, mask = _problem(4, lengths)
    gen = torch.Generator().manual_seed(5)
    tags = torch.randint(0, K, mask.shape, generator=gen) * mask
    with torch.no_grad():
        scores = crf.path_score(emissions, tags, mask)
        nll = crf.nll(emissions, tags, mask)
        for b, length in enumerate(lengths):
            path = tuple(tags[b, :length].tolist())
            bf_log_z, *_ = _brute_force(crf, emissions[b], length)
            expected = crf.start[path[0]] + crf.end[path[-1]] + sum(emissions[b, t, k] for t, k in enumerate(path))
            expected = expected + sum(crf.transitions[path[t - 1], path[t]] for t in range(1, length))
            torch.testing.assert_close(scores[b], expected)
            torch.testing.assert_close(nll[b], bf_log_z - expected)
    assert (nll > 0).all()


def test_marginals_are_the_gradient_of_log_partition():
    crf = _random_crf(6)
    emissions, mask = _problem(7, [4, 2])
    emissions.requires_grad_(True)
    (grad,) = torch.autograd.grad(crf.log_partition(emissions, mask).sum(), emissions)
    with torch.no_grad():
        torch.testing.assert_close(crf.marginals(emissions, mask), grad)
        torch.testing.assert_close(crf.log_marginals(emissions, mask)[0].exp(), grad[0])


def test_batching_does_not_change_results():
    crf = _random_crf(8)
    emissions, mask = _problem(9, [6, 2, 4])
    with torch.no_grad():
        together = crf.viterbi(emissions, mask)[0], crf.marginals(emissions, mask)
        for b, length in enumerate([6, 2, 4]):
            alone_e, alone_m = emissions[b : b + 1, :length], mask[b : b + 1, :length]
            assert torch.equal(crf.viterbi(alone_e, alone_m)[0][0], together[0][b, :length])
            torch.testing.assert_close(crf.marginals(alone_e, alone_m)[0], together[1][b, :length])


def test_training_on_one_path_makes_it_the_viterbi_path():
    torch.manual_seed(0)
    crf = CRF(K)
    emissions = torch.zeros(1, 5, K, requires_grad=True)
    tags = torch.tensor([[2, 0, 0, 1, 2]])
    mask = torch.ones(1, 5, dtype=torch.bool)
    optimizer = torch.optim.Adam([*crf.parameters(), emissions], lr=0.1)
    for _ in range(100):
        optimizer.zero_grad()
        crf.nll(emissions, tags, mask).sum().backward()
        optimizer.step()
    with torch.no_grad():
        assert torch.equal(crf.viterbi(emissions, mask)[0], tags)
        assert crf.nll(emissions, tags, mask).item() < 0.1


@pytest.mark.parametrize("lengths", LENGTH_SETS)
def test_partial_nll_sums_every_allowed_path(lengths):
    """A partly labelled sentence (a corpus without MISC allows O or MISC where it says O): the loss is
    log Z minus the log of the summed scores of every path through the allowed tags, by enumeration."""
    crf = _random_crf(6)
    emissions, mask = _problem(7, lengths)
    gen = torch.Generator().manual_seed(8)
    allowed = torch.rand(*mask.shape, K, generator=gen, dtype=torch.float64) < 0.6
    allowed[..., 0] |= ~allowed.any(-1)  # every step allows at least one tag
    with torch.no_grad():
        nll = crf.nll(emissions, torch.zeros_like(mask, dtype=torch.long), mask, allowed)
        for b, length in enumerate(lengths):
            bf_log_z, *_ = _brute_force(crf, emissions[b], length)
            kept = []
            for path in itertools.product(range(K), repeat=length):
                if all(allowed[b, t, k] for t, k in enumerate(path)):
                    score = crf.start[path[0]] + crf.end[path[-1]] + sum(emissions[b, t, k] for t, k in enumerate(path))
                    kept.append(score + sum(crf.transitions[path[t - 1], path[t]] for t in range(1, length)))
            torch.testing.assert_close(nll[b], bf_log_z - torch.logsumexp(torch.stack(kept), 0))


def test_partial_nll_with_only_the_gold_allowed_is_the_plain_nll():
    crf = _random_crf(9)
    emissions, mask = _problem(10, [5, 2, 4])
    tags = torch.randint(0, K, mask.shape, generator=torch.Generator().manual_seed(11)) * mask
    only_gold = torch.nn.functional.one_hot(tags, K).bool()
    with torch.no_grad():
        torch.testing.assert_close(crf.nll(emissions, tags, mask, only_gold), crf.nll(emissions, tags, mask))


# Constraints: tag 0 plays O (always allowed), so every length has a well-formed path.
_CONSTRAINTS = (
    [True, True, False],
    [[True, True, False], [False, True, True], [True, False, True]],
    [True, False, True],
)


def _allowed_paths(length: int):
    start, after, end = _CONSTRAINTS
    for path in itertools.product(range(K), repeat=length):
        if start[path[0]] and end[path[-1]] and all(after[a][b] for a, b in itertools.pairwise(path)):
            yield path


@pytest.mark.parametrize("lengths", LENGTH_SETS)
def test_constrained_viterbi_and_marginals_match_brute_force_over_allowed_paths(lengths):
    crf = _random_crf(12)
    constrained = CRF(K, _CONSTRAINTS).double()
    constrained.load_state_dict(crf.state_dict())
    emissions, mask = _problem(13, lengths)
    with torch.no_grad():
        paths, best_scores = constrained.viterbi(emissions, mask)
        marginals = constrained.marginals(emissions, mask)
        # Training's log Z is the unconstrained one, as the committed weights were trained.
        torch.testing.assert_close(constrained.log_partition(emissions, mask), crf.log_partition(emissions, mask))
        for b, length in enumerate(lengths):
            scores = {
                p: crf.path_score(emissions[b : b + 1, :length], torch.tensor([p]), mask[b : b + 1, :length])[0]
                for p in _allowed_paths(length)
            }
            best = max(scores, key=lambda p: scores[p].item())
            assert tuple(paths[b, :length].tolist()) == best
            torch.testing.assert_close(best_scores[b], scores[best])
            log_z = torch.logsumexp(torch.stack(list(scores.values())), 0)
            expected = torch.zeros(length, K, dtype=torch.float64)
            for path, score in scores.items():
                for t, k in enumerate(path):
                    expected[t, k] += torch.exp(score - log_z)
            torch.testing.assert_close(marginals[b, :length], expected)


def _canonical(tags: tuple[str, ...], iobes: bool) -> list[str]:
    """The same chunks (as conlleval reads them) written out in the scheme's one well-formed way."""
    iob2 = ["O"] * len(tags)
    for type_, start, end in chunks([to_iob2(t) for t in tags]):
        iob2[start:end] = [f"B-{type_}"] + [f"I-{type_}"] * (end - start - 1)
    return iob2_to_iobes(iob2) if iobes else iob2


@pytest.mark.parametrize("iobes", [False, True])
def test_allowed_transitions_accept_exactly_the_well_formed_tag_sequences(iobes):
    prefixes = "BIES" if iobes else "BI"
    tags = ("O", *(f"{p}-{kind}" for kind in ("PER", "LOC") for p in prefixes))
    start, after, end = allowed_transitions(tags)
    index = {t: i for i, t in enumerate(tags)}
    for length in range(1, 5):
        for sequence in itertools.product(tags, repeat=length):
            ids = [index[t] for t in sequence]
            allowed = start[ids[0]] and end[ids[-1]] and all(after[a][b] for a, b in itertools.pairwise(ids))
            assert allowed == (list(sequence) == _canonical(sequence, iobes)), sequence
            assert well_formed(sequence, tags) == allowed


def test_the_tagger_decodes_only_well_formed_paths_whatever_the_emissions():
    tags = TAGS_IOBES
    crf = CRF(len(tags), allowed_transitions(tags))
    gen = torch.Generator().manual_seed(14)
    emissions = torch.randn(200, 9, len(tags), generator=gen) * 5  # emissions that alone pick ill-formed paths
    mask = torch.arange(9)[None] < torch.randint(1, 10, (200, 1), generator=gen)
    with torch.no_grad():
        paths, _ = crf.viterbi(emissions, mask)
    for row, length in zip(paths, mask.sum(1).tolist(), strict=True):
        sequence = tuple(tags[k] for k in row[:length].tolist())
        assert list(sequence) == _canonical(sequence, iobes=True)
    assert not all(CRF(len(tags)).viterbi(emissions, mask)[0].eq(paths).all(1))  # the constraints did change paths
