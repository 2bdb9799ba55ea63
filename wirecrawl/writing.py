"""The archive's writes for a crawl, as its writing worker runs them (``wirecrawl.worker``).

The crawl's store pipeline queues rows (``storage.ArchiveRows``) and hands them over in
batches; these functions write them. They run in a process of their own, so that SQLite's
work and the Python around it never hold the crawl's thread (a thread would: it shares
Python's lock with the crawl, and the crawl waits for it at every statement). The process
keeps one ``ArchiveWriter`` per archive open between batches. When the crawl runs without
workers, or its worker has died, the crawl's own thread runs the same functions, to the
same effect. A worker that died after committing a batch but before answering has that batch
written again by the crawl: writes are idempotent, so the archive is the same, though its
stories then count as ``unchanged`` rather than ``new``.
"""

from __future__ import annotations

from wirecrawl.storage import ArchiveWriter, Batch, open_archive
from wirecrawl.worker_loop import after_answering, in_worker

_writers: dict[str, ArchiveWriter] = {}


def _writer(db_path: str, worker: bool) -> ArchiveWriter:
    writer = _writers.get(db_path)
    if writer is None:
        writer = _writers[db_path] = ArchiveWriter(
            open_archive(db_path), batch_size=None, hold_undatelined=True
        )
        # A crawl with a writing worker that runs this in its own thread: the worker died,
        # and wrote the batches before (``ArchiveWriter.whole_run``).
        writer.whole_run = in_worker() or not worker
    return writer


def write_batch(db_path: str, batch: Batch, worker: bool = False) -> dict[str, int]:
    """Write ``batch`` into the archive at ``db_path`` in one transaction (all of it or,
    raising, nothing). Returns what happened to its stories (``ArchiveWriter.outcomes``).
    ``worker``: the crawl runs a writing worker (this may be the crawl's own thread, taking
    over from it)."""
    writer = _writer(db_path, worker)
    writer.outcomes.clear()
    writer.write(batch)
    # In the writing worker, once the crawl has its answer: the batch copied from the
    # write-ahead log into the database while the crawl goes on, so that closing the archive
    # at the crawl's end has only the last batch to copy.
    after_answering(lambda: _checkpoint(db_path))
    return dict(writer.outcomes)


def _checkpoint(db_path: str) -> None:
    """Copy what the write-ahead log holds into the archive at ``db_path`` if it is still open
    here, without waiting for readers (SQLite's passive checkpoint)."""
    writer = _writers.get(db_path)
    if writer is not None:
        writer.db.execute("PRAGMA wal_checkpoint(PASSIVE)")


def finish(
    db_path: str, batch: Batch, pages_doubted: bool = False, worker: bool = False
) -> dict[str, int]:
    """The end of a crawl: write the last ``batch``, then the stories held for it
    (``ArchiveWriter.release_held``), and close the archive. Returns the outcomes, as
    ``write_batch``.

    Held stories live in this process only: a crawl killed, or whose writing worker died,
    before its end leaves them as stored, until a later run reads them again (one whose
    ``recheck_days`` reach them).

    ``pages_doubted``: the crawl's earlier batches met story pages read without their
    dateline (``ArchiveWriter.pages_doubted``). The writer here may not have seen them: one
    opened by the crawl's own thread after its writing worker died knows only what it wrote
    itself. ``worker``: as for ``write_batch``."""
    writer = _writer(db_path, worker)
    writer.pages_doubted |= pages_doubted
    try:
        write_batch(db_path, batch, worker)
        writer.release_held()
        return dict(writer.outcomes)
    finally:
        del _writers[db_path]
        writer.db.close()
