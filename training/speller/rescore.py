"""Re-measure the committed corrector on its sentence sets after a change to how it decides (splits, joins,
names, variants, handles), not to its weights, and record the figures in weights/speller.json.

    python -m training.speller.rescore

The dev and test sets (data/speller/), with and without the context model, exactly as train_speller's
last step measures them; the manifest's sentence metrics and sets are replaced, and `rescored` records this
command, the data's sha256 and the figures they replace. Then false alarms on text taken as right (`clean`),
the first CLEAN_LIMIT sentences of each CLEAN_SETS file, as `python -m training.evaluate speller --clean FILE
--limit 1000` measures them: CoNLL-2003 test (news), BTC section a (tweets; the informal rules' settings were
chosen there with dev) and BTC section f (tweets, reported only). On tweets a change may fix a real typo, so
the rate is an upper bound.
"""

from __future__ import annotations

import argparse
import json

import runtime
from models import checkpoint
from models.speller import load_speller
from models.speller.model import SPELLER_NAME
from models.speller.register import tweets_path
from sources.hashes import sha256_file
from training import runs
from training.evaluate import clean_text_json
from training.speller.sentences import set_path
from training.train_speller import sentence_metrics

CLEAN_LIMIT = 1000
# name: (file under the data folder, what it is)
CLEAN_SETS = {
    "conll_test": ("conll2003/test.txt", "CoNLL-2003 test, news"),
    "btc_a": ("ner-extra/btc/a.conll", "BTC section a, tweets: the informal rules' dev set"),
    "btc_f": ("ner-extra/btc/f.conll", "BTC section f, tweets: reported only"),
}


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
        "tweet_counts_sha256": sha256_file(tweets_path()),
        "replaced": replaced,
    }
    clean = {}
    for name, (relative, note) in CLEAN_SETS.items():
        path = runtime.data_dir() / relative
        if not path.exists():
            continue
        result = clean_text_json(path, CLEAN_LIMIT, True)
        result["data"] = f"../shared/data/{relative}"
        command = f"python -m training.evaluate speller --clean {result['data']} --limit {CLEAN_LIMIT}"
        clean[name] = {"note": note, "command": command, **result}
        metrics[f"clean_{name}_false_alarm_rate"] = result["false_alarm_rate"]
        print(json.dumps({name: clean[name]}), flush=True)
    replaced |= {k: manifest["metrics"].get(k) for k in metrics if k not in replaced}
    manifest["metrics"] |= metrics
    manifest["clean_text"] = clean
    path = checkpoint.paths(SPELLER_NAME)[1]
    runs.write_report(path, manifest)
    print(json.dumps({"metrics": metrics, "replaced": replaced}))
    return manifest


if __name__ == "__main__":
    main()
