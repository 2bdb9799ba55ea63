"""Whitespace, invisible characters and the ` -0-` end mark in story text."""

import re

# Invisible characters that carry nothing in English wire text. The site and the aggregators
# leave zero-width spaces and soft hyphens inside words; BOMs appear where fragments were joined;
# U+180E was a space once and U+200E/U+200F (direction marks) come in with copied text.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"),
    None,
)

# `\s` on str patterns is every character for which str.isspace() is true: ASCII whitespace,
# line/paragraph separators and all Unicode spaces (nbsp, thin and ideographic spaces, ...).
_WHITESPACE_RUN = re.compile(r"\s+")

# Joining the text of inline elements (`<span>Kim Jong Un</span> , general`) leaves a space before
# punctuation. Before `.` and `:` the space is kept when a letter or digit follows, because then
# the dot or colon starts something (`.5`, `.kcmsf`) rather than ends a phrase.
_SPACE_BEFORE_PUNCTUATION = re.compile(r" (?=[,;!?)])| (?=[.:](?![^\W_]))")
_SPACE_AFTER_OPENING_PARENTHESIS = re.compile(r"\( ")

# The end mark: `-0-` closing the paragraph, not glued to a word or another dash (so `1-0-` in a
# score is left alone), optionally followed by whitespace.
_END_MARK = re.compile(r"(?<![\w-])-0-\s*\Z")


def clean_text(text: str) -> str:
    """Return `text` as one tidy line.

    Drops zero-width characters and soft hyphens, turns every kind of whitespace into plain spaces,
    collapses runs of spaces, strips both ends, and removes the space that inline markup leaves
    before `, . ; : ! ? )` and after `(`. Dashes (` -- `, ` -0-`) and apostrophes are never
    touched. The result is stable: `clean_text(clean_text(s)) == clean_text(s)`.
    """
    text = text.translate(_INVISIBLE)
    text = _WHITESPACE_RUN.sub(" ", text).strip()
    text = _SPACE_BEFORE_PUNCTUATION.sub("", text)
    return _SPACE_AFTER_OPENING_PARENTHESIS.sub("(", text)


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
    while True:
        while result and not result[-1].strip():
            result.pop()
        if not result:
            break
        match = _END_MARK.search(result[-1])
        if match is None:
            break
        removed = True
        remainder = result[-1][: match.start()].rstrip()
        if remainder:
            result[-1] = remainder
        else:
            result.pop()
    return result, removed
