"""The command-line contracts: one JSON object (or list) on stdout."""

import json
import math
import subprocess
import sys

import pytest

from runtime import PROJECT_ROOT

ROOT = PROJECT_ROOT


def run_json(*args):
    result = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_models_speller_suggests_and_charts():
    out = run_json("models", "speller", "networc")
    assert out["suggestions"][0]["word"] == "network"
    assert [s["score"] for s in out["suggestions"]] == sorted((s["score"] for s in out["suggestions"]), reverse=True)
    after_networ = next(step for step in out["next_letter"] if step["prefix"] == "networ")
    assert after_networ["actual"] == "c" and after_networ["top"][0]["letter"] == "k"


def test_models_speller_text_flags_in_context_with_score_parts():
    text = "I got a letter form my aunt about the networc."
    out = run_json("models", "speller", "--text", text)
    flags = {flag["word"]: flag for flag in out["flags"]}
    assert set(flags) == {"form", "networc"} and out["context"] is True
    assert flags["form"]["kind"] == "real_word" and flags["form"]["suggestions"][0]["word"] == "from"
    assert flags["networc"]["kind"] == "unknown" and flags["networc"]["suggestions"][0]["word"] == "network"
    for flag in out["flags"]:
        assert text[flag["start"] : flag["end"]] == flag["word"]
        for suggestion in flag["suggestions"]:
            assert set(suggestion["parts"]) == {"edit", "frequency", "context"} and 0 <= suggestion["score"] <= 1
    plain = run_json("models", "speller", "--text", text, "--no-context")
    assert [flag["word"] for flag in plain["flags"]] == ["networc"] and plain["context"] is False
    assert all(s["parts"]["context"] == 0 for s in plain["flags"][0]["suggestions"])


def test_evaluate_speller_sentences_contract(tmp_path):
    sentences = tmp_path / "sentences.tsv"
    sentences.write_text(
        "A letter form my aunt .\tA letter from my aunt .\n"
        "The networc is down .\tThe network is down .\n"
        "one two three\tone two\n"
    )
    out = run_json("training.evaluate", "speller", "--sentences", str(sentences))
    assert out["n_errors"] == 2 and out["n_tokens"] == 11 and out["skipped"] == 1 and out["context"] is True
    assert out["correction_rate"] == 1.0 and out["false_alarm_rate"] == 0.0 and out["accuracy"] == 1.0
    assert out["words_per_s"] > 0
    plain = run_json("training.evaluate", "speller", "--sentences", str(sentences), "--no-context")
    assert plain["context"] is False and plain["correction_rate"] == 0.5 and plain["n_errors"] == 2


def test_models_ner_lists_entities_with_offsets():
    text = "Angela Merkel visited Paris."
    entities = run_json("models", "ner", text)
    assert {(e["text"], e["label"]) for e in entities} >= {("Angela Merkel", "PER"), ("Paris", "LOC")}
    for entity in entities:
        assert text[entity["start"] : entity["end"]] == entity["text"] and 0 <= entity["score"] <= 1


