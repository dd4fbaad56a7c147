"""CNN vs RNN, live: entry point. `streamlit run app.py`"""

import streamlit as st

from ui.timing import timed_run

st.set_page_config(page_title="CNN vs RNN, live", page_icon="🧠", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/digits.py", title="Draw a digit → CNN", icon="✏️", url_path="digits"),
    st.Page("pages/text.py", title="Type text → RNN", icon="⌨️", url_path="text"),
]

page = st.navigation(PAGES)
with timed_run(page.url_path or "home"):
    page.run()
