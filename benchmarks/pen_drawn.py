"""The pen page's two readers on digits drawn with the mouse in a real browser: every digit of
sources/pen_drawings.py in every style (centred; small and off-centre; tilted and slanted), 30 drawings,
each drawn stroke by stroke on the canvas in headless Chromium, as a user would.

    python -m benchmarks.pen_drawn [--out weights/pen_drawn.json]

The drawings were written as people write digits, not fitted to either model. Target (issue 21): the
pen RNN right on at least 29 of 30. JSON on stdout and in --out, with each drawing's answers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.browser import (
    chromium_available,
    clear_canvas,
    draw_strokes,
    launch_browser,
    metric_value,
    pen_strokes_listed,
    streamlit_server,
)
from runtime import weights_dir
from sources.pen_drawings import STYLES, all_drawings
from training.runs import command, write_report

TARGET = 29
TIMEOUT_MS = 60_000


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--out", default=str(weights_dir() / "pen_drawn.json"), help="(default: weights/pen_drawn.json)"
    )
    args = parser.parse_args(argv)
    if not chromium_available():
        sys.exit("needs /usr/bin/chromium and playwright (pip install -r requirements-dev.txt)")
    from playwright.sync_api import sync_playwright

    rows = []
    with streamlit_server(env={"CNNRNN_WEIGHTS": None}) as url, sync_playwright() as playwright:
        browser = launch_browser(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/pen")
        for digit, style, strokes in all_drawings():
            draw_strokes(page, strokes, pixels_per_move=4.0)
            pen_strokes_listed(page, len(strokes))
            rnn, cnn = metric_value(page, "The pen RNN says"), metric_value(page, "The CNN says")
            rows.append({"digit": digit, "style": style, "strokes": len(strokes), "rnn": int(rnn), "cnn": int(cnn)})
            print(f"{digit} {style:18} RNN {rnn}  CNN {cnn}", file=sys.stderr)
            clear_canvas(page)
        browser.close()
    report = {
        "drawings": len(rows),
        "styles": list(STYLES),
        "rnn_right": sum(r["rnn"] == r["digit"] for r in rows),
        "cnn_right": sum(r["cnn"] == r["digit"] for r in rows),
        "target_rnn_right": TARGET,
        "rnn_wrong": [r for r in rows if r["rnn"] != r["digit"]],
        "cnn_wrong": [r for r in rows if r["cnn"] != r["digit"]],
        "answers": rows,
        "command": command("python -m benchmarks.pen_drawn", argv),
    }
    write_report(Path(args.out), report)
    print(json.dumps({k: v for k, v in report.items() if k != "answers"}))
    return report


if __name__ == "__main__":
    main()
