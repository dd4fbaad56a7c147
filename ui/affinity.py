"""Behind a load balancer, a page whose replica died comes back by itself on a live one, from its URL.

A Streamlit session lives in one server process. When that process dies, the browser's client reconnects
through the load balancer to a live replica, which does not know the session: the page stays as it was, its
pictures broken (their /media/ files were on the dead replica), until the user acts. The load balancer's
affinity cookie is what changes at that moment, so a small script watches it and reloads the page when it
names another replica. Every page keeps its state in the URL, so the reload rebuilds the same view.

The cookie's name comes from $CNNRNN_AFFINITY_COOKIE, which deploy/replicas.py and deploy/k8s set; without
it (one process, no balancer) nothing is installed.
"""

from __future__ import annotations

import json
import os

import streamlit as st

AFFINITY_COOKIE_ENV = "CNNRNN_AFFINITY_COOKIE"
CHECK_MS = 500  # how often the script reads the cookie; a reload follows within this of the reconnection


def affinity_cookie() -> str | None:
    return os.environ.get(AFFINITY_COOKIE_ENV, "").strip() or None


def reload_script(cookie: str, check_ms: int = CHECK_MS) -> str:
    """A script that reloads the page once the cookie `cookie` names another replica than the one that
    served the page. Installed once per page load; the cookie must be readable by scripts (not HttpOnly)."""
    return f"""<script>
(() => {{
  if (window.affinityWatch) return;  // a rerun redraws the element: one watcher per page load
  window.affinityWatch = true;
  const name = {json.dumps(cookie)} + "=";
  const read = () => {{
    const found = document.cookie.split("; ").find(part => part.startsWith(name));
    return found === undefined ? null : found.slice(name.length);
  }};
  let servedBy = read();
  setInterval(() => {{
    const now = read();
    if (servedBy === null) servedBy = now;  // the balancer had not set it yet
    else if (now !== null && now !== servedBy) location.reload();
  }}, {int(check_ms)});
}})();
</script>"""


def watch() -> None:
    """Install the watcher on this page when the app runs behind a balancer; a no-op otherwise."""
    cookie = affinity_cookie()
    if cookie:
        # In the sidebar: it draws nothing, and the sidebar exists on every page (hidden when presenting).
        st.sidebar.html(reload_script(cookie), unsafe_allow_javascript=True)
