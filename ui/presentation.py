"""Presentation mode, for a projector: `?present=1` or the sidebar toggle.

Larger text and charts, no sidebar, and a bar with previous/next that steps through a
prepared sequence of examples. Each step is a page plus the URL parameters that set its
input, so a step is also a link that anyone can open. The bar stays at the top of the window, and each step
scrolls what it talks about (its anchor) into view below it: on a 1024×768 projector that is often a screen
or more down its page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import streamlit as st

from ui.examples import FAR_CLUE, REAL_WORDS, ROOSEVELT, SAME_WORD, TYPOS
from ui.live import KIND_NAMES

PARAM = "present"
STEP_PARAM = "step"
# Root font size: Streamlit sizes text and spacing in rem, so this scales the whole page.
FONT_PX = 22
CHART_FONT = 17
CHART_TITLE_PX = 22  # the size Streamlit's theme gives a title at CHART_FONT
CHART_PX = 1024 - 2 * 2 * FONT_PX  # a full-width chart on a 1024 px projector, inside the 2rem padding
CHART_HEIGHT_SCALE = 1.3
BAR_KEY = "present_bar"
SCROLL_KEY = "present_scroll"
HEADER_HEIGHT = "3.75rem"  # Streamlit's header, fixed over the top of the page


@dataclass(frozen=True)
class Step:
    title: str
    page: str  # a file under views/
    params: dict[str, str] = field(default_factory=dict)
    say: str = ""  # one line for the presenter to read out or point at
    # The key of the element `say` talks about (a chart, a widget or a keyed st.container on the page): it is
    # scrolled into view, just below the bar. Empty: the page opens at its top.
    anchor: str = ""


STEPS = (
    Step(
        "A CNN reads a handwritten 7",
        "views/digits.py",
        {"digits_gallery": "22"},
        "The filters slide over the image; each feature map lights up where its pattern is.",
        anchor="digits_feature_maps",
    ),
    Step(
        "Draw your own",
        "views/digits.py",
        {},
        "Invite someone to draw: the drawing is cropped, scaled and centred like MNIST before the CNN sees it.",
        anchor="digits_draw",
    ),
    Step(
        "An RNN reads a sentence",
        "views/text.py",
        {"text_input": ROOSEVELT},
        "The same word, Roosevelt, is a person first and part of a street name next.",
        anchor="text_entity_view",
    ),
    Step(
        "Same word, new type",
        "views/text.py",
        {"text_input": SAME_WORD},
        "Jordan the player, Jordan the country: only the context tells them apart.",
        anchor="text_entity_view",
    ),
    Step(
        "Autocorrect, letter by letter",
        "views/text.py",
        {"text_input": TYPOS},
        "Having read “networ”, the character RNN expects a k.",
        anchor="text_next_letter",
    ),
    Step(
        "Autocorrect that reads the sentence",
        "views/text.py",
        {"text_input": REAL_WORDS},
        "“four”, “form” and “by” are real words: no dictionary flags them. The RNN, reading both ways, does.",
        anchor="text_flag_view",
    ),
    Step(
        "The same digit, CNN vs RNN",
        "views/compare.py",
        {"compare_tab": "The same digit", "compare_gallery": "8"},
        "Drag the slider: the RNN changes its mind as it reads rows; the CNN saw it all at once.",
        anchor="compare_rows",
    ),
    Step(
        "The same sentence: window vs whole",
        "views/compare.py",
        {"compare_tab": "The same sentence", "compare_text": ROOSEVELT},
        "Both see “President” and “Street”: the clues sit right next to each Roosevelt.",
        anchor="compare_entities",
    ),
    Step(
        "When the clue is far away",
        "views/compare.py",
        {"compare_tab": "The same sentence", "compare_text": FAR_CLUE},
        "Both Morgans open with the same ten words: the CNN must label them alike; the BiLSTM reads on.",
        anchor="compare_entities",
    ),
    Step(
        "Watch them learn",
        "views/train.py",
        {"train_models": KIND_NAMES["both"]},
        "Press Start: both begin at chance, 10%. Which one learns faster, per example and per second?",
        anchor="train_start",
    ),
    # Last, so the numbers of the steps before it, in links already shared, stay as they were.
    Step(
        "Time made real: the pen, read as it moves",
        "views/pen.py",
        {"pen_example": "A 4, two strokes"},
        "Drag the timeline: the RNN guesses as the pen moves. Shuffle the points: same picture, same CNN answer.",
        anchor="pen_point",
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
    """CSS for the projector: bigger root font, no sidebar or its toggle, full width, and the bar kept in
    view below Streamlit's header while the page scrolls (Canvas: the theme's own page colour, so the page
    does not show through the bar)."""
    return f"""<style>
