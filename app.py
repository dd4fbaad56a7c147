"""CNN vs RNN, live: entry point. `streamlit run app.py`"""

import streamlit as st

import runtime
from ui import affinity, presentation
from ui import live as live_ui
from ui.timing import timed_run

st.set_page_config(page_title="CNN vs RNN, live", page_icon="🧠", layout="wide")
runtime.configure_threads()

PAGES = [
    st.Page("views/home.py", title="Home", icon="🏠", default=True),
    st.Page("views/digits.py", title="Draw a digit → CNN", icon="✏️", url_path="digits"),
    st.Page("views/pen.py", title="Draw in time → RNN", icon="🖊️", url_path="pen"),
    st.Page("views/text.py", title="Type text → RNN", icon="⌨️", url_path="text"),
    st.Page("views/compare.py", title="CNN vs RNN, side by side", icon="⚖️", url_path="compare"),
    st.Page("views/train.py", title="Train them yourself", icon="🏋️", url_path="train"),
]

presenting = presentation.active()
page = st.navigation(PAGES, position="hidden" if presenting else "sidebar")
if presenting:
    st.html(presentation.style())
    presentation.controls()
else:
    st.sidebar.toggle(
        "Presentation mode",
        key="present_toggle",
        value=False,
        on_change=presentation.start,
        help="For a projector: larger text and charts, no sidebar, and a prepared sequence of examples. "
        "Or add ?present=1 to any link.",
    )
affinity.watch()
live_ui.keep_presence()
with timed_run(page.url_path or "home"):
    page.run()
# Loading a model, or a big explanation, frees its buffers into malloc's arenas, which glibc keeps: hand them
# back, so the server's resident size is what it holds (75 MB after the models first load, in about 6 ms;
# a few microseconds when there is nothing to return).
runtime.release_freed_memory()
