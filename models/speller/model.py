"""Everything the corrector needs, as one module whose state dict is weights/speller.pt.

- the letter-level model (charlm.CharLM), for the next-letter chart;
- the context model (context.ContextLM), a word LSTM each way over the sentence, and its vocabulary;
- the dictionary: words and Google-Books counts, and which of them sound alike;
- the learned edit table, -log P(typed segment | intended segment);
- the ranker: linear weights over the candidate features, for each mode (with the context model's
  scores, and without them: the ablation) and each kind of word (not in the dictionary, or a real
  word); and for each mode the margin by which a candidate must beat a real word that was typed
  before that word is flagged (chosen on the dev set for a false-alarm rate), and the screen that
  decides which real words are read closely at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from models import checkpoint
from models.speller.charlm import CharLM, CharLMConfig
from models.speller.context import ContextConfig, ContextLM

SPELLER_NAME = "speller"
MAX_DISTANCE = 2
# The ranker's features of a candidate word c for a typed word w, in the order of its weights.
RANKER_FEATURES = (
    "channel",  # log P(w | c) under the learned edit table
    "log_frequency",  # log P(c) from the dictionary's counts
    "distance",  # OSA distance from w to c
    "first_letter_changed",
    "length_change",
    "typed_word",  # 1 when c is w itself (only for a real word that was typed)
    "homophone",  # 1 when c sounds like w (by, buy) by the CMU Pronouncing Dictionary
    # The context model's two directions: log P(c | the words before it) from the forward LSTM and
    # log P(c | the words after it) from the backward one; for a real word read in the sentence, each also
    # takes in the CONTEXT_WINDOW words that follow c (forwards) or precede it (backwards), with c in place.
    "context_left",
    "context_right",
)
CONTEXT_FEATURES = ("context_left", "context_right")
# The parts a score is shown in: each feature belongs to one.
FEATURE_PARTS = {
    "edit": ("channel", "distance", "first_letter_changed", "length_change", "typed_word", "homophone"),
    "frequency": ("log_frequency",),
    "context": CONTEXT_FEATURES,
}
MODES = ("context", "no_context")  # rows of the ranker weights and margins
# The corrector's jobs, each with its own weights (rows of the ranker):
# - "unknown": rank the corrections of a word the dictionary lacks;
# - "screen": for a real word, pick the rivals worth a closer look, from the words just next to it;
# - "real_word": decide whether a rival beats the real word that was typed; with the context model, each
#   is read in the whole sentence (the word and the CONTEXT_WINDOW words after and before it).
KINDS = ("unknown", "screen", "real_word")


@dataclass(frozen=True)
class SpellerConfig:
    # The letter-level model.
    char_embed_dim: int = 32
    char_hidden_size: int = 256
    char_layers: int = 1
    char_dropout: float = 0.1
    # The context model.
    word_dim: int = 50
    context_hidden_size: int = 256
    context_layers: int = 1
    context_dropout: float = 0.3
    context_vocab_size: int = 0
    context_vocab_bytes: int = 0  # length of the newline-joined vocabulary in UTF-8
    # Sizes of the data tensors, so checkpoint.load can build empty buffers before loading them.
    lexicon_size: int = 0  # words in the dictionary
    lexicon_bytes: int = 0  # length of the newline-joined word list in UTF-8
    edit_entries: int = 0  # rows of the learned edit table
    sounds_per_word: int = 2  # pronunciation numbers kept per dictionary word
    ranker_features: tuple[str, ...] = RANKER_FEATURES
    modes: tuple[str, ...] = MODES
    kinds: tuple[str, ...] = KINDS
    max_distance: int = MAX_DISTANCE
    prefix_length: int = 7
    context_window: int = 2  # words after (forward) and before (backward) a candidate that are scored with it
    rescored: int = 4  # candidates read in the sentence for a real word: the word itself and its best rivals

    @property
    def char_lm(self) -> CharLMConfig:
        return CharLMConfig(self.char_embed_dim, self.char_hidden_size, self.char_layers, self.char_dropout)

    @property
    def context(self) -> ContextConfig:
        return ContextConfig(
            self.context_vocab_size, self.word_dim, self.context_hidden_size, self.context_layers, self.context_dropout
        )


class Speller(nn.Module):
    def __init__(self, config: SpellerConfig | None = None):
        super().__init__()
        self.config = c = config or SpellerConfig()
        self.char_lm = CharLM(c.char_lm)
        self.context = ContextLM(c.context)
        # Tables and fitted numbers. Buffers, not parameters: nothing here is trained by gradients
        # through the language models.
        self.register_buffer("lexicon_utf8", torch.zeros(c.lexicon_bytes, dtype=torch.uint8))
        self.register_buffer("lexicon_counts", torch.zeros(c.lexicon_size, dtype=torch.int64))
        # Pronunciation numbers of each dictionary word, -1 for none: words sharing one sound alike.
        self.register_buffer("lexicon_sounds", torch.full((c.lexicon_size, c.sounds_per_word), -1, dtype=torch.int32))
        self.register_buffer("context_vocab_utf8", torch.zeros(c.context_vocab_bytes, dtype=torch.uint8))
        self.register_buffer("edit_beta", torch.zeros(c.edit_entries, dtype=torch.int64))  # typo segment
        self.register_buffer("edit_alpha", torch.zeros(c.edit_entries, dtype=torch.int64))  # candidate segment
        self.register_buffer("edit_cost", torch.zeros(c.edit_entries, dtype=torch.float32))  # -log P(beta | alpha)
        self.register_buffer("ranker_weight", torch.zeros(len(c.modes), len(c.kinds), len(c.ranker_features)))
        self.register_buffer("real_word_margin", torch.zeros(len(c.modes)))  # (modes,)
        # A real word whose best rival, by the screen's weights, falls short of it by more is left alone unread.
        self.register_buffer("real_word_screen", torch.zeros(len(c.modes)))  # (modes,)


def load_model(weights_dir: Path | None = None) -> tuple[Speller, dict]:
    """(model, manifest); raises checkpoint.WeightsError with the rebuild command."""
    return checkpoint.load(SPELLER_NAME, Speller, SpellerConfig, weights_dir)
