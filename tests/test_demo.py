"""`make demo`'s own command: the bundled snapshot served and crawled for real, twice, and a
real archive left alone."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from wirecrawl.demo import SNAPSHOT
from wirecrawl.storage import connect_read_only
from wirecrawl.testsite.snapshot import load_site

ROOT = Path(__file__).resolve().parent.parent


def demo(db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wirecrawl.demo", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def stored_ids(db: Path) -> set[str]:
    with connect_read_only(db) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM articles")}


def test_the_demo_stores_the_whole_snapshot_once_and_says_so(tmp_path: Path) -> None:
    snapshot_ids = {story.id for story in load_site(SNAPSHOT).stories}
    db = tmp_path / "demo.db"

    first = demo(db)
    assert first.returncode == 0, first.stderr[-3000:]
    assert stored_ids(db) == snapshot_ids
    assert f"This run stored {len(snapshot_ids)} new stories; {db} holds {len(snapshot_ids)}" in (
        first.stdout
    )

    again = demo(db)
    assert again.returncode == 0, again.stderr[-3000:]
    assert stored_ids(db) == snapshot_ids
    assert f"This run stored 0 new stories; {db} holds {len(snapshot_ids)}" in again.stdout


def test_the_demo_leaves_a_real_archive_alone(tmp_path: Path) -> None:
    db = tmp_path / "wirecrawl.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE articles (id TEXT PRIMARY KEY, title TEXT)")
        conn.execute("INSERT INTO articles VALUES ('0' || hex(randomblob(15)), 'A real story')")
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    result = demo(db)

    assert result.returncode == 2
    assert "looks like a real archive" in result.stderr
    assert "make demo DB=data/demo.db" in result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
