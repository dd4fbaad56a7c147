"""WCAG contrast arithmetic (figures/colour.py) and the colours the hand-made HTML sets with it.

tests/classroom/test_browser_display.py measures the same colours as a browser draws them, in both themes.
"""

from __future__ import annotations

import pytest

from figures import speller, text
from figures.colour import AA_TEXT, contrast_ratio, over, parse, relative_luminance, tint, to_hex

# Streamlit's page backgrounds: light, dark as 1.67 draws it, and dark as earlier versions did.
LIGHT_PAGE = "#ffffff"
DARK_PAGES = ("#171614", "#0e1117")


@pytest.mark.parametrize(
    ("foreground", "background", "expected"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#000000", 21.0),  # symmetric
        ("#777777", "#ffffff", 4.48),  # just short of AA
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes AA on white
        ("#595959", "#ffffff", 7.0),  # AAA
        ("#0000ff", "#ffffff", 8.59),
        ("#ff0000", "#ffffff", 4.0),
        ("#123456", "#123456", 1.0),
    ],
)
def test_contrast_ratio_matches_wcag_reference_pairs(foreground, background, expected):
    assert contrast_ratio(foreground, background) == pytest.approx(expected, abs=0.01)


def test_relative_luminance_of_the_extremes_and_a_primary():
    assert relative_luminance("#000") == 0
    assert relative_luminance("#fff") == pytest.approx(1)
    assert relative_luminance("#00ff00") == pytest.approx(0.7152)


@pytest.mark.parametrize(
    ("css", "rgba"),
    [
        ("#abc", (170, 187, 204, 1.0)),
        ("#E69F0033", (230, 159, 0, 0.2)),
        ("rgb(23, 22, 20)", (23, 22, 20, 1.0)),
        ("rgba(230, 159, 0, 0.2)", (230, 159, 0, 0.2)),
        ("rgb(1 2 3 / 50%)", (1, 2, 3, 0.5)),
        ("transparent", (0, 0, 0, 0.0)),
    ],
)
def test_parse_reads_what_our_html_and_getcomputedstyle_write(css, rgba):
    assert parse(css) == pytest.approx(rgba, abs=1e-3)


def test_parse_refuses_what_it_cannot_read():
    with pytest.raises(ValueError):
        parse("color(srgb 1 0 0)")


def test_a_translucent_colour_is_laid_over_what_is_behind_it():
    assert to_hex(over("rgba(0, 0, 0, 0.5)", "#ffffff")) == "#808080"
    assert over("#ff0000", "#00ff00") == (255, 0, 0, 1.0)  # opaque hides what is below
    assert tint("#E69F00", "#ffffff", 0.2) == to_hex(over("#E69F0033", "#ffffff"))
    # The old entity box: black text on 20% orange over the dark page, about 1.6:1.
    assert contrast_ratio("#000000", over("#E69F0033", DARK_PAGES[0])) < 2


def test_a_translucent_background_is_refused():
    with pytest.raises(ValueError, match="opaque"):
        contrast_ratio("#000", "rgba(255, 255, 255, 0.5)")


@pytest.mark.parametrize("label", [*text.LABEL_COLOURS, "UNSEEN"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_entity_boxes_read_at_aa_in_both_themes(label, theme):
    background = text.entity_background(label, theme)
    assert contrast_ratio(text.ENTITY_TEXT[theme], background) >= AA_TEXT


@pytest.mark.parametrize("label", [*text.LABEL_COLOURS, "UNSEEN"])
def test_label_chips_read_at_aa(label):
    chip = text.LABEL_COLOURS.get(label, text.UNKNOWN_COLOUR)
    assert contrast_ratio("#000000", chip) >= AA_TEXT


@pytest.mark.parametrize("kind", list(speller.FLAG_STYLES))
def test_speller_underlines_stand_out_from_both_pages(kind):
    _, (light, dark), _ = speller.FLAG_STYLES[kind]
    assert contrast_ratio(light, LIGHT_PAGE) >= AA_TEXT
    for page in DARK_PAGES:
        assert contrast_ratio(dark, page) >= AA_TEXT


def test_the_html_sets_text_and_background_together_for_either_theme():
    html = text.legend_html() + text.entity_html("Ann met Bo", [{"start": 0, "end": 3, "label": "PER", "score": 0.9}])
    light, dark = text.entity_background("PER", "light"), text.entity_background("PER", "dark")
    assert f"background:light-dark({light},{dark})" in html
    assert f"color:light-dark({text.ENTITY_TEXT['light']},{text.ENTITY_TEXT['dark']})" in html
    _, (light, dark), _ = speller.FLAG_STYLES["unknown"]
    assert f"text-decoration-color:light-dark({light},{dark})" in speller.flag_legend_html()
