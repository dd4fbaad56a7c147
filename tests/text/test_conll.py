"""CoNLL reading, IOB1 -> IOB2, and conlleval's chunk and F1 rules on hand-made examples."""

import pytest

from sources import conll
from sources.conll import chunks, entity_scores, iob1_to_iob2, parse_conll, read_conll
from tests.conftest import require_conll


def test_reader_skips_docstart_and_flushes_the_last_sentence_without_newline(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(
        "-DOCSTART- -X- -X- O\n\n"
        "EU NNP I-NP I-ORG\nrejects VBZ I-VP O\n\n"
        "-DOCSTART- -X- O O\n\n"
        "Peter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER"  # no trailing newline, as in the real files
    )
    assert read_conll(path) == [(["EU", "rejects"], ["I-ORG", "O"]), (["Peter", "Blackburn"], ["I-PER", "I-PER"])]


def test_reader_takes_first_and_last_columns_and_accepts_iob2_tabs_and_blank_runs():
    lines = [
        "\n",
        "\n",
        "Roosevelt\tB-PER\n",
        "Street\tB-LOC\n",
        "\n",
        "\n",
        "\n",
        "in O\n",
        "Manhattan X Y B-LOC\n",
        "\n",
    ]
    assert parse_conll(lines) == [(["Roosevelt", "Street"], ["B-PER", "B-LOC"]), (["in", "Manhattan"], ["O", "B-LOC"])]


@pytest.mark.parametrize("bad", ["token\n", "token PER\n", "token B_PER\n"])
def test_reader_refuses_malformed_lines(bad):
    with pytest.raises(conll.ConllFormatError, match=":1:"):
        parse_conll([bad], "f")


def test_chunks_follow_conlleval_iob1():
    # IOB1: entities start with I-; B- only splits two adjacent entities of the same type.
    tags = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "O", "B-MISC", "I-MISC"]
    assert chunks(tags) == [("PER", 0, 2), ("PER", 2, 3), ("LOC", 4, 5), ("ORG", 5, 6), ("MISC", 7, 9)]


def test_chunks_follow_conlleval_on_ill_formed_iob2():
    # An I- after O, or after another type, starts a chunk; a B- always does.
    assert chunks(["O", "I-PER", "I-PER"]) == [("PER", 1, 3)]
    assert chunks(["B-PER", "I-LOC", "I-LOC"]) == [("PER", 0, 1), ("LOC", 1, 3)]
    assert chunks(["B-PER", "B-PER", "I-PER"]) == [("PER", 0, 1), ("PER", 1, 3)]
    assert chunks(["I-MISC"]) == [("MISC", 0, 1)]
    assert chunks([]) == []
    # IOBES works too.
    assert chunks(["S-PER", "B-LOC", "E-LOC", "S-LOC"]) == [("PER", 0, 1), ("LOC", 1, 3), ("LOC", 3, 4)]


def test_iob1_to_iob2_keeps_every_chunk():
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "O", "B-MISC", "I-MISC", "I-MISC"]
    assert iob1_to_iob2(iob1) == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG", "O", "B-MISC", "I-MISC", "I-MISC"]
    assert chunks(iob1_to_iob2(iob1)) == chunks(iob1)
    assert iob1_to_iob2(iob1_to_iob2(iob1)) == iob1_to_iob2(iob1)


def test_quirky_b_after_o_reads_as_an_entity_start():
    # train.txt: "Urdu-speaking Moslems" is tagged B-MISC after O.
    assert chunks(["O", "B-MISC", "O"]) == chunks(["O", "I-MISC", "O"]) == [("MISC", 1, 2)]


def test_entity_scores_exact_match_by_hand():
    gold = [["I-PER", "I-PER", "O", "I-LOC"], ["I-ORG", "O", "B-ORG"]]
    # PER boundary wrong (no credit), LOC right, ORG #1 right, ORG #2 missed, an extra MISC.
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "B-MISC", "O"]]
    scores = entity_scores(gold, pred)
    assert (scores["gold"], scores["predicted"], scores["correct"]) == (4, 4, 2)
    assert scores["precision"] == scores["recall"] == scores["f1"] == 50.0
    per = scores["per_type"]
    assert per["PER"]["f1"] == 0.0 and per["LOC"]["f1"] == 100.0
    assert (per["ORG"]["precision"], per["ORG"]["recall"]) == (100.0, 50.0)
    assert per["ORG"]["f1"] == pytest.approx(200 / 3, abs=1e-4)
    assert per["MISC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "gold": 0, "predicted": 1, "correct": 0}


def test_entity_scores_treat_iob1_and_its_iob2_form_as_identical():
    gold = [["I-PER", "B-PER", "O", "I-LOC", "I-LOC"]]
    assert entity_scores(gold, [iob1_to_iob2(gold[0])])["f1"] == 100.0


def test_entity_scores_refuse_misaligned_input():
    with pytest.raises(ValueError):
        entity_scores([["O"]], [["O", "O"]])
    with pytest.raises(ValueError):
        entity_scores([["O"]], [])


def test_data_dir_comes_from_the_flag_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNRNN_DATA", str(tmp_path / "env"))
    assert conll.split_path("test") == tmp_path / "env" / "conll2003" / "test.txt"
    assert conll.split_path("valid", tmp_path) == tmp_path / "conll2003" / "valid.txt"
    with pytest.raises(FileNotFoundError, match="CNNRNN_DATA"):
        conll.read_split("test", tmp_path / "nowhere")


# Published CoNLL-2003 English statistics (see ../shared/data/conll2003/README.md).
COUNTS = {
    "train": (14041, 203621, {"PER": 6600, "LOC": 7140, "ORG": 6321, "MISC": 3438}),
    "valid": (3250, 51362, {"PER": 1842, "LOC": 1837, "ORG": 1341, "MISC": 922}),
    "test": (3453, 46435, {"PER": 1617, "LOC": 1668, "ORG": 1661, "MISC": 702}),
}


@pytest.mark.parametrize("split", conll.SPLITS)
def test_real_files_match_the_published_counts(split):
    require_conll(split)
    sentences, sha = conll.read_split(split)
    n_sentences, n_tokens, entities = COUNTS[split]
    assert len(sentences) == n_sentences
    assert sum(len(tokens) for tokens, _ in sentences) == n_tokens
    per_type = entity_scores([t for _, t in sentences], [t for _, t in sentences])["per_type"]
    assert {k: per_type[k]["gold"] for k in entities} == entities
    assert len(sha) == 64
