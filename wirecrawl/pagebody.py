"""How the archive keeps a fetched page's HTML (``pages.body``): zlib, level 6.

A module of its own so that the page-reading worker, which compresses the pages it reads,
does not import the database layer.
"""

from __future__ import annotations

import zlib


def compress_page(body: bytes) -> bytes:
    """Page HTML as stored in ``pages.body``."""
    return zlib.compress(body, 6)


def decompress_page(stored: bytes) -> bytes:
    """Page HTML from ``pages.body``."""
    return zlib.decompress(stored)
