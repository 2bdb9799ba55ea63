"""Canonical story URLs and the hex ids in kcna.kp URLs."""

import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

_DEFAULT_PORTS = {"http": 80, "https": 443}

# A path segment that is a kcna.kp hex id (32 or 64 digits), alone or with an extension
# (`<hex>.kcmsf`, photos under `/photo/<64hex>`). Ids are written in lower case on the site;
# an upper-case copy of a link must not become a second story.
_HEX_SEGMENT = re.compile(r"(?P<hex>[0-9a-fA-F]{64}|[0-9a-fA-F]{32})(?P<extension>\.[A-Za-z0-9]+)?")

# Story pages: the current layout (since July 2026) and the old one (32- or 64-digit ids).
_STORY_PATHS = (
    re.compile(r"/en/article/detail/(?P<hex>[0-9a-f]{32})/?", re.IGNORECASE),
    re.compile(r"/en/article/q/(?P<hex>[0-9a-f]{64}|[0-9a-f]{32})\.kcmsf", re.IGNORECASE),
)
# Category listings: current layout, old layout.
_CATEGORY_PATHS = (
    re.compile(r"/en/article/list/(?P<hex>[0-9a-f]{32})/?", re.IGNORECASE),
    re.compile(r"/en/category/articles/q/(?P<hex>[0-9a-f]{64}|[0-9a-f]{32})\.kcmsf", re.IGNORECASE),
)


def is_kcna_host(host: str) -> bool:
    """Whether ``host`` (lower case, no port) is kcna.kp or one of its subdomains."""
    return host == "kcna.kp" or host.endswith(".kcna.kp")


def _kcna_path(url: str) -> str | None:
    # The path of a kcna.kp URL, or of a root-relative link (`/en/article/detail/...`, as listings
    # print them); None for other hosts, other schemes and URLs that cannot be split.
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    if parts.scheme not in {"", "http", "https"}:
        return None
    if parts.netloc and not is_kcna_host(host):
        return None
    return parts.path


def _hex_key(url: str, patterns: tuple[re.Pattern[str], ...]) -> str | None:
    path = _kcna_path(url)
    if path is None:
        return None
    for pattern in patterns:
        match = pattern.fullmatch(path)
        if match is not None:
            return match["hex"].lower()
    return None


def _lowercase_hex_segments(path: str) -> str:
    segments = []
    for segment in path.split("/"):
        match = _HEX_SEGMENT.fullmatch(segment)
        if match is not None:
            segment = match["hex"].lower() + (match["extension"] or "")
        segments.append(segment)
    return "/".join(segments)


SITE = "http://www.kcna.kp"
"""The site's address as canonical URLs write it."""

# The path of a current-layout story or category as the site links it (lower-case hex id):
# after ``SITE``, a URL in canonical form already, answered without the full
# canonicalisation; the commonest URLs and links a crawl handles (tests check that both ways
# agree).
SITE_PATH = re.compile(r"/en/article/(?:detail|list)/[0-9a-f]{32}")
_STORY_PREFIX = f"{SITE}/en/article/detail/"


def _is_site_url(url: str) -> bool:
    """True for ``SITE`` followed by a ``SITE_PATH``: canonical as it stands."""
    return url.startswith(SITE) and SITE_PATH.fullmatch(url, len(SITE)) is not None


def is_site_story_url(url: str) -> bool:
    """True for a current-layout story URL that is canonical as it stands, as every listing of
    the site links its stories: ``http://www.kcna.kp/en/article/detail/<32 lower-case hex>``."""
    return url.startswith(_STORY_PREFIX) and _is_site_url(url)


def canonical_url(url: str) -> str:
    """Return the canonical form of `url`, used as the key of a story URL.

    For every URL (through `w3lib.url.canonicalize_url`): host lower-cased, fragment dropped, query
    arguments sorted (blank values kept as `a=`), percent-encoding normalised; then the default
    port (80 for http, 443 for https) is dropped. For http(s) URLs on kcna.kp hosts also: the
    scheme becomes `http` (the site answers plain HTTP only) and ports 80 and 443 go, `kcna.kp`
    becomes `www.kcna.kp`, a trailing dot on the host goes, and hex ids in the path (`<32hex>`,
    `<64hex>`, `<hex>.kcmsf`) are lower-cased. The rest of the path keeps its case (the server
    may tell `Article` from `article`) and its trailing slash.

    Raises ValueError for a URL without a scheme and host (resolve relative links first) or with an
    invalid port.
    """
    if _is_site_url(url):
        return url
    parts = urlsplit(canonicalize_url(url.strip()))
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"not an absolute URL: {url!r}")
    scheme, host, port, path = parts.scheme, parts.hostname, parts.port, parts.path
    if port == _DEFAULT_PORTS.get(scheme):
        port = None
    if scheme in _DEFAULT_PORTS and is_kcna_host(host.rstrip(".")):
        host = host.rstrip(".")
        if host == "kcna.kp":
            host = "www.kcna.kp"
        # `https://www.kcna.kp:443/` and `https://www.kcna.kp:80/` both mean the plain HTTP site.
        scheme = "http"
        if port in _DEFAULT_PORTS.values():
            port = None
        path = _lowercase_hex_segments(path)
    return urlunsplit(
        SplitResult(scheme, _netloc(parts, host, port), path, parts.query, fragment="")
    )


def _netloc(parts: SplitResult, host: str, port: int | None) -> str:
    # Rebuild user info, host and port; an IPv6 address needs its brackets back.
    userinfo, _, _ = parts.netloc.rpartition("@")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return f"{userinfo}@{netloc}" if userinfo else netloc


def kcna_story_key(url: str) -> str | None:
    """Return the lower-case hex id of a kcna.kp English story URL, else None.

    Recognises `/en/article/detail/<32hex>` (current layout) and `/en/article/q/<32 or 64
    hex>.kcmsf` (old layout), on any kcna.kp host and scheme, or as a root-relative path; query and
    fragment are ignored. Nobody has shown that an old-layout id equals the new-layout id of the
    same story: do not merge stories across layouts by this key alone.
    """
    if is_site_story_url(url):
        return url[len(_STORY_PREFIX) :]  # the site's own link, as every listing prints it
    return _hex_key(url, _STORY_PATHS)


def kcna_category_key(url: str) -> str | None:
    """Return the lower-case hex id of a kcna.kp English category listing URL, else None.

    Recognises `/en/article/list/<32hex>` (current layout) and
    `/en/category/articles/q/<32 or 64 hex>.kcmsf` (old layout); hosts, relative paths, query and
    fragment as for `kcna_story_key`. The old layout's later pages also use 64-hex ids there that
    name a page, not a category: this function cannot tell them apart.
    """
    return _hex_key(url, _CATEGORY_PATHS)
