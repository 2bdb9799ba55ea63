"""Small helpers the spiders share."""

from __future__ import annotations

import datetime as dt

from twisted.python.failure import Failure


def utcnow() -> dt.datetime:
    """Now, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def describe(failure: Failure) -> str:
    """What went wrong, in words, even for an exception that carries no message."""
    return str(failure.value) or type(failure.value).__name__
