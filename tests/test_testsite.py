"""The imitation of www.kcna.kp: a real server, reached through real HTTP as a proxy."""

from __future__ import annotations

import dataclasses
import email.message
import gzip
import http.client
import http.cookiejar
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import parsel
import pytest

from wirecrawl.pages.kcna_current import KcnaArticlePage
from wirecrawl.testsite import SiteServer, build_site, load_site, write_snapshot
from wirecrawl.testsite.__main__ import main
from wirecrawl.testsite.model import Site, Story, html_to_text
from wirecrawl.testsite.render import listing_date, render_blocked_page
from wirecrawl.testsite.server import BOMB_PADDING, HUGE_PADDING
from wirecrawl.testsite.snapshot import CSRF_PLACEHOLDER, article_path

LATEST_NEWS = "a666dda1282180e0ee1b4427b0574ae7"
LISTING = f"/en/article/list/{LATEST_NEWS}"
PER_PAGE = 5
SITE_ARGS = {"stories": 60, "categories": 4, "seed": 7}


@dataclasses.dataclass
class Response:
    """What the client got: status, decoded body and headers."""

    status: int
    text: str
    headers: email.message.Message


class _OnlyThroughProxy(urllib.request.HTTPHandler):
    """Refuses any connection but to the test server, so a test can never reach the internet."""

    def __init__(self, proxy_port: int) -> None:
        super().__init__()
        self.proxy_host = f"127.0.0.1:{proxy_port}"

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        assert req.host == self.proxy_host, f"refusing a direct connection to {req.host}"
        return super().http_open(req)


class Client:
    """A browser-like urllib client (cookies kept) that goes through the test server."""

    def __init__(self, server: SiteServer) -> None:
        self.jar = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": server.proxy_url}),
            _OnlyThroughProxy(server.port),
            urllib.request.HTTPCookieProcessor(self.jar),
        )

    def _open(self, request: urllib.request.Request) -> Response:
        try:
            with self._opener.open(request, timeout=5) as answer:
                return Response(answer.status, answer.read().decode(), answer.headers)
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, error.read().decode(), error.headers)

    def get(self, url: str) -> Response:
        return self._open(urllib.request.Request(_absolute(url)))

    def post(self, url: str, fields: dict[str, str | int]) -> Response:
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(_absolute(url), data=data, method="POST"))

    def session(self) -> str | None:
        return next((cookie.value for cookie in self.jar if cookie.name == "JSESSIONID"), None)


def _absolute(url: str) -> str:
    return url if url.startswith("http://") else f"http://www.kcna.kp{url}"


def entries(page: str) -> list[tuple[str, str]]:
    """(story id, printed date) of each listing entry, as a crawler would read them."""
    selector = parsel.Selector(page)
    found = []
    for entry in selector.css("main div.article"):
        href = entry.css("h5.block > a::attr(href)").get() or ""
        date = entry.css("span > nobr::text").re_first(r"\[\d{4}\.\d{1,2}\.\d{1,2}\.\]")
        found.append((href.removeprefix("/en/article/detail/"), date or ""))
    return found


def expected_entries(stories: list[Story]) -> list[tuple[str, str]]:
    return [(story.id, listing_date(story.published)) for story in stories]


def csrf_of(page: str) -> str:
    return parsel.Selector(page).css("#article_form input[name=_csrf]::attr(value)").get() or ""


def form(page_num: int, token: str, per_page: int = PER_PAGE) -> dict[str, str | int]:
    return {"page_num": page_num, "cnt_per_page": per_page, "keyword": "", "_csrf": token}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kcna")
    write_snapshot(build_site(**SITE_ARGS), root, per_page=PER_PAGE)
    return root


@pytest.fixture(scope="module")
def site(snapshot: Path) -> Site:
    return load_site(snapshot)


@pytest.fixture
def server(snapshot: Path) -> Iterator[SiteServer]:
    with SiteServer(snapshot) as running:
        yield running


