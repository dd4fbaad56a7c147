"""Presentation mode, for a projector: `?present=1` or the sidebar toggle.

Larger text and charts, no sidebar, and a bar with previous/next that steps through a
prepared sequence of examples. Each step is a page plus the URL parameters that set its
input, so a step is also a link that anyone can open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from ui.examples import FAR_CLUE, REAL_WORDS, ROOSEVELT, SAME_WORD, TYPOS

PARAM = "present"
STEP_PARAM = "step"
# Root font size: Streamlit sizes text and spacing in rem, so this scales the whole page.
FONT_PX = 22
CHART_FONT = 17
CHART_HEIGHT_SCALE = 1.3


@dataclass(frozen=True)
class Step:
    title: str
    page: str  # a file under pages/
    params: dict[str, str] = field(default_factory=dict)
    say: str = ""  # one line for the presenter to read out or point at


STEPS = (
    Step(
        "A CNN reads a handwritten 7",
        "pages/digits.py",
        {"digits_gallery": "22"},
        "The filters slide over the image; each feature map lights up where its pattern is.",
    ),
    Step(
        "Draw your own",
        "pages/digits.py",
        {},
        "Invite someone to draw: the drawing is cropped, scaled and centred like MNIST before the CNN sees it.",
    ),
    Step(
        "An RNN reads a sentence",
        "pages/text.py",
        {"text_input": ROOSEVELT},
        "The same word, Roosevelt, is a person first and part of a street name next.",
    ),
    Step(
        "Same word, new type",
        "pages/text.py",
        {"text_input": SAME_WORD},
        "Jordan the player, Jordan the country: only the context tells them apart.",
    ),
    Step(
        "Autocorrect, letter by letter",
        "pages/text.py",
        {"text_input": TYPOS},
        "Having read “networ”, the character RNN expects a k.",
    ),
    Step(
        "Autocorrect that reads the sentence",
        "pages/text.py",
        {"text_input": REAL_WORDS},
        "“four”, “form” and “by” are real words: no dictionary flags them. The RNN, reading both ways, does.",
    ),
    Step(
        "The same digit, CNN vs RNN",
        "pages/compare.py",
        {"compare_tab": "The same digit", "compare_gallery": "8"},
        "Drag the slider: the RNN changes its mind as it reads rows; the CNN saw it all at once.",
    ),
    Step(
        "The same sentence: window vs whole",
        "pages/compare.py",
        {"compare_tab": "The same sentence", "compare_text": ROOSEVELT},
        "Both see “President” and “Street”: the clues sit right next to each Roosevelt.",
    ),
    Step(
        "When the clue is far away",
        "pages/compare.py",
        {"compare_tab": "The same sentence", "compare_text": FAR_CLUE},
        "Both Morgans open with the same ten words: the CNN must label them alike; the BiLSTM reads on.",
    ),
)


def active() -> bool:
    return st.query_params.get(PARAM, "") in ("1", "true")


def current_step() -> int:
    try:
        return min(max(int(st.query_params.get(STEP_PARAM, 0)), 0), len(STEPS) - 1)
    except ValueError:
        return 0


def step_params(index: int) -> dict[str, str]:
    return {PARAM: "1", STEP_PARAM: str(index), **STEPS[index].params}


def style() -> str:
    """CSS for the projector: bigger root font, no sidebar or its toggle, full width."""
    return f"""<style>
html {{ font-size: {FONT_PX}px; }}
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {{ display: none !important; }}
[data-testid="stMainBlockContainer"] {{ max-width: 100%; padding-left: 2rem; padding-right: 2rem; }}
</style>"""


def start() -> None:
    """on_change of the sidebar toggle."""
    if st.session_state.get("present_toggle"):
        st.query_params[PARAM] = "1"


def controls() -> None:
    """The presenter's bar: where we are, what to say, previous and next as links (keyboard-reachable)."""
    with st.container(border=True):
        back, middle, forward, leave = st.columns([1, 5, 1, 1], vertical_alignment="center")
        leave.button("Exit", key="present_exit", on_click=_stop, icon=":material/close_fullscreen:")
        if STEP_PARAM not in st.query_params:  # switched on from a page: stay on it until asked to start
            middle.markdown(f"**Presentation mode.** {len(STEPS)} prepared examples: digits, sentences, comparisons.")
            forward.page_link(STEPS[0].page, label="Start", icon="▶️", query_params=step_params(0))
            return
        index = current_step()
        step = STEPS[index]
        if index > 0:
            back.page_link(STEPS[index - 1].page, label="Previous", icon="⬅️", query_params=step_params(index - 1))
        middle.markdown(f"**{index + 1} / {len(STEPS)} · {step.title}**  \n{step.say}")
        if index + 1 < len(STEPS):
            forward.page_link(STEPS[index + 1].page, label="Next", icon="➡️", query_params=step_params(index + 1))


def _stop() -> None:
    for key in (PARAM, STEP_PARAM):
        st.query_params.pop(key, None)


def scale_figure(fig):
    """A presentation-sized copy of a plotly figure (the original may be shared through the cache)."""
    from figures.common import figure

    data = fig.to_plotly_json()
    layout = dict(data.get("layout", {}))
    layout["font"] = {**layout.get("font", {}), "size": CHART_FONT}
    if layout.get("height"):
        layout["height"] = int(layout["height"] * CHART_HEIGHT_SCALE)
    return figure(data.get("data", []), layout)
