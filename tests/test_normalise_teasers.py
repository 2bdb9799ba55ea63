"""Tables and properties for wirecrawl.normalise.teasers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wirecrawl.items import ListingEntry
from wirecrawl.normalise.teasers import (
    Teaser,
    aggregator_story_key,
    dedupe_teasers,
    teaser_key,
    teaser_url,
)

D = dt.date
AGG = "https://kcnawatch.org/newstream/1764550800-568100000"
OLD = "http://www.kcna.kp/en/article/q/f2a01e3c3cfa2ca8e90d163c8c1b743f.kcmsf"
NEW = "http://www.kcna.kp/en/article/detail/3f9c2a71d4e85b06a1c7e2d94b3f8a10"
RASON = (
    "Pyongyang, December 1 (KCNA) -- Rason Municipality in the DPRK concluded the project for "
    "remodeling the general foodstuff factory,"
)


def teaser(url: str, text: str = "a teaser", published: D | None = None) -> Teaser:
    return Teaser(url=url, text=text, published=published)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        pytest.param(NEW, f"www.kcna.kp{NEW[18:]}", id="current-layout"),
        pytest.param(
            NEW.upper().replace(
                "HTTP://WWW.KCNA.KP/EN/ARTICLE/DETAIL", "http://www.kcna.kp/en/article/detail"
            ),
            f"www.kcna.kp{NEW[18:]}",
            id="upper-case-hex",
        ),
        pytest.param(NEW + "?page=2#top", f"www.kcna.kp{NEW[18:]}", id="kcna-query-dropped"),
        pytest.param("https://kcna.kp:443" + NEW[18:], f"www.kcna.kp{NEW[18:]}", id="kcna-https"),
        pytest.param(OLD, f"www.kcna.kp{OLD[18:]}", id="old-layout-kept-apart"),
        pytest.param(
            f"{AGG}/rason-municipality/",
            "kcnawatch.org/newstream/1764550800-568100000",
            id="slug-dropped",
        ),
        pytest.param(f"{AGG}/", "kcnawatch.org/newstream/1764550800-568100000", id="no-slug"),
        pytest.param(
            f"{AGG}/a/?utm_source=x",
            "kcnawatch.org/newstream/1764550800-568100000",
            id="tracking-query",
        ),
        pytest.param(
            "http://KCNAWatch.org/newstream/1764550800-568100000/other-slug",
            "kcnawatch.org/newstream/1764550800-568100000",
            id="http-and-host-case",
        ),
        pytest.param(
            "https://www.kcnawatch.org/newstream/1764550800-568100000/rason/",
            "kcnawatch.org/newstream/1764550800-568100000",
            id="aggregator-www-is-the-same-story",
        ),
        pytest.param("https://example.org/story/1/", "example.org/story/1", id="trailing-slash"),
        pytest.param("https://example.org:443/story/1", "example.org/story/1", id="default-port"),
        pytest.param(
            "https://example.org:8443/story/1", "example.org:8443/story/1", id="other-port-kept"
        ),
        pytest.param(
            "https://example.org/s?b=2&a=1#x",
            "example.org/s?a=1&b=2",
            id="query-sorted-fragment-dropped",
        ),
    ],
)
def test_teaser_key(url: str, key: str) -> None:
    assert teaser_key(url) == key


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(NEW, NEW, id="current-layout-as-it-stands"),
        pytest.param(
            "http://kcna.kp" + NEW[18:].upper().replace("/EN/ARTICLE/DETAIL", "/en/article/detail"),
            NEW,
            id="kcna-host-and-hex-case",
        ),
        pytest.param(OLD, OLD, id="old-layout-kept"),
        pytest.param(f"{AGG}/rason-municipality/", f"{AGG}/", id="slug-dropped"),
        pytest.param(f"{AGG}/", f"{AGG}/", id="no-slug"),
        pytest.param(f"{AGG}", f"{AGG}/", id="no-trailing-slash"),
        pytest.param(
            "https://www.kcnawatch.org/newstream/1764550800-568100000/rason/",
            f"{AGG}/",
            id="www-and-slug-dropped",
        ),
        pytest.param(f"{AGG}/a/?utm_source=x#top", f"{AGG}/", id="tracking-query-and-fragment"),
        pytest.param(
            "http://www.kcnawatch.test/newstream/1527836400-567937233/x/",
            "http://kcnawatch.test/newstream/1527836400-567937233/",
            id="scheme-kept",
        ),
        pytest.param(
            "https://www.example.org/story/1/?b=2&a=1",
            "https://www.example.org/story/1/?a=1&b=2",
            id="other-paths-only-canonical",
        ),
    ],
)
def test_teaser_url(url: str, expected: str) -> None:
    assert teaser_url(url) == expected
    assert teaser_url(expected) == expected
    assert teaser_key(expected) == teaser_key(url)


def test_teaser_key_rejects_relative_urls() -> None:
    with pytest.raises(ValueError, match="not an absolute URL"):
        teaser_key("/newstream/1764550800-568100000/")


@pytest.mark.parametrize(
    ("url", "key"),
    [
        pytest.param(f"{AGG}/slug/", "kcnawatch-568100000", id="newstream-id"),
        pytest.param(
            "https://www.kcnawatch.org/newstream/1527836400-567937233/",
            "kcnawatch-567937233",
            id="www-dropped",
        ),
        pytest.param(
            "http://kcnawatch.test/newstream/1527836400-567937233/x/",
            "kcnawatch-567937233",
            id="test-host",
        ),
        pytest.param(
            "https://kcnawatch.org/article/x/", "kcnawatch-00426d9a9ace52af", id="no-id-hashed-url"
        ),
        pytest.param(
            "https://kcnawatch.org/article/x",
            "kcnawatch-00426d9a9ace52af",
            id="hash-ignores-trailing-slash",
        ),
    ],
)
def test_aggregator_story_key(url: str, key: str) -> None:
    assert aggregator_story_key(url) == key


@pytest.mark.parametrize(
    ("base", "href", "text", "expected"),
    [
        pytest.param(
            "https://kcnawatch.org/newstream/1-2/",
            "/newstream/1764550800-568100000/x/",
            RASON,
            teaser(f"{AGG}/", RASON),
            id="relative-href",
        ),
        pytest.param(
            "https://www.kcnawatch.org/newstream/1-2/",
            "/newstream/1764550800-568100000/x/",
            RASON,
            teaser(f"{AGG}/", RASON),
            id="relative-href-on-www",
        ),
        pytest.param(
            "https://kcnawatch.org/",
            f"{AGG}/x/#c",
            f"\n {RASON}\xa0",
            teaser(f"{AGG}/", RASON),
            id="whitespace-and-fragment",
        ),
        pytest.param(
            "http://www.kcna.kp/en",
            "/en/article/q/F2A01E3C3CFA2CA8E90D163C8C1B743F.kcmsf",
            "Kim Jong Un ,  visit",
            teaser(OLD, "Kim Jong Un, visit"),
            id="kcna-hex-lower-cased",
        ),
    ],
)
def test_teaser_from_link(base: str, href: str, text: str, expected: Teaser) -> None:
    assert Teaser.from_link(base, href, text) == expected


@pytest.mark.parametrize(
    ("teasers", "kept"),
    [
        pytest.param([], [], id="empty"),
        pytest.param([teaser(AGG)], [0], id="one"),
        pytest.param(
            [teaser(f"{AGG}/s/", RASON, D(2025, 12, 1)), teaser(f"{AGG}/s/", RASON)],
            [0],
            id="teaser-date-teaser-counts-once",
        ),
        pytest.param(
            [teaser(OLD), teaser(NEW), teaser(OLD), teaser(NEW)],
            [0, 1],
            id="widget-printed-twice",
        ),
        pytest.param(
            [teaser(f"{AGG}/slug-one/"), teaser(f"{AGG}/slug-two/")],
            [0],
            id="same-story-other-slug",
        ),
        pytest.param(
            [teaser(f"{AGG}/s/", RASON), teaser(AGG.replace("//", "//www.") + "/s/", RASON)],
            [0],
            id="aggregator-with-and-without-www",
        ),
        pytest.param(
            [teaser("https://example.org/a/"), teaser("http://example.org/a")],
            [0],
            id="http-and-https",
        ),
        pytest.param(
            [teaser(NEW, "same line"), teaser(OLD, "same line")],
            [0, 1],
            id="same-text-two-stories-both-kept",
        ),
        pytest.param(
            [teaser(NEW, "first"), teaser(NEW, "second", D(2026, 7, 19))],
            [0],
            id="first-sighting-wins",
        ),
        pytest.param(
            [teaser("https://b.org/1"), teaser("https://a.org/1"), teaser("https://b.org/1/")],
            [0, 1],
            id="order-kept-not-sorted",
        ),
    ],
)
def test_dedupe_teasers(teasers: list[Teaser], kept: list[int]) -> None:
    result = dedupe_teasers(teasers)
    assert result == [teasers[i] for i in kept]
    assert all(a is teasers[i] for a, i in zip(result, kept, strict=True))


def test_dedupe_teasers_takes_listing_entries() -> None:
    entry = ListingEntry(url=OLD, story_key=OLD[31:63], text="t", published=None)
    assert dedupe_teasers([entry, entry]) == [entry]


# A small pool of URLs (several of them one story) so that examples hold repeats.
urls = st.sampled_from(
    [
        f"{AGG}/a/",
        f"{AGG}/b/",
        "https://kcnawatch.org/newstream/1764637200-568100001/",
        NEW,
        NEW.replace("3f9c", "3F9C"),
        OLD,
        "https://example.org/story/1",
        "http://example.org/story/1/",
        "https://example.org/story/2?x=1",
    ]
)
teasers = st.lists(
    st.builds(
        Teaser,
        url=urls,
        text=st.text(max_size=8),
        published=st.none() | st.dates(D(2018, 1, 1), D(2026, 12, 31)),
    ),
    max_size=12,
)


@given(teasers)
def test_dedupe_teasers_is_idempotent(found: list[Teaser]) -> None:
    once = dedupe_teasers(found)
    assert dedupe_teasers(once) == once


@given(teasers)
def test_dedupe_teasers_keeps_page_order(found: list[Teaser]) -> None:
    result = dedupe_teasers(found)
    # A subsequence of the input, each item at its first sighting.
    first = {}
    for i, t in enumerate(found):
        first.setdefault(teaser_key(t.url), i)
    positions = [first[teaser_key(r.url)] for r in result]
    assert positions == sorted(positions)
    assert [found[i] for i in positions] == result


@given(teasers)
def test_dedupe_teasers_never_loses_a_story(found: list[Teaser]) -> None:
    result = dedupe_teasers(found)
    keys = [teaser_key(t.url) for t in result]
    assert set(keys) == {teaser_key(t.url) for t in found}
    assert len(keys) == len(set(keys))
