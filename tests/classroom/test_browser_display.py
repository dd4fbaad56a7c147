"""What a class actually sees, in headless Chromium (issue 14): text that reads in the dark theme as in the
light, a presenter bar whole on a 1024×768 projector, presentation steps that open on what they talk about,
no developer toolbar, and chart titles that fit a 390 px phone.

Each test saves screenshots (and the contrast measurements) in tests/screenshots/, which git ignores, so a
failure can be looked at. Skips when Chromium or Playwright is missing, except under CI, where that is a failure.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from figures.colour import AA_TEXT, contrast_ratio, over, parse, relative_luminance
from figures.live import PAUSED
from harness.browser import REPO_ROOT, app_with_weights, wait_for_idle_script
from ui.examples import REAL_WORDS, ROOSEVELT, TYPOS
from ui.presentation import STEPS, step_params

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO_ROOT / "tests" / "screenshots"
TIMEOUT_MS = 120_000  # a page of several models on two shared cores
REQUIRED_WEIGHTS = (
    "cnn.pt", "cnn.json", "rnn.pt", "rnn.json", "mnist_gallery.npz", "bilstm.pt", "bilstm.json", "cnn_tagger.pt",
    "speller.pt",
)  # fmt: skip
PROJECTOR = {"width": 1024, "height": 768}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# Every entity type (Roosevelt PER, American MISC, Manhattan LOC, Juventus ORG), misspellings and real words in
# the wrong place, so every kind of hand-coloured text is on the page.
ALL_COLOURS_TEXT = f"{ROOSEVELT} Juventus beat Manchester United on Sunday. {TYPOS} {REAL_WORDS}"


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    with app_with_weights(REQUIRED_WEIGHTS, "python -m training.train_cnn && python -m training.train_ner") as url:
        yield url


@contextlib.contextmanager
def new_page(browser, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()


def screenshot(page, name: str, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page)
    return path


def page_url(app_url: str, page_file: str, params: dict[str, str]) -> str:
    """The URL of a page file under pages/ (app.py names each by its file, home at the root)."""
    path = "" if page_file == "views/home.py" else Path(page_file).stem
    return f"{app_url}/{path}?{urlencode(params)}"


def step_url(app_url: str, index: int) -> str:
    return page_url(app_url, STEPS[index].page, step_params(index))


# ---------------------------------------------------------------- 1 · contrast in both themes

# For each piece of hand-coloured text: its colour, the background colours from it up to the root (each may be
# translucent), and for an underline its line colour.
COLOURED_TEXT = """
() => {
  const backgrounds = el => {
    const out = [];
    for (let e = el; e; e = e.parentElement) out.push(getComputedStyle(e).backgroundColor);
    return out;
  };
  const sample = (kind, el, extra = {}) => ({
    kind, text: el.innerText.trim().slice(0, 40), color: getComputedStyle(el).color,
    backgrounds: backgrounds(el), ...extra,
  });
  const out = [];
  // Entity boxes and their label chips; the legend's boxes, the spans holding a chip.
  for (const mark of document.querySelectorAll("mark")) {
    out.push(sample("entity", mark));
    for (const chip of mark.querySelectorAll("span")) out.push(sample("entity chip", chip));
  }
  for (const box of document.querySelectorAll("[data-testid='stHtml'] span[style*='border:2px']")) {
    out.push(sample("legend", box));
    for (const chip of box.querySelectorAll("span")) out.push(sample("legend chip", chip));
  }
  // The speller's underlined words (and its legend's), the line measured against what lies behind it.
  for (const word of document.querySelectorAll("[data-testid='stHtml'] span[style*='underline']")) {
    out.push(sample("underlined word", word));
    out.push(sample("underline", word, {color: getComputedStyle(word).textDecorationColor}));
  }
  // The comparison page's table of each token's label from each model.
  for (const cell of document.querySelectorAll("[data-testid='stHtml'] td")) out.push(sample("label cell", cell));
  // The suggestion chips under the flagged text.
  for (const button of document.querySelectorAll("[class*='st-key-text_fix_'] button")) {
    out.push(sample("suggestion", button.querySelector("p") || button));
  }
  return out;
}
"""


def measure(samples: list[dict]) -> list[dict]:
    """Each sample with its contrast ratio: its backgrounds laid one over another from the root down (the
    browser's canvas, white, below them all), and the text colour over that."""
    measured = []
    for sample in samples:
        behind = (255.0, 255.0, 255.0, 1.0)
        for background in reversed(sample["backgrounds"]):
            behind = over(background, behind)
        ratio = contrast_ratio(sample["color"], behind)
        measured.append({**sample, "background": behind, "ratio": round(ratio, 2)})
    return measured


def page_background(page) -> tuple:
    return parse(page.evaluate("getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor"))


def check_theme(page, theme: str) -> None:
    """The app followed the browser's colour scheme (Streamlit's default), so the test measures that theme."""
    luminance = relative_luminance(page_background(page))
    assert luminance < 0.2 if theme == "dark" else luminance > 0.8, f"the page is not in the {theme} theme"


def record(name: str, measured: list[dict]) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / f"{name}.json").write_text(json.dumps(measured, indent=1, ensure_ascii=False))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_hand_coloured_text_reads_at_aa_in_both_themes(browser, app_url, theme):
    with new_page(browser, viewport={"width": 1280, "height": 900}, color_scheme=theme) as page:
        page.goto(f"{app_url}/text?text_input={quote(ALL_COLOURS_TEXT)}")
        page.locator("mark").filter(has_text="Juventus").wait_for()
        page.locator("[data-flag='real_word']").first.wait_for()
        page.locator("[class*='st-key-text_fix_'] button").first.wait_for()
        wait_for_idle_script(page)
        check_theme(page, theme)
        page.locator(".st-key-text_entity_view, mark").first.scroll_into_view_if_needed()
        screenshot(page, f"contrast-text-{theme}")
        measured = measure(page.evaluate(COLOURED_TEXT))
    record(f"contrast-text-{theme}", measured)
    kinds = {m["kind"] for m in measured}
    assert {"entity", "entity chip", "legend", "underline", "underlined word", "suggestion"} <= kinds
    for label in ("Roosevelt", "American", "Roosevelt Street", "Manhattan", "Juventus"):
        assert any(m["kind"] == "entity" and m["text"].startswith(label) for m in measured), label
    unreadable = [f"{m['kind']} “{m['text']}”: {m['ratio']}:1" for m in measured if m["ratio"] < AA_TEXT]
    assert not unreadable, f"below {AA_TEXT}:1 in the {theme} theme: " + "; ".join(unreadable)


