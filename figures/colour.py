"""Colour arithmetic for the hand-made HTML: WCAG 2 contrast, and colours laid over one another.

Colours are CSS strings: "#rgb", "#rrggbb", "#rrggbbaa", "rgb(r, g, b)" or "rgba(r, g, b, a)", the forms
our HTML uses and a browser's getComputedStyle returns. No streamlit here.
"""

from __future__ import annotations

import re

RGBA = tuple[float, float, float, float]  # red, green, blue in 0..255; alpha in 0..1

# WCAG 2.x level AA for normal text; large text and graphics (an underline) need only 3:1.
AA_TEXT = 4.5

_FUNCTION = re.compile(r"rgba?\(\s*([^)]*)\)")


def parse(colour: str) -> RGBA:
    colour = colour.strip().lower()
    if colour == "transparent":
        return (0.0, 0.0, 0.0, 0.0)
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) in (3, 4):
            digits = "".join(d * 2 for d in digits)
        if len(digits) not in (6, 8):
            raise ValueError(f"not a hex colour: {colour!r}")
        channels = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)]
        alpha = channels[3] / 255 if len(channels) == 4 else 1.0
        return (float(channels[0]), float(channels[1]), float(channels[2]), alpha)
    match = _FUNCTION.fullmatch(colour)
    if not match:
        raise ValueError(f"not a colour this module reads: {colour!r}")
    # Both "rgb(1, 2, 3)" and the newer "rgb(1 2 3 / 0.5)".
    parts = [p for p in re.split(r"[\s,/]+", match.group(1)) if p]
    if len(parts) not in (3, 4):
        raise ValueError(f"not a colour this module reads: {colour!r}")
    alpha = 1.0
    if len(parts) == 4:
        alpha = float(parts[3][:-1]) / 100 if parts[3].endswith("%") else float(parts[3])
    return (float(parts[0]), float(parts[1]), float(parts[2]), alpha)


def to_hex(colour: str | RGBA) -> str:
    """The colour as "#rrggbb", dropping any alpha."""
    r, g, b, _ = parse(colour) if isinstance(colour, str) else colour
    return "#" + "".join(f"{round(min(max(c, 0.0), 255.0)):02x}" for c in (r, g, b))


def over(top: str | RGBA, below: str | RGBA) -> RGBA:
    """`top` painted over `below` (source-over compositing): what the eye sees where a translucent
    colour lies on another."""
    r1, g1, b1, a1 = parse(top) if isinstance(top, str) else top
    r2, g2, b2, a2 = parse(below) if isinstance(below, str) else below
    alpha = a1 + a2 * (1 - a1)
    if alpha == 0:
        return (0.0, 0.0, 0.0, 0.0)
    mixed = [(c1 * a1 + c2 * a2 * (1 - a1)) / alpha for c1, c2 in ((r1, r2), (g1, g2), (b1, b2))]
    return (mixed[0], mixed[1], mixed[2], alpha)


def tint(colour: str, base: str, weight: float) -> str:
    """An opaque "#rrggbb": `colour` at `weight` (0..1) laid over the opaque `base`."""
    r, g, b, _ = parse(colour)
    return to_hex(over((r, g, b, weight), base))


def relative_luminance(colour: str | RGBA) -> float:
    """WCAG 2 relative luminance of an opaque colour (its alpha is ignored), 0 for black to 1 for white."""
    r, g, b, _ = parse(colour) if isinstance(colour, str) else colour

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast_ratio(foreground: str | RGBA, background: str | RGBA) -> float:
    """WCAG 2 contrast ratio, 1 to 21. A translucent foreground is first laid over the background,
    which must be opaque: lay a translucent one over what is behind it with `over` first."""
    background = parse(background) if isinstance(background, str) else background
    if background[3] < 1:
        raise ValueError("the background must be opaque: lay it over what is behind it first")
    lighter, darker = sorted(
        (relative_luminance(over(foreground, background)), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)
