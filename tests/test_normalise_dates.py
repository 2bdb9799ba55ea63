"""Tables and properties for wirecrawl.normalise.dates."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wirecrawl.normalise.dates import (
    JUCHE_OFFSET,
    PYONGYANG,
    date_from_unix_time_in_url,
    date_of_machine_time,
    juche_to_gregorian,
    month_number,
    parse_day_first_date,
    parse_english_date,
    parse_kcna_date,
)

D = datetime.date


@pytest.mark.parametrize(
    ("juche", "gregorian"),
    [
        pytest.param(1, 1912, id="first-juche-year"),
        pytest.param(108, 2019, id="juche-108"),
        pytest.param(113, 2024, id="juche-113"),
    ],
)
def test_juche_to_gregorian(juche: int, gregorian: int) -> None:
    assert juche_to_gregorian(juche) == gregorian


@pytest.mark.parametrize("juche", [pytest.param(0, id="zero"), pytest.param(-5, id="negative")])
def test_juche_to_gregorian_rejects_years_before_juche_1(juche: int) -> None:
    with pytest.raises(ValueError, match="Juche years start at 1"):
        juche_to_gregorian(juche)


def test_juche_offset() -> None:
    assert JUCHE_OFFSET == 1911


@pytest.mark.parametrize(
    ("name", "number"),
    [
        pytest.param("June", 6, id="full"),
        pytest.param("jun", 6, id="abbreviated-lower-case"),
        pytest.param("Sept.", 9, id="sept-with-dot"),
        pytest.param("SEP", 9, id="sep-upper-case"),
        pytest.param("Juno", None, id="not-a-month"),
        pytest.param("", None, id="empty"),
    ],
)
def test_month_number(name: str, number: int | None) -> None:
    assert month_number(name) == number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("[2026.7.19.]", D(2026, 7, 19), id="current-listing"),
        pytest.param("[2024.06.15]", D(2024, 6, 15), id="old-category-page-zero-padded"),
        pytest.param("www.kcna.kp (2025.12.14.)", D(2025, 12, 14), id="old-publish-time"),
        pytest.param("www.kcna.kp (Juche108.12.10.)", D(2019, 12, 10), id="old-publish-time-juche"),
        pytest.param("(Juche108.12.10.)", D(2019, 12, 10), id="juche-in-parentheses"),
        pytest.param("[Juche113.8.4.]", D(2024, 8, 4), id="homepage-datemark"),
        pytest.param("Juche 113.8.4", D(2024, 8, 4), id="juche-with-space-no-brackets"),
        pytest.param("juche113.8.4.", D(2024, 8, 4), id="juche-lower-case"),
        pytest.param("Kim Jong Un [2026.7.19.]", D(2026, 7, 19), id="after-other-text"),
        pytest.param("[2026.7.19.] Kim Jong Un", D(2026, 7, 19), id="before-other-text"),
        pytest.param("[2024.2.29.]", D(2024, 2, 29), id="leap-day"),
        pytest.param("[2025.12.31.]", D(2025, 12, 31), id="last-day-of-year"),
        pytest.param("[2026.2.30.] [2026.3.1.]", D(2026, 3, 1), id="first-valid-candidate-wins"),
        pytest.param("[2026.2.30.]", None, id="february-30"),
        pytest.param("[2023.2.29.]", None, id="leap-day-in-common-year"),
        pytest.param("[2024.13.1.]", None, id="month-13"),
        pytest.param("[Juche0.1.1.]", None, id="juche-0"),
        pytest.param("12024.1.1", None, id="inside-a-longer-number"),
        pytest.param("2024.1.1.5", None, id="followed-by-more-digits"),
        pytest.param("2024-06-15", None, id="iso-dashes-are-not-kcna"),
        pytest.param("Kim Jong Un", None, id="no-date"),
        pytest.param("", None, id="empty"),
        pytest.param(" \xa0 ", None, id="whitespace-only"),
    ],
)
def test_parse_kcna_date(text: str, expected: datetime.date | None) -> None:
    assert parse_kcna_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("December 01, 2025", D(2025, 12, 1), id="aggregator-zero-padded"),
        pytest.param("Dec 1, 2025", D(2025, 12, 1), id="abbreviated"),
        pytest.param("Sept. 3, 2025", D(2025, 9, 3), id="sept-with-dot"),
        pytest.param("Sep 3 2025", D(2025, 9, 3), id="sep-no-comma"),
        pytest.param("1 December 2025", D(2025, 12, 1), id="day-first"),
        pytest.param("1st December, 2025", D(2025, 12, 1), id="ordinal-day-first"),
        pytest.param("december 1, 2025", D(2025, 12, 1), id="lower-case"),
        pytest.param("  May 5, 2025 \n", D(2025, 5, 5), id="surrounding-whitespace"),
        pytest.param("[December 1, 2025]", D(2025, 12, 1), id="in-brackets"),
        pytest.param("February 29, 2024", D(2024, 2, 29), id="leap-day"),
        pytest.param("February 29, 2025", None, id="leap-day-in-common-year"),
        pytest.param("December 32, 2025", None, id="day-32"),
        pytest.param("Decembre 1, 2025", None, id="misspelt-month"),
        pytest.param("December 1", None, id="no-year"),
        pytest.param("opened on November 26, 2025 at", None, id="date-inside-a-sentence"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="whitespace-only"),
    ],
)
def test_parse_english_date(text: str, expected: datetime.date | None) -> None:
    assert parse_english_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("04/03/2005", D(2005, 3, 4), id="day-first-slashes"),
        pytest.param("4/3/2005", D(2005, 3, 4), id="not-padded"),
        pytest.param("31.12.2025", D(2025, 12, 31), id="dots"),
        pytest.param("29-02-2024", D(2024, 2, 29), id="dashes-leap-day"),
        pytest.param(" 04/03/2005 ", D(2005, 3, 4), id="surrounding-whitespace"),
        pytest.param("29/02/2025", None, id="leap-day-in-common-year"),
        pytest.param("13/13/2005", None, id="month-13"),
        pytest.param("04/03/05", None, id="two-digit-year"),
        pytest.param("2005/03/04", None, id="year-first"),
        pytest.param("04/03-2005", None, id="mixed-separators"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_day_first_date(text: str, expected: datetime.date | None) -> None:
    assert parse_day_first_date(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("/newstream/1527811200-123456/some-slug/", D(2018, 6, 1), id="seed-path"),
        pytest.param(
            "https://example.com/newstream/1527811200-123456/some-slug/?x=1#top",
            D(2018, 6, 1),
            id="absolute-url",
        ),
        # 2018-05-31 23:59:59 UTC is 08:59:59 on June 1 in Pyongyang (UTC+9 since May 2018).
        pytest.param("/newstream/1527811199-1/s/", D(2018, 6, 1), id="morning-in-pyongyang"),
        pytest.param("/newstream/1527778799-1/s/", D(2018, 5, 31), id="midnight-in-pyongyang"),
        # 2016-06-01 00:00 UTC: 08:30 in Pyongyang, then on UTC+8:30.
        pytest.param("/newstream/1464739200-1/s/", D(2016, 6, 1), id="pyongyang-time-2016"),
        pytest.param("/newstream/1464708599-1/s/", D(2016, 5, 31), id="before-midnight-2016"),
        pytest.param("/newstream/1527811200/", D(2018, 6, 1), id="bare-timestamp-segment"),
        pytest.param("/news/4133948399-1/", D(2100, 12, 31), id="last-sane-second"),
        pytest.param("/news/4133948400-1/", None, id="first-second-of-2101-in-pyongyang"),
        pytest.param("/news/4133980800-1/", None, id="year-2101"),
        pytest.param("/news/9999999999-1/", None, id="year-2286"),
        pytest.param("/newstream/15278112000-1/s/", None, id="eleven-digits"),
        pytest.param("/newstream/152781120-1/s/", None, id="nine-digits"),
        pytest.param("/newstream/1527811200abc/s/", None, id="digits-glued-to-letters"),
        pytest.param("/newstream/?t=1527811200", None, id="timestamp-in-query-only"),
        pytest.param("/newstream/some-slug/", None, id="no-timestamp"),
        pytest.param("http://[bad/1527811200-1/", None, id="unsplittable-url"),
        pytest.param("", None, id="empty"),
    ],
)
def test_date_from_unix_time_in_url(url: str, expected: datetime.date | None) -> None:
    assert date_from_unix_time_in_url(url) == expected


any_date = st.dates(min_value=D(1000, 1, 1), max_value=D(9999, 12, 31))


@given(any_date)
def test_kcna_dates_round_trip(day: datetime.date) -> None:
    assert parse_kcna_date(f"[{day.year}.{day.month}.{day.day}.]") == day
    assert parse_kcna_date(f"({day:%Y.%m.%d})") == day


@given(st.dates(min_value=D(1912, 1, 1), max_value=D(2910, 12, 31)))
def test_juche_dates_round_trip(day: datetime.date) -> None:
    juche_year = day.year - JUCHE_OFFSET
    assert parse_kcna_date(f"www.kcna.kp (Juche{juche_year}.{day.month}.{day.day}.)") == day


@given(any_date, st.sampled_from(["%B %d, %Y", "%b %d, %Y", "%b. %d %Y", "%d %B %Y"]))
def test_english_dates_round_trip(day: datetime.date, layout: str) -> None:
    assert parse_english_date(day.strftime(layout)) == day


@given(any_date, st.sampled_from("/.-"))
def test_day_first_dates_round_trip(day: datetime.date, separator: str) -> None:
    printed = f"{day.day:02}{separator}{day.month:02}{separator}{day.year}"
    assert parse_day_first_date(printed) == day


@given(
    st.datetimes(
        min_value=datetime.datetime(2001, 9, 9, 2),  # ten digits of seconds
        max_value=datetime.datetime(2100, 12, 31, 14, 59, 59),  # the last second of 2100 there
        timezones=st.just(datetime.UTC),
    ),
    st.integers(min_value=0, max_value=10**9),
)
def test_unix_time_in_url_round_trips(moment: datetime.datetime, story_id: int) -> None:
    # Any moment, as its date in Pyongyang (drawn in UTC: a local time can fall in the half
    # hour Pyongyang skipped on 4 May 2018, which no moment is).
    url = f"https://example.com/newstream/{int(moment.timestamp())}-{story_id}/slug/"
    assert date_from_unix_time_in_url(url) == moment.astimezone(PYONGYANG).date()


@given(st.text())
def test_date_parsers_never_raise(text: str) -> None:
    for parse in (parse_kcna_date, parse_english_date, parse_day_first_date):
        assert parse(text) is None or isinstance(parse(text), datetime.date)
    found = date_from_unix_time_in_url(text)
    assert found is None or 1990 <= found.year <= 2100


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2018-05-31T23:05:00+00:00", D(2018, 6, 1)),  # 08:05 in Pyongyang (UTC+9)
        ("2018-05-31T23:05:00Z", D(2018, 6, 1)),
        ("2016-03-01T15:20:00Z", D(2016, 3, 1)),  # 23:50 under UTC+8:30 (2015-2018)
        ("2016-03-01T15:40:00Z", D(2016, 3, 2)),  # 00:10 there
        ("2018-06-01T07:00:00+09:00", D(2018, 6, 1)),
        ("2018-05-31T23:05:00", D(2018, 5, 31)),  # no offset: as written
        ("2018-06-01", D(2018, 6, 1)),
        (" 2018-06-01 ", D(2018, 6, 1)),
        ("June 1, 2018", None),
        ("1855-06-01T00:00:00Z", None),
        ("", None),
    ],
)
def test_date_of_machine_time(value: str, expected: datetime.date | None) -> None:
    assert date_of_machine_time(value) == expected
