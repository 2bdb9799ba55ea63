"""`SiteServer`: the snapshot served over real HTTP, posing as an HTTP proxy to www.kcna.kp.

The crawler is pointed at it the way it is pointed at a real proxy (`http_proxy`, or
`meta["proxy"]`), so requests arrive in absolute form, `GET http://www.kcna.kp/en/... HTTP/1.1`;
origin-form requests with a Host header are accepted too. Nothing is ever forwarded: a request
for any other host is answered 502 and recorded, so a test can prove the crawl stayed home.

Behaviour copied from the real site (kcna-site.md):
- `GET /en/article/list/<category>` starts a new session (`JSESSIONID` cookie) and prints page 1
  with a `_csrf` token bound to that session;
- `POST` to the same URL with `page_num` and the session's cookie and token prints that page;
  a missing or unknown session, a wrong token or a page past the end is answered 200 with an
  empty listing (no article links), never with an error status;
- `cnt_per_page` is honoured whatever its size.

Faults are queued per path (`add_fault`, or `root/faults.json`) and consumed one per request.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import secrets
import select
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from wirecrawl.testsite.model import HEX32, Site
from wirecrawl.testsite.render import (
    render_blocked_page,
    render_empty_listing,
    render_error_page,
)
from wirecrawl.testsite.snapshot import (
    CSRF_PLACEHOLDER,
    FAULTS_JSON,
    SITE_HOST,
    article_path,
    listing_page_path,
    load_site,
    page_count,
    render_listing_page,
    site_dir,
    snapshot_per_page,
)

SERVED_HOSTS = frozenset({"www.kcna.kp", "kcna.kp"})
"""Hosts the server answers for; every other host gets 502."""

BEHAVIOURS = frozenset(
    {
        "ok", "500", "503", "404", "429", "blocked", "empty", "drop-session",
        "truncated", "truncated-gzip", "truncated-text", "short", "reset", "hang-headers",
        "hang-body", "redirect-loop", "redirect-offsite", "redirect-https", "wrong-type",
        "octet-stream", "wrong-charset", "no-charset", "huge", "huge-headers", "gzip-bomb",
        "no-title", "no-paragraphs",
    }
)  # fmt: skip
"""What a queued fault can do to one request:

- `ok`: answer normally;
- `500`, `503`, `404`: answer with that status and an error page (503 with `Retry-After: 5`);
- `429`: 429 Too Many Requests with `Retry-After: 2` (`RETRY_AFTER_SECONDS`);
- `blocked`: 200 with a network filter's "Web Page Blocked" page;
- `empty`: 200 with an empty listing (on a listing path) or an empty page, even for a good session;
- `drop-session`: forget the request's session first, so a listing POST gets the empty listing;
- `truncated`: 200 with half the body, no Content-Length, and the connection closed;
- `truncated-text`: `truncated`, the page labelled `text/plain; charset=utf-8`;
- `truncated-gzip`: the body gzipped (`Content-Encoding: gzip`), no Content-Length, the gzip
  stream cut in half and the connection closed;
- `short`: a Content-Length for the whole body, half of it sent, the connection closed;
- `reset`: a Content-Length for the whole body, half of it sent, then a TCP reset;
- `hang-headers`: read the request and answer nothing, until the client hangs up;
- `hang-body`: send the headers and half the body, then nothing, until the client hangs up;
- `redirect-loop`: 302 to the very URL asked for (queue it many times for a real loop);
- `redirect-offsite`: 302 to the same path on another host (`OFFSITE_HOST`);
- `redirect-https`: 302 to the same URL over https (which the site does not speak);
- `wrong-type`, `octet-stream`: the page, labelled `image/png` or `application/octet-stream`;
- `wrong-charset`: the page (UTF-8) labelled `text/html;charset=iso-8859-1`;
- `no-charset`: the page labelled `text/html`, its `<meta charset>` removed;
- `huge`: the page with a paragraph of `HUGE_PADDING` bytes added (Content-Length given);
- `huge-headers`: the page with `HUGE_HEADERS` bytes of header lines (8,000 bytes each);
- `gzip-bomb`: the page with a paragraph of `BOMB_PADDING` bytes added, gzipped: a few
  tens of KB on the wire;
