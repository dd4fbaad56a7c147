"""Both taggers in one command: the CoNLL-only model, then its fine-tuning on CoNLL-2003 and the Broad Twitter
Corpus with recased copies, as the committed weights were made.

    python -m training.train_ner_stages [--encoder bilstm|cnn] [--data DIR] [--out DIR] [--dry-run]

Stage 1 trains from GloVe on CoNLL-2003 alone, in its standard case, into a work folder (--work, default a
temporary one); stage 2 starts from those weights (`train_ner --init`) and writes weights/NAME.pt and its
manifest, which records stage 1's command and the sha256 of its weights. Each stage is `python -m
training.train_ner`, seeded, with its progress bar; the settings of both live in STAGES, once.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import runtime
from models.ner import NER_MODELS
from training import train_ner

# The settings that made the committed weights (README "Named-entity tagger", "Convolutional tagger").
STAGES = {
    "bilstm": (
        ["--corpora", "conll", "--recase", "0"],
        ["--lr", "0.005", "--epochs", "20", "--time-limit", "45"],
    ),
    "cnn": (
        ["--corpora", "conll", "--recase", "0", "--encoder", "cnn", "--optimizer", "adam", "--lr", "0.001",
         "--hidden", "300", "--epochs", "30"],
        ["--encoder", "cnn", "--optimizer", "adam", "--lr", "0.0003", "--hidden", "300", "--epochs", "15",
         "--time-limit", "40"],
    ),
}  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", choices=sorted(STAGES), default="bilstm", help="which tagger (default: bilstm)")
    parser.add_argument(
        "--data", default=None, help="folder of conll2003/ and ner-extra/ (default: $CNNRNN_DATA or ../shared/data)"
    )
    parser.add_argument("--work", type=Path, default=None, help="stage 1's weights folder (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=None, help="stage 2's weights folder (default: weights/)")
    parser.add_argument("--dry-run", action="store_true", help="both stages as train_ner's smoke test (default: off)")
    return parser.parse_args(argv)


def stage_arguments(args: argparse.Namespace, stage: list[str], out: Path | None) -> list[str]:
    common = (["--data", args.data] if args.data else []) + (["--dry-run"] if args.dry_run else [])
    return stage + common + (["--out", str(out)] if out is not None else [])


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    first, second = STAGES[args.encoder]
    name = NER_MODELS[args.encoder]
    # Stage 2's folder named here, so that its manifest can say which command made it; a dry run never
    # writes weights/ (training/runs.py output_dir).
    out = args.out or (Path(tempfile.mkdtemp(prefix="ner-stages-dry-")) if args.dry_run else runtime.weights_dir())
    with tempfile.TemporaryDirectory(prefix="ner-stage1-") as temporary:
        work = args.work or Path(temporary)
        stages = [stage_arguments(args, first, work)]
        print(f"stage 1 of 2: {args.encoder}, CoNLL-2003 only, into {work}", file=sys.stderr)
        train_ner.main(stages[0])
        init = work / f"{name}.pt"
        stages.append(stage_arguments(args, [*second, "--init", str(init)], out))
        print(f"stage 2 of 2: fine-tuning {init} on both corpora, recased, into {out}", file=sys.stderr)
        train_ner.main(stages[1])
    manifest_path = out / f"{name}.json"  # as checkpoint.save wrote it: with the name and config
    manifest = json.loads(manifest_path.read_text())
    manifest["command"] = " ".join(["python -m training.train_ner_stages", *argv])
    manifest["stage_commands"] = [" ".join(["python -m training.train_ner", *stage]) for stage in stages]
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


if __name__ == "__main__":
    main()
