"""One writer at a time: a lock file beside the database, held for the whole run."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class ArchiveBusyError(RuntimeError):
    """Another wirecrawl process is writing to the same database."""


class ArchiveLock:
    """An exclusive, non-blocking ``flock`` on ``<database>.lock``.

    The operating system releases it when the process ends, however it ends (SIGKILL
    included), so a crash never leaves a stale lock behind.
    """

    def __init__(self, db_path: str | Path) -> None:
        # Beside the file the path leads to: a run through a symbolic link to the archive
        # and a run given its real path take the same lock.
        self.path = Path(f"{os.path.realpath(db_path)}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise ArchiveBusyError at once."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise ArchiveBusyError(
                f"another wirecrawl run (pid {holder}) is writing to {self.path.with_suffix('')}; "
                "this one exits without touching it"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
