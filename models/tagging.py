"""Entity spans from IOB tags, exactly as conlleval reads them. Shared by the tagger at run
time and by the CoNLL scoring in training/, so models/ never imports training code."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

Chunk = tuple[str, int, int]  # (type, start, end): tokens[start:end]


def _split_tag(tag: str) -> tuple[str, str]:
    return ("O", "") if tag == "O" else (tag[0], tag[2:])


def _ends_chunk(prev_prefix: str, prev_type: str, prefix: str, type_: str) -> bool:
    # conlleval's endOfChunk, IOBES-aware; "O" with type "" also stands for the sentence boundary.
    if prev_prefix in ("B", "I") and prefix in ("B", "S", "O"):
        return True
    if prev_prefix in ("E", "S"):
        return True
    return prev_prefix != "O" and prev_type != type_


def _starts_chunk(prev_prefix: str, prev_type: str, prefix: str, type_: str) -> bool:
    # conlleval's startOfChunk: I- after O (IOB1) or after another type starts a chunk too.
    if prefix in ("B", "S"):
        return True
    if prev_prefix in ("E", "S", "O") and prefix in ("E", "I"):
        return True
    return prefix != "O" and prev_type != type_


def chunks(tags: Sequence[str]) -> list[Chunk]:
    """Entity spans as conlleval reads them: [(type, start, end), ...], end exclusive."""
    spans: list[Chunk] = []
    prev_prefix, prev_type, start = "O", "", None
    for i, tag in enumerate([*tags, "O"]):  # the trailing O closes a chunk open at the end
        prefix, type_ = _split_tag(tag)
        if start is not None and _ends_chunk(prev_prefix, prev_type, prefix, type_):
            spans.append((prev_type, start, i))
            start = None
        if _starts_chunk(prev_prefix, prev_type, prefix, type_):
            start = i
        prev_prefix, prev_type = prefix, type_
    return spans


def iob2_to_iobes(tags: Sequence[str]) -> list[str]:
    """IOBES tags for the same chunks: a one-token chunk becomes S-X, a longer one B-X I-X ... E-X."""
    out = ["O"] * len(tags)
    for type_, start, end in chunks(tags):
        if end - start == 1:
            out[start] = f"S-{type_}"
            continue
        out[start : end - 1] = [f"B-{type_}"] + [f"I-{type_}"] * (end - start - 2)
        out[end - 1] = f"E-{type_}"
    return out


def to_iob2(tag: str) -> str:
    """One IOBES tag as IOB2: S-X -> B-X, E-X -> I-X; IOB2 tags pass through."""
    prefix, type_ = _split_tag(tag)
    return {"S": f"B-{type_}", "E": f"I-{type_}"}.get(prefix, tag)


def allowed_transitions(tags: Sequence[str]) -> tuple[list[bool], list[list[bool]], list[bool]]:
    """Which tag may open a sentence, follow each tag, and close a sentence, so that every path is a
    well-formed chunking in its own scheme (IOB2 or IOBES): (start (K,), after[i][j] (K, K), end (K,)).

    IOB2: I-X only inside an X chunk. IOBES also: B-X and I-X go on with I-X or E-X, and only
    O, E-X and S-X may end a sentence."""
    split = [_split_tag(t) for t in tags]
    iobes = any(prefix in ("E", "S") for prefix, _ in split)

    def may_follow(prev: tuple[str, str], this: tuple[str, str]) -> bool:
        (prev_prefix, prev_type), (prefix, type_) = prev, this
        if iobes and prev_prefix in ("B", "I"):
            return prefix in ("I", "E") and type_ == prev_type
        if prefix in ("I", "E"):
            return prev_prefix in ("B", "I") and type_ == prev_type
        return True

    boundary = ("O", "")
    start = [may_follow(boundary, this) for this in split]
    after = [[may_follow(prev, this) for this in split] for prev in split]
    end = [may_follow(prev, boundary) for prev in split]
    return start, after, end


def well_formed(path: Sequence[str], tags: Sequence[str]) -> bool:
    """Whether a tag path keeps to the scheme of the tag set `tags` (IOB2 or IOBES; B-PER then O breaks IOBES
    only), by the rules of allowed_transitions."""
    if not path:
        return True
    start, after, end = allowed_transitions(tags)
    ids = [tags.index(t) for t in path]
    return start[ids[0]] and end[ids[-1]] and all(after[a][b] for a, b in itertools.pairwise(ids))
