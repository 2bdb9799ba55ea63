"""When two pages carry the same story: the keys the archive's identity rule compares.

The rule (applied in ``wirecrawl.storage``), in order:

1. A URL the archive has seen belongs to the story it was seen with.
2. Otherwise, a story with the same normalised title (``title_key``) and the same
   publication date, **and** the same text (``content_hash``), is the same story under another
   URL (the old ``.kcmsf`` and the new ``/detail/`` URL of one story, for instance).
3. Otherwise it is a new story.

So the same title on different days (daily features such as "Major news items of Rodong
Sinmun") gives different stories; a corrected title under the same URL is the same story with
a revision; the same title on the same day with another text is another story.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """The title folded for comparison: NFKC, case-folded, punctuation and spacing ignored."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def content_hash(title: str, body: str) -> str:
    """SHA-256 of the story's title key and body with whitespace collapsed.

    Changes of spacing alone are not edits; any change of words or punctuation in the body is.
    """
    return identity_keys(title, body)[1]


def identity_keys(title: str, body: str) -> tuple[str, str]:
    """``title_key(title)`` and ``content_hash(title, body)``, the title folded once."""
    key = title_key(title)
    text = key + "\n" + " ".join(body.split())
    return key, hashlib.sha256(text.encode("utf-8")).hexdigest()
