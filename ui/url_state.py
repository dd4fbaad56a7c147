"""Small pieces of page state kept in the URL, so a shared link reproduces the view."""

import streamlit as st


def token_choice(key: str, count: int, default: int, text: str) -> None:
    """Prepare session state for a token selectbox keyed `key` over the tokens of `text`: the URL's
    ?key=N on a fresh session, else the current choice while the text stays the same, else `default`.
    Call before the widget; pass `on_change=remember(key)` to it."""
    state = st.session_state
    owner = f"{key}__text"  # the text the current choice belongs to
    if key not in state:
        try:
            state[key] = int(st.query_params.get(key, default))
        except ValueError:
            state[key] = default
        state[owner] = text
    elif state.get(owner) != text:  # new text: its tokens are new too
        state[key] = default
        state[owner] = text
    if not isinstance(state[key], int) or not 0 <= state[key] < count:
        state[key] = default


def remember(key: str):
    """An on_change callback that copies the widget's value into the URL."""

    def callback() -> None:
        st.query_params[key] = str(st.session_state[key])

    return callback
