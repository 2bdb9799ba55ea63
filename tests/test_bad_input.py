"""Bad input from people: each is refused in one clear line, before any request, changing nothing.

`scrapy crawl` checks its `-a` arguments and opens the database before the crawl starts
(wirecrawl/commands/crawl.py); a refusal exits 2. Migrations being idempotent and recorded,
and a newer schema refused by `open_archive` itself, are tested in tests/test_storage.py.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_crawl
from wirecrawl.commands.crawl import EXIT_BAD_INPUT
from wirecrawl.spiders.kcna import KcnaSpider
from wirecrawl.spiders.kcnawatch import KcnawatchSpider
from wirecrawl.storage import open_archive
from wirecrawl.testsite.model import Site
from wirecrawl.testsite.server import SiteServer


def random_bytes(db: Path) -> None:
    db.write_bytes(os.urandom(64 * 1024))


def newer_schema(db: Path) -> None:
    archive = open_archive(db)
    with archive.conn:
        archive.conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('wirecrawl', '0099_from_the_future', '2030-01-01T00:00:00')"
        )
    archive.close()


def cut_in_half(db: Path) -> None:
    """A real archive (schema and 400 listing entries) of which only the first half was copied."""
    newer = db.with_name("whole.db")
    archive = open_archive(newer)
    with archive.conn:
        archive.conn.executemany(
            "INSERT INTO teasers (url, text) VALUES (?, ?)",
            [(f"http://www.kcna.kp/en/article/detail/{n:032x}", "x" * 500) for n in range(400)],
        )
    archive.close()
    whole = newer.read_bytes()
    db.write_bytes(whole[: len(whole) // 2 // 4096 * 4096])
    newer.unlink()


def nothing(db: Path) -> None:
    """No database: the argument is refused before one is made."""


@dataclass(frozen=True)
class BadInput:
    name: str
    args: tuple[str, ...]
    message: str
    """What the one line must say (a substring)."""
    prepare: Callable[[Path], None] = nothing
    db_name: str = "archive.db"


CASES = [
    BadInput("unknown-category", ("-a", "categories=Nope"), "unknown categories ['Nope']"),
    BadInput(
        "misspelt-argument-name",
        ("-a", "category=World"),
        "unknown -a argument(s) category; this spider takes categories, recheck_days, urls",
    ),
    BadInput("recheck-days-not-a-number", ("-a", "recheck_days=x"), "recheck_days="),
    BadInput("recheck-days-negative", ("-a", "recheck_days=-3"), "recheck_days="),
    BadInput("urls-not-a-url", ("-a", "urls=notaurl"), "notaurl"),
    BadInput("database-under-a-file", (), "file.txt", db_name="file.txt/archive.db"),
    BadInput("database-is-a-directory", (), "unable to open database file", db_name="folder"),
    BadInput("database-random-bytes", (), "file is not a database", prepare=random_bytes),
    BadInput("database-cut-in-half", (), "malformed", prepare=cut_in_half),
    BadInput(
        "database-newer-schema",
        (),
        "migrations this wirecrawl does not know (0099_from_the_future)",
        prepare=newer_schema,
    ),
]


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under `folder` with the hash of its bytes; folders as "dir"."""
    return {
        str(path.relative_to(folder)): "dir"
        if path.is_dir()
        else hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_refused_before_any_request_and_changes_nothing(
    case: BadInput, tmp_path: Path, site_server: SiteServer, small_site: Site
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "file.txt").write_text("notes, not a database\n")
    (home / "folder").mkdir()
    db = home / case.db_name
    case.prepare(db)
    before = fingerprint(home)

    result = run_crawl(site_server.proxy_url, db, *case.args)

    assert result.returncode == EXIT_BAD_INPUT, result.log
    assert site_server.requests == []
    # One line, after Scrapy's own start-up lines: no traceback, no crawl.
    said = [line for line in result.log.splitlines() if line.startswith("wirecrawl: ")]
    assert len(said) == 1, result.log
    assert case.message in said[0], said[0]
    assert said[0] == result.log.rstrip().splitlines()[-1]
    assert "Traceback" not in result.log
    after = fingerprint(home)
    # The database's bytes are untouched; at most the lock file beside it was made.
    lock = f"{case.db_name}.lock"
    assert {name: digest for name, digest in after.items() if name != lock} == before


def test_each_spider_names_the_arguments_it_does_not_take_and_lets_schedulers_add_theirs() -> None:
    with pytest.raises(ValueError, match=r"unknown -a argument\(s\) urls; this spider takes url$"):
        KcnawatchSpider.check_arguments(urls="https://kcnawatch.org/newstream/1-2/")
    # scrapyd adds _job to every run's arguments.
    KcnaSpider.check_arguments(_job="6487ec79947edab326d6db28a2d86511")


def test_reparse_of_a_missing_archive_says_so_and_makes_none(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    done = subprocess.run(
        [sys.executable, "-m", "wirecrawl.cli", "reparse", "--db", str(missing)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == EXIT_BAD_INPUT
    assert done.stderr.strip() == f"wirecrawl: no archive at {missing}"
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def crawled_into_one_file(site_server: SiteServer, tmp_path: Path) -> Path:
    """An archive of the site, its write-ahead log copied into the file and emptied."""
    db = tmp_path / "archive.db"
    assert run_crawl(site_server.proxy_url, db).returncode == 0
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


def test_an_archive_damaged_inside_a_table_is_refused_before_any_request(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    # Damage in a table's pages, not in the schema: the archive opens and migrates, and only
    # reading its rows fails. The run must not exit 0 having done nothing, hour after hour.
    db = crawled_into_one_file(site_server, tmp_path)
    with closing(sqlite3.connect(db)) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_article_urls_1'"
        ).fetchone()
    with db.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)
    site_server.clear_requests()

    result = run_crawl(site_server.proxy_url, db)

    assert result.returncode == 2, result.log[-3000:]
    assert f"wirecrawl: cannot read the archive {db}" in result.log
    assert "database disk image is malformed" in result.log
    assert [r.path for r in site_server.requests if r.path != "/robots.txt"] == []


def make_read_only(path: Path) -> None:
    """Writes to ``path`` refused, for root too: the immutable flag (chmod binds no root)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    else:
        path.chmod(0o444)


def make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)
    else:
        path.chmod(0o644)


def test_a_read_only_archive_is_refused_before_any_request(
    tmp_path: Path, small_site: Site, site_server: SiteServer
) -> None:
    db = crawled_into_one_file(site_server, tmp_path)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    site_server.clear_requests()
    make_read_only(db)
    try:
        result = run_crawl(site_server.proxy_url, db)
        rebuilt = subprocess.run(
            [sys.executable, "-m", "wirecrawl.cli", "reparse", "--db", str(db)],
            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        make_writable(db)

    assert result.returncode == 2, result.log[-3000:]
    assert f"wirecrawl: cannot use the archive {db}: attempt to write a readonly database" in (
        result.log
    )
    assert site_server.requests == []
    assert rebuilt.returncode == 2, rebuilt.stderr
    assert "cannot use the archive" in rebuilt.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_a_spider_whose_start_fails_does_not_exit_0(
    tmp_path: Path, site_server: SiteServer
) -> None:
    result = run_crawl(
        site_server.proxy_url,
        tmp_path / "archive.db",
        "-s",
        "SPIDER_MODULES=tests.failing_spiders",
        spider="failing_start",
    )
    assert "the spider's start failed" in result.log
    assert "'finish_reason': 'start_error'" in result.log
    assert result.returncode == 1
