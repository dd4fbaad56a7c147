"""The NER tagger: tokenizer offsets, vocabulary, model intermediates, inference API, and the
committed weights (skipped until weights/bilstm.pt exists)."""

import json
import re
import string
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import runtime
from models import checkpoint
from models.explain import explain
from models.ner import (
    CASES,
    PAD,
    TAGS,
    TAGS_IOBES,
    UNK,
    NERConfig,
    NERTagger,
    Vocab,
    casing,
    join_mentions,
    load_tagger,
    make_batch,
    predict,
    save_vocab,
    tag,
)
from models.tagging import iob2_to_iobes, to_iob2
from models.tokenizer import sentences, tokenize
from sources import btc, conll
from tests.conftest import require_data

ARTICLE = (
    "President Roosevelt was one of the most influential presidents in American history. "
    "However, Roosevelt Street in Manhattan was not named after him."
)

TRICKY = [
    ARTICLE,
    "Clinton's aide doesn't think the U.S. can't win; the Urdu-speaking group's 47,600 shares (3.5%) rose.",
    "He said... \"Yes!\" -- then left at 10:30 a.m. on 1996-08-22, Mr. O'Neill's note read.",
    "Emoji 👍🏽 and 👨\u200d👩\u200d👧 and flags 🇺🇸🇬🇧, e\u0301cole, हिन्दी.",
    "RTL: שלום עולם, مرحبا بالعالم! mixed עברית123 text.",
    "<script>alert('Paris')</script><b>London</b> &amp; &lt;Berlin&gt;",
    "tabs\tand\r\nnewlines\n\n\nnew paragraph\u200b\ufeff zero width",
    "",
    "   \n\t ",
    "a" * 5000,
    "'s n't ' '' `` - -- ... !!! ??? \\ / | ~ ^ _ __",
]


def _texts(tokens):
    return [t.text for t in tokens]


@pytest.mark.parametrize("text", TRICKY)
def test_tokenizer_offsets_always_slice_back(text):
    tokens = tokenize(text)
    for token in tokens:
        assert text[token.start : token.end] == token.text
        assert token.text.strip() == token.text and token.text
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(tokens, tokens[1:], strict=False))
    ids = [t.sentence for t in tokens]
    assert ids == sorted(ids) and (not ids or ids[0] == 0)
    # Every visible character lands in some token.
    covered = "".join(text[t.start : t.end] for t in tokens)
    assert covered == "".join(c for c in text if not c.isspace() and c not in "\u200b\ufeff")


def test_tokenizer_follows_conll_conventions():
    text = "Clinton's aide doesn't say Urdu-speaking U.S. firms' 47,600 shares (3.5%) cost $1,000.50 in 1996-08-22."
    assert _texts(tokenize(text)) == [
        "Clinton", "'s", "aide", "does", "n't", "say", "Urdu-speaking", "U.S.", "firms", "'", "47,600",
        "shares", "(", "3.5", "%", ")", "cost", "$", "1,000.50", "in", "1996-08-22", ".",
    ]  # fmt: skip
    assert _texts(tokenize("Mr. O'Neill can't join Apple Inc. or J. Smith's team...")) == [
        "Mr.", "O'Neill", "ca", "n't", "join", "Apple", "Inc.", "or", "J.", "Smith", "'s", "team", "...",
    ]  # fmt: skip
    assert _texts(tokenize("<script>x</script>")) == ["<", "script", ">", "x", "<", "/", "script", ">"]


def test_tokenizer_reads_tweets_as_the_broad_twitter_corpus_does():
    assert _texts(tokenize("RT @lagos_tech: #WTO in 2024 https://t.co/x4Yz9Qa. (www.bbc.co.uk/news) mail a@b.org")) == [
        "RT", "@", "lagos_tech", ":", "#WTO", "in", "2024", "https://t.co/x4Yz9Qa", ".", "(", "www.bbc.co.uk/news",
        ")", "mail", "a", "@", "b", ".", "org",
    ]  # fmt: skip
    assert _texts(tokenize("a # b @ c C#")) == ["a", "#", "b", "@", "c", "C", "#"]
    # The reference: the corpus's own tokens. Every link, hashtag and handle of a held-out section comes back
    # whole from the tweet as typed, but for the corpus's slip of a full stop kept on ("#Ukraine.").
    path = btc.section_path("f")
    require_data(path, "the Broad Twitter Corpus, in ner-extra/btc/ of the data folder")
    link = re.compile(r"https?://\S*[^\s.,:;!?)\]'\"]")
    checked = 0
    for tokens, _ in btc.read_section("f")[0]:
        text, offsets = btc.as_typed(tokens)
        ours = {(t.start, t.end) for t in tokenize(text)}
        for i, token in enumerate(tokens):
            handle = i and tokens[i - 1] == "@" and re.fullmatch(r"\w+", token)
            if handle or re.fullmatch(r"#\w+", token) or link.fullmatch(token):
                assert offsets[i] in ours, (token, text)
                checked += 1
    assert checked > 3000


