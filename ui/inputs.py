"""Input handling shared by the pages: where a digit comes from, and how much text is tagged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    import numpy as np

    from ui.resources import Gallery

MAX_CHARS = 20_000
CANVAS_SIZE = 280  # px, square: the drawing canvas on every page that has one
# How every page's canvas looks and draws: white freehand ink on black, CANVAS_SIZE square.
BLACK_CANVAS = {
    "stroke_color": "#FFFFFF",
    "background_color": "#000000",
    "height": CANVAS_SIZE,
    "width": CANVAS_SIZE,
    "drawing_mode": "freedraw",
}

# What each page with a canvas says while it is empty, beside PROMPT_ICON; the tests and benchmarks wait for these.
PROMPT_ICON = "✏️"
DIGITS_PROMPT = "Draw a digit on the black canvas, or pick one from the gallery, to see the network at work."
COMPARE_PROMPT = "Draw a digit on the canvas, or pick one from the gallery, to send it through both networks."
TRAIN_DRAW_PROMPT = "Draw a digit on the black canvas."


@dataclass(frozen=True)
class DigitSource:
    """Session state for a page with a canvas and a gallery, under the widget-key prefix `prefix`:
    `{prefix}_source` says which one the user touched last, `{prefix}_drawing` holds the canvas's
    image, and `{prefix}_canvas_version` is part of the canvas's key, so bumping it remounts it empty."""

    prefix: str

    def setup(self, default: str) -> None:
        st.session_state.setdefault(f"{self.prefix}_source", default)
        st.session_state.setdefault(f"{self.prefix}_canvas_version", 0)

    @property
    def canvas_key(self) -> str:
        return f"{self.prefix}_canvas_{st.session_state[f'{self.prefix}_canvas_version']}"

    def use_canvas(self) -> None:
        st.session_state[f"{self.prefix}_source"] = "canvas"

    def use_gallery(self) -> None:
        st.session_state[f"{self.prefix}_source"] = "gallery"

    def draw(self, st_canvas, stroke_width: int = 18):
        """The black drawing canvas, CANVAS_SIZE square; its image is kept as `{prefix}_drawing`.
        st_canvas comes from the page: only page files import streamlit-drawable-canvas."""
        canvas = st_canvas(
            **BLACK_CANVAS,
            stroke_width=stroke_width,
            return_image_data=True,
            key=self.canvas_key,
            on_change=self.use_canvas,
        )
        if canvas.image_data is not None:
            st.session_state[f"{self.prefix}_drawing"] = canvas.image_data  # (H, W, 4) RGBA
        return canvas

    def clear_button(self) -> None:
        st.button(
            "Clear the canvas", key=f"{self.prefix}_clear", on_click=self.clear_canvas, icon=":material/ink_eraser:"
        )

    def clear_canvas(self) -> None:
        # A new key remounts the canvas empty; the stored drawing goes with it.
        st.session_state[f"{self.prefix}_canvas_version"] += 1
        st.session_state.pop(f"{self.prefix}_drawing", None)
        self.use_canvas()

    def gallery_picker(self, gallery: Gallery | None, sheet: bytes | None, caption: str, default: int | None = None):
        """The gallery's numbered sheet and a pill per digit, kept in the URL as `?{prefix}_gallery=N`
        (N counted from 0, shown from 1); a warning instead when the gallery file is missing."""
        if gallery is None or sheet is None:
            st.warning("weights/mnist_gallery.npz is missing: run `python -m sources.mnist --gallery`.")
            return
        st.image(sheet, width="stretch", caption=caption)
        st.pills(
            "Gallery digit",
            options=list(range(len(gallery.images))),
            default=default,
            format_func=lambda i: str(i + 1),  # also its value in a link: ?digits_gallery=4
            key=f"{self.prefix}_gallery",
            on_change=self.use_gallery,
            width="stretch",
            wrap=True,
            bind="query-params",
        )

    def chosen(self, gallery: Gallery | None, keep_drawing: bool = False) -> tuple[np.ndarray | None, int | None]:
        """(image, gallery index or None): the picked gallery digit when the gallery was touched last, the
        canvas's drawing (H, W, 4) RGBA when the canvas was, else None. With keep_drawing the drawing also
        stands in when the gallery was touched last but no digit is picked (its pill clicked off)."""
        state = st.session_state
        from_gallery = state[f"{self.prefix}_source"] == "gallery"
        picked = state.get(f"{self.prefix}_gallery") if from_gallery and gallery is not None else None
        if picked is not None:
            return gallery.images[picked], picked
        if from_gallery and not keep_drawing:
            return None, None
        return state.get(f"{self.prefix}_drawing"), None


def cut_text(text: str) -> str:
    """The text to tag: at most MAX_CHARS characters, with a warning when it was cut."""
    if len(text) > MAX_CHARS:
        st.warning(f"Your text has {len(text):,} characters: only the first {MAX_CHARS:,} are tagged.")
        return text[:MAX_CHARS]
    return text
