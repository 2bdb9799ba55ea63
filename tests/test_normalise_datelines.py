"""Tables and properties for wirecrawl.normalise.datelines."""

import calendar
import datetime

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from wirecrawl.normalise.datelines import Dateline, resolve_dateline_date, split_dateline

D = datetime.date


def dateline(printed: str, place: str, month: int, day: int, agency: str = "KCNA") -> Dateline:
    return Dateline(printed=printed, place=place, month=month, day=day, agency=agency)


@pytest.mark.parametrize(
    ("paragraph", "expected", "rest"),
    [
        pytest.param(
            "Pyongyang, June 1 (KCNA) -- Kim Jong Un received Lavrov.",
            dateline("Pyongyang, June 1 (KCNA) --", "Pyongyang", 6, 1),
            "Kim Jong Un received Lavrov.",
            id="seed-story",
        ),
        pytest.param(
            "Pyongyang,July 9 (KCNA) -- Text.",
            dateline("Pyongyang,July 9 (KCNA) --", "Pyongyang", 7, 9),
            "Text.",
            id="no-space-after-comma",
        ),
        pytest.param(
            "Pyongyang, June 1 (KCNA)--Text.",
            dateline("Pyongyang, June 1 (KCNA)--", "Pyongyang", 6, 1),
            "Text.",
            id="no-spaces-around-dashes",
        ),
        pytest.param(
            "Pyongyang, June 1 (KCNA) \u2013 Text.",
            dateline("Pyongyang, June 1 (KCNA) \u2013", "Pyongyang", 6, 1),
            "Text.",
            id="en-dash",
        ),
        pytest.param(
            "Pyongyang, June 1 (KCNA)\u2014Text.",
            dateline("Pyongyang, June 1 (KCNA)\u2014", "Pyongyang", 6, 1),
            "Text.",
            id="em-dash",
        ),
        pytest.param(
            "Pyongyang, June 1 (KCNA) - Text.",
            dateline("Pyongyang, June 1 (KCNA) -", "Pyongyang", 6, 1),
            "Text.",
            id="one-hyphen-before-space",
        ),
        pytest.param(
            "New York, Dec. 12 (KCNA) -- Text.",
            dateline("New York, Dec. 12 (KCNA) --", "New York", 12, 12),
            "Text.",
            id="new-york",
        ),
        pytest.param(
            "Panmunjom, March 3 (KCNA) -- Text.",
            dateline("Panmunjom, March 3 (KCNA) --", "Panmunjom", 3, 3),
            "Text.",
            id="panmunjom",
        ),
        pytest.param(
            "Moscow, Jan. 5 (KCNA) -- Text.",
            dateline("Moscow, Jan. 5 (KCNA) --", "Moscow", 1, 5),
            "Text.",
            id="moscow-jan-dot",
        ),
        pytest.param(
            "Phnom Penh, Sept. 3 (KCNA) -- Text.",
            dateline("Phnom Penh, Sept. 3 (KCNA) --", "Phnom Penh", 9, 3),
            "Text.",
            id="phnom-penh-sept-dot",
        ),
        pytest.param(
            "St. Petersburg, Sep 30 (KCNA) -- Text.",
            dateline("St. Petersburg, Sep 30 (KCNA) --", "St. Petersburg", 9, 30),
            "Text.",
            id="st-petersburg-sep",
        ),
        pytest.param(
            "Rio de Janeiro, Nov 2 (KCNA) -- Text.",
            dateline("Rio de Janeiro, Nov 2 (KCNA) --", "Rio de Janeiro", 11, 2),
            "Text.",
            id="particle-in-place",
        ),
        pytest.param(
            "Washington D.C., July 4 (KCNA) -- Text.",
            dateline("Washington D.C., July 4 (KCNA) --", "Washington D.C.", 7, 4),
            "Text.",
            id="initials-in-place",
        ),
        pytest.param(
            "Port-au-Prince, May 5 (KCNA) -- Text.",
            dateline("Port-au-Prince, May 5 (KCNA) --", "Port-au-Prince", 5, 5),
            "Text.",
            id="hyphenated-place",
        ),
        pytest.param(
            "Brasília, April 21 (KCNA) -- Text.",
            dateline("Brasília, April 21 (KCNA) --", "Brasília", 4, 21),
            "Text.",
            id="accented-place",
        ),
        pytest.param(
            "Pyongyang, February 29 (KCNA) -- Text.",
            dateline("Pyongyang, February 29 (KCNA) --", "Pyongyang", 2, 29),
            "Text.",
            id="leap-day",
        ),
        pytest.param(
            "Pyongyang, June 1 (KCNA) --",
            dateline("Pyongyang, June 1 (KCNA) --", "Pyongyang", 6, 1),
            "",
            id="dateline-is-the-whole-paragraph",
        ),
        pytest.param(
            "  Pyongyang, June 1 (KCNA) --   Text.  ",
            dateline("Pyongyang, June 1 (KCNA) --", "Pyongyang", 6, 1),
            "Text.",
            id="surrounding-whitespace",
        ),
        pytest.param(
            "Pyongyang,\xa0June\xa01 (KCNA)\xa0-- Text.",
            dateline("Pyongyang,\xa0June\xa01 (KCNA)\xa0--", "Pyongyang", 6, 1),
            "Text.",
            id="nbsp-kept-in-printed",
        ),
        pytest.param(
            "New\xa0 York, June 1 ( KCNA ) -- Text.",
            dateline("New\xa0 York, June 1 ( KCNA ) --", "New York", 6, 1),
            "Text.",
            id="place-and-agency-whitespace-normalised",
        ),
        pytest.param(
            "Beijing, June 1 (Xinhua) -- Text.",
            dateline("Beijing, June 1 (Xinhua) --", "Beijing", 6, 1, agency="Xinhua"),
            "Text.",
            id="other-agency",
        ),
    ],
)
def test_split_dateline(paragraph: str, expected: Dateline, rest: str) -> None:
    assert split_dateline(paragraph) == (expected, rest)


