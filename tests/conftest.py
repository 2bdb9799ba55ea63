"""Shared test helpers: a generated imitation of the site, served for real, and real crawls."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from wirecrawl.storage import connect_read_only
from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import Site
from wirecrawl.testsite.server import SiteServer, proxy_env
from wirecrawl.testsite.snapshot import write_snapshot

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CrawlResult:
    """What a `scrapy crawl` subprocess left: its exit code, its log and the database."""

    returncode: int
    log: str
    db_path: Path

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of a query against the crawl's database, as dicts."""
        with connect_read_only(self.db_path) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(sql, params)]

    def stat(self, name: str) -> int:
        """A counter from the crawl's closing stats dump (0 when absent)."""
        for line in self.log.splitlines():
            stripped = line.strip().strip(",{}")
            if stripped.startswith(f"'{name}':"):
                return int(stripped.split(":", 1)[1].strip().rstrip(","))
        return 0


def crawl_env(proxy_url: str) -> dict[str, str]:
    """Every proxy variable replaced (``proxy_env``): no test request can leave the machine,
    whatever URL it names (a redirect to https://, a typo)."""
    return proxy_env(proxy_url)


def crawl_command(db_path: Path, *args: str, spider: str = "kcna") -> list[str]:
    """``scrapy crawl <spider>`` into ``db_path`` without the politeness delay."""
    return [
        sys.executable, "-m", "scrapy", "crawl", spider,
        "-s", f"WIRECRAWL_DB={db_path}",
        "-s", "DOWNLOAD_DELAY=0",
        *args,
    ]  # fmt: skip


def run_crawl(
    proxy_url: str,
    db_path: Path,
    *args: str,
    spider: str = "kcna",
    timeout: float = 120,
    launcher: tuple[str, ...] = (),
) -> CrawlResult:
    """Run ``scrapy crawl`` as a user does, through ``http_proxy``, into ``db_path``;
    ``launcher`` goes before the command (``taskset -c 0``, say)."""
    command = [*launcher, *crawl_command(db_path, *args, spider=spider)]
    env = crawl_env(proxy_url)
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return CrawlResult(done.returncode, done.stdout + done.stderr, db_path)


def crawl_stopped_when(
    server: SiteServer, db_path: Path, asked: Callable[[], bool]
) -> tuple[int, str]:
    """``scrapy crawl kcna`` into ``db_path`` through ``server``, sent SIGTERM (a ``systemctl
    stop``) as soon as ``asked()`` is true; its exit code and its log."""
    crawl = subprocess.Popen(
        crawl_command(db_path), cwd=ROOT, env=crawl_env(server.proxy_url),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not asked():
        assert time.monotonic() < deadline
        assert crawl.poll() is None
        time.sleep(0.02)
    crawl.send_signal(signal.SIGTERM)
    log, _ = crawl.communicate(timeout=120)
    return crawl.returncode, log


class PageProxy:
    """A tiny HTTP proxy on 127.0.0.1 that answers for one host from a dict path -> HTML.

    Requests come in absolute form (`GET http://host/path HTTP/1.1`), as to any proxy. Nothing
    is forwarded: other hosts get 502, unknown paths 404. Every request URL is recorded.
    """

    def __init__(self, host: str, pages: dict[str, str]) -> None:
        self.host = host
        self.pages = pages
        self.requests: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                proxy.requests.append(self.path)
                parts = urlsplit(self.path)
                if parts.hostname != proxy.host:
                    self.send_error(502, "this test proxy forwards nothing")
                    return
                page = proxy.pages.get(parts.path)
                if page is None:
                    self.send_error(404)
                    return
                body = page.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> PageProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def small_site(tmp_path: Path) -> Site:
    """A generated site of 40 stories in 3 categories, written as a snapshot under tmp_path."""
    site = build_site(stories=40, categories=3, seed=11)
    write_snapshot(site, tmp_path / "site", per_page=6)
    return site


@pytest.fixture
def site_server(tmp_path: Path, small_site: Site) -> Iterator[SiteServer]:
    """The small site, served on 127.0.0.1 as a proxy for www.kcna.kp."""
    with SiteServer(tmp_path / "site") as server:
        yield server
