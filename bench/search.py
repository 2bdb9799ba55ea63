"""Search for the benchmark: full-text queries through datasette's JSON API, on loopback."""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

# Words and names the stories use, from common to rare, and two phrases.
TERMS = (
    "Pyongyang", "farm", "Kim Jong Un", "hospital", "factory", "delegation", "ambassador",
    "threshing", "stadium", "greenhouse", "exhibition", "seminar", "Juche", "Moscow",
    "Wonsan", "anniversary", "textile", "reception", "foreign minister", "railway station",
)  # fmt: skip
STARTUP_TIMEOUT = 60.0

_DATASETTE = Path(__file__).resolve().parent.parent / "wirecrawl" / "datasette"
# What `make serve` passes to `datasette serve` besides the database, host and port (the
# Makefile's `serve` recipe; tests/test_bench.py checks that the two agree). Its plugin serves
# the archive as `/wirecrawl`, whatever the file is called.
MAKE_SERVE_OPTIONS = (
    "--metadata", str(_DATASETTE / "metadata.yaml"),
    "--plugins-dir", str(_DATASETTE / "plugins"),
    "--template-dir", str(_DATASETTE / "templates"),
    "--static", f"assets:{_DATASETTE / 'static'}",
    "--setting", "sql_time_limit_ms", "1000",
    "--setting", "truncate_cells_html", "700",
    "--setting", "suggest_facets", "off",
)  # fmt: skip
MAKE_SERVE_DATABASE = "wirecrawl"
# What the stories page's "With facets" link adds (metadata.yaml): by category, place, month.
FACETS = (
    ("_facet_array", "categories"),
    ("_facet", "dateline_place"),
    ("_facet", "published_month"),
)


@dataclass(frozen=True, kw_only=True)
class SearchResult:
    """Latencies of ``/<db>/articles.json?_search=<term>`` requests."""

    requests: int
    median_ms: float
    p95_ms: float
    slowest_term: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(connection: http.client.HTTPConnection, path: str) -> bytes:
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"datasette answered {response.status} to {path}: {body[:300]!r}")
    return body


def _wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"datasette exited with {process.returncode} at start")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            _get(connection, "/-/versions.json")
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"datasette did not answer on port {port} within {STARTUP_TIMEOUT:.0f} s")


def measure_search(
    db_path: Path,
    rounds: int,
    log: Path,
    options: tuple[str, ...] = (),
    database: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> SearchResult:
    """Serve ``db_path`` with datasette on 127.0.0.1 and time ``rounds`` rounds of ``TERMS``.

    ``options`` are more of ``datasette serve``'s options (``MAKE_SERVE_OPTIONS``: as `make
    serve` runs it); ``database`` is the name it serves the file as (its stem unless said);
    ``extra`` goes into every search's query string (``FACETS``). One warm-up round first (not
    counted); every answer must be JSON with rows.
    """
    port = _free_port()
    datasette = Path(sys.executable).with_name("datasette")
    command = [str(datasette), "serve", str(db_path), "--host", "127.0.0.1", "--port", str(port)]
    command += options
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(port, process)
            return _time_terms(port, database or db_path.stem, rounds, extra)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def measure_make_serve(
    db_path: Path, rounds: int, log: Path, extra: tuple[tuple[str, str], ...] = ()
) -> SearchResult:
    """``measure_search`` with datasette started as `make serve` starts it."""
    return measure_search(
        db_path, rounds, log, MAKE_SERVE_OPTIONS, database=MAKE_SERVE_DATABASE, extra=extra
    )


def _time_terms(
    port: int, database: str, rounds: int, extra: tuple[tuple[str, str], ...]
) -> SearchResult:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    timings: list[tuple[float, str]] = []
    try:
        for round_number in range(rounds + 1):
            for term in TERMS:
                query = urllib.parse.urlencode([("_search", term), *extra])
                started = time.perf_counter()
                body = _get(connection, f"/{database}/articles.json?{query}")
                elapsed = time.perf_counter() - started
                if not json.loads(body).get("rows"):
                    raise RuntimeError(f"no rows found for {term!r}: the index is not in step")
                if round_number > 0:
                    timings.append((elapsed * 1000, term))
    finally:
        connection.close()
    latencies = sorted(ms for ms, _term in timings)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    return SearchResult(
        requests=len(timings),
        median_ms=statistics.median(latencies),
        p95_ms=p95,
        slowest_term=max(timings)[1],
    )
