"""Tables and properties for wirecrawl.normalise.urls."""

from urllib.parse import urljoin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wirecrawl.normalise.urls import canonical_url, kcna_category_key, kcna_story_key
from wirecrawl.pages.kcna_current import absolute_url

HEX = "0123456789abcdef0123456789abcdef"
HEX64 = HEX * 2
STORY = f"http://www.kcna.kp/en/article/detail/{HEX}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(STORY, STORY, id="already-canonical"),
        pytest.param(f"https://www.kcna.kp/en/article/detail/{HEX}", STORY, id="https-to-http"),
        pytest.param(f"http://kcna.kp/en/article/detail/{HEX}", STORY, id="bare-host-gets-www"),
        pytest.param(f"HTTP://WWW.KCNA.KP/en/article/detail/{HEX}", STORY, id="host-lower-cased"),
        pytest.param(f"http://www.kcna.kp./en/article/detail/{HEX}", STORY, id="trailing-dot"),
        pytest.param(f"{STORY}#photo", STORY, id="fragment-dropped"),
        pytest.param(
            f"http://www.kcna.kp:80/en/article/detail/{HEX}", STORY, id="default-port-dropped"
        ),
        pytest.param(
            f"https://kcna.kp:443/en/article/detail/{HEX}", STORY, id="https-default-port-dropped"
        ),
        pytest.param(
            f"http://www.kcna.kp/en/article/detail/{HEX.upper()}", STORY, id="hex-lower-cased"
        ),
        pytest.param(f"  {STORY}\n", STORY, id="surrounding-whitespace"),
        pytest.param(
            f"http://www.kcna.kp/en/article/q/{HEX64.upper()}.kcmsf",
            f"http://www.kcna.kp/en/article/q/{HEX64}.kcmsf",
            id="old-layout-64-hex-lower-cased",
        ),
        pytest.param(
            f"http://www.kcna.kp/photo/{HEX64.upper()}.jpg",
            f"http://www.kcna.kp/photo/{HEX64}.jpg",
            id="photo-hex-lower-cased",
        ),
        pytest.param(
            f"http://www.kcna.kp/en/Article/Detail/{HEX}",
            f"http://www.kcna.kp/en/Article/Detail/{HEX}",
            id="rest-of-path-keeps-case",
        ),
        pytest.param(
            "http://www.kcna.kp/en/category/relation.kcmsf?b=2&action=NT67",
            "http://www.kcna.kp/en/category/relation.kcmsf?action=NT67&b=2",
            id="query-sorted",
        ),
        pytest.param(
            "http://www.kcna.kp:8080/en/", "http://www.kcna.kp:8080/en/", id="other-port-kept"
        ),
        pytest.param(
            "HTTPS://Example.COM:443/Path/ABCDEF0123456789ABCDEF0123456789?b=1&a=2#x",
            "https://example.com/Path/ABCDEF0123456789ABCDEF0123456789?a=2&b=1",
            id="other-host-keeps-https-and-hex-case",
        ),
        pytest.param(
            "https://kcna.kp.example.com/x",
            "https://kcna.kp.example.com/x",
            id="kcna-lookalike-prefix",
        ),
        pytest.param("https://evilkcna.kp/x", "https://evilkcna.kp/x", id="kcna-lookalike-suffix"),
        pytest.param(
            "https://example.com/newstream/1527811200-123456/some-slug/",
            "https://example.com/newstream/1527811200-123456/some-slug/",
            id="aggregator-url-unchanged",
        ),
        pytest.param("http://www.kcna.kp", "http://www.kcna.kp/", id="empty-path"),
        pytest.param(
            f"ftp://KCNA.KP/{HEX.upper()}", f"ftp://kcna.kp/{HEX.upper()}", id="kcna-other-scheme"
        ),
        pytest.param("http://[::1]:8080/a", "http://[::1]:8080/a", id="ipv6-host"),
        pytest.param(
            "http://user:pw@www.kcna.kp:80/", "http://user:pw@www.kcna.kp/", id="user-info-kept"
        ),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="whitespace-only"),
        pytest.param(f"/en/article/detail/{HEX}", id="relative"),
        pytest.param("not a url", id="words"),
        pytest.param("http://www.kcna.kp:99999/", id="port-out-of-range"),
    ],
)
def test_canonical_url_rejects(url: str) -> None:
    with pytest.raises(ValueError, match=r"URL|[Pp]ort"):
        canonical_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(STORY, HEX, id="current-layout"),
        pytest.param(f"https://kcna.kp/en/article/detail/{HEX.upper()}", HEX, id="any-host-case"),
        pytest.param(f"/en/article/detail/{HEX}", HEX, id="root-relative"),
        pytest.param(f"{STORY}/", HEX, id="trailing-slash"),
        pytest.param(f"{STORY}?lang=en#top", HEX, id="query-and-fragment-ignored"),
        pytest.param(f"http://www.kcna.kp/en/article/q/{HEX}.kcmsf", HEX, id="old-layout-32"),
        pytest.param(f"http://www.kcna.kp/en/article/q/{HEX64}.kcmsf", HEX64, id="old-layout-64"),
        pytest.param(
            f"http://www.kcna.kp/en/article/q/{HEX.upper()}.KCMSF", HEX, id="old-layout-upper"
        ),
        pytest.param(f"http://www.kcna.kp/en/article/list/{HEX}", None, id="category-listing"),
        pytest.param(f"http://www.kcna.kp/kp/article/detail/{HEX}", None, id="korean-edition"),
        pytest.param(f"http://www.kcna.kp/en/gallery/detail/{HEX}", None, id="gallery"),
        pytest.param(f"https://example.com/en/article/detail/{HEX}", None, id="other-host"),
        pytest.param(f"ftp://www.kcna.kp/en/article/detail/{HEX}", None, id="other-scheme"),
        pytest.param(f"en/article/detail/{HEX}", None, id="path-relative"),
        pytest.param(f"http://www.kcna.kp/en/article/detail/{HEX[:-1]}", None, id="31-hex"),
        pytest.param(f"http://www.kcna.kp/en/article/detail/{HEX}a", None, id="33-hex"),
        pytest.param(f"http://www.kcna.kp/en/article/q/{HEX}abcdef01.kcmsf", None, id="40-hex"),
        pytest.param(f"http://www.kcna.kp/en/article/q/{HEX}", None, id="old-layout-no-ext"),
        pytest.param("http://[bad/en/article/detail/x", None, id="unsplittable"),
        pytest.param("", None, id="empty"),
    ],
)
def test_kcna_story_key(url: str, expected: str | None) -> None:
    assert kcna_story_key(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "http://www.kcna.kp/en/article/list/a666dda1282180e0ee1b4427b0574ae7",
            "a666dda1282180e0ee1b4427b0574ae7",
            id="current-layout-latest-news",
        ),
        pytest.param(
            "/en/category/articles/q/54c0ca4ca013a92cc9cf95bd4004c61a.kcmsf",
            "54c0ca4ca013a92cc9cf95bd4004c61a",
            id="old-layout-from-homepage",
        ),
        pytest.param(
            f"https://KCNA.KP/en/category/articles/q/{HEX64.upper()}.kcmsf",
            HEX64,
            id="old-layout-64-upper",
        ),
        pytest.param(f"/en/article/list/{HEX.upper()}/", HEX, id="upper-case-trailing-slash"),
        pytest.param(STORY, None, id="story-url"),
        pytest.param("http://www.kcna.kp/en/category/videos.kcmsf", None, id="videos-category"),
        pytest.param(f"https://example.com/en/article/list/{HEX}", None, id="other-host"),
        pytest.param("", None, id="empty"),
    ],
)
def test_kcna_category_key(url: str, expected: str | None) -> None:
    assert kcna_category_key(url) == expected


