"""The text page in headless Chromium against the real app and the committed tagger:
type a sentence, see its entities; pick an example; hostile text stays inert.

Skips when Chromium or Playwright is missing, except under CI, where that is a failure.
"""

from __future__ import annotations

import pytest

from harness.browser import browser_fixtures, wait_for_idle_script

pytestmark = pytest.mark.browser

REQUIRED_WEIGHTS = ("bilstm.pt", "bilstm.json", "bilstm_vocab.json", "speller.pt", "speller.json")
TIMEOUT_MS = 60_000

# Each test on a fresh tab of the text page, once the example's entities are marked.
app_url, page = browser_fixtures(
    REQUIRED_WEIGHTS,
    "python -m training.train_ner",
    viewport={"width": 1400, "height": 1200},
    path="/text",
    ready=lambda page: page.locator("mark").first.wait_for(),
    timeout_ms=TIMEOUT_MS,
)


def entity(page, text: str, label: str):
    return page.locator("mark").filter(has_text=text).filter(has_text=label)


def type_text(page, text: str) -> None:
    box = page.get_by_label("Your text")
    box.fill(text)
    box.press("Control+Enter")  # commits the text area, as clicking away does


def test_typed_sentence_gets_its_entities(page):
    type_text(page, "Angela Merkel met Emmanuel Macron in Berlin on Monday.")
    entity(page, "Angela Merkel", "PER").wait_for()
    entity(page, "Emmanuel Macron", "PER").wait_for()
    entity(page, "Berlin", "LOC").wait_for()
    assert "text_input=" in page.url  # the text lives in the URL, to share the view


def test_example_pills_replace_the_text(page):
    page.get_by_role("radiogroup", name="Examples").get_by_role("radio", name="Sports result").click()
    entity(page, "Juventus", "ORG").wait_for()


def test_script_tags_are_shown_not_run(page):
    page.evaluate("window.__attacked = false")
    type_text(page, '<img src=x onerror="window.__attacked = true"> <script>window.__attacked = true</script> Paris')
    page.get_by_text("<script>window.__attacked = true</script>", exact=False).first.wait_for()
    entity(page, "Paris", "LOC").wait_for()
    assert page.evaluate("window.__attacked") is False


def test_applying_a_suggestion_fixes_the_word(page):
    type_text(page, "The networc is down and pepole are angry.")
    page.get_by_role("button", name="network (").first.wait_for()
    wait_for_idle_script(page)  # a click during a rerun can land on a button about to be replaced
    page.get_by_role("button", name="network (").first.click()
    box = page.get_by_label("Your text")
    page.wait_for_function("el => el.value.startsWith('The network is down')", arg=box.element_handle())
    page.get_by_role("button", name="people (").first.wait_for()
    wait_for_idle_script(page)
    page.get_by_role("button", name="Apply all top suggestions").click()
    page.wait_for_function("el => el.value === 'The network is down and people are angry.'", arg=box.element_handle())


def test_a_real_word_correction_and_the_rnn_switch(page):
    type_text(page, "I got a letter form my aunt.")
    real_word = page.locator('span[data-flag="real_word"]').filter(has_text="form")
    real_word.wait_for()
    page.get_by_text("Why this correction", exact=False).first.wait_for()  # the score parts of "form"
    # Without the RNN, "form" is left as typed, and the table says what the switch changed.
    wait_for_idle_script(page)
    page.get_by_text("Without the RNN", exact=True).click()
    real_word.wait_for(state="detached")
    page.get_by_text("changes 1 correction", exact=False).wait_for()
    wait_for_idle_script(page)
    page.get_by_text("Without the RNN", exact=True).click()
    real_word.wait_for()
    wait_for_idle_script(page)
    page.get_by_role("button", name="from (").first.click()
    box = page.get_by_label("Your text")
    page.wait_for_function("el => el.value === 'I got a letter from my aunt.'", arg=box.element_handle())
    real_word.wait_for(state="detached")


def test_token_choice_updates_the_explanation(page):
    page.get_by_text("Why “Roosevelt” is B-PER").wait_for()
    page.get_by_role("combobox", name="Token").click()
    page.get_by_role("option", name="16: Street").click()
    page.get_by_text("Why “Street” is I-LOC").wait_for()


def test_watching_a_word_shows_what_the_rnn_expects(page):
    page.get_by_text("After “networ”, the next letter").wait_for()
    word = page.get_by_label("A word to watch the RNN read")
    word.fill("speling")
    word.press("Enter")
    page.get_by_text("the next letter (typed:", exact=False).first.wait_for()
    slider = page.get_by_role("slider", name="Letters read")
    slider.focus()
    slider.press("Home")
    page.get_by_text("After “”, the next letter").wait_for()
