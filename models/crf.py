"""A linear-chain CRF over per-token emission scores, batched with masks.

score(y) = start[y_0] + sum_t emissions[t, y_t] + sum_t transitions[y_{t-1}, y_t] + end[y_last]
p(y | x) = exp(score(y)) / Z, with log Z from the forward algorithm.

Masks are left-aligned: mask[b, :length_b] is True and every sequence has length >= 1.
Each recursion is a loop over time of (B, K, K) log-sum-exps or maxes; K is small (9 or 17 tags).

Optional hard constraints (which tag may start, follow which, and end) bind decoding and the marginals:
learned transition scores only discourage an ill-formed path such as B-PER then O, and on tweets the
best path was sometimes one. Training leaves them out, as these weights were trained: every gold path
is well formed, so they change no gold score, only which wrong paths share log Z.
"""

from __future__ import annotations

import torch
import torch.nn as nn

# An excluded tag's emission: exp() of it underflows to 0 in float32, yet sums of it stay finite.
_EXCLUDED = -1.0e4


Constraints = tuple[list[bool], list[list[bool]], list[bool]]  # may start (K,), may follow (K, K), may end (K,)


class CRF(nn.Module):
    def __init__(self, num_tags: int, constraints: Constraints | None = None):
        super().__init__()
        self.num_tags = num_tags
        # transitions[i, j]: score of tag j right after tag i. Zero init: the emissions lead at first.
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))
        # Not persistent: derived from the tag names, so a checkpoint without them loads unchanged.
        start, after, end = constraints or ([True] * num_tags, [[True] * num_tags] * num_tags, [True] * num_tags)
        self.register_buffer("allowed_start", torch.tensor(start), persistent=False)
        self.register_buffer("allowed_transitions", torch.tensor(after), persistent=False)
        self.register_buffer("allowed_end", torch.tensor(end), persistent=False)

    def without_constraints(self) -> CRF:
        """A copy that decodes over every path, well formed or not: the ablation of the constraints."""
        copy = CRF(self.num_tags).to(self.transitions.device, self.transitions.dtype)
        copy.load_state_dict(self.state_dict())
        return copy

    def _constrained(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(start (K,), transitions (K, K), end (K,)) with every forbidden move scored _EXCLUDED."""
        return (
            self.start.masked_fill(~self.allowed_start, _EXCLUDED),
            self.transitions.masked_fill(~self.allowed_transitions, _EXCLUDED),
            self.end.masked_fill(~self.allowed_end, _EXCLUDED),
        )

    def path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Unnormalised score of the given tag paths. emissions (B, T, K), tags (B, T), mask (B, T) -> (B,)."""
        maskf = mask.to(emissions.dtype)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
        trans = self.transitions[tags[:, :-1], tags[:, 1:]]  # (B, T-1)
        last = tags.gather(1, (mask.sum(1) - 1).unsqueeze(1)).squeeze(1)  # (B,)
        return self.start[tags[:, 0]] + (emit * maskf).sum(1) + (trans * maskf[:, 1:]).sum(1) + self.end[last]

    def _alphas(
        self, emissions: torch.Tensor, mask: torch.Tensor, start: torch.Tensor, transitions: torch.Tensor
    ) -> list[torch.Tensor]:
        # alpha_t[b, j] = log of the summed scores of every prefix ending in tag j at step t.
        # Padded steps carry the last real alpha forward, so alphas[-1] is each sequence's final one.
        alpha = start + emissions[:, 0]  # (B, K)
        alphas = [alpha]
        for t in range(1, emissions.size(1)):
            step = torch.logsumexp(alpha.unsqueeze(2) + transitions, dim=1) + emissions[:, t]  # (B, K)
            alpha = torch.where(mask[:, t : t + 1], step, alpha)
            alphas.append(alpha)
        return alphas

    def log_partition(
        self, emissions: torch.Tensor, mask: torch.Tensor, allowed: torch.Tensor | None = None
    ) -> torch.Tensor:
        """log Z by the forward algorithm: (B, T, K), (B, T) -> (B,). With allowed (B, T, K) bool, the sum
        runs only over the paths whose every tag is allowed at its step."""
        if allowed is not None:
            emissions = emissions.masked_fill(~allowed, _EXCLUDED)
        return torch.logsumexp(self._alphas(emissions, mask, self.start, self.transitions)[-1] + self.end, dim=1)

    def nll(
        self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor, partial: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Negative log-likelihood of each gold path: (B,).

        partial (B, T, K) bool, for partly labelled sentences: the gold is every path through the allowed
        tags (a corpus without MISC allows O or any MISC tag where it says O), and the loss is
        log Z - log Z(allowed), so the model is neither rewarded nor punished for MISC there
        (Tsuboi et al. 2008's marginal likelihood). A row that allows only the gold tag gives the plain NLL."""
        log_z = self.log_partition(emissions, mask)
        if partial is None:
            return log_z - self.path_score(emissions, tags, mask)
        return log_z - self.log_partition(emissions, mask, partial)

    def log_marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log p(y_t = k | x) over the well-formed paths, by forward-backward: (B, T, K); rows of padded
        steps are meaningless."""
        start, transitions, end = self._constrained()
        alphas = self._alphas(emissions, mask, start, transitions)
        # beta_t[b, i] = log of the summed scores of every suffix after step t, given tag i at t.
        # A step whose successor is padding is the last real one, where beta is just the end score.
        beta = end.expand_as(alphas[0])  # (B, K)
        betas = [beta]
        for t in range(emissions.size(1) - 2, -1, -1):
            step = torch.logsumexp(transitions + (emissions[:, t + 1] + beta).unsqueeze(1), dim=2)  # (B, K)
            beta = torch.where(mask[:, t + 1 : t + 2], step, end.expand_as(step))
            betas.append(beta)
        alpha = torch.stack(alphas, dim=1)  # (B, T, K)
        beta = torch.stack(betas[::-1], dim=1)  # (B, T, K)
        # sum_k alpha_t(k) + beta_t(k) is log Z at every step; normalising each step by its own sum
        # rather than by one log Z keeps float32 rows summing to 1 on long sentences.
        joint = alpha + beta  # (B, T, K)
        return joint - torch.logsumexp(joint, dim=2, keepdim=True)

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """p(y_t = k | x): (B, T, K); each real step's row sums to 1, padded rows are zero."""
        probs = self.log_marginals(emissions, mask).exp()
        return probs * mask.unsqueeze(2).to(probs.dtype)

    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Best well-formed path per sequence: tags (B, T) with 0 on padding, and its score (B,)."""
        batch, length, _ = emissions.shape
        start, transitions, end = self._constrained()
        score = start + emissions[:, 0]  # (B, K)
        backpointers = []
        for t in range(1, length):
            best, arg = (score.unsqueeze(2) + transitions).max(dim=1)  # (B, K): best predecessor of each tag
            score = torch.where(mask[:, t : t + 1], best + emissions[:, t], score)
            backpointers.append(arg)
        final = score + end
        best_score, last_tag = final.max(dim=1)  # (B,)
        lengths = mask.sum(1)
        path = torch.zeros(batch, length, dtype=torch.long, device=emissions.device)
        current = last_tag
        for t in range(length - 1, -1, -1):
            if t < length - 1:
                # Follow the pointer only inside the sequence; at its last step, start from the best end tag.
                previous = backpointers[t].gather(1, current.unsqueeze(1)).squeeze(1)
                current = torch.where(t < lengths - 1, previous, current)
            current = torch.where(t == lengths - 1, last_tag, current)
            path[:, t] = torch.where(t < lengths, current, torch.zeros_like(current))
        return path, best_score
