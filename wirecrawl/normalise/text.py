"""Whitespace, invisible characters and the ` -0-` end mark in story text."""

import re

# Invisible characters that carry nothing in English wire text. The site and the aggregators
# leave zero-width spaces and soft hyphens inside words; BOMs appear where fragments were joined;
# U+180E was a space once and U+200E/U+200F (direction marks) come in with copied text.
_INVISIBLE_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARACTERS), None)
# Most lines hold none: translate() (slow per character) runs only on those that do.
_ANY_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARACTERS}]")

# Joining the text of inline elements (`<span>Kim Jong Un</span> , general`) leaves a space before
# punctuation. Before `.` and `:` the space is kept when a letter or digit follows, because then
# the dot or colon starts something (`.5`, `.kcmsf`) rather than ends a phrase.
_SPACE_BEFORE_PUNCTUATION = re.compile(r" (?=[,;!?)])| (?=[.:](?![^\W_]))")
# Most lines hold none of these: the pattern above runs only on lines that do.
_SPACE_THEN_PUNCTUATION = re.compile(r" [,;!?).:]")

_END_MARK = "-0-"


def clean_text(text: str) -> str:
    """Return `text` as one tidy line.

    Drops zero-width characters and soft hyphens, turns every kind of whitespace into plain spaces,
    collapses runs of spaces, strips both ends, and removes the space that inline markup leaves
    before `, . ; : ! ? )` and after `(`. Dashes (` -- `, ` -0-`) and apostrophes are never
    touched. The result is stable: `clean_text(clean_text(s)) == clean_text(s)`.
    """
    if _ANY_INVISIBLE.search(text):
        text = text.translate(_INVISIBLE)
    # str.split() splits on every character for which str.isspace() is true (those `\s`
    # matches on str patterns): ASCII whitespace, line and paragraph separators and all
    # Unicode spaces (nbsp, thin and ideographic spaces, ...).
    text = " ".join(text.split())
    if _SPACE_THEN_PUNCTUATION.search(text):
        text = _SPACE_BEFORE_PUNCTUATION.sub("", text)
    return text.replace("( ", "(")


def strip_end_mark(paragraphs: list[str]) -> tuple[list[str], bool]:
    """Remove the ` -0-` end mark from the end of a story.

    The mark closes the last paragraph (`... confidence. -0-`) or is a paragraph of its own,
    possibly followed by empty ones. Returns a new list (the argument is not changed) and whether
    a mark was removed. A `-0-` anywhere else stays. Trailing paragraphs that are empty or
    whitespace-only are always dropped, with or without a mark; a mark printed twice at the end is
    removed twice, so the function is idempotent.
    """
    result = list(paragraphs)
    removed = False
    while result:
        last = result[-1]
        if not last.strip():
            result.pop()
            continue
        end = _start_of_end_marks(last)
        if end is None:
            break
        removed = True
        if end:
            result[-1] = last[:end]
            break
        result.pop()
    return result, removed


def _start_of_end_marks(paragraph: str) -> int | None:
    # Where the run of end marks (and the whitespace around them) at the end of `paragraph`
    # starts; None when it does not end with one. Index arithmetic rather than a regex search or
    # repeated slicing keeps a paragraph of thousands of marks linear.
    end = len(paragraph)
    found = False
    while True:
        while end and paragraph[end - 1].isspace():
            end -= 1
        start = end - len(_END_MARK)
        if start < 0 or not paragraph.startswith(_END_MARK, start) or _glued(paragraph, start):
            return end if found else None
        end = start
        found = True


def _glued(paragraph: str, start: int) -> bool:
    # A `-0-` glued to a word or another dash (`1-0-`, `--0-`) is text, not the end mark.
    before = paragraph[start - 1] if start else " "
    return before.isalnum() or before in "_-"
