"""British and American spellings of one word: both are right, so neither is ever a correction of the other.

`variant_key` maps a word to one spelling shared by its British and American forms (colour and color, theatre
and theater, travelling and traveling, realise and realize, defence and defense, catalogue and catalog), by
the regular patterns of the two spellings plus a short list of irregular pairs (grey, gray). Two different
words with the same key are variants of each other. The patterns ask for a stem of a few letters before the
changed ending, so that short words which merely look alike stay apart: four and for, filled and filed,
prise and prize.
"""

from __future__ import annotations

import re

# Regular patterns, each (British form, American form), tried in this order on a lower-case word. Every group
# before the changed part is a stem of at least three letters.
_PATTERNS = (
    (re.compile(r"^(\w{3,})our(s|ed|ing|ite|ites|able|ful|less|er|ers)?$"), r"\1or\2"),  # colour, favourite
    (re.compile(r"^(\w{2,}[bgtv])re(s|d)?$"), r"\1er\2"),  # theatre, centres, metre, fibre, meagre
    (re.compile(r"^(\w{3,}[aeiou])ll(ing|ed|er|ers)$"), r"\1l\2"),  # travelling, cancelled, modelling
    (re.compile(r"^(\w{3,})is(e|es|ed|ing|ation|ations|er|ers)$"), r"\1iz\2"),  # realise, organisation
    (re.compile(r"^(\w{3,})ys(e|es|ed|ing)$"), r"\1yz\2"),  # analyse, paralysed
    (re.compile(r"^(\w{2,})ence(s)?$"), r"\1ense\2"),  # defence, offences, licence
    (re.compile(r"^(\w{3,})ogue(s)?$"), r"\1og\2"),  # catalogue, dialogues
)
# Pairs no pattern covers: (British, American).
_IRREGULAR = {
    "grey": "gray",
    "greys": "grays",
    "programme": "program",
    "programmes": "programs",
    "mould": "mold",
    "moulds": "molds",
    "plough": "plow",
    "ploughs": "plows",
    "jewellery": "jewelry",
    "aluminium": "aluminum",
    "sceptical": "skeptical",
    "sceptic": "skeptic",
    "artefact": "artifact",
    "artefacts": "artifacts",
    "ageing": "aging",
    "judgement": "judgment",
    "judgements": "judgments",
    "moustache": "mustache",
    "pyjamas": "pajamas",
    "cosy": "cozy",
    "doughnut": "donut",
    "skilful": "skillful",
    "fulfil": "fulfill",
    "enrol": "enroll",
    "mum": "mom",
    "mums": "moms",
    "manoeuvre": "maneuver",
    "manoeuvres": "maneuvers",
}


def variant_key(word: str) -> str:
    """The spelling shared by a word's British and American forms (the word itself when it has no other)."""
    word = word.lower()
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for pattern, american in _PATTERNS:
        if pattern.fullmatch(word):
            return pattern.sub(american, word)
    return word


def are_variants(a: str, b: str) -> bool:
    """Whether two different words are the British and American spellings of one word."""
    return a.lower() != b.lower() and variant_key(a) == variant_key(b)