def test_evaluate_speller_reads_a_tsv(tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("recieve\treceive\nbeleive\tbelieve\nxqzvbn\tapple\n")
    out = run_json("training.evaluate", "speller", "--pairs", str(pairs))
    assert out["n"] == 3 and abs(out["accuracy"] - 2 / 3) < 1e-3 and out["top3"] >= out["accuracy"]
    assert out["words_per_s"] > 0


def test_evaluate_speller_scores_each_pairs_file_beside_the_manifest(tmp_path):
    easy, hard = tmp_path / "easy.tsv", tmp_path / "hard.tsv"
    easy.write_text("recieve\treceive\nbeleive\tbelieve\n")
    hard.write_text("xqzvbn\tapple\n")
    out = run_json("training.evaluate", "speller", "--pairs", str(easy), str(hard))
    assert out["results"]["easy.tsv"]["accuracy"] == 1.0 and out["results"]["hard.tsv"]["accuracy"] == 0.0
    recorded = json.loads((ROOT / "weights" / "speller.json").read_text())["metrics"]
    assert out["manifest_metrics"] == recorded


def test_evaluate_ner_reads_an_iob2_file(tmp_path):
    conll = tmp_path / "tiny.conll"
    conll.write_text("-DOCSTART- O\n\nAngela B-PER\nMerkel I-PER\nvisited O\nParis B-LOC\n. O\n")
    out = run_json("training.evaluate", "ner", "--conll", str(conll))
    assert out["f1"] == 100.0 and set(out) >= {"f1", "precision", "recall", "per_type"}
    assert out["crf_constraints"] and out["ill_formed_paths"] == 0
    typed = run_json("training.evaluate", "ner", "--conll", str(conll), "--as-typed", "--no-constraints")
    assert typed["as_typed"] and not typed["crf_constraints"] and typed["f1"] == 100.0


def test_evaluate_digits_rnn_contract():
    out = run_json("training.evaluate", "digits", "--model", "rnn", "--limit", "500")
    assert out["model"] == "rnn" and out["n"] == 500 and out["accuracy"] > 0.97
    assert out["manifest_accuracy"] >= 0.99


def test_evaluate_ner_cnn_contract(conll_test):  # the command reads CoNLL-2003 test
    out = run_json("training.evaluate", "ner", "--model", "cnn", "--limit", "300")
    assert out["model"] == "cnn" and set(out) >= {"f1", "precision", "recall", "per_type"}
    assert 50 < out["f1"] <= 100 and out["manifest_test_f1"] > 0


def test_models_ner_explains_one_token_with_both_views():
    text = "Angela Merkel visited Paris. President Roosevelt spoke in Manhattan on Monday."
    for model in ("bilstm", "cnn"):
        tokens = run_json("models", "ner", text, "--tokens", "--model", model)["tokens"]
        index = next(i for i, t in enumerate(tokens) if t["text"] == "Roosevelt")  # in the second sentence
        out = run_json("models", "ner", text, "--explain", str(index), "--model", model)
        assert out["token"] == "Roosevelt" and out["tokens"][out["position"]] == "Roosevelt"
        assert out["tokens"][0] == "President"  # the explained token's sentence, not the whole text
        assert len(out["integrated_gradients"]) == len(out["occlusion"]) == len(out["tokens"])
        assert out["label"] == tokens[index]["tag"]  # the label the tagger gave it
        assert 0 < out["prob"] <= 1 and abs(out["prob"] - math.exp(out["log_prob"])) < 1e-5
        gap = out["log_prob"] - out["baseline_log_prob"]
        residual = abs(sum(out["integrated_gradients"]) - gap) / abs(gap)
        assert residual == pytest.approx(out["completeness_residual"], abs=1e-4) and residual <= 0.02
        assert "unknown" in out["baseline"] and out["label"] in out["target"]
        assert all(0 <= p <= 1 for p in out["occlusion"])


def test_models_ner_explain_out_of_range_is_a_json_error():
    result = subprocess.run(
        [sys.executable, "-m", "models", "ner", "Angela Merkel visited Paris.", "--explain", "9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert json.loads(result.stdout) == {"error": "token 9 is outside the text's 5 tokens (0 to 4)"}


def test_evaluate_speller_clean_text_counts_changed_tokens(tmp_path):
    conll = tmp_path / "clean.conll"
    conll.write_text("The\tO\ncat\tO\nsat\tO\n.\tO\n\nIt\tO\nwas\tO\nthere\tO\n.\tO\n", encoding="utf-8")
    out = run_json("training.evaluate", "speller", "--clean", str(conll), "--limit", "1")
    assert out["n_sentences"] == 1 and out["n_tokens"] == 4
    assert out["false_alarm_rate"] == out["n_false_alarms"] / 4