@pytest.fixture
def client(server: SiteServer, monkeypatch: pytest.MonkeyPatch) -> Client:
    # urllib skips the proxy for hosts listed in no_proxy; the test must always use it.
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    return Client(server)


def test_first_page_opens_a_session_with_a_token(client: Client, site: Site) -> None:
    answer = client.get(LISTING)

    assert answer.status == 200
    cookie = answer.headers["Set-Cookie"]
    assert re.fullmatch(r"JSESSIONID=[0-9A-F]{32}; Path=/; HttpOnly", cookie)
    token = csrf_of(answer.text)
    assert token
    assert token != CSRF_PLACEHOLDER
    assert CSRF_PLACEHOLDER not in answer.text
    stories = site.stories_in(LATEST_NEWS)
    assert entries(answer.text) == expected_entries(stories[:PER_PAGE])
    pages = -(-len(stories) // PER_PAGE)
    assert (
        f"var total = {len(stories)}; var cur_page = 1; var per_page = {PER_PAGE}; "
        f"var page_cnt = {pages};"
    ) in answer.text
    selector = parsel.Selector(answer.text)
    assert selector.css("#article_form::attr(action)").get() == LISTING
    assert selector.css("#article_form::attr(method)").get() == "POST"
    fields = selector.css("#article_form input[type=hidden]::attr(name)").getall()
    assert fields == ["page_num", "cnt_per_page", "keyword", "_csrf"]


def test_each_get_of_a_listing_starts_a_new_session(client: Client, server: SiteServer) -> None:
    first = client.get(LISTING)
    first_session = client.session()
    second = client.get(LISTING)

    assert client.session() != first_session
    assert csrf_of(second.text) != csrf_of(first.text)
    assert server.session_count == 2


def test_next_page_with_session_and_token_lists_its_entries(client: Client, site: Site) -> None:
    token = csrf_of(client.get(LISTING).text)

    answer = client.post(LISTING, form(2, token))

    assert answer.status == 200
    stories = site.stories_in(LATEST_NEWS)
    assert entries(answer.text) == expected_entries(stories[PER_PAGE : 2 * PER_PAGE])
    assert "var cur_page = 2;" in answer.text
    # The page carries the same session's token, so the next POST can use either.
    assert csrf_of(answer.text) == token


def test_every_page_of_a_listing_together_lists_the_category(client: Client, site: Site) -> None:
    token = csrf_of(client.get(LISTING).text)
    stories = site.stories_in(LATEST_NEWS)
    pages = -(-len(stories) // PER_PAGE)

    listed = [
        entry
        for page in range(1, pages + 1)
        for entry in entries(client.post(LISTING, form(page, token)).text)
    ]

    assert listed == expected_entries(stories)


@pytest.mark.parametrize(
    "refusal",
    ["no-cookie", "wrong-token", "no-token", "past-last-page", "page-zero", "no-page-num"],
)
def test_refused_posts_get_200_and_an_empty_listing(
    client: Client, server: SiteServer, site: Site, refusal: str
) -> None:
    token = csrf_of(client.get(LISTING).text)
    last_page = -(-len(site.stories_in(LATEST_NEWS)) // PER_PAGE)
    fields = form(2, token)
    if refusal == "no-cookie":
        client = Client(server)
    elif refusal == "wrong-token":
        fields["_csrf"] = "00000000-0000-4000-8000-000000000000"
    elif refusal == "no-token":
        del fields["_csrf"]
    elif refusal == "past-last-page":
        fields["page_num"] = last_page + 1
    elif refusal == "page-zero":
        fields["page_num"] = 0
    else:
        del fields["page_num"]

    answer = client.post(LISTING, fields)

    assert answer.status == 200
    assert entries(answer.text) == []
    # Zero article links anywhere on the page: that is how a crawler tells a refusal.
    assert "/en/article/detail/" not in answer.text
    assert "var total = " in answer.text


def test_an_unknown_session_is_given_a_new_one(client: Client, server: SiteServer) -> None:
    token = csrf_of(client.get(LISTING).text)
    stranger = Client(server)

    answer = stranger.post(LISTING, form(2, token))

    assert entries(answer.text) == []
    assert stranger.session() is not None
    retried = stranger.post(LISTING, form(2, csrf_of(answer.text)))
    assert len(entries(retried.text)) == PER_PAGE


def test_cnt_per_page_is_not_capped(client: Client, site: Site) -> None:
    token = csrf_of(client.get(LISTING).text)
    stories = site.stories_in(LATEST_NEWS)

    answer = client.post(LISTING, form(1, token, per_page=1000))

    assert entries(answer.text) == expected_entries(stories)
    assert "var page_cnt = 1;" in answer.text
    assert entries(client.post(LISTING, form(2, token, per_page=1000)).text) == []


def test_fault_queue_is_consumed_one_request_at_a_time(
    client: Client, server: SiteServer, site: Site
) -> None:
    path = f"/en/article/detail/{site.stories[0].id}"
    server.add_fault(path, "500", "503", "404", "blocked")

    statuses = [client.get(path) for _ in range(6)]

    assert [answer.status for answer in statuses] == [500, 503, 404, 200, 200, 200]
    assert statuses[2].headers["Content-Type"].startswith("text/html")
    assert "Web Page Blocked" in statuses[3].text
    assert "<article>" not in statuses[3].text
    assert "<article>" in statuses[4].text


def test_a_fault_can_target_one_listing_page(client: Client, server: SiteServer) -> None:
    server.add_fault(LISTING, "500", page_num=2)
    token = csrf_of(client.get(LISTING).text)

    assert client.post(LISTING, form(3, token)).status == 200
    assert client.post(LISTING, form(2, token)).status == 500
    assert len(entries(client.post(LISTING, form(2, token)).text)) == PER_PAGE


@pytest.mark.parametrize("behaviour", ["empty", "drop-session"])
def test_session_faults_give_an_empty_listing_once(
    client: Client, server: SiteServer, behaviour: str
) -> None:
    token = csrf_of(client.get(LISTING).text)
    server.add_fault(LISTING, behaviour)

    refused = client.post(LISTING, form(2, token))
    again = client.post(LISTING, form(2, token))

    assert refused.status == 200
    assert entries(refused.text) == []
    if behaviour == "empty":
        assert len(entries(again.text)) == PER_PAGE
    else:
        # The session is gone: only a fresh page 1 (or the refusal's new token) helps.
        assert entries(again.text) == []
        assert len(entries(client.post(LISTING, form(2, csrf_of(again.text))).text)) == PER_PAGE


def test_unknown_fault_behaviours_are_rejected(server: SiteServer) -> None:
    with pytest.raises(ValueError, match="unknown behaviours"):
        server.add_fault("/robots.txt", "teapot")


def test_faults_are_read_from_faults_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    write_snapshot(build_site(stories=3, categories=1, seed=1), tmp_path)
    (tmp_path / "faults.json").write_text(json.dumps({"/robots.txt": ["503", "ok", "500"]}))

    with SiteServer(tmp_path) as server:
        client = Client(server)
        statuses = [client.get("/robots.txt").status for _ in range(4)]

    assert statuses == [503, 200, 500, 200]


@pytest.mark.parametrize(
    ("fault", "content_type"),
    [("truncated", "text/html;charset=UTF-8"), ("truncated-text", "text/plain; charset=utf-8")],
)
def test_truncated_fault_cuts_the_body_without_saying_so(
    server: SiteServer, site: Site, fault: str, content_type: str
) -> None:
    path = f"/en/article/detail/{site.stories[0].id}"
    server.add_fault(path, fault)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", f"http://www.kcna.kp{path}")
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()

    assert answer.status == 200
    assert answer.getheader("Content-Type") == content_type
    assert answer.getheader("Content-Length") is None
    assert b"</html>" not in body
    assert body.startswith(b"<!DOCTYPE html>")


def test_request_log_records_what_was_asked(client: Client, server: SiteServer, site: Site) -> None:
    token = csrf_of(client.get(LISTING).text)
    session = client.session()
    client.post(LISTING, form(2, token))
    client.get(f"/en/article/detail/{site.stories[0].id}")

    records = server.requests
    listing = server.requests_for("/en/article/list/")

    assert [(r.method, r.page_num, r.status) for r in records] == [
        ("GET", None, 200),
        ("POST", 2, 200),
        ("GET", None, 200),
    ]
    assert listing == records[:2]
    assert records[0].session is None
    assert records[1].session == session
    assert records[1].form["_csrf"] == token
    assert records[1].url == f"http://www.kcna.kp{LISTING}"
    assert records[0].time <= records[1].time <= records[2].time
    assert server.requests_for("/en/article/detail/") == records[2:]


def test_other_hosts_are_refused_and_recorded(client: Client, server: SiteServer) -> None:
    answer = client.get("http://example.com/index.html")

    assert answer.status == 502
    [record] = server.requests
    assert (record.host, record.path, record.status) == ("example.com", "/index.html", 502)


@pytest.mark.parametrize(
    ("method", "target"),
    [("CONNECT", "www.kcna.kp:443"), ("GET", "https://www.kcna.kp/robots.txt")],
    ids=["connect", "https"],
)
def test_https_and_tunnels_are_refused(server: SiteServer, method: str, target: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request(method, target)
        status = connection.getresponse().status
    finally:
        connection.close()

    assert status == 502
    [record] = server.requests
    assert (record.method, record.host, record.status) == (method, "www.kcna.kp", 502)


@pytest.mark.parametrize(
    ("host", "status"),
    [("www.kcna.kp", 200), ("kcna.kp:80", 200), ("www.example.org", 502)],
    ids=["www", "bare-with-port", "other"],
)
def test_origin_form_requests_use_the_host_header(
    server: SiteServer, host: str, status: int
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", "/robots.txt", headers={"Host": host})
        answer = connection.getresponse()
        body = answer.read().decode()
    finally:
        connection.close()

    assert answer.status == status
    if status == 200:
        assert body.startswith("User-agent: *")


@pytest.mark.parametrize(
    "path",
    [
        "/en/article/list/ffffffffffffffffffffffffffffffff",
        "/en/article/detail/ffffffffffffffffffffffffffffffff",
        "/en/article/detail/not-an-id",
        "/en/gallery/detail/ffffffffffffffffffffffffffffffff",
    ],
    ids=["category", "story", "bad-id", "gallery"],
)
def test_unknown_pages_are_404(client: Client, path: str) -> None:
    assert client.get(path).status == 404


def test_article_page_has_the_current_layout(client: Client, site: Site) -> None:
    story = next(s for s in site.stories if len(s.captions) > 1 and "fSpecCs" in s.title_html)

    answer = client.get(f"/en/article/detail/{story.id}")

    selector = parsel.Selector(answer.text)
    container = selector.css("main > article > div.container")
    assert selector.css("title::text").get() == f"KCNA | {story.title}"
    headline = container.css("h1.text-center.text-danger")
    assert headline.xpath("string()").get() == story.title
    assert headline.css("nobr > span.fSpecCs::text").get() in {
        "Kim Jong Un",
        "Kim Il Sung",
        "Kim Jong Il",
    }
    assert container.xpath("./h1[2]/text()").get() is None
    body = [p.xpath("string()").get() for p in container.xpath("./p")]
    assert body == story.paragraphs
    captions = [p.xpath("string()").get() for p in container.css("div.photo > p")]
    assert captions == [html_to_text(caption) for caption in story.captions]
    assert not set(captions) & set(body)
    assert container.css("a.gallery_button::attr(href)").re(r"^/en/gallery/detail/[0-9a-f]{32}$")
    # No date anywhere: the crawler must take it from the listing.
    assert not re.search(r"\d{4}\.\d{1,2}\.\d{1,2}|\d{4}-\d{2}-\d{2}", answer.text)


def test_every_page_menu_links_the_categories(client: Client, site: Site) -> None:
    for path in ("/en", LISTING, f"/en/article/detail/{site.stories[0].id}"):
        selector = parsel.Selector(client.get(path).text)
        menu = selector.css("nav.site-menu a::attr(href)").re(r"^/en/article/list/([0-9a-f]{32})$")

        assert menu == [category.id for category in site.categories], path


def test_blocked_page_has_no_article() -> None:
    page = render_blocked_page("http://www.kcna.kp/en")

    assert "Web Page Blocked" in page
    assert "<article" not in page
    assert 'div class="article"' not in page


def _fetch_robots(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "http://www.kcna.kp/robots.txt")
        connection.getresponse().read()
    finally:
        connection.close()


def test_delay_slows_every_answer(snapshot: Path) -> None:
    with SiteServer(snapshot, delay=0.1) as server:
        started = time.monotonic()
        _fetch_robots(server.port)
        elapsed = time.monotonic() - started

    assert elapsed >= 0.1


def test_peak_in_flight_counts_requests_answered_at_one_time(snapshot: Path) -> None:
    with SiteServer(snapshot, delay=0.3) as server:
        _fetch_robots(server.port)
        _fetch_robots(server.port)
        one_after_another = server.peak_in_flight

        server.clear_requests()
        clients = [threading.Thread(target=_fetch_robots, args=(server.port,)) for _ in range(2)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        side_by_side = server.peak_in_flight

    assert one_after_another == 1
    assert side_by_side == 2


def test_build_site_is_deterministic() -> None:
    assert build_site(**SITE_ARGS) == build_site(**SITE_ARGS)
    assert build_site(**SITE_ARGS) != build_site(**{**SITE_ARGS, "seed": 8})


def test_generated_stories_carry_the_site_quirks() -> None:
    site = build_site(stories=300, categories=10, seed=1)
    stories = site.stories
    firsts = [story.paragraphs[0] for story in stories]

    boundary = [s for s in stories if s.paragraphs[0].startswith("Pyongyang, December 31 (KCNA)")]
    assert any(s.published.isoformat() == "2026-01-01" for s in boundary)
    assert sum("(KCNA)" not in first for first in firsts) >= 10
    assert any(re.match(r"(Moscow|Beijing|Havana|Hanoi|Minsk|Cairo|Jakarta)", f) for f in firsts)
    assert sum("<nobr><span class='fSpecCs'>" in s.title_html for s in stories) >= 10
    assert sum("fSpecCs" in "".join(s.paragraphs_html) for s in stories) >= 10
    assert all(s.paragraphs[-1].endswith("-0-") for s in stories)
    assert sum(s.paragraphs_html[-1] == "-0-" for s in stories) >= 10
    assert sum(bool(s.captions) for s in stories) >= 20
    assert sum(len(s.categories) == 2 for s in stories) >= 20
    assert all(3 <= len([p for p in s.paragraphs if p != "-0-"]) <= 12 for s in stories)
    assert len({(s.title, s.published) for s in stories}) == len(stories)
    assert len({s.id for s in stories}) == len(stories)
    assert [s.published for s in stories] == sorted(s.published for s in stories)


def test_snapshot_round_trips_through_site_json(snapshot: Path, site: Site) -> None:
    assert site == build_site(**SITE_ARGS)
    data = json.loads((snapshot / "site.json").read_text())
    first = data["stories"][0]
    assert first["title"] == site.stories[0].title
    assert "<" not in "".join(s["title"] for s in data["stories"])
    assert first["published"] == site.stories[0].published.isoformat()
    assert first["paragraphs"] == site.stories[0].paragraphs


def test_cli_generate_writes_a_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", "--root", str(tmp_path), "--stories", "12", "--categories", "2"]

    assert main([*argv, "--seed", "3", "--per-page", "4"]) == 0

    assert load_site(tmp_path) == build_site(stories=12, categories=2, seed=3)
    assert "12 stories" in capsys.readouterr().out
    assert (tmp_path / "www.kcna.kp" / "robots.txt").exists()


def test_cli_serve_prints_the_proxy_url_and_stops_on_sigterm(snapshot: Path) -> None:
    command = [sys.executable, "-m", "wirecrawl.testsite", "serve", "--root", str(snapshot)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        port = int(urllib.parse.urlsplit(line).port or 0)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "http://www.kcna.kp/robots.txt")
            status = connection.getresponse().status
        finally:
            connection.close()
        process.terminate()
        assert process.wait(timeout=5) == 0

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", line)
    assert status == 200


# --- network and site faults (see BEHAVIOURS in wirecrawl/testsite/server.py) -------------


def raw_exchange(server: SiteServer, path: str, timeout: float = 1.0) -> tuple[str, bytes, str]:
    """GET through the proxy on a bare socket; read the whole body, or until the connection
    ends, is reset or stays silent for `timeout`.

    Returns the header block, the body bytes and how the reading ended: "complete" (all of
    the Content-Length), "eof", "reset" or "timeout".
    """
    request = f"GET http://www.kcna.kp{path} HTTP/1.1\r\nHost: www.kcna.kp\r\n\r\n".encode()
    data, ending = b"", "eof"
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(1 << 20):
                data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = header(head.decode("latin-1"), "Content-Length")
                if length is not None and len(body) >= int(length):
                    ending = "complete"
                    break
        except TimeoutError:
            ending = "timeout"
        except ConnectionResetError:
            ending = "reset"
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body, ending


def header(head: str, name: str) -> str | None:
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


@pytest.fixture
def story_page(server: SiteServer, site: Site, snapshot: Path) -> tuple[str, bytes]:
    """The path of a story with photo captions, and its page as normally served."""
    story = next(s for s in site.stories if s.captions)
    return f"/en/article/detail/{story.id}", article_path(snapshot, story.id).read_bytes()


def test_hang_headers_answers_nothing_until_the_client_leaves(
    server: SiteServer, story_page: tuple[str, bytes]
) -> None:
    path, _ = story_page
    server.add_fault(path, "hang-headers")

    head, body, ending = raw_exchange(server, path, timeout=0.5)

    assert (head, body, ending) == ("", b"", "timeout")
    assert [r.status for r in server.requests] == [0]
    # The client left; the server goes on answering.
    assert raw_exchange(server, "/robots.txt", timeout=0.5)[0].startswith("HTTP/1.1 200")


@pytest.mark.parametrize(
    ("behaviour", "ending"),
    [
        pytest.param("hang-body", "timeout", id="hang-body"),
        pytest.param("short", "eof", id="short"),
        pytest.param("reset", "reset", id="reset"),
    ],
)
def test_half_a_body_after_a_content_length_for_all_of_it(
    server: SiteServer, story_page: tuple[str, bytes], behaviour: str, ending: str
) -> None:
    path, page = story_page
    server.add_fault(path, behaviour)

    head, body, how = raw_exchange(server, path, timeout=0.5)

    assert head.startswith("HTTP/1.1 200")
    assert header(head, "Content-Length") == str(len(page))
    assert body == page[: len(page) // 2]
    assert how == ending


def test_truncated_gzip_is_a_cut_gzip_stream_without_length(
    server: SiteServer, story_page: tuple[str, bytes]
) -> None:
    path, page = story_page
    server.add_fault(path, "truncated-gzip")

    head, body, ending = raw_exchange(server, path)

    assert ending == "eof"
    assert header(head, "Content-Encoding") == "gzip"
    assert header(head, "Content-Length") is None
    with pytest.raises(EOFError):
        gzip.decompress(body)
    inflated = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body)
    assert 0 < len(inflated) < len(page)
    assert page.startswith(inflated)


@pytest.mark.parametrize(
    ("behaviour", "status", "name", "value"),
    [
        pytest.param("429", 429, "Retry-After", "2", id="429"),
        pytest.param("redirect-loop", 302, "Location", "http://www.kcna.kp{path}", id="loop"),
        pytest.param(
            "redirect-offsite", 302, "Location", "http://www.example.com{path}", id="offsite"
        ),
    ],
)
def test_status_faults(
    client: Client,
    server: SiteServer,
    story_page: tuple[str, bytes],
    behaviour: str,
    status: int,
    name: str,
    value: str,
) -> None:
    path, _ = story_page
    server.add_fault(path, behaviour)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", f"http://www.kcna.kp{path}")
        answer = connection.getresponse()
        answer.read()
    finally:
        connection.close()

    assert answer.status == status
    assert answer.getheader(name) == value.format(path=path)
    assert client.get(path).status == 200  # one request each, then the page again


@pytest.mark.parametrize(
    ("behaviour", "content_type"),
    [
        pytest.param("wrong-type", "image/png", id="wrong-type"),
        pytest.param("octet-stream", "application/octet-stream", id="octet-stream"),
        pytest.param("wrong-charset", "text/html;charset=iso-8859-1", id="wrong-charset"),
        pytest.param("no-charset", "text/html", id="no-charset"),
    ],
)
def test_mislabelled_pages_keep_their_utf8_bytes(
    server: SiteServer, story_page: tuple[str, bytes], behaviour: str, content_type: str
) -> None:
    path, page = story_page
    server.add_fault(path, behaviour)

    head, body, _ = raw_exchange(server, path, timeout=0.5)

    assert header(head, "Content-Type") == content_type
    assert "조선어".encode() in body  # the language bar: the page is UTF-8, not ASCII
    if behaviour == "no-charset":
        assert b"charset" not in body.lower()
        assert body == page.replace(b'<meta charset="utf-8">\n', b"")
    else:
        assert body == page


def test_huge_adds_a_paragraph_past_any_small_maxsize(
    server: SiteServer, story_page: tuple[str, bytes]
) -> None:
    path, page = story_page
    server.add_fault(path, "huge")

    head, body, _ = raw_exchange(server, path, timeout=2)

    assert int(header(head, "Content-Length") or 0) == len(body) > HUGE_PADDING
    normal = KcnaArticlePage("http://www.kcna.kp" + path, page.decode())
    padded = KcnaArticlePage("http://www.kcna.kp" + path, body.decode())
    assert padded.paragraphs() == [*normal.paragraphs(), "A" * HUGE_PADDING]


def test_gzip_bomb_is_small_on_the_wire_and_inflates_past_16_mib(
    server: SiteServer, story_page: tuple[str, bytes]
) -> None:
    path, _ = story_page
    server.add_fault(path, "gzip-bomb")

    head, body, _ = raw_exchange(server, path, timeout=5)

    assert header(head, "Content-Encoding") == "gzip"
    assert int(header(head, "Content-Length") or 0) == len(body) < 100_000
    assert len(gzip.decompress(body)) > BOMB_PADDING > 16 * 1024 * 1024


@pytest.mark.parametrize("behaviour", ["no-title", "no-paragraphs"])
def test_article_faults_take_away_what_makes_an_article(
    client: Client, server: SiteServer, story_page: tuple[str, bytes], behaviour: str
) -> None:
    path, page = story_page
    server.add_fault(path, behaviour)

    answer = client.get(path)

    url = "http://www.kcna.kp" + path
    normal, broken = KcnaArticlePage(url, page.decode()), KcnaArticlePage(url, answer.text)
    assert answer.status == 200
    assert not broken.is_article()
    if behaviour == "no-title":
        assert broken.title() == ""
        assert broken.paragraphs() == normal.paragraphs()
    else:
        assert broken.paragraphs() == []
        assert broken.title() == normal.title()
        assert 'class="photo"' in answer.text  # captions stay


def test_faults_change_only_ok_answers(client: Client, server: SiteServer) -> None:
    missing = "/en/article/detail/ffffffffffffffffffffffffffffffff"
    server.add_fault(missing, "wrong-type", "huge")

    first, second = client.get(missing), client.get(missing)

    assert (first.status, second.status) == (404, 404)
    assert first.headers["Content-Type"].startswith("text/html")
    assert len(second.text) < 1000
