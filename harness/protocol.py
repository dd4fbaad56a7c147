"""A minimal Streamlit client that speaks the browser's own websocket protocol, for load generation.

It connects to `ws://127.0.0.1:PORT/_stcore/stream` (loopback only), sends the BackMsgs a browser sends
(`rerun_script` with the page, its query string and the widgets' values) and reads the server's
ForwardMsgs with the protobuf classes that streamlit itself ships, until the run's `script_finished`.
No browser, no JavaScript: a session costs the generator a socket and a few protobuf parses.

    async with StreamlitSession(port) as session:
        run = await session.open("text")                       # the page's first run
        run = await session.set_widget("text_input", "Angela Merkel visited Paris.")
        run.latency_s, run.texts, run.widget_ids

What a run exposes:
- `elements`: every new element of the run, by its delta path (a later element at the same path replaces
  the earlier one, as the browser's placeholders do), as (element type, element proto);
- `texts`: the text the user reads: markdown (captions and LaTeX too), text, headings, alerts, metric labels
  and values, HTML bodies;
- `widget_ids`: the user key of every widget in the run mapped to its element id. Streamlit builds a widget's
  id as `$$ID-<hash>-<user key>` (streamlit/elements/lib/utils.py `_compute_element_id`), so the key is the
  part after the second dash;
- `exceptions`: the text of any exception element (a traceback the user would see).

The widgets' values: like the browser, every rerun sends the values the session has set so far (for the
widgets still on the page); widgets it never touched fall back to the server's own state.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

STREAM_PATH = "/_stcore/stream"
ID_PREFIX = "$$ID-"
# How each kind of value goes into a WidgetState (streamlit/proto/WidgetStates.proto).
_VALUE_FIELDS = {bool: "bool_value", int: "int_value", float: "double_value", str: "string_value", bytes: "bytes_value"}


class ProtocolError(RuntimeError):
    """The server closed the stream, sent what a browser would not expect, or did not finish in time."""


def loopback_host(host: str) -> str:
    """`host` when it is a loopback address (127.0.0.0/8, ::1, or 'localhost'); ValueError otherwise."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise ValueError(f"refusing {host!r}: the load generator only talks to loopback addresses")


def parse_base_url(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) or ws(s) base URL on a loopback address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "ws") or not parts.hostname or not parts.port:
        raise ValueError(f"{url!r}: expected http://127.0.0.1:PORT")
    return loopback_host(parts.hostname), parts.port


def user_key(element_id: str) -> str | None:
    """The user key inside a widget id `$$ID-<hash>-<key>` (None for a widget without a key)."""
    if not element_id.startswith(ID_PREFIX):
        return None
    _, _, key = element_id[len(ID_PREFIX) :].partition("-")
    return None if key in ("", "None") else key


def element_texts(kind: str, element) -> list[str]:
    """What a reader sees of one element, as strings (empty for charts, images, widgets)."""
    if kind in ("markdown", "text", "heading", "html", "code"):
        return [getattr(element, "body", "") or getattr(element, "code_text", "")]
    if kind == "alert":
        return [element.body]
    if kind == "metric":
        return [element.label, element.body, element.delta]
    if kind == "exception":
        return [f"{element.type}: {element.message}"]
    return []


@dataclass
class Run:
    """One script run as the client saw it."""

    latency_s: float = 0.0
    elements: dict[tuple[int, ...], tuple[str, object]] = field(default_factory=dict)
    page_script_hash: str = ""
    status: str = ""

    @property
    def texts(self) -> list[str]:
        return [text for kind, element in self.elements.values() for text in element_texts(kind, element) if text]

    @property
    def widget_ids(self) -> dict[str, str]:
        ids = {}
        for _, element in self.elements.values():
            element_id = getattr(element, "id", "") if hasattr(element, "DESCRIPTOR") else ""
            if element_id and "id" in element.DESCRIPTOR.fields_by_name:
                key = user_key(element_id)
                if key:
                    ids[key] = element_id
        return ids

    @property
    def exceptions(self) -> list[str]:
        return [
            text
            for kind, element in self.elements.values()
            if kind == "exception"
            for text in element_texts(kind, element)
        ]

    def of_kind(self, kind: str) -> list:
        return [element for k, element in self.elements.values() if k == kind]

    def text(self) -> str:
        return "\n".join(self.texts)


