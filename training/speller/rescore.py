"""Re-measure the committed corrector on its sentence sets after a change to how it decides (splits, joins,
names, variants, handles), not to its weights, and record the figures in weights/speller.json.

    python -m training.speller.rescore

The dev and test sets (data/speller/), with and without the context model, exactly as train_speller's
last step measures them; the manifest's sentence metrics and sets are replaced, and `rescored` records this
command, the data's sha256 and the figures they replace.
"""

from __future__ import annotations

import argparse
import json

from models import checkpoint
from models.speller import load_speller
from models.speller.model import SPELLER_NAME
from sources.hashes import sha256_file
from training import runs
from training.speller.sentences import set_path
from training.train_speller import sentence_metrics


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    speller, manifest = load_speller()
    metrics, sentence_sets = sentence_metrics(argparse.Namespace(dry_run=False), speller)
    replaced = {k: manifest["metrics"].get(k) for k in metrics}
    manifest["metrics"] |= metrics
    manifest["sentence_sets"] = sentence_sets
    manifest["rescored"] = {
        "command": runs.command("python -m training.speller.rescore", argv),
        "data_sha256": {name: sha256_file(set_path(name)) for name in ("dev", "test")},
        "replaced": replaced,
    }
    path = checkpoint.paths(SPELLER_NAME)[1]
    runs.write_report(path, manifest)
    print(json.dumps({"metrics": metrics, "replaced": replaced}))
    return manifest


if __name__ == "__main__":
    main()
