"""Named-entity tagger: embeddings -> encoder -> emissions -> CRF, plus its inference API.

Each token is embedded three ways and the three are concatenated:
- its lowercased word (GloVe 6B 50d at initialisation, fine-tuned; GloVe is lowercase),
- its characters (a char-CNN, max-pooled: suffixes, capitals and digits of unseen words),
- its casing class (all-caps, init-cap, lower, mixed, has-digit, punctuation, other),
  which restores what lowercasing threw away.
The encoder reads the sentence and a linear layer turns each state into one score per tag.
`NERConfig.encoder` picks the encoder:
- "bilstm": a bidirectional LSTM, whose every state depends on the whole sentence, then a
  CRF that picks the best tag sequence as a whole;
- "cnn": stacked dilated 1-D convolutions (Strubell et al. 2017's ID-CNN block), whose state
  for a token depends only on a fixed window around it, then an independent softmax per
  token. No CRF here on purpose: forward-backward would carry information along the whole
  sentence, and the window would no longer be the model's whole view.

Pure PyTorch and numpy. Forward passes return every intermediate and store nothing on
the module, so one cached model serves every session and thread.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

import runtime
from models import checkpoint
from models.crf import CRF
from models.tagging import Chunk, allowed_transitions, chunks, to_iob2
from models.tokenizer import Token, letter_case, sentences, tokenize

TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC")  # IOB2
# IOBES also marks an entity's last token (E-) and one-token entities (S-), so the CRF can learn
# where entities end. A model may be trained on either; what it returns is always IOB2 (TAGS).
TAGS_IOBES = ("O", *(f"{prefix}-{kind}" for kind in ("PER", "LOC", "ORG", "MISC") for prefix in "BIES"))
TAG_SCHEMES = {"iob2": TAGS, "iobes": TAGS_IOBES}
CASES = ("<pad>", "lower", "init_cap", "all_caps", "mixed", "has_digit", "punct", "other")
PAD, UNK = "<pad>", "<unk>"  # ids 0 and 1 of both the word and the character vocabularies
ENCODERS = ("bilstm", "cnn")
# Model name on the command line and in the app -> file stem under weights/ (weights/cnn.pt is the digit CNN).
NER_MODELS = {"bilstm": "bilstm", "cnn": "cnn_tagger"}
_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class NERConfig:
    vocab_size: int = 50_000  # words, including <pad> and <unk>
    char_vocab_size: int = 100  # characters, including <pad> and <unk>
    tags: tuple[str, ...] = TAGS
    word_dim: int = 50  # GloVe 6B 50d
    char_dim: int = 30
    char_filters: int = 30
    char_kernel: int = 3
    max_word_chars: int = 30  # longer tokens keep their first 30 characters
    case_dim: int = 10
    encoder: str = "bilstm"
    hidden: int = 200  # BiLSTM: units per direction; CNN: channels per convolution
    lstm_layers: int = 1  # BiLSTM only: stacked bidirectional layers, with dropout between them
    dropout: float = 0.5
    conv_kernel: int = 3  # CNN only
    conv_dilations: tuple[int, ...] = (1, 2, 1)  # CNN only: one convolution per entry
    crf: bool = True  # False: an independent softmax per token

    @property
    def window_radius(self) -> int | None:
        """How many tokens to each side a CNN's state can see; None for the BiLSTM (all of them)."""
        if self.encoder != "cnn":
            return None
        return sum(d * (self.conv_kernel // 2) for d in self.conv_dilations)

    @property
    def embedding_dim(self) -> int:
        return self.word_dim + self.char_filters + self.case_dim


# letter_case's names for the classes CASES calls otherwise (a lone capital, "A", is "capitalised": init_cap).
_CASE_NAMES = {"lower": "lower", "upper": "all_caps", "capitalised": "init_cap", "mixed": "mixed"}


def casing(token: str) -> int:
    """Index into CASES of a token's shape."""
    if not any(c.isalnum() for c in token):
        return CASES.index("punct")
    if any(c.isdigit() for c in token):
        return CASES.index("has_digit")
    cased = [c for c in token if c.isupper() or c.islower()]
    if not cased:
        return CASES.index("other")  # scripts without case: Arabic, Hebrew, Chinese ...
    return CASES.index(_CASE_NAMES[letter_case(cased)])


def word_key(token: str) -> str:
    return token.lower()


def digit_key(token: str) -> str:
    # Numbers missing from the vocabulary fall back to their shape: 1996-08-22 -> 0000-00-00.
    return _DIGITS.sub("0", token.lower())


@dataclass(frozen=True)
class Vocab:
    words: tuple[str, ...]  # words[0] == PAD, words[1] == UNK
    chars: tuple[str, ...]  # chars[0] == PAD, chars[1] == UNK
    word_index: dict[str, int] = field(init=False, repr=False, compare=False)
    char_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        for name, items in (("words", self.words), ("chars", self.chars)):
            if tuple(items[:2]) != (PAD, UNK):
                raise ValueError(f"vocab {name} must start with {PAD!r}, {UNK!r}")
        object.__setattr__(self, "word_index", {w: i for i, w in enumerate(self.words)})
        object.__setattr__(self, "char_index", {c: i for i, c in enumerate(self.chars)})

    def word_id(self, token: str) -> int:
        index = self.word_index
        return index.get(word_key(token)) or index.get(digit_key(token)) or 1

    def encode(self, tokens: list[str], max_chars: int) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
        """word ids (T,), case ids (T,), char ids per token (truncated to max_chars)."""
        words = np.array([self.word_id(t) for t in tokens], dtype=np.int64)
        cases = np.array([casing(t) for t in tokens], dtype=np.int64)
        chars = [[self.char_index.get(c, 1) for c in t[:max_chars]] for t in tokens]
        return words, cases, chars

    def to_json(self) -> str:
        return json.dumps({"words": list(self.words), "chars": list(self.chars)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocab:
        data = json.loads(text)
        return cls(words=tuple(data["words"]), chars=tuple(data["chars"]))


@dataclass
class NERBatch:
    word_ids: torch.Tensor  # (B, T) int64, 0 on padding
    char_ids: torch.Tensor  # (B, T, C) int64, 0 on padding
    case_ids: torch.Tensor  # (B, T) int64, 0 on padding
    mask: torch.Tensor  # (B, T) bool, left-aligned
    tag_ids: torch.Tensor | None = None  # (B, T) int64 gold tags, 0 on padding

    @property
    def lengths(self) -> torch.Tensor:
        return self.mask.sum(1)  # (B,)


def make_batch(
    encoded: list[tuple[np.ndarray, np.ndarray, list[list[int]]]], tag_ids: list[np.ndarray] | None = None
) -> NERBatch:
    """Pad per-sentence Vocab.encode() results (each of length >= 1) into one batch."""
    batch, length = len(encoded), max(len(words) for words, _, _ in encoded)
    width = max(1, max(len(c) for _, _, chars in encoded for c in chars))
    word_ids = np.zeros((batch, length), dtype=np.int64)
    case_ids = np.zeros((batch, length), dtype=np.int64)
    char_ids = np.zeros((batch, length, width), dtype=np.int64)
    mask = np.zeros((batch, length), dtype=bool)
    for b, (words, cases, chars) in enumerate(encoded):
        word_ids[b, : len(words)] = words
        case_ids[b, : len(words)] = cases
        mask[b, : len(words)] = True
        for t, ids in enumerate(chars):
            char_ids[b, t, : len(ids)] = ids
    tags = None
    if tag_ids is not None:
        tags = torch.zeros(batch, length, dtype=torch.long)
        for b, ids in enumerate(tag_ids):
            tags[b, : len(ids)] = torch.from_numpy(np.asarray(ids, dtype=np.int64))
    return NERBatch(
        torch.from_numpy(word_ids), torch.from_numpy(char_ids), torch.from_numpy(case_ids), torch.from_numpy(mask), tags
    )


@dataclass
class NEROutput:
    word_embeddings: torch.Tensor  # (B, T, word_dim)
    char_features: torch.Tensor  # (B, T, char_filters): max-pooled char-CNN
    case_embeddings: torch.Tensor  # (B, T, case_dim)
    embeddings: torch.Tensor  # (B, T, D): the three concatenated, the encoder's input (before dropout)
    encoder_states: torch.Tensor  # (B, T, H): 2 * hidden for the BiLSTM; zero on padding
    emissions: torch.Tensor  # (B, T, K): per-token tag scores, the CRF's input
    mask: torch.Tensor  # (B, T)


class BiLSTMEncoder(nn.Module):
    def __init__(self, input_dim: int, hidden: int, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.lstm = nn.LSTM(
            input_dim,
            hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.output_dim = 2 * hidden

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # Packing skips the padding, so the backward direction starts at each sentence's real end.
        lengths = mask.sum(1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        states, _ = self.lstm(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=x.size(1))
        return states  # (B, T, 2 * hidden)


class DilatedCNNEncoder(nn.Module):
    """Stacked dilated Conv1d with ReLU. With kernel 3 and dilations (1, 2, 1), a token's state
    sees 1 + 2 + 1 = 4 tokens to each side: a window of 9, and nothing beyond it."""

    def __init__(self, input_dim: int, channels: int, kernel: int, dilations: tuple[int, ...], dropout: float):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(input_dim if i == 0 else channels, channels, kernel, padding=d * (kernel // 2), dilation=d)
            for i, d in enumerate(dilations)
        )
        self.dropout = nn.Dropout(dropout)
        self.output_dim = channels

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask.unsqueeze(1).to(x.dtype)  # (B, 1, T)
        h = x.transpose(1, 2) * keep  # (B, D, T)
        for i, conv in enumerate(self.convs):
            if i:
                h = self.dropout(h)
            # Zero the padding after every layer, so a short sentence in a padded batch sees
            # exactly what it would see alone.
            h = torch.relu(conv(h)) * keep  # (B, C, T)
        return h.transpose(1, 2)  # (B, T, C)


def build_encoder(config: NERConfig) -> nn.Module:
    """The swappable middle: (B, T, D) embeddings + (B, T) mask -> (B, T, output_dim) states."""
    if config.encoder == "bilstm":
        return BiLSTMEncoder(config.embedding_dim, config.hidden, config.lstm_layers, config.dropout)
    if config.encoder == "cnn":
        return DilatedCNNEncoder(
            config.embedding_dim, config.hidden, config.conv_kernel, config.conv_dilations, config.dropout
        )
    raise ValueError(f"unknown encoder {config.encoder!r}; choose from {ENCODERS}")


class NERTagger(nn.Module):
    def __init__(self, config: NERConfig | None = None, vocab: Vocab | None = None):
        super().__init__()
        self.config = c = config or NERConfig()
        # The vocabulary is fixed at construction and only read afterwards, so sharing is safe.
        self.vocab = vocab
        if vocab is not None and (len(vocab.words), len(vocab.chars)) != (c.vocab_size, c.char_vocab_size):
            raise ValueError("vocab sizes differ from the config")
        self.word_embedding = nn.Embedding(c.vocab_size, c.word_dim, padding_idx=0)
        self.char_embedding = nn.Embedding(c.char_vocab_size, c.char_dim, padding_idx=0)
        self.char_conv = nn.Conv1d(c.char_dim, c.char_filters, c.char_kernel, padding=c.char_kernel // 2)
        self.case_embedding = nn.Embedding(len(CASES), c.case_dim, padding_idx=0)
        self.dropout = nn.Dropout(c.dropout)
        self.encoder = build_encoder(c)
        self.emission = nn.Linear(self.encoder.output_dim, len(c.tags))
        self.crf = CRF(len(c.tags), allowed_transitions(c.tags)) if c.crf else None
        # Which IOB2 tag (index into TAGS) each of the model's own tags reports as, and the reverse;
        # fixed here so inference only reads them. Not persistent: derived from config.tags.
        iob2_index = [TAGS.index(to_iob2(t)) for t in c.tags]
        self.register_buffer("iob2_index", torch.tensor(iob2_index, dtype=torch.long), persistent=False)
        self.iob2_groups = tuple(tuple(k for k, j in enumerate(iob2_index) if j == i) for i in range(len(TAGS)))

    def embed(self, batch: NERBatch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(word (B, T, Dw), char features (B, T, F), case (B, T, Dk))."""
        b, t, width = batch.char_ids.shape
        chars = self.dropout(self.char_embedding(batch.char_ids.view(b * t, width)))  # (B*T, C, Dc)
        conv = self.char_conv(chars.transpose(1, 2))  # (B*T, F, C)
        # Max over real characters only: padding must not win the max.
        char_mask = (batch.char_ids.view(b * t, 1, width) > 0).expand_as(conv)
        conv = conv.masked_fill(~char_mask, -1e4).amax(dim=2)  # (B*T, F)
        char_features = torch.where(batch.mask.view(b * t, 1), conv, torch.zeros_like(conv)).view(b, t, -1)
        return self.word_embedding(batch.word_ids), char_features, self.case_embedding(batch.case_ids)

    def encode(self, embeddings: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """embeddings (B, T, D) -> (encoder states (B, T, H), emissions (B, T, K))."""
        states = self.encoder(self.dropout(embeddings), mask)  # (B, T, H)
        return states, self.emission(self.dropout(states))

    def forward(self, batch: NERBatch) -> NEROutput:
        word, char, case = self.embed(batch)
        embeddings = torch.cat([word, char, case], dim=2)  # (B, T, D)
        states, emissions = self.encode(embeddings, batch.mask)
        return NEROutput(word, char, case, embeddings, states, emissions, batch.mask)

    def loss(self, batch: NERBatch, partial: torch.Tensor | None = None) -> torch.Tensor:
        """Mean negative log-likelihood of the gold tag paths, per sentence. partial (B, T, K) bool marks
        the tags each token may take where the corpus does not decide (see CRF.nll); None: the gold alone."""
        emissions = self(batch).emissions  # (B, T, K)
        if self.crf is not None:
            return self.crf.nll(emissions, batch.tag_ids, batch.mask, partial).mean()
        if partial is None:
            token_nll = nn.functional.cross_entropy(emissions.transpose(1, 2), batch.tag_ids, reduction="none")
        else:  # the softmax tagger's version: -log of the probability of the allowed tags together
            log_probs = emissions.log_softmax(dim=-1)  # (B, T, K)
            token_nll = -log_probs.masked_fill(~partial, float("-inf")).logsumexp(dim=-1)  # (B, T)
        return torch.where(batch.mask, token_nll, 0.0).sum(1).mean()

    def tag_log_probs(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, K) log p(tag at t | sentence): CRF marginals, or the per-token softmax."""
        if self.crf is not None:
            return self.crf.log_marginals(emissions, mask)
        return emissions.log_softmax(dim=-1)

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T) best tags: the CRF's Viterbi path, or each token's own argmax."""
        if self.crf is not None:
            return self.crf.viterbi(emissions, mask)[0]
        return emissions.argmax(dim=-1)

    def iob2_log_probs(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, len(TAGS)) log p(IOB2 tag at t | sentence): an IOBES model's S-X and B-X both
        count as B-X, its E-X and I-X as I-X."""
        log_probs = self.tag_log_probs(emissions, mask)  # (B, T, K)
        if self.config.tags == TAGS:
            return log_probs
        return torch.stack([log_probs[..., list(g)].logsumexp(-1) for g in self.iob2_groups], dim=-1)

    def decode_iob2(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T) best tags as indices into TAGS."""
        return self.iob2_index[self.decode(emissions, mask)]  # (B, T)


# ---------------------------------------------------------------- loading


def vocab_path(name: str, weights_dir: Path | None = None) -> Path:
    return Path(weights_dir or runtime.weights_dir()) / f"{name}_vocab.json"


def save_vocab(name: str, vocab: Vocab, weights_dir: Path | None = None) -> str:
    """Write weights/<name>_vocab.json (plain JSON: safe to load); returns its sha256."""
    raw = vocab.to_json().encode("utf-8")
    checkpoint.atomic_write(vocab_path(name, weights_dir), lambda fh: fh.write(raw))
    return hashlib.sha256(raw).hexdigest()


def load_tagger(name: str = "bilstm", weights_dir: Path | None = None) -> tuple[NERTagger, dict]:
    """(model in eval mode, manifest); raises checkpoint.WeightsError with the rebuild command."""
    if name not in NER_MODELS:
        raise ValueError(f"unknown NER model {name!r}; choose from {sorted(NER_MODELS)}")
    name = NER_MODELS[name]
    manifest = checkpoint.read_manifest(name, weights_dir)
    path = vocab_path(name, weights_dir)
    rebuild = checkpoint.REBUILD_COMMANDS.get(name, "the training command in README.md")
    try:
        raw = path.read_bytes()
        if hashlib.sha256(raw).hexdigest() != manifest.get("vocab_sha256"):
            raise ValueError("its sha256 differs from the manifest's")
        vocab = Vocab.from_json(raw.decode("utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise checkpoint.WeightsError(
            f"The {name} vocabulary {path.name} is missing or corrupt ({exc}). Rebuild it with `{rebuild}`."
        ) from exc
    return checkpoint.load(name, lambda config: NERTagger(config, vocab), NERConfig, weights_dir)


# ---------------------------------------------------------------- inference


@dataclass
class TaggedText:
    text: str
    tokens: list[str]
    offsets: list[tuple[int, int]]  # text[start:end] == token
    sentence_ids: list[int]
    tags: list[str]  # IOB2, the CRF's best path (Viterbi) per sentence
    marginals: np.ndarray  # (N, K): p(IOB2 tag | sentence) per token, by forward-backward; rows sum to 1
    tag_names: tuple[str, ...]  # the K columns of marginals: TAGS, whatever scheme the model was trained on
    # [{text, label, start, end, score}], character offsets; score = mean marginal probability of the
    # entity's own tags (B-X then I-X ...), i.e. how sure the model is of each token's part in it.
    entities: list[dict]


def _run(model: NERTagger, token_lists: list[list[str]], batch_size: int, marginals: bool, native: bool = False):
    """Viterbi tags (and marginals) for each token list, batched by length. Returns lists in input order: tag
    indices into TAGS, or with `native` into the model's own config.tags (IOBES before folding)."""
    order = sorted(range(len(token_lists)), key=lambda i: -len(token_lists[i]))
    paths: list[np.ndarray | None] = [None] * len(token_lists)
    probs: list[np.ndarray | None] = [None] * len(token_lists)
    max_chars = model.config.max_word_chars
    with torch.inference_mode():
        for first in range(0, len(order), batch_size):
            chunk = order[first : first + batch_size]
            batch = make_batch([model.vocab.encode(token_lists[i], max_chars) for i in chunk])
            emissions = model(batch).emissions  # (B, T, K)
            best = (model.decode if native else model.decode_iob2)(emissions, batch.mask)  # (B, T)
            marg = model.iob2_log_probs(emissions, batch.mask).exp().numpy() if marginals else None  # (B, T, 9)
            for row, i in enumerate(chunk):
                n = len(token_lists[i])
                paths[i] = best[row, :n].numpy().copy()
                if marg is not None:
                    probs[i] = marg[row, :n].copy()
    return paths, probs


def predict(
    model: NERTagger, token_lists: list[list[str]], batch_size: int = 64, native: bool = False
) -> list[list[str]]:
    """IOB2 tags for pre-tokenised sentences (each non-empty); with `native`, the model's own tags."""
    paths, _ = _run(model, token_lists, batch_size, marginals=False, native=native)
    names = model.config.tags if native else TAGS
    return [[names[k] for k in path] for path in paths]


def join_mentions(tokens: Sequence[Token], spans: list[Chunk]) -> list[Chunk]:
    """A mention as one entity. The Broad Twitter Corpus tags `@` and the handle after it as two names
    (`@` B-PER, `colgo` B-PER), so the tagger learned to; a reader typed one, `@colgo`. An `@` chunk touching
    the next token becomes one entity with it, of the handle's type where the handle has one."""
    joined: list[Chunk] = []
    i = 0
    while i < len(spans):
        label, start, end = spans[i]
        after = end < len(tokens) and tokens[start].text == "@" and end == start + 1
        if after and tokens[end].start == tokens[start].end:
            if i + 1 < len(spans) and spans[i + 1][1] == end:
                label, end = spans[i + 1][0], spans[i + 1][2]
                i += 1
            else:
                end += 1
        joined.append((label, start, end))
        i += 1
    return joined


def tag(model: NERTagger, text: str, batch_size: int = 64) -> TaggedText:
    """Tokenise free text, tag every sentence, and list its entities with character offsets."""
    tokens: list[Token] = tokenize(text)
    groups = sentences(tokens)
    paths, probs = _run(model, [[t.text for t in group] for group in groups], batch_size, marginals=True)
    names = TAGS
    tags: list[str] = []
    entities: list[dict] = []
    for group, path, prob in zip(groups, paths, probs, strict=True):
        sentence_tags = [names[k] for k in path]
        for label, start, end in join_mentions(group, chunks(sentence_tags)):
            first, last = group[start], group[end - 1]
            score = float(np.mean([prob[i, path[i]] for i in range(start, end)]))
            entities.append(
                {
                    "text": text[first.start : last.end],
                    "label": label,
                    "start": first.start,
                    "end": last.end,
                    "score": round(score, 4),
                }
            )
        tags.extend(sentence_tags)
    return TaggedText(
        text=text,
        tokens=[t.text for t in tokens],
        offsets=[(t.start, t.end) for t in tokens],
        sentence_ids=[t.sentence for t in tokens],
        tags=tags,
        marginals=np.concatenate(probs) if probs else np.zeros((0, len(names)), dtype=np.float32),
        tag_names=names,
        entities=entities,
    )
