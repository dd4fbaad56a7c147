"""Every chart goes through `show`: presentation mode enlarges it, its title is wrapped to fit and kept clear
of plotly's modebar (figures/common.py fit_title), and its caption is the text alternative that carries its
key numbers for anyone who cannot see the chart."""

from __future__ import annotations

import streamlit as st

from figures.common import NARROW_CHART_PX, TITLE_PX, fit_title
from ui import presentation


def show(fig, key: str, caption: str | None = None, container=st) -> None:
    if presentation.active():
        # A projector: only a chart in a column is narrow there.
        width = presentation.CHART_PX if container is st else NARROW_CHART_PX
        fig = fit_title(presentation.scale_figure(fig), presentation.CHART_TITLE_PX, width)
    else:
        # Any chart may be drawn on a phone.
        fig = fit_title(fig, TITLE_PX)
    container.plotly_chart(fig, key=key)
    if caption:
        container.caption(caption)