hex_ids = st.sampled_from([32, 64]).flatmap(
    lambda size: st.text(alphabet="0123456789abcdefABCDEF", min_size=size, max_size=size)
)
kcna_hosts = st.sampled_from(["www.kcna.kp", "kcna.kp", "WWW.KCNA.KP", "Kcna.Kp"])
schemes = st.sampled_from(["http", "https", "HTTP"])
ports = st.sampled_from(["", ":80", ":443"])
tails = st.sampled_from(["", "?b=2&a=1", "#frag", "?x=1#y"])


@given(schemes, kcna_hosts, ports, hex_ids, tails)
def test_old_story_urls_keep_their_key_through_canonicalisation(
    scheme: str, host: str, port: str, hex_id: str, tail: str
) -> None:
    url = f"{scheme}://{host}{port}/en/article/q/{hex_id}.kcmsf{tail}"
    canonical = canonical_url(url)
    assert canonical.startswith("http://www.kcna.kp/en/article/q/")
    assert kcna_story_key(canonical) == kcna_story_key(url) == hex_id.lower()
    assert canonical_url(canonical) == canonical


@given(schemes, kcna_hosts, ports, hex_ids.filter(lambda h: len(h) == 32), tails)
def test_current_story_urls_are_one_key_however_written(
    scheme: str, host: str, port: str, hex_id: str, tail: str
) -> None:
    url = f"{scheme}://{host}{port}/en/article/detail/{hex_id}{tail}"
    expected = f"http://www.kcna.kp/en/article/detail/{hex_id.lower()}"
    assert canonical_url(url) == expected + tail.split("#")[0].replace("b=2&a=1", "a=1&b=2")
    assert kcna_story_key(url) == hex_id.lower()


@given(st.text())
def test_key_functions_never_raise(text: str) -> None:
    for key in (kcna_story_key(text), kcna_category_key(text)):
        assert key is None or (len(key) in {32, 64} and key == key.lower())


@given(
    st.sampled_from(["detail", "list", "Detail", "q"]),
    hex_ids.filter(lambda h: len(h) == 32),
    st.sampled_from(["", "/", "\n", "?a=1", "x"]),
)
def test_story_urls_in_canonical_form_come_back_unchanged_by_either_path(
    kind: str, hex_id: str, tail: str
) -> None:
    # canonical_url answers a URL already in the site's canonical form without the full
    # canonicalisation; a leading space forces the full path (it strips the URL first).
    url = f"http://www.kcna.kp/en/article/{kind}/{hex_id}{tail}"
    assert canonical_url(url) == canonical_url(" " + url)
    assert kcna_story_key(url) == kcna_story_key(" " + url)
    if hex_id == hex_id.lower() and tail == "":
        assert canonical_url(url) == url


@given(
    st.sampled_from(
        [
            "http://www.kcna.kp/en/article/list/" + "ab" * 16,
            "http://www.kcna.kp/",
            "http://www.kcna.kp:8080/en",
            "https://www.kcna.kp/en",
            "https://kcnawatch.org/newstream/",
        ]
    ),
    st.sampled_from(["/en/article/detail/", "/en/article/list/", "/en/article/Detail/", "../"]),
    hex_ids.filter(lambda h: len(h) == 32),
    st.sampled_from(["", "/", "?a=1", "#x", "\n"]),
)
def test_a_listings_link_is_the_same_url_by_the_short_way_and_the_long(
    base: str, path: str, hex_id: str, tail: str
) -> None:
    # absolute_url answers a root-relative link of the site, on the site, without urljoin
    # and the full canonicalisation.
    href = f"{path}{hex_id}{tail}"
    assert absolute_url(base, href) == canonical_url(urljoin(base, href))
