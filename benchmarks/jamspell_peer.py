"""JamSpell (context-aware n-gram spelling corrector) as a benchmark peer. Benchmark-only: not an app dependency.

Install (needs apt: swig, g++, the en_US.UTF-8 locale; builds jamspell 0.0.12 from its sdist, about 20 s):

    bash benchmarks/install_jamspell.sh

It is kept out of requirements*.txt on purpose. Use:

    from benchmarks import jamspell_peer
    if jamspell_peer.available():
        model = jamspell_peer.train(Path("../shared/data/corpus/big.txt"), Path(".cache/jamspell/big.bin"))
        correct = jamspell_peer.load(model)
        correct("thanks four the help".split())  # -> ['thanks', 'for', 'the', 'help']

Gotcha: JamSpell's C++ library builds std::locale("en_US.UTF-8") when it is loaded. If that locale is not
installed (`locale -a`), `import jamspell` aborts the whole Python process (SIGABRT, no exception), so
`available()` tries the import in a subprocess first. LANG/LC_ALL do not matter; the locale only has to exist.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

DEFAULT_ALPHABET = "abcdefghijklmnopqrstuvwxyz'"
INSTALL_HINT = "JamSpell is not installed or cannot load; run: bash benchmarks/install_jamspell.sh"


@functools.cache
def available() -> bool:
    """True when `import jamspell` works. Tried in a subprocess first: a missing locale aborts the interpreter."""
    if "jamspell" in sys.modules:
        return True
    if importlib.util.find_spec("jamspell") is None:
        return False
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import jamspell; jamspell.TSpellCorrector()"],
            capture_output=True,
            timeout=120,
            cwd=os.path.abspath(os.sep),  # not the caller's cwd, which could shadow the module
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


def _jamspell():
    if not available():
        raise RuntimeError(INSTALL_HINT)
    import jamspell

    return jamspell


def _alphabet_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".alphabet.txt")


def train(corpus_text_path: Path, model_path: Path, alphabet: str = DEFAULT_ALPHABET) -> Path:
    """Train a JamSpell model on a UTF-8 text file; returns model_path.

    Writes `<model>.alphabet.txt` next to the model; JamSpell also writes `<model>.spell` (its candidate cache).
    Skips training when the model exists, is newer than the corpus and was trained with the same alphabet.
    Training on Norvig's big.txt (6.5 MB) takes a few seconds.
    """
    corpus_text_path, model_path = Path(corpus_text_path), Path(model_path)
    alphabet_path = _alphabet_path(model_path)
    if (
        model_path.exists()
        and model_path.stat().st_mtime > corpus_text_path.stat().st_mtime
        and alphabet_path.exists()
        and alphabet_path.read_text(encoding="utf-8") == alphabet
    ):
        return model_path
    jamspell = _jamspell()
    model_path.parent.mkdir(parents=True, exist_ok=True)
    alphabet_path.write_text(alphabet, encoding="utf-8")
    # Train under a temporary name, then rename, so an interrupted run never leaves a "fresh" half-written model.
    tmp_model = model_path.with_name(model_path.name + ".tmp")
    corrector = jamspell.TSpellCorrector()
    if not corrector.TrainLangModel(str(corpus_text_path), str(alphabet_path), str(tmp_model)):
        raise RuntimeError(f"JamSpell training failed on {corpus_text_path} (its messages are on stderr)")
    os.replace(tmp_model.with_name(tmp_model.name + ".spell"), model_path.with_name(model_path.name + ".spell"))
    os.replace(tmp_model, model_path)
    return model_path


def load(model_path: Path) -> Callable[[list[str]], list[str]]:
    """Load a trained model; returns `correct(tokens) -> tokens`, one output token per input token.

    The tokens are one sentence, joined with single spaces and fixed with FixFragment (which uses the left
    context as it corrects). If its output does not split back into as many tokens, each position falls back to
    the top GetCandidates suggestion (in the original context), or the original token. Case follows JamSpell: it
    keeps the input's capitalisation where it can, fallback suggestions are lower-case; compare lower-case.
    """
    jamspell = _jamspell()
    corrector = jamspell.TSpellCorrector()
    if not corrector.LoadLangModel(str(model_path)):
        raise RuntimeError(f"JamSpell could not load the model {model_path}")

    def correct(tokens: list[str]) -> list[str]:
        if not tokens:
            return []
        fixed = corrector.FixFragment(" ".join(tokens)).split(" ")
        if len(fixed) == len(tokens):
            return [new or old for new, old in zip(fixed, tokens, strict=True)]
        lowered = [token.lower() for token in tokens]
        out = []
        for i, token in enumerate(tokens):
            candidates = corrector.GetCandidates(lowered, i)
            top = candidates[0] if len(candidates) else ""
            out.append(token if not top or top == lowered[i] else top)
        return out

    return correct
