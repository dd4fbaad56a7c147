"""Reading what a page drew under AppTest: elements are found by their key, never by their position."""

import json


def chart_keys(at) -> set[str]:
    """The keys of every plotly chart the page drew (each one through ui.charts.show)."""
    return {c.key for c in at.get("plotly_chart")}


def chart(at, key: str) -> dict:
    """The plotly figure a page drew under `key`, as a dict."""
    return json.loads(next(c for c in at.get("plotly_chart") if c.key == key).proto.spec)
