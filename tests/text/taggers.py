"""Small random taggers over a toy vocabulary, for tests that check a tagger's mechanics, not its accuracy."""

import string

import torch

from models.ner import PAD, TAGS, UNK, NERConfig, NERTagger, Vocab

WORDS = (PAD, UNK, *"the a president roosevelt street in manhattan was not named after him .".split())
CHARS = (PAD, UNK, *string.ascii_letters, *string.digits, *string.punctuation)
SENTENCE = "However , Roosevelt Street in Manhattan was not named after him , the president said in a note .".split()


def small_tagger(encoder: str, dilations=(1, 2, 1), tags=TAGS, strong_emissions: bool = False) -> NERTagger:
    """A seeded tagger with 16 hidden units; `strong_emissions` scales up the output layer, so that the words,
    not the biases, decide its labels and an explanation has something to explain."""
    torch.manual_seed(0)
    config = NERConfig(
        vocab_size=len(WORDS),
        char_vocab_size=len(CHARS),
        tags=tags,
        hidden=16,
        char_filters=6,
        case_dim=4,
        encoder=encoder,
        conv_dilations=dilations,
        crf=encoder == "bilstm",
    )
    model = NERTagger(config, Vocab(words=WORDS, chars=CHARS)).eval()
    if strong_emissions:
        with torch.no_grad():
            model.emission.weight.normal_(0, 2)
            model.emission.bias.normal_(0, 3)
    return model
