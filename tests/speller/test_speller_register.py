"""Informal writing left as it is (issue 22, point 4: false alarms on tweets), each rule beside a real typo in
the same text that is still fixed: the informal register's words, elongated words, a dropped g, a tokenised
contraction, an HTML escape's name, a retweet's account, shouting in a tweet, a sentence in another language,
apostrophes left out in a tweet, short abbreviations in a tweet, compounds run together."""

import pytest

from models.speller import correct_tokens
from models.speller.register import dropped_g, elongated, informal_words
from tests.speller import fixed


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("pls send the docment", "pls send the document"),  # the informal register (BTC counts)
        ("I am soooo happy with the resutls", "I am soooo happy with the results"),  # elongated
        ("I was lookin for my freind", "I was lookin for my friend"),  # a dropped g
        ("I ca n't beleive it .", "I ca n't believe it ."),  # a contraction a tokeniser cut apart
        ("I & lt ; 3 my freind", "I & lt ; 3 my friend"),  # an HTML escape's name
        ("RT mmrelish : a perfect mornign", "RT mmrelish : a perfect morning"),  # a retweet's account
        ("#tbt SHOUTOUT to my freind", "#tbt SHOUTOUT to my friend"),  # shouting in a tweet
        ("@bob its fine , I beleive", "@bob its fine , I believe"),  # an apostrophe left out in a tweet
        ("#win pretty cool tbh , the bset day", "#win pretty cool tbh , the best day"),  # an abbreviation
        (
            "Otak lebih aktif di malam hari dari pada di pagi hari. I beleive it.",
            "Otak lebih aktif di malam hari dari pada di pagi hari. I believe it.",
        ),  # a sentence in another language, then an English one
    ],
)
def test_informal_writing_is_left_and_typos_beside_it_fixed(speller, typed, meant):
    assert fixed(speller, typed) == meant


def test_apostrophes_and_real_words_are_still_fixed_in_prose(speller):
    assert fixed(speller, "Its fine") == "It's fine"
    assert fixed(speller, "They dont care.") == "They don't care."
    assert fixed(speller, "@bob I want to by a car") == "@bob I want to buy a car"  # a sure fix, even in a tweet


def test_compounds_of_rare_words_stay_whole_and_a_lot_is_split(speller):
    assert correct_tokens(speller, "looking for a new dancehall album".split()) == [
        "looking",
        "for",
        "a",
        "new",
        "dancehall",
        "album",
    ]
    assert correct_tokens(speller, "I like it alot .".split())[3] == "a lot"


def test_the_rules_on_their_own():
    known = {"cannot", "so", "door", "looking"}.__contains__
    assert elongated("soooo", known) and elongated("niiice", known)
    assert not elongated("cannnot", known)  # one key pressed once too often: a typo to fix
    assert not elongated("door", known)
    assert dropped_g("lookin", known) and not dropped_g("cabin", known)
    counts = {"lol": (40, 50), "hi": (100, 120), "the": (1000, 5000), "dont": (60, 70)}
    book = {"hi": -12.0, "the": -3.0}.get  # log P(word) in books
    found = informal_words(counts, 100_000, book, unapostrophised={"dont"})
    assert found == {"lol", "hi"}


def test_the_page_credits_the_tweets_the_informal_words_were_counted_in():
    import json

    from figures.speller import informal_note
    from runtime import weights_dir

    tweets = json.loads((weights_dir() / "speller_tweets.json").read_text())
    note = informal_note(tweets, {"clean_btc_f_false_alarm_rate": 0.00415})
    assert f"counted in {tweets['tweets']:,} tweets of the Broad Twitter Corpus" in note
    assert "Derczynski, Bontcheva and Roberts, COLING 2016; CC BY 4.0" in note
    assert note.endswith("on held-out tweets it changes 0.4% of their words.")
    assert informal_note(None, {}) == "" and "held-out" not in informal_note(tweets, {})