class StreamlitSession:
    """One browser tab's worth of protocol: a websocket, its page and its widget values."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout_s: float = 120.0):
        self.host, self.port, self.timeout_s = loopback_host(host), port, timeout_s
        self.ws = None
        self.page_name = ""
        self.page_script_hash = ""
        self.query_string = ""
        self.values: dict[str, WidgetState] = {}  # element id -> the value this session last set
        self.last: Run | None = None
        # Fragments that asked to be rerun on a timer (st.fragment(run_every=…)): fragment id -> interval in s.
        # The browser runs these timers; a client that wants to see a live page reruns them itself.
        self.auto_reruns: dict[str, float] = {}

    async def __aenter__(self) -> StreamlitSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        # The "streamlit" subprotocol is what the frontend asks for; XSRF is off for websockets without cookies.
        self.ws = await websockets.connect(
            f"ws://{self.host}:{self.port}{STREAM_PATH}",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=self.timeout_s,
            ping_interval=None,
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def open(self, page: str = "", query: dict[str, str] | str | None = None) -> Run:
        """The first run of a page: `page` is its url path ("" for the default page, e.g. "digits")."""
        self.page_name = page
        self.page_script_hash = ""
        self.query_string = query if isinstance(query, str) else urlencode(query or {})
        self.values.clear()
        return await self.rerun()

    async def set_widget(self, key: str, value) -> Run:
        """Change the widget with user key `key`, as the browser does, and wait for the run that follows."""
        if self.last is None or key not in self.last.widget_ids:
            raise ProtocolError(
                f"no widget with key {key!r} on the page (have {sorted(self.last.widget_ids) if self.last else []})"
            )
        element_id = self.last.widget_ids[key]
        self.values[element_id] = widget_state(element_id, value)
        return await self.rerun()

    async def click(self, key: str) -> Run:
        """Press a button (a trigger: sent with this rerun only)."""
        if self.last is None or key not in self.last.widget_ids:
            raise ProtocolError(f"no button with key {key!r} on the page")
        trigger = WidgetState(id=self.last.widget_ids[key], trigger_value=True)
        return await self.rerun(extra=[trigger])

    async def rerun_fragment(self, fragment_id: str) -> Run:
        """What the browser's timer does for a fragment with run_every: rerun that fragment alone. The run's
        `elements` are then the fragment's own."""
        return await self.rerun(fragment_id=fragment_id)

    async def rerun(self, extra: list[WidgetState] = (), fragment_id: str = "") -> Run:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        if fragment_id:
            state.fragment_id, state.is_auto_rerun = fragment_id, True
        if self.page_script_hash:
            state.page_script_hash = self.page_script_hash
        else:
            state.page_name = self.page_name
        present = set(self.last.widget_ids.values()) if self.last else set()
        for element_id, value in self.values.items():
            if element_id in present:
                state.widget_states.widgets.append(value)
        state.widget_states.widgets.extend(extra)
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        run = await asyncio.wait_for(self._collect(), self.timeout_s)
        run.latency_s = time.perf_counter() - started
        self.page_script_hash = run.page_script_hash or self.page_script_hash
        if not fragment_id:  # a fragment's run holds only its own widgets
            self.last = run
        return run

    async def _collect(self) -> Run:
        """ForwardMsgs until the run's script_finished; a run cut short for a rerun starts over."""
        run = Run(page_script_hash=self.page_script_hash)
        while True:
            try:
                raw = await self.ws.recv()
            except websockets.ConnectionClosed as closed:
                raise ProtocolError(f"the server closed the stream: {closed}") from closed
            if isinstance(raw, str):
                continue
            message = ForwardMsg()
            message.ParseFromString(raw)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                run.elements.clear()  # a (re)started run paints the page afresh
            elif kind == "navigation":
                # Only a full run of app.py sends it (a fragment's run does not), and the run then registers its
                # timers afresh: the ones it does not register are gone, as in the browser. This also covers a
                # fragment that calls st.rerun().
                self.auto_reruns.clear()
                # With st.navigation the page's own hash is in the app's page list, by url path.
                for page in message.navigation.app_pages:
                    if page.url_pathname == self.page_name or (not self.page_name and page.is_default):
                        run.page_script_hash = page.page_script_hash
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                element_kind = element.WhichOneof("type")
                run.elements[tuple(message.metadata.delta_path)] = (element_kind, getattr(element, element_kind))
            elif kind == "delta" and message.delta.WhichOneof("type") == "add_block":
                # Kept for the containers that are widgets too (st.tabs with a key: a tab_container with an id).
                block = message.delta.add_block
                block_kind = block.WhichOneof("type")
                if block_kind:
                    run.elements[tuple(message.metadata.delta_path)] = (block_kind, getattr(block, block_kind))
            elif kind == "auto_rerun":
                self.auto_reruns[message.auto_rerun.fragment_id] = message.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                for stale in message.stop_auto_rerun.fragment_ids:
                    self.auto_reruns.pop(stale, None)
            elif kind == "page_not_found":
                raise ProtocolError(f"page not found: {self.page_name!r}")
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue
                if status == "FINISHED_WITH_COMPILE_ERROR":
                    raise ProtocolError("the script did not compile")
                run.status = status
                return run
            elif message.ref_hash:
                raise ProtocolError("the server sent a cached-message reference; this client caches nothing")


def widget_state(element_id: str, value) -> WidgetState:
    """A WidgetState carrying `value`: bool, int, float, str, bytes, or a list of str / int / float."""
    state = WidgetState(id=element_id)
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, str) for v in value):
            state.string_array_value.data.extend(value)
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            state.int_array_value.data.extend(value)
        else:
            state.double_array_value.data.extend(float(v) for v in value)
        return state
    for kind, name in _VALUE_FIELDS.items():
        if type(value) is kind:
            setattr(state, name, value)
            return state
    raise TypeError(f"no WidgetState field for {type(value).__name__}")