def test_a_mention_is_one_entity_however_the_corpus_split_it():
    tokens = tokenize("thanks @maria_lopez and @ bob and @netflix")
    # @ and handle tagged apart, as in the corpus; a spaced @ stays apart; an @ alone takes its handle along.
    spans = [("PER", 1, 2), ("PER", 2, 3), ("PER", 4, 5), ("PER", 5, 6), ("ORG", 7, 8)]
    assert [t.text for t in tokens] == ["thanks", "@", "maria_lopez", "and", "@", "bob", "and", "@", "netflix"]
    assert join_mentions(tokens, spans) == [("PER", 1, 3), ("PER", 4, 5), ("PER", 5, 6), ("ORG", 7, 9)]
    assert join_mentions(tokens, [("ORG", 1, 2), ("PER", 2, 3)]) == [("PER", 1, 3)]  # the handle's type wins


def test_tokenizer_keeps_emoji_and_marks_whole():
    assert _texts(tokenize("hi 👍🏽 👨\u200d👩\u200d👧 🇺🇸🇬🇧 e\u0301cole")) == [
        "hi", "👍🏽", "👨\u200d👩\u200d👧", "🇺🇸", "🇬🇧", "e\u0301cole",
    ]  # fmt: skip
    assert _texts(tokenize("مرحبا بالعالم")) == ["مرحبا", "بالعالم"]


def test_tokenizer_sentences():
    tokens = tokenize('It rose. "Good," he said. Mr. Smith left!\n\nHEADLINE here\nThe end?')
    groups = [" ".join(_texts(g)) for g in sentences(tokens)]
    assert groups == ["It rose .", '" Good , " he said .', "Mr. Smith left !", "HEADLINE here The end ?"]
    long = tokenize("word " * 1000, max_sentence_tokens=150)
    assert max(t.sentence for t in long) == 6
    assert tokenize("") == [] and tokenize(" \n ") == []


