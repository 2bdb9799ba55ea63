"""Tables and properties for wirecrawl.normalise.text."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wirecrawl.normalise.text import clean_text, strip_end_mark

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("Kim\xa0Jong\xa0Un", "Kim Jong Un", id="nbsp"),
        pytest.param("a\u2009b\u3000c\u202fd\u2003e", "a b c d e", id="unicode-spaces"),
        pytest.param("Pyong\u200byang", "Pyongyang", id="zero-width-space"),
        pytest.param("Pyong\u200cyang", "Pyongyang", id="zero-width-non-joiner"),
        pytest.param("Pyong\u200dyang", "Pyongyang", id="zero-width-joiner"),
        pytest.param("Pyong\u2060yang", "Pyongyang", id="word-joiner"),
        pytest.param("\ufeffPyongyang", "Pyongyang", id="byte-order-mark"),
        pytest.param("Pyong\u00adyang", "Pyongyang", id="soft-hyphen"),
        pytest.param("Pyong\u200eyang", "Pyongyang", id="left-to-right-mark"),
        pytest.param("a  \t\n\r b", "a b", id="whitespace-run"),
        pytest.param("line one\nline two", "line one line two", id="newline"),
        pytest.param("  Pyongyang  ", "Pyongyang", id="strip"),
        pytest.param("", "", id="empty"),
        pytest.param(" \xa0\u2003\t\n ", "", id="whitespace-only"),
        pytest.param("\u200b\ufeff\u00ad", "", id="invisible-only"),
        pytest.param("Kim Jong Un , general", "Kim Jong Un, general", id="space-before-comma"),
        pytest.param("the DPRK .", "the DPRK.", id="space-before-period"),
        pytest.param("as follows : first", "as follows: first", id="space-before-colon"),
        pytest.param("a ; b", "a; b", id="space-before-semicolon"),
        pytest.param("Hurrah !", "Hurrah!", id="space-before-exclamation"),
        pytest.param("Why ?", "Why?", id="space-before-question"),
        pytest.param("( KCNA )", "(KCNA)", id="spaces-inside-parentheses"),
        pytest.param("Kim Jong Un\xa0, general", "Kim Jong Un, general", id="nbsp-before-comma"),
        pytest.param("Un \u200b, general", "Un, general", id="zero-width-before-comma"),
        pytest.param("confidence. -0-", "confidence. -0-", id="end-mark-kept"),
        pytest.param(
            "Pyongyang, June 1 (KCNA) -- Kim Jong Un",
            "Pyongyang, June 1 (KCNA) -- Kim Jong Un",
            id="dateline-dashes-kept",
        ),
        pytest.param("Party 's", "Party 's", id="apostrophe-untouched"),
        pytest.param("grew by .5 percent", "grew by .5 percent", id="leading-decimal-point-kept"),
        pytest.param("the .kcmsf pages", "the .kcmsf pages", id="dot-before-word-kept"),
        pytest.param("said ... and", "said... and", id="ellipsis"),
        pytest.param("Brasília — Moscow", "Brasília — Moscow", id="unicode-letters-and-em-dash"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("paragraphs", "expected", "expected_removed"),
    [
        pytest.param(["a", "b -0-"], ["a", "b"], True, id="end-of-last-paragraph"),
        pytest.param(["a", "b.-0-"], ["a", "b."], True, id="no-space-before-mark"),
        pytest.param(["a", "b -0- \xa0"], ["a", "b"], True, id="whitespace-after-mark"),
        pytest.param(["a", "-0-"], ["a"], True, id="paragraph-of-its-own"),
        pytest.param(["a", " -0- "], ["a"], True, id="own-paragraph-with-spaces"),
        pytest.param(["a", "-0-", "", "  "], ["a"], True, id="followed-by-empty-paragraphs"),
        pytest.param(["a -0-", "", "\xa0"], ["a"], True, id="mark-then-empty-paragraphs"),
        pytest.param(["-0-"], [], True, id="only-the-mark"),
        pytest.param(["a -0-", "-0-"], ["a"], True, id="mark-printed-twice"),
        pytest.param(["a -0- -0-  -0-"], ["a"], True, id="run-of-marks"),
        pytest.param(["a", "b --0-"], ["a", "b --0-"], False, id="glued-to-a-dash"),
        pytest.param(["a", "won 1-0-"], ["a", "won 1-0-"], False, id="glued-to-a-digit"),
        pytest.param(["a ", "b "], ["a ", "b "], False, id="whitespace-kept-without-mark"),
        pytest.param(["a -0- b", "c"], ["a -0- b", "c"], False, id="mark-mid-paragraph"),
        pytest.param(["a -0-", "b"], ["a -0-", "b"], False, id="mark-in-earlier-paragraph"),
        pytest.param(["a", "abc-0-"], ["a", "abc-0-"], False, id="glued-to-a-word"),
        pytest.param(["a", "b - 0 -"], ["a", "b - 0 -"], False, id="spaced-out-is-not-a-mark"),
        pytest.param(["a", "b"], ["a", "b"], False, id="no-mark"),
        pytest.param(["a", ""], ["a"], False, id="trailing-empty-without-mark"),
        pytest.param([], [], False, id="no-paragraphs"),
        pytest.param(["", " "], [], False, id="only-empty-paragraphs"),
    ],
)
def test_strip_end_mark(paragraphs: list[str], expected: list[str], expected_removed: bool) -> None:
    before = list(paragraphs)
    assert strip_end_mark(paragraphs) == (expected, expected_removed)
    assert paragraphs == before, "the argument must not be changed"


# Text with every kind of character that matters here: letters, punctuation, dashes, brackets,
# Unicode spaces and invisible characters.
messy_text = (
    st.text(
        alphabet=st.sampled_from(
            [*"abcKJ0 .,;:!?()'-", "\xa0", "\u2003", "\n", "\t", *INVISIBLE, "é", "—"]
        )
    )
    | st.text()
)


@given(messy_text)
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@given(messy_text)
def test_clean_text_leaves_single_plain_spaces_only(text: str) -> None:
    cleaned = clean_text(text)
    assert "  " not in cleaned
    assert cleaned == cleaned.strip()
    assert all(not character.isspace() or character == " " for character in cleaned)
    assert not any(character in cleaned for character in INVISIBLE)


@given(messy_text)
def test_clean_text_keeps_every_visible_character_in_order(text: str) -> None:
    visible = [c for c in text if not c.isspace() and c not in INVISIBLE + "\u200e\u200f\u180e"]
    assert [c for c in clean_text(text) if c != " "] == visible


paragraph = st.text(alphabet=st.sampled_from(list("ab -0.\xa0")), max_size=12)


@given(st.lists(paragraph, max_size=6))
def test_strip_end_mark_is_idempotent(paragraphs: list[str]) -> None:
    once, _ = strip_end_mark(paragraphs)
    assert strip_end_mark(once) == (once, False)


@given(st.lists(paragraph, max_size=6))
def test_strip_end_mark_only_touches_the_end(paragraphs: list[str]) -> None:
    result, removed = strip_end_mark(paragraphs)
    if result:
        assert result[:-1] == paragraphs[: len(result) - 1]
        assert paragraphs[len(result) - 1].startswith(result[-1])
    if not removed:
        assert result == paragraphs[: len(result)]
        assert all(not dropped.strip() for dropped in paragraphs[len(result) :])


story_paragraph = st.text(alphabet=st.sampled_from(list("abc .,")), min_size=1).filter(
    lambda text: text.strip() == text and text != ""
)


@given(st.lists(story_paragraph, min_size=1, max_size=5))
def test_strip_end_mark_removes_an_appended_mark(paragraphs: list[str]) -> None:
    assert strip_end_mark([*paragraphs[:-1], paragraphs[-1] + " -0-"]) == (paragraphs, True)
    assert strip_end_mark([*paragraphs, "-0-", ""]) == (paragraphs, True)


def clean_text_by_regex(text: str) -> str:
    """clean_text as first written, with regular expressions only: the reference."""
    invisible = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"))
    text = re.sub(r"\s+", " ", text.translate(invisible)).strip()
    text = re.sub(r" (?=[,;!?)])| (?=[.:](?![^\W_]))", "", text)
    return re.sub(r"\( ", "(", text)


@given(
    st.text(
        alphabet=st.sampled_from(
            list("ab1 ,;!?).:(_-\t\n\r\x0b\x0c\x1c\x85\u00a0\u2003\u2028\u3000\u200b\u00ad\ufeff")
        )
    )
)
def test_clean_text_matches_the_regular_expressions_it_replaced(text: str) -> None:
    assert clean_text(text) == clean_text_by_regex(text)