@pytest.mark.parametrize(
    "paragraph",
    [
        pytest.param("Pyongyang, June 1 -- Text.", id="no-agency-tag"),
        pytest.param("Pyongyang, June 1 is a day of joy.", id="sentence-with-date"),
        pytest.param("Pyongyang, June 31 (KCNA) -- Text.", id="june-31"),
        pytest.param("Pyongyang, February 30 (KCNA) -- Text.", id="february-30"),
        pytest.param("Pyongyang, June 0 (KCNA) -- Text.", id="day-0"),
        pytest.param("Pyongyang, Juno 1 (KCNA) -- Text.", id="unknown-month"),
        pytest.param("Pyongyang, June 1 (KCNA) Text.", id="no-dash"),
        pytest.param("Pyongyang, June 1 (KCNA) -0-", id="end-mark-is-not-a-dash"),
        pytest.param("Pyongyang, June 1 (local time) -- Text.", id="lower-case-tag"),
        pytest.param("the capital, June 1 (KCNA) -- Text.", id="lower-case-place"),
        pytest.param("He said Pyongyang, June 1 (KCNA) -- Text.", id="sentence-before-place"),
        pytest.param("Pyongyang June 1 (KCNA) -- Text.", id="no-comma"),
        pytest.param("Text. Pyongyang, June 1 (KCNA) -- Text.", id="dateline-not-at-start"),
        pytest.param("Go. Pyongyang, June 1 (KCNA) -- Text.", id="after-short-sentence"),
        pytest.param(
            "The respected Comrade Kim Jong Un visited the Masikryong Ski Resort.",
            id="anecdote-without-dateline",
        ),
        pytest.param("", id="empty"),
        pytest.param(" \xa0 ", id="whitespace-only"),
    ],
)
def test_split_dateline_rejects(paragraph: str) -> None:
    assert split_dateline(paragraph) == (None, paragraph)


@pytest.mark.parametrize(
    ("month", "day", "reference", "expected"),
    [
        pytest.param(6, 1, D(2018, 6, 1), D(2018, 6, 1), id="same-day"),
        pytest.param(5, 31, D(2018, 6, 1), D(2018, 5, 31), id="day-before"),
        pytest.param(12, 31, D(2026, 1, 1), D(2025, 12, 31), id="december-under-new-year"),
        pytest.param(1, 2, D(2025, 12, 30), D(2026, 1, 2), id="january-under-old-year"),
        pytest.param(1, 1, D(2024, 7, 2), D(2024, 1, 1), id="tie-prefers-earlier"),
        pytest.param(7, 3, D(2024, 1, 1), D(2023, 7, 3), id="half-a-year-picks-nearer-past"),
        pytest.param(7, 1, D(2024, 1, 1), D(2024, 7, 1), id="half-a-year-picks-nearer-future"),
        pytest.param(2, 29, D(2024, 3, 1), D(2024, 2, 29), id="leap-day-in-leap-year"),
        pytest.param(2, 29, D(2025, 3, 1), D(2024, 2, 29), id="leap-day-year-after"),
        pytest.param(2, 29, D(2027, 6, 1), D(2028, 2, 29), id="leap-day-next-leap-year"),
        pytest.param(2, 29, D(2026, 3, 1), D(2028, 2, 29), id="leap-day-two-years-away"),
        pytest.param(2, 29, D(2100, 2, 28), D(2096, 2, 29), id="leap-day-2100-is-common"),
        pytest.param(2, 29, D(2100, 3, 1), D(2104, 2, 29), id="leap-day-2100-eight-year-gap"),
        pytest.param(2, 29, D(2101, 1, 1), D(2104, 2, 29), id="leap-day-after-2100"),
        pytest.param(12, 31, D(1, 1, 1), D(1, 12, 31), id="first-supported-year"),
        pytest.param(1, 1, D(9999, 12, 31), D(9999, 1, 1), id="last-supported-year"),
        pytest.param(6, 1, None, None, id="no-reference"),
        pytest.param(6, 31, D(2025, 6, 1), None, id="june-31"),
        pytest.param(13, 1, D(2025, 6, 1), None, id="month-13"),
        pytest.param(6, 0, D(2025, 6, 1), None, id="day-0"),
    ],
)
def test_resolve_dateline_date(
    month: int, day: int, reference: datetime.date | None, expected: datetime.date | None
) -> None:
    assert resolve_dateline_date(month, day, reference) == expected