def test_tokenizer_covers_100k_characters_of_mixed_text():
    text = (ARTICLE + " Ünïcödé 👍🏽 «quotes» 3,000.5% ") * (100_000 // (len(ARTICLE) + 30) + 1)
    text = text[:100_000]
    tokens = tokenize(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert len(tokenize("x" * 100_000)) == 1


def test_casing_classes():
    expected = {
        "the": "lower", "Paris": "init_cap", "A": "init_cap", "NATO": "all_caps", "iPhone": "mixed",
        "McDonald": "mixed", "F-16": "has_digit", "1996": "has_digit", ",": "punct", "--": "punct",
        "שלום": "other", "👍": "punct",
    }  # fmt: skip
    assert {w: CASES[casing(w)] for w in expected} == expected


# ------------------------------------------------------------ a small random model

WORDS = (PAD, UNK, "the", "roosevelt", "street", "in", "manhattan", ".", "0000", "00.0")
CHARS = (PAD, UNK, *string.ascii_letters, *string.digits, *string.punctuation)


# Every test of `small` runs twice: on a one-layer IOB2 model, and on a two-layer model trained on IOBES
# tags, whose answers must still come out as IOB2.
@pytest.fixture(scope="module", params=[(TAGS, 1), (TAGS_IOBES, 2)], ids=["iob2", "iobes-2layers"])
def small(request):
    torch.manual_seed(0)
    vocab = Vocab(words=WORDS, chars=CHARS)
    tags, layers = request.param
    config = NERConfig(
        vocab_size=len(WORDS),
        char_vocab_size=len(CHARS),
        tags=tags,
        hidden=8,
        lstm_layers=layers,
        char_filters=6,
        case_dim=4,
    )
    model = NERTagger(config, vocab).eval()
    with torch.no_grad():
        model.crf.transitions.normal_()
        model.emission.bias.normal_(0, 3)
    return model


def test_vocab_lookup_lowercases_and_falls_back_to_digit_shapes():
    vocab = Vocab(words=WORDS, chars=CHARS)
    assert vocab.word_id("Roosevelt") == vocab.word_id("ROOSEVELT") == WORDS.index("roosevelt")
    assert vocab.word_id("1996") == WORDS.index("0000")
    assert vocab.word_id("12.5") == WORDS.index("00.0")
    assert vocab.word_id("Zanzibar") == 1
    words, cases, chars = vocab.encode(["The", "Zanzibar", "ü"], max_chars=4)
    assert words.tolist() == [2, 1, 1]
    assert [CASES[c] for c in cases] == ["init_cap", "init_cap", "lower"]
    assert chars[1] == [CHARS.index(c) for c in "Zanz"] and chars[2] == [1]
    assert Vocab.from_json(vocab.to_json()) == vocab
    with pytest.raises(ValueError):
        Vocab(words=("a", "b"), chars=CHARS)


def test_forward_returns_every_intermediate(small):
    c = small.config
    batch = make_batch([small.vocab.encode(s, c.max_word_chars) for s in (["The", "Street", "."], ["in"])])
    out = small(batch)
    assert out.word_embeddings.shape == (2, 3, c.word_dim)
    assert out.char_features.shape == (2, 3, c.char_filters)
    assert out.case_embeddings.shape == (2, 3, c.case_dim)
    assert out.embeddings.shape == (2, 3, c.embedding_dim)
    assert out.encoder_states.shape == (2, 3, 2 * c.hidden)
    assert out.emissions.shape == (2, 3, len(c.tags))
    assert out.encoder_states[1, 1:].abs().max() == 0  # padding stays zero


def test_padding_and_batch_company_do_not_change_a_sentence(small):
    sents = [["Roosevelt", "Street", "in", "Manhattan", "."], ["the"], ["in", "the", "street"]]
    c = small.config
    with torch.inference_mode():
        together = small(make_batch([small.vocab.encode(s, c.max_word_chars) for s in sents])).emissions
        for i, s in enumerate(sents):
            alone = small(make_batch([small.vocab.encode(s, c.max_word_chars)])).emissions
            torch.testing.assert_close(alone[0], together[i, : len(s)], rtol=1e-5, atol=1e-5)


def test_forward_keeps_no_state_on_the_module(small):
    before = set(vars(small)) | {name for name, _ in small.named_modules()}
    tag(small, ARTICLE)
    explain(small, ["Roosevelt", "Street"], 0, "B-LOC", steps=8)
    assert set(vars(small)) | {name for name, _ in small.named_modules()} == before
    assert all(p.grad is None for p in small.parameters())


def test_unknown_encoder_is_refused():
    with pytest.raises(ValueError, match="encoder"):
        NERTagger(NERConfig(encoder="transformer"))


def test_tag_output_is_consistent(small):
    tagged = tag(small, ARTICLE)
    n = len(tagged.tokens)
    assert n == 25 and len(tagged.offsets) == len(tagged.sentence_ids) == len(tagged.tags) == n
    assert tagged.sentence_ids[0] == 0 and tagged.sentence_ids[-1] == 1
    assert tagged.marginals.shape == (n, len(TAGS)) and tagged.tag_names == TAGS
    np.testing.assert_allclose(tagged.marginals.sum(1), 1.0, atol=1e-5)
    for entity in tagged.entities:
        assert ARTICLE[entity["start"] : entity["end"]] == entity["text"]
        assert entity["label"] in conll.ENTITY_TYPES and 0.0 <= entity["score"] <= 1.0
    # Entities are exactly the chunks of the Viterbi tags.
    spans = [(e["start"], e["end"], e["label"]) for e in tagged.entities]
    expected = []
    for s in sorted(set(tagged.sentence_ids)):
        idx = [i for i, sid in enumerate(tagged.sentence_ids) if sid == s]
        for label, a, b in conll.chunks([tagged.tags[i] for i in idx]):
            expected.append((tagged.offsets[idx[a]][0], tagged.offsets[idx[b - 1]][1], label))
    assert spans == expected
    assert predict(small, [tagged.tokens[:13]])[0] == tagged.tags[:13]


def _random_iob2(rng, length):
    tags, inside = [], None
    for _ in range(length):
        kind = rng.choice(["O", "PER", "LOC", "ORG", "MISC"])
        if kind == "O":
            tags.append("O")
            inside = None
        elif inside == kind and rng.random() < 0.6:
            tags.append(f"I-{kind}")
        else:
            tags.append(f"B-{kind}")
            inside = kind
    return tags


def test_iobes_conversion_keeps_conlleval_chunks():
    rng = np.random.default_rng(0)
    for _ in range(500):
        iob2 = _random_iob2(rng, int(rng.integers(1, 12)))
        iobes = iob2_to_iobes(iob2)
        assert set(iobes) <= set(TAGS_IOBES)
        assert conll.chunks(iobes) == conll.chunks(iob2)  # conlleval's reading is the reference
        assert [to_iob2(t) for t in iobes] == iob2
    assert iob2_to_iobes(["B-PER", "I-PER", "B-PER", "O", "B-LOC", "I-LOC", "I-LOC"]) == [
        "B-PER", "E-PER", "S-PER", "O", "B-LOC", "I-LOC", "E-LOC",
    ]  # fmt: skip


def test_iob2_marginals_sum_the_model_own_tags(small):
    c = small.config
    batch = make_batch([small.vocab.encode(["President", "Roosevelt", "in", "Manhattan", "."], c.max_word_chars)])
    with torch.inference_mode():
        emissions = small(batch).emissions
        own = small.tag_log_probs(emissions, batch.mask).exp()[0]  # (T, K)
        iob2 = small.iob2_log_probs(emissions, batch.mask).exp()[0]  # (T, 9)
        best = small.decode(emissions, batch.mask)[0]
        best_iob2 = small.decode_iob2(emissions, batch.mask)[0]
    for i, name in enumerate(TAGS):
        members = [k for k, own_name in enumerate(c.tags) if to_iob2(own_name) == name]
        torch.testing.assert_close(iob2[:, i], own[:, members].sum(1), rtol=1e-5, atol=1e-6)
    assert [TAGS[k] for k in best_iob2] == [to_iob2(c.tags[k]) for k in best]


@pytest.mark.parametrize("text", ["", "  \n", "👍🏽", "<script>alert(1)</script>", "שלום עולם"])
def test_tag_handles_odd_text(small, text):
    tagged = tag(small, text)
    assert len(tagged.tokens) == len(tagged.tags) == tagged.marginals.shape[0]


def test_tag_handles_20k_characters(small):
    text = (ARTICLE + " ") * (20_000 // len(ARTICLE) + 1) + "no full stop " * 400
    tagged = tag(small, text)
    assert len(tagged.tokens) > 4000 and tagged.marginals.shape[0] == len(tagged.tokens)


def test_explanation_splits_by_input_and_needs_no_parameter_grads(small):
    tokens = ["President", "Roosevelt", "was", "in", "Manhattan", "."]
    with torch.inference_mode():  # callers may already be in inference mode
        result = explain(small, tokens, 1, "B-PER", steps=16)
    assert result.integrated_gradients.shape == result.occlusion.shape == (6,)
    assert set(result.parts) == {"word", "char", "case"}
    np.testing.assert_allclose(sum(result.parts.values()), result.integrated_gradients, rtol=1e-9, atol=1e-12)
    assert np.abs(result.integrated_gradients).sum() > 0
    probs = tag(small, " ".join(tokens)).marginals
    assert result.probability == pytest.approx(float(probs[1, TAGS.index("B-PER")]), rel=1e-4)
    assert result.log_prob == pytest.approx(np.log(result.probability), abs=1e-4)
    assert all(p.grad is None for p in small.parameters())
    with pytest.raises(ValueError, match="outside a sentence of 6 tokens"):
        explain(small, tokens, 6, "O")


def test_concurrent_callers_get_their_own_results(small):
    texts = [ARTICLE, "Manhattan.", "the street in the street " * 20, "Roosevelt"]
    expected = [tag(small, t).tags for t in texts]
    results, errors = {}, []

    def work(i):
        try:
            for _ in range(5):
                results.setdefault(i, []).append(tag(small, texts[i % 4]).tags)
                explain(small, ["Roosevelt", "Street"], 1, "I-LOC", steps=8)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i, runs in results.items():
        assert all(r == expected[i % 4] for r in runs)


def test_save_and_load_round_trip(small, tmp_path):
    sha = save_vocab("bilstm", small.vocab, tmp_path)
    checkpoint.save("bilstm", small, small.config, {"vocab_sha256": sha, "metrics": {}}, tmp_path)
    model, manifest = load_tagger("bilstm", tmp_path)
    assert model.config == small.config and model.vocab == small.vocab and not model.training
    assert tag(model, ARTICLE).tags == tag(small, ARTICLE).tags
    # A vocabulary that does not match its manifest is refused, with the rebuild command.
    (tmp_path / "bilstm_vocab.json").write_text(json.dumps({"words": list(WORDS[::-1]), "chars": list(CHARS)}))
    with pytest.raises(checkpoint.WeightsError, match="python -m training.train_ner"):
        load_tagger("bilstm", tmp_path)


def test_missing_weights_say_how_to_rebuild(tmp_path):
    with pytest.raises(checkpoint.WeightsError, match="python -m training.train_ner"):
        load_tagger("bilstm", tmp_path)
    with pytest.raises(ValueError):
        load_tagger("nonsense", tmp_path)


# ------------------------------------------------------------ the committed weights

WEIGHTS_PRESENT = (
    all(p.exists() for p in checkpoint.paths("bilstm")) and (runtime.weights_dir() / "bilstm_vocab.json").exists()
)
needs_weights = pytest.mark.skipif(not WEIGHTS_PRESENT, reason="weights/bilstm.pt not built yet")


@pytest.fixture(scope="module")
def trained():
    return load_tagger("bilstm")


@needs_weights
def test_committed_weights_tag_the_article_example(trained):
    model, _ = trained
    found = {(e["text"], e["start"], e["label"]) for e in tag(model, ARTICLE).entities}
    assert ("Roosevelt", 10, "PER") in found
    assert ("Roosevelt Street", ARTICLE.index("Roosevelt Street"), "LOC") in found
    assert ("Manhattan", ARTICLE.index("Manhattan"), "LOC") in found
    assert ("American", ARTICLE.index("American"), "MISC") in found


@needs_weights
def test_committed_weights_reproduce_their_manifest_test_f1(trained, conll_test):
    model, manifest = trained
    sentences_, sha = conll.read_split("test")
    assert sha == manifest["data"]["test_sha256"]
    scores = conll.entity_scores([t for _, t in sentences_], predict(model, [s for s, _ in sentences_]))
    assert scores["f1"] == pytest.approx(manifest["metrics"]["test_f1"], abs=0.01)
    assert manifest["config"]["encoder"] == "bilstm"


@needs_weights
def test_committed_weights_stay_small():
    total = (
        sum(p.stat().st_size for p in checkpoint.paths("bilstm"))
        + (runtime.weights_dir() / "bilstm_vocab.json").stat().st_size
    )
    assert total < 15_000_000


@needs_weights
def test_command_line_prints_entities_as_json():
    out = subprocess.run(
        [sys.executable, "-m", "models", "ner", ARTICLE], capture_output=True, text=True, check=True, timeout=120
    )
    entities = json.loads(out.stdout)
    assert {"text", "label", "start", "end", "score"} <= set(entities[0])
    assert any(e["text"] == "Manhattan" and e["label"] == "LOC" for e in entities)


@needs_weights
def test_evaluate_cli_reads_an_iob2_file(tmp_path):
    path = tmp_path / "mine.conll"
    path.write_text("-DOCSTART- O\n\nRoosevelt B-PER\nvisited O\nManhattan B-LOC\n.\tO")
    out = subprocess.run(
        [sys.executable, "-m", "training.evaluate", "ner", "--conll", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(out.stdout)
    assert {"f1", "precision", "recall", "per_type", "n_sentences", "data_sha256"} <= set(result)
    assert result["n_sentences"] == 1 and set(result["per_type"]) >= set(conll.ENTITY_TYPES)


def test_as_typed_scores_agree_with_token_scores_where_the_tokens_agree():
    """The page's path scored by characters (training/evaluate.py as_typed_scores) against conlleval's token
    scores: on sentences the tokeniser splits exactly as given, with one sentence each and no mention, both
    must count the same entities."""
    from tests.text.taggers import SENTENCE, small_tagger
    from training.evaluate import as_typed_scores

    model = small_tagger("bilstm", strong_emissions=True)
    sentences = [SENTENCE[:-1], SENTENCE[2:9], ["Roosevelt", "named", "him", "president"], SENTENCE[:5]]
    gold = [tags for tags in predict(model, [list(reversed(s)) for s in sentences])]  # some right, some wrong
    gold = [g[: len(s)] for g, s in zip(gold, sentences, strict=True)]
    gold = [[("O" if t.endswith("MISC") else t) for t in g] for g in gold]
    predicted = [[("O" if t.endswith("MISC") else t) for t in p] for p in predict(model, sentences)]
    expected = conll.entity_scores(gold, predicted)
    assert expected["gold"] and expected["predicted"]
    assert as_typed_scores(model, list(zip(sentences, gold, strict=True))) == expected
