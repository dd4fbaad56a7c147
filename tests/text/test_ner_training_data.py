"""train_ner's mixed corpora: the MISC-free partial labels of a corpus without MISC, the recased copies,
and the reader's handling of the Broad Twitter Corpus's blank tokens."""

import string

import numpy as np
import pytest
import torch

from models.ner import PAD, TAGS, TAGS_IOBES, UNK, NERConfig, NERTagger, Vocab, make_batch
from sources import btc
from sources.conll import read_conll
from training.ner.data import batch_allowed, encode_training_set, epoch_inputs, misc_free_allowed, recased

WORDS = (PAD, UNK, "alice", "lives", "in", "paris", "the", "euro", "rose")
CHARS = (PAD, UNK, *string.ascii_letters, *string.punctuation)
TRAIN = [
    (["Alice", "lives", "in", "Paris", "."], ["B-PER", "O", "O", "B-LOC", "O"]),  # CoNLL-like, fully labelled
    (["the", "Euro", "rose"], ["O", "O", "O"]),  # BTC-like: its O may be an unmarked MISC
]


def _config(tags):
    return NERConfig(vocab_size=len(WORDS), char_vocab_size=len(CHARS), tags=tags, hidden=6, char_filters=4)


def test_misc_free_allowed_opens_misc_only_where_the_gold_says_o():
    tags = TAGS_IOBES
    gold = np.array([tags.index("S-PER"), tags.index("O"), tags.index("B-LOC"), tags.index("E-LOC")])
    allowed = misc_free_allowed(gold, tags)
    misc = [i for i, t in enumerate(tags) if t.endswith("-MISC")]
    assert allowed.sum(1).tolist() == [1, 1 + len(misc), 1, 1]
    assert allowed[1, tags.index("O")] and allowed[1, misc].all()
    assert allowed[np.arange(4), gold].all()


@pytest.mark.parametrize("tags", [TAGS, TAGS_IOBES], ids=["iob2", "iobes"])
def test_batch_allowed_pads_with_everything_and_is_none_for_fully_labelled_batches(tags):
    config = _config(tags)
    vocab = Vocab(words=WORDS, chars=CHARS)
    data = encode_training_set(TRAIN, vocab, config, "iobes" if tags == TAGS_IOBES else "iob2", [False, True])
    assert batch_allowed(data, np.array([0]), 5, len(tags)) is None
    allowed = batch_allowed(data, np.array([0, 1]), 5, len(tags))
    assert allowed.shape == (2, 5, len(tags))
    assert allowed[0].sum(1).tolist() == [1] * 5  # the gold alone
    assert allowed[1, 3:].all()  # padding
    misc_tags = sum(t.endswith("-MISC") for t in tags)  # 4 in IOBES, 2 in IOB2
    assert allowed[1, :3].sum(1).tolist() == [1 + misc_tags] * 3


@pytest.mark.parametrize("tags", [TAGS, TAGS_IOBES], ids=["softmax", "crf"])
def test_partial_loss_is_below_the_loss_that_calls_every_o_right(tags):
    """Allowing MISC where the gold says O can only raise the gold's probability, so the loss falls; with
    only the gold allowed it is the plain loss."""
    torch.manual_seed(0)
    config = NERConfig(**{**_config(tags).__dict__, "crf": tags == TAGS_IOBES})
    model = NERTagger(config, Vocab(words=WORDS, chars=CHARS)).eval()
    data = encode_training_set(TRAIN, model.vocab, config, "iobes" if config.crf else "iob2", [False, True])
    batch = make_batch([data.encoded[1]], [data.gold_ids[1]])
    only_gold = torch.nn.functional.one_hot(batch.tag_ids, len(tags)).bool()
    with torch.no_grad():
        plain = model.loss(batch)
        torch.testing.assert_close(model.loss(batch, only_gold), plain)
        assert model.loss(batch, batch_allowed(data, np.array([1]), 3, len(tags))) < plain


def test_recased_copies_keep_the_word_ids_and_change_the_case_ids():
    config = _config(TAGS)
    data = encode_training_set(TRAIN, Vocab(words=WORDS, chars=CHARS), config, "iob2")
    words, cases, _ = data.encoded[0]
    for how in ("lower", "title", "upper"):
        r_words, r_cases, _ = data.recased[how][0]
        assert (r_words == words).all()
    assert (
        len(set(data.recased["lower"][0][1][:4].tolist())) == 1 and (cases[:4] != data.recased["upper"][0][1][:4]).any()
    )
    assert recased(["iPhone", "MIT", "paris"], "title") == ["Iphone", "Mit", "Paris"]


def test_epoch_inputs_draw_nothing_when_nothing_is_recased():
    config = _config(TAGS)
    data = encode_training_set(TRAIN, Vocab(words=WORDS, chars=CHARS), config, "iob2")
    rng = np.random.default_rng(3)
    assert epoch_inputs(data, np.array([0, 1]), 0.0, rng)[0] is data.encoded[0]
    assert rng.random() == np.random.default_rng(3).random()
    always = epoch_inputs(data, np.array([0, 1]), 1.0, np.random.default_rng(3))
    assert all(not any(x is e for e in data.encoded) for x in always)


def test_read_conll_leaves_out_blank_tokens_and_without_misc(tmp_path):
    path = tmp_path / "tweets.conll"
    path.write_text("@\tB-PER\nsam\tB-PER\n \tO\n\tO\nhi\tO\n\nok\tO\n", encoding="utf-8")
    assert read_conll(path) == [(["@", "sam", "hi"], ["B-PER", "B-PER", "O"]), (["ok"], ["O"])]
    assert btc.without_misc(["B-MISC", "I-MISC", "B-PER", "O"]) == ["O", "O", "B-PER", "O"]
