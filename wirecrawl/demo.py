"""``make demo``: the real ``kcna`` crawl against the bundled offline snapshot of the site.

The snapshot in ``fixtures/snapshot/`` is served on 127.0.0.1 by ``wirecrawl.testsite`` acting
as an HTTP proxy for www.kcna.kp, and ``scrapy crawl kcna`` runs as it would live, with
``http_proxy`` pointing at it and no politeness delay (the snapshot answers at once). Nothing
leaves the machine. It ends by saying how many stories the run stored and how many the archive
holds: run again, it stores none and makes one request per category.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from wirecrawl.storage import connect_read_only
from wirecrawl.testsite.server import SiteServer, proxy_env
from wirecrawl.testsite.snapshot import load_site

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "fixtures" / "snapshot"


def foreign_stories(db_path: Path, snapshot_ids: set[str]) -> int:
    """How many stories in the database did not come from the snapshot (a real archive's)."""
    if not db_path.exists():
        return 0
    with connect_read_only(db_path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "articles" not in tables:
            return 0
        ids = {row[0] for row in conn.execute("SELECT id FROM articles")}
    return len(ids - snapshot_ids)


def main(argv: list[str] | None = None) -> int:
    """Serve the snapshot, crawl it into ``--db``, and say what was stored."""
    parser = argparse.ArgumentParser(prog="python -m wirecrawl.demo", description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("data/wirecrawl.db"))
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    args = parser.parse_args(argv)
    site = load_site(args.snapshot)
    foreign = foreign_stories(args.db, {story.id for story in site.stories})
    if foreign:
        print(
            f"{args.db} holds {foreign} stories that are not from the demo snapshot: it looks "
            f"like a real archive, so the demo leaves it alone. Try: make demo DB=data/demo.db",
            file=sys.stderr,
        )
        return 2
    with SiteServer(args.snapshot) as server:
        # Every proxy variable replaced, a user's no_proxy too: nothing leaves the machine.
        env = proxy_env(server.proxy_url)
        command = [
            sys.executable, "-m", "scrapy", "crawl", "kcna",
            "-s", f"WIRECRAWL_DB={args.db.resolve()}",
            # The snapshot answers at once and minds no load: no politeness delay needed.
            "-s", "DOWNLOAD_DELAY=0",
        ]  # fmt: skip
        print(f"Serving the snapshot at {server.proxy_url}; running: {' '.join(command[2:])}")
        result = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        print(f"the crawl failed (exit {result.returncode})", file=sys.stderr)
        return result.returncode
    with connect_read_only(args.db) as conn:
        new = conn.execute("SELECT stories_new FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
        stories = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        days = conn.execute("SELECT count(DISTINCT published) FROM articles").fetchone()[0]
    print(f"\nThis run stored {new} new stories; {args.db} holds {stories} over {days} days.")
    print(f"Browse them: make serve DB={args.db}  (then open http://127.0.0.1:8001)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
