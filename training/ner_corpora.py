"""The taggers beyond Reuters: CoNLL-2003 test, a held-out Broad Twitter Corpus section, our out-of-domain
sentences and our modern sentences, each as written and lower-cased, for both taggers (the BTC section also
typed out and tagged as the page tags text: `btc_f_as_typed`, `python -m training.evaluate ner --as-typed`),
and optionally older weights beside them in the same run. The BiLSTM-CRF is also scored decoding without its
hard constraints (`unconstrained.bilstm...`), the ablation that shows what they change.

    python -m training.ner_corpora [--before DIR] [--out weights/ner_corpora.json]

Every figure is `python -m training.evaluate ner` on one set (conlleval's exact-match entity scores, in
percent). On BTC, which has no MISC, a MISC guess is dropped before scoring. The modern set
(tests/data/ner_modern.conll) is for reporting only: no setting was chosen on it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import runtime
from training import runs
from training.evaluate import evaluate_ner

MODELS = ("bilstm", "cnn")


def sets(data: str | None) -> dict[str, tuple[Path | None, bool, bool]]:
    """name -> (CoNLL-format file, or None for CoNLL-2003 test; drop MISC guesses; typed out and tagged as the
    page tags text, scored by character offsets)."""
    root = runtime.PROJECT_ROOT
    btc_f = runtime.data_dir(data) / "ner-extra" / "btc" / "f.conll"
    return {
        "conll_test": (None, False, False),
        "btc_f": (btc_f, True, False),
        "btc_f_as_typed": (btc_f, True, True),
        "out_of_domain": (root / "data" / "ood_ner" / "ood.conll", False, False),
        "modern": (root / "tests" / "data" / "ner_modern.conll", False, False),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="folder holding conll2003/ and ner-extra/ (default: $CNNRNN_DATA)")
    parser.add_argument(
        "--weights-dir", type=Path, default=None, help="folder of the taggers' weights (default: weights/)"
    )
    parser.add_argument(
        "--before", type=Path, default=None, help="also score the taggers in this folder, side by side (default: none)"
    )
    parser.add_argument(
        "--out", type=Path, default=runtime.weights_dir() / "ner_corpora.json", help="default: weights/ner_corpora.json"
    )
    return parser.parse_args(argv)


def score(
    model: str,
    weights_dir: Path | None,
    conll: Path | None,
    no_misc: bool,
    lower: bool,
    data,
    constrained: bool = True,
    as_typed: bool = False,
) -> dict:
    args = argparse.Namespace(
        model=model,
        conll=conll,
        data=data,
        limit=None,
        lower=lower,
        no_misc=no_misc,
        as_typed=as_typed,
        no_constraints=not constrained,
        weights_dir=weights_dir,
    )
    result = evaluate_ner(args)
    keep = ("f1", "precision", "recall", "n_sentences", "data", "data_sha256")
    return {
        **{k: result[k] for k in keep},
        "per_type": {t: s["f1"] for t, s in result["per_type"].items() if s["gold"]},
    }


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    # (key prefix, weights folder, models, decode with the CRF's constraints)
    passes: list[tuple[str, Path | None, tuple[str, ...], bool]] = [("now", args.weights_dir, MODELS, True)]
    if args.before:
        passes.append(("before", args.before, MODELS, True))
    passes.append(("unconstrained", args.weights_dir, ("bilstm",), False))
    report: dict = {"command": runs.command("python -m training.ner_corpora", argv), "scores": {}}
    for when, folder, models, constrained in passes:
        for model in models:
            for name, (conll, no_misc, as_typed) in sets(args.data).items():
                for lower in (False, True):
                    key = f"{when}.{model}.{name}.{'lower' if lower else 'cased'}"
                    report["scores"][key] = score(
                        model, folder, conll, no_misc, lower, args.data, constrained, as_typed
                    )
                    print(f"{key}: F1 {report['scores'][key]['f1']:.2f}", flush=True)
    runs.write_report(args.out, report)
    return report


if __name__ == "__main__":
    main()
