"""A datasette plugin (loaded with ``--plugins-dir``) that fits datasette to the archive.

- The archive is served as ``/wirecrawl`` whatever its file is called, so that the metadata,
  the canned queries and the dashboard (all written for the database ``wirecrawl``) apply to
  ``make serve DB=data/demo.db`` too.
- The "changed or deleted" query is offered only when the archive has the tables it reads:
  an archive written before revisions were recorded has none, and datasette only checks a
  canned query's SQL when someone runs it.
"""

from __future__ import annotations

from typing import Any

from pluggy import HookimplMarker

# datasette's own `hookimpl` is this marker; made here from pluggy, which is typed.
hookimpl = HookimplMarker("datasette")

ARCHIVE = "wirecrawl"
"""The database name that metadata.yaml describes."""

CHANGED_OR_DELETED = {
    "title": "Stories changed or deleted by the agency",
    "description": (
        "Stories whose title or text the agency edited after we first stored them (their "
        "earlier versions are in article_revisions), and stories whose page the agency "
        "removed (gone_at). Newest change first."
    ),
    "sql": """
select
  articles.id,
  articles.title,
  articles.published,
  count(article_revisions.article_id) as earlier_versions,
  max(article_revisions.seen_until) as last_edited,
  articles.gone_at as deleted
from articles
left join article_revisions on article_revisions.article_id = articles.id
group by articles.id
having earlier_versions > 0 or articles.gone_at is not null
order by max(coalesce(last_edited, ''), coalesce(deleted, '')) desc, articles.id
""".strip(),
}
"""Reads ``article_revisions`` (article_id, seen_until) and ``articles.gone_at``."""

_NEEDS = {"article_revisions": {"article_id", "seen_until"}, "articles": {"gone_at"}}


@hookimpl
def startup(datasette: Any) -> None:
    """Serve a single archive as ``/wirecrawl``, whatever its file name."""
    files = [db for db in datasette.databases.values() if db.path is not None]
    if len(files) == 1 and files[0].name != ARCHIVE and ARCHIVE not in datasette.databases:
        archive = files[0]
        datasette.remove_database(archive.name)
        datasette.add_database(archive, name=ARCHIVE)


@hookimpl
def canned_queries(datasette: Any, database: str) -> Any:
    """Add the queries that need tables a given archive may not have yet."""

    async def queries() -> dict[str, dict[str, str]]:
        if database != ARCHIVE:
            return {}
        db = datasette.get_database(database)
        for table, columns in _NEEDS.items():
            if not await db.table_exists(table):
                return {}
            if not columns <= set(await db.table_columns(table)):
                return {}
        return {"changed_or_deleted": dict(CHANGED_OR_DELETED)}

    return queries
