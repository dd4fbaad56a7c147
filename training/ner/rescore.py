"""Re-measure a committed tagger after a change to how it decodes (the CRF's hard constraints), not to its
weights, and record the figures in its manifest.

    python -m training.ner.rescore [--model bilstm] [--data DIR]

The same splits the training command read (its settings are in the manifest's `training`), scored exactly as
train_ner's last step scores them (`test_metrics`): valid, CoNLL-2003 test as written and lower-cased, the
held-out BTC section. The manifest's metrics are replaced, and `rescored` records this command, the data's
sha256 and the training command's figures they replace (kept when it is run again).
"""

from __future__ import annotations

import argparse
import json

from models import checkpoint
from models.ner import NER_MODELS, load_tagger
from training import runs
from training.ner.data import read_splits
from training.train_ner import test_metrics


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=tuple(NER_MODELS), default="bilstm", help="which tagger (default: bilstm)")
    parser.add_argument("--data", default=None, help="folder holding conll2003/ and ner-extra/ (default: $CNNRNN_DATA)")
    args = parser.parse_args(argv)
    model, manifest = load_tagger(args.model)
    settings = argparse.Namespace(**{**manifest["training"], "data": args.data, "dry_run": False})
    splits = read_splits(settings)
    metrics = test_metrics(model, splits)
    changed = {k: manifest["metrics"].get(k) for k in metrics if manifest["metrics"].get(k) != metrics[k]}
    # A rerun keeps the figures first replaced, the ones the training command wrote.
    replaced = {**changed, **manifest.get("rescored", {}).get("replaced", {})}
    manifest["metrics"] |= metrics
    manifest["rescored"] = {
        "command": runs.command("python -m training.ner.rescore", argv),
        "why": "decoding and marginals keep to well-formed tag paths (models/crf.py); the weights are unchanged",
        "data_sha256": splits.sha256,
        "replaced": replaced,
    }
    runs.write_report(checkpoint.paths(NER_MODELS[args.model])[1], manifest)
    print(json.dumps({"metrics": {k: metrics[k] for k in changed}, "replaced": replaced}, indent=1))
    return manifest


if __name__ == "__main__":
    main()
