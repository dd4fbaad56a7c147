"""Every chart goes through `show`: presentation mode enlarges it, and its caption is the text
alternative that carries its key numbers for anyone who cannot see the chart."""

from __future__ import annotations

import streamlit as st

from ui import presentation


def show(fig, key: str, caption: str | None = None, container=st) -> None:
    if presentation.active():
        fig = presentation.scale_figure(fig)
    container.plotly_chart(fig, key=key)
    if caption:
        container.caption(caption)
