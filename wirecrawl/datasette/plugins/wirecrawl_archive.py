"""A datasette plugin (loaded with ``--plugins-dir``) that fits datasette to the archive.

- The archive is served as ``/wirecrawl`` whatever its file is called, so that the metadata,
  the canned queries and the dashboard (all written for the database ``wirecrawl``) apply to
  ``make serve DB=data/demo.db`` too.
- The "changed or deleted" query is offered only when the archive has the tables it reads:
  an archive written before revisions were recorded has none, and datasette only checks a
  canned query's SQL when someone runs it.
- The stories, searched or not, newest or oldest first or sorted by another column, page
  through every story once (``asgi_wrapper``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

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


# --- a search's first page in the order of the pages after it ------------------------------

STORIES = f"/{ARCHIVE}/articles"
"""The stories list (metadata.yaml sorts it by ``published``, newest first)."""

FROM_THE_TOP = "9999-12-31,"
"""A ``_next`` token before every story: ``published`` later than any date, any id."""

ABOVE_ALL = "~F4~8F~BF~BF,"
"""A ``_next`` token before every story sorted in descending order by another column than
``published`` (``_sort_desc``): U+10FFFF (tilde-encoded), the last character, sorts after
any text of the archive, and text after any number (and NULL comes last)."""

FROM_THE_START = "$null,"
"""A ``_next`` token before every story in an ascending sort (``_sort``): datasette reads
``$null`` as a NULL sort value, which comes first, and every id (text) is after ''."""

_TOKENS = (FROM_THE_TOP, ABOVE_ALL, FROM_THE_START)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def search_from_the_top(path: str, query_string: bytes) -> bytes | None:
    """``query_string`` with a ``_next`` token before every story, for a first page of the
    stories that datasette would order otherwise than the pages after it (``FROM_THE_TOP``
    for a search newest first; ``FROM_THE_START`` or ``ABOVE_ALL`` in another order); for a
    streamed CSV, without such a token; None where it stays as it is.

    datasette 0.65 orders a table's first page by its sort column alone, and the pages after
    it (those with a ``_next`` token) by that column and then the primary key. The stories
    list reads both from the index on (``published`` DESC, ``id``), so they agree; a search
    sorts the rows it found, in the order the full-text index gives them, so on its first
    page the stories of one day came in another order than on the next, and a page break
    inside a day showed some twice and others never. A token that starts before every story
    gives the first page the same order as the rest. Its links keep the token (the next page's
    replaces it; the sort links drop it), which still reads from the top. Sorted in
    ascending order (``_sort``: oldest first, or by another column), searched or not, no
    index gives a day's stories in the order of their ids either: the first page starts
    from ``FROM_THE_START``; in descending order by another column, from ``ABOVE_ALL``.

    Not for a streamed CSV (``_stream``), where datasette refuses a token: the one that the
    page's export form carries is taken out again, and a search exported that way in the
    stories' own order, or any export sorted oldest first, is sorted by ``id`` instead,
    which no two stories share, so that every story found is in it once (docs/browsing.md).
    """
    if path not in (STORIES, f"{STORIES}.json", f"{STORIES}.csv"):
        return None
    args = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    keys = {key for key, _ in args}
    searched = any(
        value.strip() for key, value in args if key == "_search" or key.startswith("_search_")
    )
    # As datasette reads them: the first of each, an empty one as none.
    sort = next((value for key, value in args if key == "_sort"), "")
    sort_desc = next((value for key, value in args if key == "_sort_desc"), "")
    own_order = not sort and sort_desc in ("", "published")
    if "_stream" in keys:
        pieces = query_string.split(b"&")
        kept = [piece for piece in pieces if not _is_our_token(piece)]
        # Oldest first, no index gives a day's stories in the order of their ids either.
        if (searched and own_order) or (sort == "published" and not sort_desc):
            kept = [piece for piece in kept if not piece.startswith((b"_sort=", b"_sort_desc="))]
            kept.append(b"_sort=id")
        return b"&".join(kept) if kept != pieces else None
    if "_next" in keys or "_sort_by_desc" in keys or any(k.startswith("_filter_") for k in keys):
        # A later page; or a form's answer that datasette redirects, the token kept, to the
        # order it asks for (``_sort_by_desc``: ``_sort`` made ``_sort_desc``) or to its
        # filters: the page redirected to gets the token of its own order.
        return None
    if sort and not sort_desc:
        # Oldest first, or by another column: the first page of the list is no more in the
        # order of the pages after it than a search's is (the index on published sorts
        # newest first).
        token = FROM_THE_START
    elif sort_desc and sort_desc != "published" and not sort:
        token = ABOVE_ALL  # nor by another column, in descending order
    elif searched and own_order:
        token = FROM_THE_TOP
    else:
        return None
    joiner = b"&" if query_string else b""
    return query_string + joiner + b"_next=" + token.encode()


def _is_our_token(piece: bytes) -> bool:
    """Whether ``piece`` of a query string is a ``_next`` set to one of the tokens this
    plugin gives a first page, however the links and forms that carry it encoded it."""
    pairs = parse_qsl(piece.decode("latin-1"), keep_blank_values=True)
    return len(pairs) == 1 and pairs[0][0] == "_next" and pairs[0][1] in _TOKENS


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[App], App]:
    """Give a search's first page the order of the pages after it (``search_from_the_top``)."""

    def wrap(app: App) -> App:
        async def searched_in_order(scope: Scope, receive: Receive, send: Send) -> None:
            if scope.get("type") == "http":
                changed = search_from_the_top(scope.get("path", ""), scope.get("query_string", b""))
                if changed is not None:
                    scope = dict(scope, query_string=changed)
            await app(scope, receive, send)

        return searched_in_order

    return wrap
