"""Keep every page under app.py's st.navigation, even on a deep link."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_app_navigation() -> None:
    """Call first thing in every page file.

    When the first request a server process sees deep-links to a page (say /digits),
    Streamlit finds a pages/ folder and runs pages/digits.py directly in its old
    multipage mode, skipping app.py: no page config, and the sidebar lists file names.
    Switch that mode off and rerun, so app.py's st.navigation takes over. It happens
    at most once per process.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