- `no-title`: the article page with its headline emptied (`<h1>` and `<title>`);
- `no-paragraphs`: the article page without its body paragraphs (captions stay).

The page-changing faults (`wrong-type` to `no-paragraphs`) only change 200 answers.
"""

RETRY_AFTER_SECONDS = 2
"""The `Retry-After` a `429` fault sends."""
OFFSITE_HOST = "www.example.com"
"""Where `redirect-offsite` sends the client."""
HUGE_PADDING = 2 * 1024 * 1024
"""Bytes a `huge` fault adds to a page: past any `DOWNLOAD_MAXSIZE` a test sets below it."""
HUGE_HEADERS = 4 * 1024 * 1024
"""Bytes of header lines a `huge-headers` fault sends with a page."""
BOMB_PADDING = 32 * 1024 * 1024
"""Bytes a `gzip-bomb` page inflates by: twice wirecrawl's `DOWNLOAD_MAXSIZE` of 16 MiB."""
HANG_LIMIT = 120.0
"""Longest a `hang-*` fault holds a connection when the client never gives up."""

# Faults that change how the answer goes over the wire rather than what it says; the first
# send no Content-Length and close the connection after half the body.
_CUT_WITHOUT_LENGTH = frozenset({"truncated", "truncated-gzip", "truncated-text"})
_WIRE_FAULTS = _CUT_WITHOUT_LENGTH | {"short", "reset", "hang-headers", "hang-body"}
_CONTENT_TYPES = {
    "wrong-type": "image/png",
    "octet-stream": "application/octet-stream",
    "wrong-charset": "text/html;charset=iso-8859-1",
    "no-charset": "text/html",
}
_META_CHARSET = re.compile(rb"<meta charset=[\"']?[\w-]+[\"']?\s*/?>\n?", re.IGNORECASE)
_HEADLINE = re.compile(rb"(<h1 class=\"text-center text-danger\">).*?(</h1>)", re.DOTALL)
_TITLE = re.compile(rb"(<title>).*?(</title>)", re.DOTALL)
# render_article prints each body paragraph on a line of its own; captions sit in div.photo.
_BODY_PARAGRAPH = re.compile(rb"^<p>.*</p>\n", re.MULTILINE)
_CONTAINER_END = b"\n</div>\n</article>"

SESSION_COOKIE = "JSESSIONID"
_HTML = "text/html;charset=UTF-8"
_LISTING_PREFIX = "/en/article/list/"
_DETAIL_PREFIX = "/en/article/detail/"


@dataclass(frozen=True, kw_only=True)
class RequestRecord:
    """One request the server received, with what it answered."""

    method: str
    """GET, POST, HEAD or CONNECT."""
    url: str
    """Absolute URL as requested (`http://www.kcna.kp/en/...`), query included."""
    host: str
    """Host asked for, lower case, without port."""
    path: str
    """Path without query, e.g. `/en/article/list/<id>`; `host:port` for a CONNECT."""
    page_num: int | None
    """The form's `page_num` on a POST, as an int; None when absent or not a number."""
    session: str | None
    """The `JSESSIONID` cookie the request carried, if any."""
    status: int
    """HTTP status answered; 0 when the server never answered (`hang-headers`)."""
    time: float
    """`time.monotonic()` when the request arrived."""
    form: dict[str, str] = field(default_factory=dict)
    """The POST form fields (first value of each)."""


@dataclass(kw_only=True)
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = _HTML
    headers: list[tuple[str, str]] = field(default_factory=list)
    wire: str = "ok"
    """How the answer goes over the wire: "ok" or one of `_WIRE_FAULTS`."""


@dataclass(frozen=True, kw_only=True)
class _Incoming:
    method: str
    scheme: str
    url: str
    host: str
    path: str
    session: str | None
    form: dict[str, str]


