"""The column CSS: the browser tests check what it does on screen; these check what a browser
would silently ignore, and the wrap threshold."""

from ui.layout import GAP_ALLOWANCE_PX, STACKED_BELOW_PX, Column, column_row_css

COLUMNS = [Column("t_draw", 290, grow=0), Column("t_pick", 200), Column("t_answer", 200, grow=1.1)]


def nested_has(css: str) -> bool:
    """Whether some :has(...) contains another :has(."""
    depth_of_open_has = []  # paren depth at which each open :has( began
    depth = 0
    for i, char in enumerate(css):
        if char == "(":
            if css[max(0, i - 4) : i] == ":has":
                if depth_of_open_has:
                    return True
                depth_of_open_has.append(depth)
            depth += 1
        elif char == ")":
            depth -= 1
            if depth_of_open_has and depth_of_open_has[-1] == depth:
                depth_of_open_has.pop()
    return False


def test_each_column_starts_at_its_minimum_and_grows_by_its_weight():
    css = column_row_css(COLUMNS)
    assert f"@media (min-width: {STACKED_BELOW_PX}px)" in css
    assert '[data-testid="stColumn"]:has(.st-key-t_draw) { flex: 0 1 290px; min-width: 290px; }' in css
    assert '[data-testid="stColumn"]:has(.st-key-t_answer) { flex: 1.1 1 200px; min-width: 200px; }' in css
    assert "@container" not in css


def test_the_named_column_goes_last_exactly_when_the_row_cannot_hold_all_three():
    css = column_row_css(COLUMNS, last_when_wrapped="t_pick")
    needed = 290 + 200 + 200 + 2 * GAP_ALLOWANCE_PX
    rule = '[data-testid="stColumn"]:has(.st-key-t_pick) { order: 1; }'
    assert f"@container (max-width: {needed}px) {{ {rule} }}" in css
    assert "container-type: inline-size" in css


def test_no_selector_nests_has_which_browsers_ignore():
    assert nested_has("a:has(> b:has(.c)) {}") and not nested_has("a:has(> b .c) {} d:has(.e) {}")
    assert not nested_has(column_row_css(COLUMNS, last_when_wrapped="t_pick"))