@pytest.fixture(scope="module", params=["light", "dark"])
def comparison_page_colours(request, browser, app_url) -> tuple[str, list[dict]]:
    """The comparison page's sentence tab in one theme: the theme, and its hand-coloured text measured."""
    theme = request.param
    params = {"compare_tab": "The same sentence", "compare_text": ROOSEVELT}
    with new_page(browser, viewport={"width": 1280, "height": 900}, color_scheme=theme) as page:
        page.goto(page_url(app_url, "views/compare.py", params))
        page.locator("mark").filter(has_text="Manhattan").first.wait_for()
        page.locator("[data-testid='stHtml'] td").first.wait_for()
        wait_for_idle_script(page)
        check_theme(page, theme)
        page.locator("mark").first.scroll_into_view_if_needed()
        screenshot(page, f"contrast-compare-{theme}")
        measured = measure(page.evaluate(COLOURED_TEXT))
    record(f"contrast-compare-{theme}", measured)
    return theme, measured


def below_aa(measured: list[dict], kinds: set[str]) -> list[str]:
    return [
        f"{m['kind']} “{m['text']}”: {m['ratio']}:1" for m in measured if m["kind"] in kinds and m["ratio"] < AA_TEXT
    ]


def test_entities_on_the_comparison_page_read_at_aa_in_both_themes(comparison_page_colours):
    theme, measured = comparison_page_colours
    kinds = {"entity", "entity chip", "legend", "legend chip"}
    assert kinds <= {m["kind"] for m in measured}
    unreadable = below_aa(measured, kinds)
    assert not unreadable, f"below {AA_TEXT}:1 in the {theme} theme: " + "; ".join(unreadable)


def test_the_comparison_pages_label_table_reads_at_aa(comparison_page_colours):
    theme, measured = comparison_page_colours
    assert "label cell" in {m["kind"] for m in measured}
    unreadable = below_aa(measured, {"label cell"})
    assert not unreadable, f"below {AA_TEXT}:1 in the {theme} theme: " + "; ".join(unreadable)