html {{ font-size: {FONT_PX}px; }}
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] {{ display: none !important; }}
[data-testid="stMainBlockContainer"] {{ max-width: 100%; padding-left: 2rem; padding-right: 2rem; }}
[data-testid="stLayoutWrapper"]:has(> .st-key-{BAR_KEY}) {{
  position: sticky; top: {HEADER_HEIGHT}; z-index: 100; background-color: Canvas;
}}
.st-key-{SCROLL_KEY} {{ display: none; }}
</style>"""


def start() -> None:
    """on_change of the sidebar toggle."""
    if st.session_state.get("present_toggle"):
        st.query_params[PARAM] = "1"


def controls() -> None:
    """The presenter's bar: where we are, what to say, previous and next as links (keyboard-reachable).

    One row in which each link and button is as wide as its label and the text takes what is left: fixed
    column shares cut "Previous" and "Exit" short at 1024 px with the projector's large font.
    """
    # No wrapping: a stretched text would take a row of its own and push the buttons below it.
    bar = st.container(border=True, key=BAR_KEY, horizontal=True, vertical_alignment="center", gap="medium", wrap=False)
    if STEP_PARAM not in st.query_params:  # switched on from a page: stay on it until asked to start
        bar.markdown(
            f"**Presentation mode.** {len(STEPS)} prepared examples: digits, sentences, comparisons, the pen.",
            width="stretch",
        )
        bar.page_link(STEPS[0].page, label="Start", icon="▶️", query_params=step_params(0))
        _exit_button(bar)
        return
    index = current_step()
    step = STEPS[index]
    if index > 0:
        bar.page_link(STEPS[index - 1].page, label="Previous", icon="⬅️", query_params=step_params(index - 1))
    bar.markdown(f"**{index + 1} / {len(STEPS)} · {step.title}**  \n{step.say}", width="stretch")
    if index + 1 < len(STEPS):
        bar.page_link(STEPS[index + 1].page, label="Next", icon="➡️", query_params=step_params(index + 1))
    _exit_button(bar)
    if step.anchor:
        # In a container that style() hides: the script draws nothing, and takes no room in the page.
        st.container(key=SCROLL_KEY).html(
            scroll_script(step.anchor, f"{step.page}#{index}"), unsafe_allow_javascript=True
        )


def _exit_button(container) -> None:
    container.button("Exit", key="present_exit", on_click=_stop, icon=":material/close_fullscreen:")


def scroll_script(anchor: str, token: str) -> str:
    """A script that scrolls the element keyed `anchor` to just below the bar, once per step shown (`token`).

    It waits for the page's script run to end, then keeps the anchor in place for a second while charts and
    images above it settle, and stops at once if the viewer scrolls, clicks or types.
    """
    return f"""<script>
(() => {{
  const token = {json.dumps(token)};
  if (window.presentedStep === token) return;  // a rerun of the same step: leave the viewer where they are
  window.presentedStep = token;
  let left = 150, quiet = 0, last = null;  // checks 100 ms apart: give up after 15 s, done after 1 s still
  const stop = () => {{ left = 0; }};
  for (const kind of ["wheel", "touchmove", "keydown", "mousedown"]) {{
    window.addEventListener(kind, stop, {{ once: true, capture: true }});
  }}
  const check = () => {{
    if (left-- <= 0 || window.presentedStep !== token) return;
    const app = document.querySelector('[data-testid="stApp"]');
    const bar = document.querySelector(".st-key-{BAR_KEY}");
    const target = document.querySelector(".st-key-" + {json.dumps(anchor)});
    if (app && bar && target && app.dataset.testScriptState === "notRunning") {{
      // Where the bar's bottom sits once it sticks to the top of the window (style() makes its wrapper sticky).
      const sticky = bar.closest('[data-testid="stLayoutWrapper"]') || bar;
      const below = (parseFloat(getComputedStyle(sticky).top) || 0) + sticky.offsetHeight + 8;
      target.style.scrollMarginTop = below + "px";
      target.scrollIntoView({{ block: "start" }});
      const top = target.getBoundingClientRect().top;
      quiet = last !== null && Math.abs(top - last) < 1 ? quiet + 1 : 0;
      last = top;
      if (quiet >= 10) return;
    }}
    setTimeout(check, 100);
  }};
  check();
}})();
</script>"""


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
    if "t" in layout.get("margin", {}):
        # The top margin holds tick labels or a legend on some charts: they grow with the font.
        layout["margin"] = {**layout["margin"], "t": int(layout["margin"]["t"] * CHART_HEIGHT_SCALE)}
    return figure(data.get("data", []), layout)