def _fault_key(path: str, page_num: int | None) -> tuple[str, int | None]:
    # Accept a full URL too, and "<path>?page_num=N" as in faults.json.
    parts = urlsplit(path)
    if parts.query.startswith("page_num="):
        page_num = int(parts.query.removeprefix("page_num="))
    return (parts.path or "/", page_num)


def _padded(body: bytes, size: int) -> bytes:
    """The page with a paragraph of `size` bytes more: in the article's body if it has one."""
    padding = b"<p>" + b"A" * size + b"</p>"
    if _CONTAINER_END in body:
        return body.replace(_CONTAINER_END, b"\n" + padding + _CONTAINER_END, 1)
    return body.replace(b"</body>", padding + b"</body>", 1)


def _with_page_fault(reply: _Reply, behaviour: str) -> _Reply:
    """A 200 answer changed by a fault; other answers and behaviours as they are."""
    if reply.status != 200:
        return reply
    if behaviour in _WIRE_FAULTS:
        reply.wire = behaviour
    elif behaviour in _CONTENT_TYPES:
        reply.content_type = _CONTENT_TYPES[behaviour]
        if behaviour == "no-charset":
            reply.body = _META_CHARSET.sub(b"", reply.body)
    elif behaviour == "huge":
        reply.body = _padded(reply.body, HUGE_PADDING)
    elif behaviour == "gzip-bomb":
        reply.body = gzip.compress(_padded(reply.body, BOMB_PADDING), compresslevel=9)
        reply.headers.append(("Content-Encoding", "gzip"))
    elif behaviour == "no-title":
        reply.body = _HEADLINE.sub(rb"\1\2", reply.body)
        reply.body = _TITLE.sub(rb"\1KCNA | \2", reply.body)
    elif behaviour == "no-paragraphs":
        reply.body = _BODY_PARAGRAPH.sub(b"", reply.body)
    elif behaviour == "huge-headers":
        line = "x" * 8000
        count = HUGE_HEADERS // len(line)
        reply.headers.extend((f"X-Padding-{n}", line) for n in range(count))
    return reply


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def proxy_env(proxy_url: str) -> dict[str, str]:
    """This process's environment with every proxy variable replaced: ``http_proxy`` and
    ``https_proxy`` both ``proxy_url``, no ``no_proxy`` or ``all_proxy``. A crawl run with it
    sends every request to the local server, whatever URL it names (the server refuses what it
    does not serve): nothing leaves the machine, whatever proxies the user's shell sets."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in {"http_proxy", "https_proxy", "no_proxy", "all_proxy"}
    }
    env["http_proxy"] = env["https_proxy"] = proxy_url
    return env


class SiteServer:
    """A threaded HTTP server on 127.0.0.1 that serves a snapshot as if it were www.kcna.kp.

    Use as a context manager (`with SiteServer(root) as server: server.proxy_url`) or call
    `start()` and `stop()`. Thread-safe: tests may add faults and read the request log while
    a crawl runs.
    """

    def __init__(
        self,
        root: Path,
        *,
        port: int = 0,
        delay: float = 0.0,
        verbose: bool = False,
    ) -> None:
        """Serve the snapshot at `root` on `port` (0: any free port), `delay` s per response."""
        self.root = Path(root)
        self.delay = delay
        self.verbose = verbose
        self._port = port
        self._site: Site = load_site(self.root)
        # Listings in order, computed once: the model does not change while serving.
        self._listed = {c.id: self._site.stories_in(c.id) for c in self._site.categories}
        self._per_page = snapshot_per_page(self.root)
        self._lock = threading.Lock()
        self._sessions: dict[str, str] = {}
        self._faults: dict[tuple[str, int | None], deque[str]] = {}
        self._requests: list[RequestRecord] = []
        self._in_flight = 0
        self._peak_in_flight = 0
        self._httpd: _ProxyHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Set by stop(): ends the hang-* faults at once.
        self.stopping = threading.Event()
        self._load_faults_file()

    # Life cycle

    def start(self) -> SiteServer:
        """Bind and serve in a background thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("server already started")
        httpd = _ProxyHTTPServer(("127.0.0.1", self._port), _Handler)
        httpd.site = self
        self.stopping.clear()
        self._httpd = httpd
        self._thread = threading.Thread(
            # A short poll interval keeps stop() (and so every test's teardown) quick.
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"testsite:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and wait for the handler threads."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self.stopping.set()
        httpd.shutdown()
        # Idle keep-alive connections would hold their threads (and server_close) forever.
        httpd.close_open_connections()
        httpd.server_close()
        thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port bound; only valid once started."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def proxy_url(self) -> str:
        """`http://127.0.0.1:PORT`, to give the crawler as its HTTP proxy."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def site(self) -> Site:
        """The model of the snapshot served (from `root/site.json`)."""
        return self._site

    # Request log

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, path_prefix: str) -> list[RequestRecord]:
        """The requests whose path starts with `path_prefix`, in arrival order."""
        return [record for record in self.requests if record.path.startswith(path_prefix)]

    def clear_requests(self) -> None:
        """Forget the request log (and the peak of requests in flight)."""
        with self._lock:
            self._requests.clear()
            self._peak_in_flight = self._in_flight

    @property
    def peak_in_flight(self) -> int:
        """The most requests the server was answering at one time (from reading a request to
        the end of its answer), since it started or the log was last cleared: 1 for a client
        that waits for each answer before it sends the next request."""
        with self._lock:
            return self._peak_in_flight

    def _begin_answer(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)

    def _end_answer(self) -> None:
        with self._lock:
            self._in_flight -= 1

    @property
    def session_count(self) -> int:
        """How many sessions the server knows."""
        with self._lock:
            return len(self._sessions)

    # Faults

    def add_fault(self, path: str, *behaviours: str, page_num: int | None = None) -> None:
        """Queue behaviours for the next requests to `path`, one per request, then "ok".

        With `page_num`, only listing requests for that page consume them (a GET of a
        listing counts as page 1); such a queue is used before the path's general one.
        `path` may also be written `<path>?page_num=N`.
        """
        unknown = [behaviour for behaviour in behaviours if behaviour not in BEHAVIOURS]
        if unknown:
            raise ValueError(f"unknown behaviours {unknown}; known: {sorted(BEHAVIOURS)}")
        key = _fault_key(path, page_num)
        with self._lock:
            self._faults.setdefault(key, deque()).extend(behaviours)

    def _load_faults_file(self) -> None:
        faults_file = self.root / FAULTS_JSON
        if not faults_file.exists():
            return
        data = json.loads(faults_file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{faults_file} must hold an object of path: [behaviours]")
        for path, behaviours in data.items():
            self.add_fault(str(path), *(str(behaviour) for behaviour in behaviours))

    def _next_behaviour(self, path: str, page_num: int | None) -> str:
        with self._lock:
            # A queue for this very page first, then the path's general queue.
            for key in ((path, page_num), (path, None)):
                queue = self._faults.get(key)
                if queue:
                    return queue.popleft()
        return "ok"

    # Sessions

    def _new_session(self) -> tuple[str, str]:
        # Tomcat-like session id, Spring-like token (a UUID).
        session, token = secrets.token_hex(16).upper(), str(uuid.uuid4())
        with self._lock:
            self._sessions[session] = token
        return session, token

    def _token_of(self, session: str | None) -> str | None:
        if session is None:
            return None
        with self._lock:
            return self._sessions.get(session)

    def _forget_session(self, session: str | None) -> None:
        if session is not None:
            with self._lock:
                self._sessions.pop(session, None)

    # Answers

    def _record(self, incoming: _Incoming, status: int, arrived: float) -> None:
        record = RequestRecord(
            method=incoming.method,
            url=incoming.url,
            host=incoming.host,
            path=incoming.path,
            page_num=_int_or_none(incoming.form.get("page_num")),
            session=incoming.session,
            status=status,
            time=arrived,
            form=dict(incoming.form),
        )
        with self._lock:
            self._requests.append(record)

    def _respond(self, incoming: _Incoming) -> _Reply:
        """Decide the answer to one request; no I/O but reading snapshot files."""
        if incoming.scheme != "http" or incoming.host not in SERVED_HOSTS:
            # Never forwarded: this proxy reaches nothing but its own snapshot.
            text = f"Bad Gateway: the test site does not serve {incoming.host or '(no host)'}\n"
            return _Reply(status=502, body=text.encode(), content_type="text/plain")
        listing_id = self._listing_id(incoming.path)
        page_num = _int_or_none(incoming.form.get("page_num"))
        if listing_id is not None and incoming.method != "POST":
            page_num = 1
        behaviour = self._next_behaviour(incoming.path, page_num)
        if behaviour in {"500", "503", "404"}:
            status = int(behaviour)
            headers = [("Retry-After", "5")] if status == 503 else []
            return self._error(status, headers=headers)
        if behaviour == "429":
            return self._error(429, headers=[("Retry-After", str(RETRY_AFTER_SECONDS))])
        if behaviour == "redirect-loop":
            return _Reply(status=302, headers=[("Location", incoming.url)])
        if behaviour == "redirect-offsite":
            location = f"http://{OFFSITE_HOST}{incoming.path}"
            return _Reply(status=302, headers=[("Location", location)])
        if behaviour == "redirect-https":
            location = "https://" + incoming.url.removeprefix("http://")
            return _Reply(status=302, headers=[("Location", location)])
        if behaviour == "blocked":
            return _Reply(status=200, body=render_blocked_page(incoming.url).encode())
        if behaviour == "drop-session":
            self._forget_session(incoming.session)
        if behaviour == "empty" and listing_id is None:
            return _Reply(status=200, body=b"")
        if listing_id is not None:
            reply = self._listing(incoming, listing_id, force_empty=behaviour == "empty")
        else:
            reply = self._static(incoming)
        return _with_page_fault(reply, behaviour)

    @staticmethod
    def _listing_id(path: str) -> str | None:
        if not path.startswith(_LISTING_PREFIX):
            return None
        rest = path.removeprefix(_LISTING_PREFIX)
        return rest if HEX32.fullmatch(rest) else None

    def _error(self, status: int, *, headers: list[tuple[str, str]] | None = None) -> _Reply:
        body = render_error_page(status, HTTPStatus(status).phrase).encode()
        return _Reply(status=status, body=body, headers=headers or [])

    def _static(self, incoming: _Incoming) -> _Reply:
        path = incoming.path
        if incoming.method == "POST":
            return self._error(405)
        if path == "/robots.txt":
            target = site_dir(self.root) / "robots.txt"
            content_type = "text/plain;charset=UTF-8"
        elif path in {"/en", "/en/"}:
            target = site_dir(self.root) / "en" / "index.html"
            content_type = _HTML
        elif path.startswith(_DETAIL_PREFIX) and HEX32.fullmatch(path.removeprefix(_DETAIL_PREFIX)):
            target = article_path(self.root, path.removeprefix(_DETAIL_PREFIX))
            content_type = _HTML
        else:
            return self._error(404)
        try:
            body = target.read_bytes()
        except FileNotFoundError:
            return self._error(404)
        return _Reply(status=200, body=body, content_type=content_type)

    def _listing(self, incoming: _Incoming, category_id: str, *, force_empty: bool) -> _Reply:
        page_one = listing_page_path(self.root, category_id, 1)
        if not page_one.exists():
            return self._error(404)
        if incoming.method != "POST":
            # Every GET of page 1 opens a new session, whatever cookie came with it.
            session, token = self._new_session()
            headers = [_session_cookie(session)]
            if force_empty:
                return self._empty_listing(category_id, 1, token, headers)
            body = page_one.read_bytes().replace(CSRF_PLACEHOLDER.encode(), token.encode())
            return _Reply(status=200, body=body, headers=headers)
        form = incoming.form
        page_num = _int_or_none(form.get("page_num"))
        known_token = self._token_of(incoming.session)
        if known_token is None:
            # Like a servlet container, an unknown session gets a new one with the refusal.
            session, fresh_token = self._new_session()
            return self._empty_listing(
                category_id, page_num, fresh_token, [_session_cookie(session)]
            )
        token = known_token
        if form.get("_csrf") != token or force_empty or page_num is None or page_num < 1:
            return self._empty_listing(category_id, page_num, token, [])
        per_page = self._per_page
        asked = form.get("cnt_per_page")
        if asked is not None:
            per_page_asked = _int_or_none(asked)
            if per_page_asked is None or per_page_asked < 1:
                return self._empty_listing(category_id, page_num, token, [])
            per_page = per_page_asked
        if per_page != self._per_page:
            # The site honours any cnt_per_page; the snapshot only holds its own page size,
            # so other sizes are rendered from the model.
            return self._rendered_page(category_id, page_num, per_page, token)
        page_file = listing_page_path(self.root, category_id, page_num)
        if not page_file.exists():
            return self._empty_listing(category_id, page_num, token, [])
        body = page_file.read_bytes().replace(CSRF_PLACEHOLDER.encode(), token.encode())
        return _Reply(status=200, body=body)

    def _rendered_page(self, category_id: str, page_num: int, per_page: int, token: str) -> _Reply:
        try:
            category = self._site.category(category_id)
        except KeyError:
            return self._error(404)
        listed = self._listed[category_id]
        if page_num > page_count(len(listed), per_page):
            return self._empty_listing(category_id, page_num, token, [], per_page=per_page)
        text = render_listing_page(
            self._site, category, page_num, per_page=per_page, csrf=token, listed=listed
        )
        return _Reply(status=200, body=text.encode())

    def _empty_listing(
        self,
        category_id: str,
        page_num: int | None,
        token: str,
        headers: list[tuple[str, str]],
        *,
        per_page: int | None = None,
    ) -> _Reply:
        try:
            category = self._site.category(category_id)
        except KeyError:
            return self._error(404)
        per_page = per_page or self._per_page
        total = len(self._listed[category_id])
        text = render_empty_listing(
            self._site,
            category,
            cur_page=page_num if page_num is not None and page_num >= 1 else 1,
            per_page=per_page,
            page_cnt=page_count(total, per_page),
            total=total,
            csrf=token,
        )
        return _Reply(status=200, body=text.encode(), headers=headers)


def _session_cookie(session: str) -> tuple[str, str]:
    return ("Set-Cookie", f"{SESSION_COOKIE}={session}; Path=/; HttpOnly")


class _ProxyHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its SiteServer and can drop its open connections."""

    daemon_threads = True
    site: SiteServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall on a machine
        # without DNS; nothing here needs the name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """Wake every handler thread waiting on a keep-alive connection so it ends."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is normal for a crawler test; stay quiet.
        if self.site.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Parses one proxy-style request, asks SiteServer for the answer and writes it."""

    # Headers and body go out in two writes; with Nagle's algorithm on, each answer would then
    # wait for the client's delayed ACK (about 40 ms), and the imitation would look slow.
    disable_nagle_algorithm = True

    protocol_version = "HTTP/1.1"
    server_version = "Apache-Coyote/1.1"
    sys_version = ""
    # An idle keep-alive connection is closed after this many seconds.
    timeout = 60

    def _site(self) -> SiteServer:
        return cast(_ProxyHTTPServer, self.server).site

    def do_GET(self) -> None:
        """Serve a GET."""
        self._handle("GET")

    def do_HEAD(self) -> None:
        """Serve a HEAD: the GET answer without its body."""
        self._handle("HEAD")

    def do_POST(self) -> None:
        """Serve a POST (listing pages after the first)."""
        self._handle("POST")

    def do_CONNECT(self) -> None:
        """Refuse tunnels: the site is plain HTTP and nothing is forwarded."""
        self._handle("CONNECT")

    def _incoming(self, method: str) -> _Incoming:
        target = self.path
        host_header = (self.headers.get("Host") or "").strip()
        if method == "CONNECT":
            # Authority form, "host:port": a tunnel, which is always refused.
            host = (urlsplit(f"//{target}").hostname or "").lower()
            return _Incoming(
                method=method, scheme="", url=target, host=host, path=target, session=None, form={}
            )
        parts = urlsplit(target)
        if parts.scheme:
            # Absolute form: the request came to us as to a proxy.
            scheme, host, url = parts.scheme.lower(), (parts.hostname or "").lower(), target
        else:
            scheme = "http"
            host = (urlsplit(f"//{host_header}").hostname or SITE_HOST).lower()
            url = f"http://{host_header or SITE_HOST}{target}"
        length = _int_or_none(self.headers.get("Content-Length")) or 0
        body = self.rfile.read(length) if length > 0 else b""
        form: dict[str, str] = {}
        content_type = self.headers.get("Content-Type") or ""
        if method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
            fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            form = {name: values[0] for name, values in fields.items()}
        return _Incoming(
            method=method,
            scheme=scheme,
            url=url,
            host=host,
            path=parts.path or "/",
            session=self._session_cookie(),
            form=form,
        )

    def _session_cookie(self) -> str | None:
        cookies = SimpleCookie()
        try:
            cookies.load("; ".join(self.headers.get_all("Cookie") or []))
        except CookieError:
            return None
        morsel = cookies.get(SESSION_COOKIE)
        return morsel.value if morsel is not None else None

    def _handle(self, method: str) -> None:
        arrived = time.monotonic()
        site = self._site()
        site._begin_answer()
        try:
            incoming = self._incoming(method)
            reply = site._respond(incoming)
            # Status 0 in the log: the server never answered.
            site._record(incoming, 0 if reply.wire == "hang-headers" else reply.status, arrived)
            if site.delay > 0:
                time.sleep(site.delay)
            self._send(reply, head_only=method == "HEAD")
        finally:
            site._end_answer()

    def _send(self, reply: _Reply, *, head_only: bool) -> None:
        if reply.wire == "hang-headers":
            self._hang()
            return
        self.send_response(reply.status)
        if reply.wire == "truncated-text":
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        else:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        body = reply.body
        if reply.wire in _CUT_WITHOUT_LENGTH:
            # No Content-Length and a closed connection: the client cannot tell the page is cut.
            if reply.wire == "truncated-gzip":
                body = gzip.compress(body)
                self.send_header("Content-Encoding", "gzip")
            body = body[: len(body) // 2]
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            # The whole body's length, even when only half of it follows (short, reset, hang).
            self.send_header("Content-Length", str(len(body)))
            if reply.wire != "ok":
                body = body[: len(body) // 2]
        if reply.status == 502:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not head_only:
            self.wfile.write(body)
        if reply.wire == "short":
            self.close_connection = True
        elif reply.wire == "hang-body":
            self._hang()
        elif reply.wire == "reset":
            self._reset()

    def _hang(self) -> None:
        """Answer nothing more until the client hangs up (or the server stops, or HANG_LIMIT)."""
        site = self._site()
        deadline = time.monotonic() + HANG_LIMIT
        while time.monotonic() < deadline and not site.stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        break  # the client closed the connection
                except OSError:
                    break
                time.sleep(0.05)  # the client sent more; keep ignoring it
        self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection with a TCP reset (RST) instead of an orderly close (FIN)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # The socket really closes (with linger 0: a reset) when rfile lets go of it too.
            self.connection.close()
            self.rfile.close()

    def log_message(self, format: str, *args: Any) -> None:
        """Log to stderr only when the server is verbose."""
        if self._site().verbose:
            sys.stderr.write(f"testsite {self.address_string()} {format % args}\n")