# ---------------------------------------------------------------- 2 · the presenter bar on a projector

# The elements of a link or button that cut their content short, and whether its label's text lies inside it.
CLIPPED = """
control => {
  const clipped = [control, ...control.querySelectorAll("*")]
    .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
    .map(e => `${e.tagName} ${e.scrollWidth}>${e.clientWidth}`);
  const range = document.createRange();
  range.selectNodeContents(control);
  const text = range.getBoundingClientRect(), box = control.getBoundingClientRect();
  return {clipped, inside: text.left >= box.left - 1 && text.right <= box.right + 1};
}
"""


@pytest.mark.parametrize(
    ("where", "controls"),
    [
        ("start", [("link", "Start"), ("button", "Exit")]),
        ("step-2", [("link", "Previous"), ("link", "Next"), ("button", "Exit")]),
    ],
)
def test_presenter_bar_labels_show_in_full_at_1024x768(browser, app_url, where, controls):
    url = f"{app_url}/?present=1" if where == "start" else step_url(app_url, 1)
    with new_page(browser, viewport=PROJECTOR) as page:
        page.goto(url)
        page.get_by_role("button", name="Exit").wait_for()
        wait_for_idle_script(page)
        page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
        screenshot(page, f"presenter-bar-{where}")
        cut = {}
        for role, name in controls:
            control = page.get_by_role(role, name=name)
            found = control.evaluate(CLIPPED)
            if found["clipped"] or not found["inside"]:
                cut[name] = found
        assert not cut, f"labels cut short at 1024×768: {cut}"
        assert page.evaluate("document.documentElement.scrollWidth") <= PROJECTOR["width"]


def test_training_buttons_show_in_full_at_1024x768_in_presentation_mode(browser, app_url):
    step = next(i for i, s in enumerate(STEPS) if s.page == "views/train.py")
    with new_page(browser, viewport=PROJECTOR) as page:
        page.goto(step_url(app_url, step))
        page.get_by_role("button", name="One step").wait_for()
        wait_for_idle_script(page)
        screenshot(page, "training-buttons")
        cut = {}
        for name in ("Start", "Pause", "One step", "Reset"):
            found = page.get_by_role("button", name=name, exact=True).evaluate(CLIPPED)
            if found["clipped"] or not found["inside"]:
                cut[name] = found
        assert not cut, f"training buttons cut short at 1024×768 in presentation mode: {cut}"


# ---------------------------------------------------------------- 3 · each step shows its subject

# Whether the element keyed `key` is on screen below whatever covers the top of the window (Streamlit's header,
# and the presenter bar if it stays there): all of it, or for a tall one, 90% of the room there is.
IN_VIEW = """
key => {
  const target = document.querySelector(`.st-key-${key}`);
  if (!target) return false;
  const header = document.querySelector('[data-testid="stHeader"]');
  const bar = document.querySelector(".st-key-present_bar");
  const top = Math.max(header ? header.getBoundingClientRect().bottom : 0,
                       bar ? bar.getBoundingClientRect().bottom : 0);
  const r = target.getBoundingClientRect(), room = window.innerHeight - top;
  const shown = Math.min(r.bottom, window.innerHeight) - Math.max(r.top, top);
  return r.height > 0 && shown >= 0.9 * Math.min(r.height, room);
}
"""


def test_every_presentation_step_scrolls_its_subject_into_view(browser, app_url):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    missing = [f"{i + 1} “{step.title}”" for i, step in enumerate(STEPS) if not step.anchor]
    assert not missing, f"steps without an anchor (the key of what they talk about): {missing}"
    out_of_view = []
    with new_page(browser, viewport=PROJECTOR) as page:
        page.goto(step_url(app_url, 0))
        for index, step in enumerate(STEPS):
            page.get_by_text(f"{index + 1} / {len(STEPS)} ·").wait_for()
            wait_for_idle_script(page)
            try:
                page.wait_for_function(IN_VIEW, arg=step.anchor, timeout=30_000)
            except PlaywrightTimeout:  # record it, and go on to the next step
                out_of_view.append(f"{index + 1} “{step.title}” ({step.anchor})")
            screenshot(page, f"step-{index + 1}")
            if index + 1 < len(STEPS):
                forward = page.get_by_role("link", name="Next")
                box = forward.bounding_box()
                # The bar stays in view: the next step is one click away wherever the page scrolled.
                assert box and 0 <= box["y"] and box["y"] + box["height"] <= PROJECTOR["height"], f"step {index + 1}"
                forward.click()
    assert not out_of_view, f"at 1024×768 these steps open with their subject out of view: {out_of_view}"


