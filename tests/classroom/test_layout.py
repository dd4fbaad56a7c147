"""The column CSS, read as a browser reads it, on a row shaped like the one Streamlit renders: which columns
share a line at a given viewport and row width, and how wide each one is. The browser tests check what it
does on screen; these check every row width, what a browser would silently ignore, and the wrap threshold."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from ui.layout import GAP_ALLOWANCE_PX, STACKED_BELOW_PX, Column, column_row_css

COLUMNS = [Column("t_draw", 290, grow=0), Column("t_pick", 200), Column("t_answer", 200, grow=1.1)]
KEYS = [c.key for c in COLUMNS]
# The gap between columns: "medium" is 2rem, 32 px at the usual 16 px root font and 44 px at presentation
# mode's 22 px (ui/layout.py); GAP_ALLOWANCE_PX is the most the CSS allows for.
GAPS_PX = (32, 44)
WIDE_VIEWPORT_PX = 1280


# ------------------------------------------------------------------ a row as Streamlit renders it
@dataclass(eq=False)
class Element:
    testid: str | None = None
    classes: frozenset[str] = frozenset()
    children: list[Element] = field(default_factory=list)
    parent: Element | None = None

    def add(self, child: Element) -> Element:
        child.parent = self
        self.children.append(child)
        return child

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def descendants(self):
        for child in self.children:
            yield child
            yield from child.descendants()


def streamlit_row(keys) -> tuple[Element, dict[str, Element]]:
    """stHorizontalBlock > stColumn > stVerticalBlock > the keyed container (.st-key-KEY), one per key."""
    row = Element("stHorizontalBlock")
    columns = {}
    for key in keys:
        columns[key] = row.add(Element("stColumn"))
        columns[key].add(Element("stVerticalBlock")).add(Element(classes=frozenset({f"st-key-{key}"})))
    return row, columns


# ------------------------------------------------------------------ selectors: what ui/layout.py writes
class Dropped(Exception):
    """A selector browsers reject, which drops its whole rule without a word."""


_TESTID = re.compile(r'\[data-testid="([^"]+)"\]')
_CLASS = re.compile(r"\.([\w-]+)")


def _tokens(text: str):
    i = 0
    while i < len(text):
        if text[i].isspace():
            while i < len(text) and text[i].isspace():
                i += 1
            yield " "
        elif text[i] == ">":
            i += 1
            yield ">"
        elif match := _TESTID.match(text, i):
            i = match.end()
            yield ("testid", match[1])
        elif match := _CLASS.match(text, i):
            i = match.end()
            yield ("class", match[1])
        elif text.startswith(":has(", i):
            depth, j = 1, i + len(":has(")
            while depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            yield ("has", text[i + len(":has(") : j - 1])
            i = j
        else:
            raise NotImplementedError(f"this test's selector reader does not know {text[i:]!r}")


def parse_selector(text: str, in_has: bool = False) -> list:
    """[(combinator, [simple selectors])], right to left the way a browser matches; the first combinator is
    the one a :has() argument starts with (None: descendant)."""
    parts, combinator, compound = [], None, []
    for token in _tokens(text.strip()):
        if token in (" ", ">"):
            if compound:
                parts.append((combinator, compound))
                combinator, compound = token, []
            elif token == ">":
                combinator = ">"
            continue
        if token[0] == "has":
            if in_has:
                raise Dropped(":has() may not nest")
            token = ("has", parse_selector(token[1], in_has=True))
        compound.append(token)
    parts.append((combinator, compound))
    return parts


def _simple(element: Element, selector) -> bool:
    kind, value = selector
    if kind == "testid":
        return element.testid == value
    if kind == "class":
        return value in element.classes
    return any(_matches(d, value, len(value) - 1, anchor=element) for d in element.descendants())


def _matches(element: Element, parts: list, i: int, anchor: Element | None = None) -> bool:
    combinator, compound = parts[i]
    if not all(_simple(element, s) for s in compound):
        return False
    if i == 0:
        if anchor is None:
            return True
        return element.parent is anchor if combinator == ">" else anchor in element.ancestors()
    if combinator == ">":
        return element.parent is not None and _matches(element.parent, parts, i - 1, anchor)
    return any(_matches(a, parts, i - 1, anchor) for a in element.ancestors())


# ------------------------------------------------------------------ style sheets
@dataclass
class Rule:
    conditions: tuple[tuple[str, str, int], ...]  # (media | container, min-width | max-width, px)
    selector: list | None  # None: dropped, as a browser drops it
    declarations: dict[str, str]


def parse_css(html: str) -> list[Rule]:
    body = html.strip().removeprefix("<style>").removesuffix("</style>")
    return list(_rules(body, ()))


def _rules(text: str, conditions: tuple):
    i = 0
    while (opening := text.find("{", i)) != -1:
        depth, closing = 1, opening + 1
        while depth:
            depth += {"{": 1, "}": -1}.get(text[closing], 0)
            closing += 1
        prelude, block = text[i:opening].strip(), text[opening + 1 : closing - 1]
        if prelude.startswith("@"):
            query = re.fullmatch(r"@(media|container)\s*\((min-width|max-width):\s*(\d+)px\)", prelude)
            if query is None:
                raise NotImplementedError(f"this test's CSS reader does not know {prelude!r}")
            yield from _rules(block, (*conditions, (query[1], query[2], int(query[3]))))
        else:
            try:
                selector = parse_selector(prelude)
            except Dropped:
                selector = None
            pairs = (d.split(":", 1) for d in block.split(";") if d.strip())
            declarations = {name.strip(): value.strip() for name, value in pairs}
            if "flex" in declarations:
                grow, shrink, basis = declarations.pop("flex").split()
                declarations |= {"flex-grow": grow, "flex-shrink": shrink, "flex-basis": basis}
            yield Rule(conditions, selector, declarations)
        i = closing
    if text[i:].strip():
        raise NotImplementedError(f"this test's CSS reader does not know {text[i:]!r}")


def _holds(condition, element: Element, rules, viewport_px: int, widths: dict[Element, int]) -> bool:
    kind, feature, px = condition
    if kind == "media":
        width = viewport_px
    else:  # the nearest ancestor that is a size container; with none, a container query never holds
        container = next(
            (a for a in element.ancestors() if style(rules, a, viewport_px, widths).get("container-type")), None
        )
        if container is None:
            return False
        width = widths[container]
    return width >= px if feature == "min-width" else width <= px


def style(rules: list[Rule], element: Element, viewport_px: int, widths: dict[Element, int]) -> dict[str, str]:
    """The declarations that reach `element`; every selector here has the same specificity, so the last wins."""
    found = {}
    for rule in rules:
        if rule.selector is None or not _matches(element, rule.selector, len(rule.selector) - 1):
            continue
        if all(_holds(c, element, rules, viewport_px, widths) for c in rule.conditions):
            found |= rule.declarations
    return found


def _px(value: str) -> float:
    return float(value.removesuffix("px"))


def lay_out(html: str, row_px: int, gap_px: int, viewport_px: int = WIDE_VIEWPORT_PX) -> list[dict[str, float]]:
    """The row's lines, each {key: width} in visual order: flexbox with wrapping (Streamlit's column rows
    wrap), items by `order` then source order, each at least its basis and min-width, then the free space of
    its line shared by flex-grow."""
    rules = parse_css(html)
    row, columns = streamlit_row(KEYS)
    styles = {key: style(rules, column, viewport_px, {row: row_px}) for key, column in columns.items()}
    ordered = sorted(KEYS, key=lambda key: int(styles[key].get("order", 0)))
    lines: list[list[str]] = [[]]
    used = 0.0
    for key in ordered:
        size = max(_px(styles[key]["flex-basis"]), _px(styles[key].get("min-width", "0px")))
        if lines[-1] and used + gap_px + size > row_px:
            lines.append([])
        used = size if not lines[-1] else used + gap_px + size
        lines[-1].append(key)
    laid_out = []
    for line in lines:
        grow = {key: float(styles[key]["flex-grow"]) for key in line}
        free = row_px - gap_px * (len(line) - 1) - sum(_px(styles[key]["flex-basis"]) for key in line)
        total = sum(grow.values())
        shared = free * min(total, 1.0)
        laid_out.append(
            {key: _px(styles[key]["flex-basis"]) + (shared * grow[key] / total if total else 0.0) for key in line}
        )
    return laid_out


# ------------------------------------------------------------------ the tests
def test_each_column_starts_at_its_minimum_and_grows_by_its_weight():
    css = column_row_css(COLUMNS)
    minimum = sum(c.min_px for c in COLUMNS) + 2 * GAP_ALLOWANCE_PX
    assert lay_out(css, minimum, GAP_ALLOWANCE_PX) == [{"t_draw": 290, "t_pick": 200, "t_answer": 200}]
    # 420 px more: the canvas column keeps its 290, the other two share the 420 as 1 : 1.1.
    assert lay_out(css, minimum + 420, GAP_ALLOWANCE_PX) == [
        {"t_draw": 290, "t_pick": pytest.approx(400), "t_answer": pytest.approx(420)}
    ]
    # One pixel short, nothing is squeezed under its minimum: the row wraps.
    wrapped = lay_out(css, minimum - 1, GAP_ALLOWANCE_PX)
    assert [list(line) for line in wrapped] == [["t_draw", "t_pick"], ["t_answer"]]
    assert all(line[c.key] >= c.min_px for line in wrapped for c in COLUMNS if c.key in line)
    assert wrapped[0]["t_draw"] == 290


def test_below_the_stacking_width_streamlit_is_left_alone():
    rules = parse_css(column_row_css(COLUMNS, last_when_wrapped="t_pick"))
    row, columns = streamlit_row(KEYS)
    for viewport, reached in ((STACKED_BELOW_PX - 1, False), (STACKED_BELOW_PX, True)):
        for width in (300, 600, 1000):
            styles = [style(rules, column, viewport, {row: width}) for column in columns.values()]
            assert all(("flex-basis" in s) is reached and ("min-width" in s) is reached for s in styles)


def test_the_named_column_goes_last_exactly_when_the_row_cannot_hold_all_three():
    css = column_row_css(COLUMNS, last_when_wrapped="t_pick")
    plain = column_row_css(COLUMNS)
    needed = sum(c.min_px for c in COLUMNS) + 2 * GAP_ALLOWANCE_PX
    for gap in GAPS_PX:
        assert gap <= GAP_ALLOWANCE_PX
        all_three = sum(c.min_px for c in COLUMNS) + 2 * gap
        for width in range(290 + gap + 200, 1400):
            lines = [list(line) for line in lay_out(css, width, gap)]
            if width < all_three:  # too narrow for three: the canvas and the answer stay side by side
                assert lines == [["t_draw", "t_answer"], ["t_pick"]], (gap, width)
                # ... which they would not do without the reordering
                assert [list(line) for line in lay_out(plain, width, gap)][0] == ["t_draw", "t_pick"]
            if width > needed:  # room for all three at the widest gap: the order as written
                assert lines == [["t_draw", "t_pick", "t_answer"]], (gap, width)
    # The query measures the row, not the viewport: on a wide screen with the sidebar narrowing the row, the
    # row's width decides.
    for width, order in ((needed, ["t_draw", "t_answer", "t_pick"]), (needed + 1, KEYS)):
        assert [key for line in lay_out(css, width, GAP_ALLOWANCE_PX, viewport_px=2560) for key in line] == order
    # Without a column to send last, no row width changes the order.
    for width in (700, needed, 1400):
        assert [key for line in lay_out(plain, width, GAP_ALLOWANCE_PX) for key in line] == KEYS


def test_no_rule_is_one_a_browser_would_drop():
    # The reader above drops what browsers drop: a :has() inside a :has().
    assert parse_css("<style>.a:has(> .b:has(.c)) { order: 1; }</style>")[0].selector is None
    assert parse_css("<style>.a:has(> .b .c) { order: 1; }</style>")[0].selector is not None
    assert all(rule.selector is not None for rule in parse_css(column_row_css(COLUMNS, last_when_wrapped="t_pick")))