PLACES = ["Pyongyang", "New York", "Panmunjom", "Moscow", "Phnom Penh", "St. Petersburg"]
MONTH_SPELLINGS = [
    (month, spelling)
    for month in range(1, 13)
    for spelling in {
        calendar.month_name[month],
        calendar.month_abbr[month],
        calendar.month_abbr[month] + ".",
    }
] + [(9, "Sept."), (9, "Sept")]


@st.composite
def datelines(draw: st.DrawFn) -> tuple[str, str, int, int, str]:
    """A printed dateline with its paragraph text: (paragraph, place, month, day, rest)."""
    place = draw(st.sampled_from(PLACES) | st.from_regex(r"[A-Z][a-z]{1,10}", fullmatch=True))
    month, spelling = draw(st.sampled_from(MONTH_SPELLINGS))
    day = draw(st.integers(min_value=1, max_value=calendar.monthrange(2000, month)[1]))
    after_comma = draw(st.sampled_from(["", " ", "\xa0"]))
    dash = draw(st.sampled_from(["--", " -- ", "-- ", " --", " \u2013 ", "\u2014"]))
    # A rest that starts with a dash would lengthen the printed dash: not this property's subject.
    rest = draw(
        st.text(max_size=40).filter(lambda text: not text.startswith(("-", "\u2013", "\u2014")))
    )
    paragraph = f"{place},{after_comma}{spelling} {day} (KCNA){dash}{rest}"
    return paragraph, place, month, day, rest


@given(datelines())
def test_generated_datelines_parse_back(case: tuple[str, str, int, int, str]) -> None:
    paragraph, place, month, day, rest = case
    found, remaining = split_dateline(paragraph)
    assert found is not None
    assert (found.place, found.month, found.day, found.agency) == (place, month, day, "KCNA")
    assert remaining == rest.strip()


@given(st.text() | datelines().map(lambda case: case[0]))
def test_split_dateline_never_raises_and_keeps_every_word(paragraph: str) -> None:
    found, rest = split_dateline(paragraph)
    if found is None:
        assert rest == paragraph
    else:
        assert paragraph.lstrip().startswith(found.printed)
        assert "".join((found.printed + " " + rest).split()) == "".join(paragraph.split())


@given(
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=31),
    st.dates(min_value=D(2, 1, 1), max_value=D(9998, 12, 31)),
)
# Found by hypothesis: the nearest August 1 to 2 January of year 2 is in year 1, and year 0
# does not exist (nor does year 10,000 at the other end).
@example(8, 1, D(2, 1, 1))
@example(5, 1, D(9998, 12, 31))
# Either side of the 182 days within which the reference's own year is the nearest: in 2025
# July 2 is 182 days ahead (kept), July 3 183 ahead (the year before's is 182 behind); in the
# leap year 2024, July 2 is 183 days either side, and the earlier date wins the tie.
@example(7, 2, D(2025, 1, 1))
@example(7, 3, D(2025, 1, 1))
@example(7, 1, D(2024, 1, 1))
@example(7, 2, D(2024, 1, 1))
def test_resolved_date_is_the_nearest_with_that_month_and_day(
    month: int, day: int, reference: datetime.date
) -> None:
    assume(day <= calendar.monthrange(2001, month)[1])  # every day but February 29
    resolved = resolve_dateline_date(month, day, reference)
    assert resolved is not None
    assert (resolved.month, resolved.day) == (month, day)
    distance = abs(resolved - reference)
    assert distance <= datetime.timedelta(days=183)
    for other_year in (resolved.year - 1, resolved.year + 1):
        if not datetime.MINYEAR <= other_year <= datetime.MAXYEAR:
            continue  # no such year, so no nearer date in it
        other = D(other_year, month, day)
        assert abs(other - reference) > distance or (
            abs(other - reference) == distance and other > resolved
        )


@given(st.dates(min_value=D(100, 1, 1), max_value=D(9900, 12, 31)))
def test_leap_day_resolves_to_the_nearest_leap_day(reference: datetime.date) -> None:
    resolved = resolve_dateline_date(2, 29, reference)
    assert resolved is not None
    assert (resolved.month, resolved.day) == (2, 29)
    distance = abs(resolved - reference)
    for year in range(resolved.year - 8, resolved.year + 9):
        if calendar.isleap(year) and year != resolved.year:
            assert abs(D(year, 2, 29) - reference) >= distance
