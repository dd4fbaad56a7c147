"""The speller's tests, and the one helper they share."""

from models.speller import correct_text


def fixed(speller, text: str, context: bool = True) -> str:
    """The text with every flag's top suggestion applied."""
    for flag in sorted(correct_text(speller, text, context=context), key=lambda f: -f.start):
        text = text[: flag.start] + flag.suggestions[0].word + text[flag.end :]
    return text
