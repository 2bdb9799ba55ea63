"""Datelines (`Pyongyang, June 1 (KCNA) --`) and the year they leave out."""

import calendar
import datetime
import re
from typing import NamedTuple

from wirecrawl.normalise.dates import month_number


class Dateline(NamedTuple):
    """A dateline at the head of a story. (A named tuple: made for every story a crawl reads,
    in a third of the time of a frozen dataclass.)"""

    printed: str
    """The dateline exactly as printed, dash included: `Pyongyang,July 9 (KCNA)--`."""
    place: str
    """The place with its whitespace normalised: `Phnom Penh`, `St. Petersburg`."""
    month: int
    """1-12."""
    day: int
    """1-31; a day that exists in `month` in some year (February 29 included)."""
    agency: str
    """The tag in parentheses: `KCNA`."""


# One word of a place name: letters, with inner `'`, `-` or `.` (`Port-au-Prince`, `U.S.`) and an
# optional final dot (`St.`). Non-Latin letters count (`Brasília`).
_PLACE_WORD = r"[^\W\d_]+(?:['\u2019.\-][^\W\d_]+)*\.?"

# Anchored at the start of the paragraph; every quantifier is bounded or unambiguous, so a long
# paragraph that is not a dateline fails fast. The agency tag in parentheses is what tells a
# dateline from a sentence such as "Pyongyang, June 1 is a day ...", so it is required; so is the
# dash after it (two hyphens as KCNA prints it, or an en/em dash, or one hyphen before a space).
_DATELINE = re.compile(
    rf"""
    \s*
    (?P<printed>
        (?P<place>{_PLACE_WORD}(?:\s+{_PLACE_WORD}){{0,4}})
        \s*,\s*
        (?P<month>[A-Za-z]{{3,9}})\.?
        \s*
        (?P<day>[0-9]{{1,2}})
        \s*
        \(\s*(?P<agency>[A-Z][A-Za-z0-9&.\-]*(?:\s+[A-Za-z0-9&.\-]+){{0,3}})\s*\)
        \s*
        (?:-{{2,3}}|[\u2013\u2014]{{1,2}}|-(?=\s|\Z))
    )
    (?P<rest>.*)
    """,
    re.VERBOSE | re.DOTALL,
)

# Lower-case words allowed inside a place name (`Rio de Janeiro`, `Dar es Salaam`). Any other
# lower-case word means the text is a sentence ("He said Pyongyang, ..."), not a place.
_PLACE_PARTICLES = frozenset(
    {
        "al",
        "am",
        "an",
        "da",
        "das",
        "de",
        "del",
        "della",
        "den",
        "der",
        "des",
        "di",
        "do",
        "dos",
        "du",
        "e",
        "el",
        "en",
        "es",
        "la",
        "le",
        "les",
        "of",
        "on",
        "sur",
        "upon",
        "van",
        "von",
        "y",
    }
)

# Search this many years either side of the reference. Every other month/day recurs each year,
# so the nearest is in the reference's year or one next to it (any other is more than a year
# away); February 29 can be eight years from the next one (2096 -> 2104), so the nearest one is
# at most four years from any reference.
_YEARS_AROUND_REFERENCE = 1
_YEARS_AROUND_REFERENCE_FEB_29 = 4


# Days in each month of a leap year: February 29 counts as a real dateline day.
_DAYS_IN_MONTH = tuple(calendar.monthrange(2000, month)[1] for month in range(1, 13))

# A date in the reference's own year at most this many days from it is the nearest of its
# month and day: the same day a year before or after is at least 365 - 182 = 183 days away.
_SURELY_NEAREST_DAYS = 182


def _day_exists(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]


# Words that may end in a dot inside a place name, besides initials (`N.`) and dotted
# abbreviations (`D.C.`). Any other dotted word ends a sentence: "Go. Pyongyang, June 1 (KCNA) --"
# has no dateline at its start.
_PLACE_ABBREVIATIONS = frozenset({"St.", "Ste.", "Mt.", "Ft.", "Pt.", "Is."})


def _is_place_word(word: str) -> bool:
    if word.endswith(".") and not (
        word in _PLACE_ABBREVIATIONS or len(word) == 2 or "." in word[:-1]
    ):
        return False
    return word[0].isupper() or word in _PLACE_PARTICLES


def _is_place(place: str) -> bool:
    if place.isalpha():
        return place[0].isupper()  # one word of letters (`Pyongyang`), as most datelines print
    words = place.split()
    return (
        words[0][0].isupper()
        and words[-1][0].isupper()
        and all(_is_place_word(word) for word in words)
    )


def split_dateline(paragraph: str) -> tuple[Dateline | None, str]:
    """Split a leading dateline off a paragraph.

    `Pyongyang, June 1 (KCNA) -- Kim Jong Un ...` gives the Dateline and `Kim Jong Un ...`
    (stripped; "" when the dateline is the whole paragraph). Accepted: no space after the comma,
    none around the dash, `--` or an en or em dash, places of up to five words (`Phnom Penh`,
    `St. Petersburg`, `Rio de Janeiro`: capitalised words and a few particles such as `de`), full
    or abbreviated months (`Jan.`, `Sept.`, `Sep`). A paragraph without an agency tag in
    parentheses, with a lower-case word in the place (a sentence, not a place), an unknown month or
    a day that no year has (June 31) gives `(None, paragraph)` with the paragraph untouched.
    Never raises.
    """
    match = _DATELINE.match(paragraph)
    if match is None or not _is_place(match["place"]):
        return None, paragraph
    month = month_number(match["month"])
    day = int(match["day"])
    if month is None or not _day_exists(month, day):
        return None, paragraph
    dateline = Dateline(
        match["printed"],
        " ".join(match["place"].split()),
        month,
        day,
        " ".join(match["agency"].split()),
    )
    return dateline, match["rest"].strip()


def resolve_dateline_date(
    month: int, day: int, reference: datetime.date | None
) -> datetime.date | None:
    """Return the date with this month and day that is nearest to `reference`.

    The dateline prints no year; the reference is a full date known from elsewhere (listing date,
    page date, capture date). `December 31` under 2026-01-01 is 2025-12-31; `January 2` under
    2025-12-30 is 2026-01-02. On a tie (possible only when the reference is exactly half a year
    away) the earlier date wins, because a wire story is published on or after its dateline.
    February 29 resolves to the nearest February 29 that exists, which can be two years from the
    reference (four around 2100, a common year). Returns None without a reference (the year is
    unknown: never guess it from the crawl time) and for a month/day that no year has.
    """
    if reference is None or not _day_exists(month, day):
        return None
    leap_day = month == 2 and day == 29
    if not leap_day:
        same_year = datetime.date(reference.year, month, day)
        if abs((same_year - reference).days) <= _SURELY_NEAREST_DAYS:
            return same_year
    around = _YEARS_AROUND_REFERENCE_FEB_29 if leap_day else _YEARS_AROUND_REFERENCE
    candidates: list[datetime.date] = []
    for year in range(reference.year - around, reference.year + around + 1):
        if datetime.MINYEAR <= year <= datetime.MAXYEAR and (not leap_day or calendar.isleap(year)):
            candidates.append(datetime.date(year, month, day))
    if not candidates:
        return None
    # Sort key: distance first, then the date itself, so the earlier of two equal distances wins.
    return min(candidates, key=lambda candidate: (abs(candidate - reference), candidate))
