"""The layout the README and ARCHITECTURE.md describe, checked against the files: the layers import downward only,
the running app uses no private Streamlit API, and every folder and file the documents name exists."""

import ast
import re
import subprocess

import pytest

from runtime import PROJECT_ROOT

RUNNING_APP = ["app.py", "ui", "views"]
NO_STREAMLIT = ["models", "live", "figures", "sources", "runtime.py"]
# What each layer may not import: nothing climbs back up, and the app needs no training code.
FORBIDDEN = {
    "models": {"figures", "ui", "views", "training", "tests", "harness", "benchmarks", "streamlit"},
    "live": {"figures", "ui", "views", "training", "tests", "harness", "benchmarks", "streamlit"},
    "sources": {"live", "figures", "ui", "views", "training", "tests", "harness", "benchmarks", "streamlit"},
    "figures": {"ui", "views", "training", "tests", "harness", "benchmarks", "streamlit"},
    "ui": {"views", "training", "tests", "harness", "benchmarks"},
    "views": {"training", "tests", "harness", "benchmarks"},
    "app.py": {"training", "tests", "harness", "benchmarks"},
}


def python_files(entry: str) -> list:
    path = PROJECT_ROOT / entry
    return [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))


def imported_modules(path) -> set[str]:
    """Every module a file imports, at any depth (imports inside functions count too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_downward_only(layer):
    offences = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path in python_files(layer)
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN[layer]
    ]
    assert not offences


@pytest.mark.parametrize("entry", RUNNING_APP)
def test_the_running_app_uses_no_private_streamlit_api(entry):
    offences = []
    for path in python_files(entry):
        text = path.read_text()
        for name in imported_modules(path):
            if name.startswith("streamlit.runtime") and name != "streamlit.runtime.scriptrunner.get_script_run_ctx":
                if name != "streamlit.runtime.scriptrunner":
                    offences.append(f"{path.name}: {name}")
        offences += [f"{path.name}: {m}" for m in re.findall(r"\bst\._\w+|PagesManager", text)]
    assert not offences


def test_there_is_no_legacy_pages_folder():
    """A pages/ folder beside app.py would switch Streamlit into its old multipage mode on a deep link."""
    assert not (PROJECT_ROOT / "pages").exists()


def tracked_top_level() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    return {name.split("/")[0] + ("/" if "/" in name else "") for name in files.stdout.split()}


def readme_tree() -> set[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = readme[readme.index("```\napp.py") + 4 :]
    block = block[: block.index("```")]
    return {line.split()[0].split("/")[0] + ("/" if "/" in line.split()[0] else "") for line in block.splitlines()}


def test_the_readme_tree_lists_every_code_folder_and_nothing_else():
    code = {entry for entry in tracked_top_level() if entry.endswith("/") and not entry.startswith(".")}
    code |= {entry for entry in tracked_top_level() if entry in {"app.py", "runtime.py"}}
    assert readme_tree() == code


def test_every_path_architecture_md_names_exists():
    text = (PROJECT_ROOT / "ARCHITECTURE.md").read_text()
    paths = set(re.findall(r"\b((?:[a-z_]+/)+[a-z_]*(?:\.py|\.json|\*\.json)?|[a-z_]+\.py)\b", text))
    missing = [p for p in sorted(paths) if not list(PROJECT_ROOT.glob(p.rstrip("/")))]
    assert paths and not missing
