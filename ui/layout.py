"""Rows of columns sized by what they hold, in CSS.

st.columns gives each column a fixed share of the row. A share suits charts, which shrink, but
the drawing canvas is a fixed 280 px: on a 1024 px laptop or projector with the sidebar open its
column got about 190 px, and the next column covered the canvas's right third. Here each column
starts at the width its content needs and shares out what is left; a row too narrow for all of
them wraps (Streamlit's column rows already flex-wrap) instead of squeezing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

# Below this viewport width Streamlit stacks every column at full width: leave that alone.
STACKED_BELOW_PX = 640
# The gap between sized columns, and the room allowed for it: "medium" is 2rem, 44 px at presentation
# mode's 22 px root font.
GAP = "medium"
GAP_ALLOWANCE_PX = 48


@dataclass(frozen=True)
class Column:
    key: str  # the key of an st.container placed in the column
    min_px: int  # never narrower than this
    grow: float = 1.0  # its share of the room left once every column has its minimum; 0 keeps it at min_px


def _column(key: str) -> str:
    return f'[data-testid="stColumn"]:has(.st-key-{key})'


def column_row_css(columns: Sequence[Column], last_when_wrapped: str | None = None) -> str:
    """A <style> for one st.columns row whose columns each hold a keyed container.

    When the row is too narrow for every column side by side, the column holding the container
    `last_when_wrapped` moves to the end, so the ones that belong together (the canvas and its
    prediction) stay side by side. That is a container query on the row, the thing that wraps,
    so it holds whatever the viewport or the sidebar.
    """
    rules = [f"{_column(c.key)} {{ flex: {c.grow:g} 1 {c.min_px}px; min-width: {c.min_px}px; }}" for c in columns]
    css = f"@media (min-width: {STACKED_BELOW_PX}px) {{\n" + "\n".join(rules) + "\n}"
    if last_when_wrapped is not None:
        needed = sum(c.min_px for c in columns) + GAP_ALLOWANCE_PX * (len(columns) - 1)
        # :has() may not nest, so the row names its first column's container directly.
        row = f'[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] .st-key-{columns[0].key})'
        css += (
            f"\n{row} {{ container-type: inline-size; }}"
            f"\n@container (max-width: {needed}px) {{ {_column(last_when_wrapped)} {{ order: 1; }} }}"
        )
    return f"<style>\n{css}\n</style>"


def sized_columns(columns: Sequence[Column], last_when_wrapped: str | None = None) -> list[DeltaGenerator]:
    """st.columns sized by `columns`: one keyed container per column, to write into."""
    st.html(column_row_css(columns, last_when_wrapped))
    # The CSS sets every width from 640 px up, and Streamlit stacks the columns below that, so
    # st.columns' own proportions never show: equal ones will do.
    return [column.container(key=c.key) for column, c in zip(st.columns(len(columns), gap=GAP), columns, strict=True)]
