"""The hosting requirements pin exactly what requirements.txt pins, with torch's CPU-only build."""

from runtime import PROJECT_ROOT

ROOT = PROJECT_ROOT


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            package = line.split("=")[0].split(">")[0].split("<")[0].strip()
            found[package] = line
    return found


def test_hosting_pins_match_the_apps():
    app, hosting = pins("requirements.txt"), pins("requirements-hosting.txt")
    assert app.keys() == hosting.keys()
    assert hosting["torch"] == app["torch"] + "+cpu"
    assert {k: v for k, v in app.items() if k != "torch"} == {k: v for k, v in hosting.items() if k != "torch"}
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in (ROOT / "requirements-hosting.txt").read_text()