# ---------------------------------------------------------------- 4 · a viewer's toolbar


@pytest.mark.parametrize("query", ["", "?present=1"], ids=["page", "presentation"])
def test_no_deploy_button_for_viewers(browser, app_url, query):
    with new_page(browser, viewport={"width": 1280, "height": 900}) as page:
        page.goto(f"{app_url}/{query}")
        page.locator('[data-testid="stMainMenu"]').wait_for()  # the toolbar is drawn
        wait_for_idle_script(page)
        screenshot(page, f"toolbar{query.replace('?', '-').replace('=', '')}")
        assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
        assert page.get_by_role("button", name="Deploy").count() == 0


# ---------------------------------------------------------------- 5 · chart titles on a phone

# Each chart's box, its title's and its modebar's (null when not drawn).
CHART_BOXES = """
() => [...document.querySelectorAll(".js-plotly-plot")].map(chart => {
  const box = e => {
    if (!e) return null;
    const r = e.getBoundingClientRect();
    return r.width && r.height ? {left: r.left, right: r.right, top: r.top, bottom: r.bottom} : null;
  };
  const keyed = chart.closest("[class*='st-key-']");
  return {
    key: keyed ? [...keyed.classList].find(c => c.startsWith("st-key-")).slice(7) : "?",
    title: chart.querySelector(".gtitle") ? chart.querySelector(".gtitle").textContent : "",
    chart: box(chart), title_box: box(chart.querySelector(".gtitle")), modebar: box(chart.querySelector(".modebar")),
  };
})
"""


def one_training_step(page) -> None:
    """The training page draws its charts once a model has taken a step: take one, and wait for its scores."""
    page.get_by_role("button", name="One step", exact=True).click()
    page.locator('[data-testid="stAlert"]').filter(has_text=f"{PAUSED} (step 1 of").wait_for()


PHONE_PAGES = {
    "digits": ("views/digits.py", {"digits_gallery": "22"}, None),
    "text": ("views/text.py", {"text_input": TYPOS}, None),
    "compare-digit": ("views/compare.py", {"compare_tab": "The same digit"}, None),
    "compare-sentence": ("views/compare.py", {"compare_tab": "The same sentence"}, None),
    "train": ("views/train.py", {}, one_training_step),
}


def title_fault(chart: dict) -> str:
    """What is wrong with a chart's title on the phone, or ""."""
    title, box = chart["title_box"], chart["chart"]
    if title["left"] < box["left"] - 1 or title["right"] > box["right"] + 1:
        return f"“{chart['title']}” runs {max(title['right'] - box['right'], box['left'] - title['left']):.0f} px out"
    if overlap(title, chart["modebar"]) > 0:
        return f"“{chart['title']}” runs under the modebar"
    return ""


def overlap(a: dict, b: dict | None) -> float:
    if b is None:
        return 0.0
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(width, 0.0) * max(height, 0.0)


@pytest.mark.parametrize("name", list(PHONE_PAGES))
def test_chart_titles_fit_a_phone(browser, app_url, name):
    page_file, params, prepare = PHONE_PAGES[name]
    with new_page(browser, **PHONE) as page:
        page.goto(page_url(app_url, page_file, params))
        if prepare is not None:
            prepare(page)
        page.locator(".js-plotly-plot .gtitle").first.wait_for()
        wait_for_idle_script(page)
        # Every chart drawn (Plotly draws a chart's title with the rest of it; the training page's learning
        # curves have none, only their two panels' labels).
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
            ".every(c => c.querySelector('.main-svg'))"
        )
        charts = [c for c in page.evaluate(CHART_BOXES) if c["title"]]
        screenshot(page, f"phone-{name}")
        assert charts, "no chart with a title on the page"
        faults = {chart["key"]: title_fault(chart) for chart in charts if title_fault(chart)}
        for key in faults:
            page.locator(f".st-key-{key}").screenshot(path=SCREENSHOTS / f"phone-{name}-{key}.png")
    summary = "; ".join(f"{key}: {fault}" for key, fault in faults.items())
    assert not faults, f"{len(faults)} of {len(charts)} chart titles do not fit a 390 px phone: {summary}"
