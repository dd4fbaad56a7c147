"""Benchmarks of two commits side by side, in one run: the working tree against an older revision.

    python -m benchmarks.commits --base 42ec337 page_cpu hosting digit_page [--rounds 1] [--out FILE]
    python -m benchmarks.commits --base REV page_cpu --args page_cpu="--repeats 4"

The old revision is checked out with `git worktree` in a temporary folder that shares this tree's .cache/
(MNIST, GloVe), so both read the same data. Each benchmark runs on the old tree and on this one in turn,
the order swapped every round, so that a drift in the machine's load falls on both alike. An old tree whose
benchmarks/ is not yet a package runs them as scripts (`python benchmarks/NAME.py`).

Every benchmark prints one JSON object on stdout; the table on stderr lists each numeric figure of both
(flattened to dotted keys) with new / old. The JSON on stdout holds both objects, the revisions and the command.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from runtime import PROJECT_ROOT


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmarks", nargs="+", help="benchmark module names under benchmarks/, e.g. page_cpu")
    parser.add_argument("--base", required=True, help="the older revision to compare with (required)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each benchmark on each tree (default: 1)")
    parser.add_argument(
        "--args", action="append", default=[], metavar="NAME=ARGS", help="extra arguments for one benchmark"
    )
    parser.add_argument("--out", type=Path, help="also write the JSON here (default: stdout only)")
    return parser.parse_args(argv)


def benchmark_command(tree: Path, name: str, extra: list[str]) -> list[str]:
    if (tree / "benchmarks" / "__init__.py").exists():
        return [sys.executable, "-m", f"benchmarks.{name}", *extra]
    return [sys.executable, str(tree / "benchmarks" / f"{name}.py"), *extra]


def run_one(tree: Path, name: str, extra: list[str]) -> dict:
    command = benchmark_command(tree, name, extra)
    print(f"[{tree.name}] {' '.join(command[1:])}", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed on {tree}:\n{done.stderr[-3000:]}")
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:  # log lines before the object: the object is the last line
        return json.loads(done.stdout.strip().splitlines()[-1])


def flatten(value, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of nested dicts and lists, by dotted key."""
    if isinstance(value, bool):
        return {}
    if isinstance(value, int | float):
        return {prefix: float(value)}
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    out: dict[str, float] = {}
    for key, child in items:
        out.update(flatten(child, f"{prefix}.{key}" if prefix else str(key)))
    return out


def table(name: str, old: dict, new: dict) -> str:
    old_flat, new_flat = flatten(old), flatten(new)
    rows = []
    for key in sorted(old_flat.keys() & new_flat.keys(), key=str.lower):
        a, b = old_flat[key], new_flat[key]
        ratio = f"{b / a:.2f}" if a else "-"
        rows.append(f"  {key} | {a:g} | {b:g} | {ratio}")
    return "\n".join([f"{name}: figure | old | new | new / old", *rows])


def main(argv=None) -> None:
    args = parse_args(argv)
    extras = {name: shlex.split(value) for name, value in (item.split("=", 1) for item in args.args)}
    base_rev = subprocess.run(["git", "rev-parse", "--short", args.base], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        old_tree = Path(folder) / f"old-{base_rev}"
        subprocess.run(["git", "worktree", "add", "--detach", str(old_tree), base_rev], cwd=PROJECT_ROOT,
                       capture_output=True, check=True)  # fmt: skip
        try:
            (old_tree / ".cache").symlink_to(PROJECT_ROOT / ".cache")
            results: dict[str, dict[str, list[dict]]] = {}
            for name in args.benchmarks:
                results[name] = {"old": [], "new": []}
                for round_index in range(args.rounds):
                    order = [("old", old_tree), ("new", PROJECT_ROOT)]
                    for side, tree in order if round_index % 2 == 0 else order[::-1]:
                        results[name][side].append(run_one(tree, name, extras.get(name, [])))
                for index in range(args.rounds):
                    print(table(f"{name} (round {index + 1})", results[name]["old"][index],
                                results[name]["new"][index]), file=sys.stderr)  # fmt: skip
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=PROJECT_ROOT, check=False)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    report = {"base": base_rev, "head": head, "command": "python -m benchmarks.commits " + shlex.join(argv or
              sys.argv[1:]), "results": results}  # fmt: skip
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
