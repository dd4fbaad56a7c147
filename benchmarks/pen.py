"""How fast the pen GRU reads a long drawing on one core: a 400-point drawing, median of --repeats.

    python -m benchmarks.pen                 # the committed weights/pen.pt (an untrained model if absent)
    python -m benchmarks.pen --repeats 50

Timed: the conversion of the canvas drawing to pen moves (sources.pen.drawing_to_moves) plus the
GRU's forward pass with the guess after every point, as `python -m models pen` does for the RNN.
Target (issue 21): at most 20 ms. JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time

import torch

from models import checkpoint
from models.pen import PenRNN, PenRNNConfig, load_pen_model, read_moves
from sources.pen import drawing_to_moves
from training.runs import command

TARGET_MS = 20.0


def spiral_drawing(points: int = 400, size: int = 280) -> dict:
    """A 400-point drawing in two strokes, as the canvas would send it (pixels, y down)."""
    half = points // 2
    strokes = []
    for part in range(2):
        stroke = []
        for i in range(half):
            angle = 4 * math.pi * i / half + part * math.pi
            radius = 20 + 100 * i / half
            stroke.append([size / 2 + radius * math.cos(angle), size / 2 + radius * math.sin(angle)])
        strokes.append(stroke)
    return {"width": size, "height": size, "strokes": strokes}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30, help="timed reads (default: 30)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:
        model, _ = load_pen_model()
        weights = "weights/pen.pt"
    except checkpoint.WeightsError:
        model, weights = PenRNN(PenRNNConfig()).eval(), "untrained (weights/pen.pt absent)"
    drawing = spiral_drawing()
    read_moves(model, drawing_to_moves(drawing))  # warm up
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        moves = drawing_to_moves(drawing)
        read_moves(model, moves)
        times.append((time.perf_counter() - start) * 1000)
    report = {
        "input_points": sum(len(s) for s in drawing["strokes"]),
        "model_points": len(moves),
        "median_ms": round(statistics.median(times), 3),
        "max_ms": round(max(times), 3),
        "target_ms": TARGET_MS,
        "threads": torch.get_num_threads(),
        "weights": weights,
        "command": command("python -m benchmarks.pen", argv),
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
