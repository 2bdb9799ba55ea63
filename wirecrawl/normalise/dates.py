"""Dates as KCNA and the aggregators print them: `[2026.7.19.]`, `Juche108`, `December 01, 2025`."""

import datetime
import re
import zoneinfo
from urllib.parse import urlsplit

JUCHE_OFFSET = 1911
"""Juche year + JUCHE_OFFSET = Gregorian year (Juche 1 = 1912, Juche 113 = 2024)."""

_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    # Abbreviations. KCNA writes `Sept.`; `Sep` comes from other sources.
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}

# `[2026.7.19.]`, `(2025.12.14.)`, `[2024.06.15]`, `(Juche108.12.10.)`, `Juche 113.8.4`.
# The look-arounds keep the match from starting or ending inside a longer number (`12024.1.1`,
# `2024.1.1.5`); the trailing dot KCNA prints is allowed but not needed.
_KCNA_DATE = re.compile(
    r"(?<![\w.])"
    r"(?:(?P<juche>Juche)\s*(?P<juche_year>[0-9]{1,3})|(?P<year>[0-9]{4}))"
    r"\.(?P<month>[0-9]{1,2})\.(?P<day>[0-9]{1,2})(?!\.?[0-9])",
    re.IGNORECASE,
)

_ORDINAL = r"(?:st|nd|rd|th)?"
# The whole text must be the date (brackets and a final dot allowed): a teaser line that merely
# mentions "November 26, 2025" must not be taken for the date line printed under it.
_ENGLISH_DATE_MONTH_FIRST = re.compile(
    rf"[\[(]?(?P<month>[A-Za-z]{{3,9}})\.?\s*(?P<day>[0-9]{{1,2}}){_ORDINAL}\s*,?\s*"
    r"(?P<year>[0-9]{4})[\])]?\.?"
)
_ENGLISH_DATE_DAY_FIRST = re.compile(
    rf"[\[(]?(?P<day>[0-9]{{1,2}}){_ORDINAL}\s*(?P<month>[A-Za-z]{{3,9}})\.?\s*,?\s*"
    r"(?P<year>[0-9]{4})[\])]?\.?"
)
_DAY_FIRST_NUMERIC_DATE = re.compile(
    r"(?P<day>[0-9]{1,2})(?P<separator>[/.-])(?P<month>[0-9]{1,2})(?P=separator)(?P<year>[0-9]{4})"
)

# A path segment that is a 10-digit unix time, alone or followed by `-<id>`.
_UNIX_TIME_SEGMENT = re.compile(r"(?P<seconds>[0-9]{10})(?:-.*)?", re.DOTALL)
_SANE_YEARS = range(1990, 2101)


def _pyongyang() -> datetime.tzinfo:
    """Pyongyang's time, from the system's time zone data; UTC+9 where it has none."""
    try:
        return zoneinfo.ZoneInfo("Asia/Pyongyang")
    except zoneinfo.ZoneInfoNotFoundError:
        return datetime.timezone(datetime.timedelta(hours=9), "KST")


PYONGYANG = _pyongyang()
"""The agency's time zone: the dates it prints are dates in Pyongyang."""


def juche_to_gregorian(year: int) -> int:
    """Return the Gregorian year of a Juche year (Juche 108 -> 2019).

    Raises ValueError for a year below 1: the Juche calendar starts in 1912.
    """
    if year < 1:
        raise ValueError(f"Juche years start at 1, got {year}")
    return year + JUCHE_OFFSET


def month_number(name: str) -> int | None:
    """Return 1-12 for an English month name or abbreviation (`June`, `jun`, `Sept.`), else None."""
    return _MONTHS.get(name.strip().rstrip(".").lower())


def _make_date(year: int, month: int, day: int) -> datetime.date | None:
    # One place that turns "February 30" and year 0 into None instead of an exception.
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def parse_kcna_date(text: str) -> datetime.date | None:
    """Find a KCNA-style date anywhere in `text` and return it.

    Accepts `year.month.day` with or without zero padding and with or without the final dot, and
    Juche years (`Juche108.12.10.`, `Juche 113.8.4`), so `[2026.7.19.]`, `[2024.06.15]`,
    `www.kcna.kp (2025.12.14.)` and `(Juche108.12.10.)` all parse. The first candidate that is a
    real calendar date wins; a text whose candidates are all impossible (`2026.2.30`) gives None.
    """
    for match in _KCNA_DATE.finditer(text):
        if match["juche"]:
            juche_year = int(match["juche_year"])
            if juche_year < 1:
                continue
            year = juche_to_gregorian(juche_year)
        else:
            year = int(match["year"])
        found = _make_date(year, int(match["month"]), int(match["day"]))
        if found is not None:
            return found
    return None


def parse_english_date(text: str) -> datetime.date | None:
    """Parse a text that is an English date and nothing else.

    Accepts `December 01, 2025`, `Dec 1, 2025`, `Sept. 3, 2025`, `1 December 2025` (the comma,
    the abbreviation dot and an ordinal suffix such as `1st` are optional; case is ignored;
    surrounding whitespace, one pair of brackets and a final dot are allowed). Returns None when the
    text holds anything else or the date does not exist.
    """
    stripped = text.strip()
    match = _ENGLISH_DATE_MONTH_FIRST.fullmatch(stripped) or _ENGLISH_DATE_DAY_FIRST.fullmatch(
        stripped
    )
    if match is None:
        return None
    month = month_number(match["month"])
    if month is None:
        return None
    return _make_date(int(match["year"]), month, int(match["day"]))


def parse_day_first_date(text: str) -> datetime.date | None:
    """Parse a numeric day-first date that is the whole text: `04/03/2005` is 4 March 2005.

    Only for sources known to write the day first; `/`, `.` or `-` may separate the parts (the same
    one twice), and the year has four digits. Returns None for anything else or an impossible date.
    """
    match = _DAY_FIRST_NUMERIC_DATE.fullmatch(text.strip())
    if match is None:
        return None
    return _make_date(int(match["year"]), int(match["month"]), int(match["day"]))


def date_from_unix_time_in_url(url: str) -> datetime.date | None:
    """Return the date in Pyongyang of the unix time that starts a path segment of `url`.

    The aggregator's story URLs look like `/newstream/1527811200-123456/some-slug/`: a 10-digit
    unix time in seconds, then `-` and an id. The first such segment whose date falls in 1990-2100
    wins; None when there is none (or the URL cannot be split). Query and fragment are ignored.
    The date is the agency's, in Pyongyang: a story posted at 08:00 there is of that day, though
    it is still the day before in UTC (Pyongyang keeps UTC+9, UTC+8:30 from August 2015 to May
    2018; `PYONGYANG`).
    """
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for segment in path.split("/"):
        match = _UNIX_TIME_SEGMENT.fullmatch(segment)
        if match is None:
            continue
        moment = datetime.datetime.fromtimestamp(int(match["seconds"]), tz=PYONGYANG)
        if moment.year in _SANE_YEARS:
            return moment.date()
    return None


def date_of_machine_time(value: str) -> datetime.date | None:
    """Return the date in Pyongyang of an ISO 8601 machine time (a page's ``<meta
    property="article:published_time">`` or ``<time datetime>``), or None if it is none.

    A time with an offset (``2018-05-31T23:05:00+00:00``, ``...Z``) is a moment: its date is
    Pyongyang's, as for the unix time in a URL (`date_from_unix_time_in_url`), so a story posted
    there in the morning is not dated the day before. A date alone, or a time without an
    offset, is taken as written. A date outside 1990-2100 is None.
    """
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(PYONGYANG)
    return moment.date() if moment.year in _SANE_YEARS else None
