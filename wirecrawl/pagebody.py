"""How the archive keeps a fetched page's HTML (``pages.body``): zlib.

The stream is written by ISA-L (the ``isal`` package, level 1), which makes standard zlib
streams: ``zlib.decompress`` reads them, and pages stored by earlier versions (the standard
library's zlib, level 6) read the same way. On the imitation site's story pages (7.7 KiB)
it took 36 µs a page against 188 µs for zlib level 6, for pages 4% bigger (2,456 bytes
against 2,355): the compression was more than a quarter of the page-reading worker's time
(docs/benchmarks.md, seventh pass).

A module of its own so that the page-reading worker, which compresses the pages it reads,
does not import the database layer.
"""

from __future__ import annotations

import zlib

from isal import isal_zlib


def compress_page(body: bytes) -> bytes:
    """Page HTML as stored in ``pages.body``."""
    return isal_zlib.compress(body, 1)


def decompress_page(stored: bytes) -> bytes:
    """Page HTML from ``pages.body``."""
    return zlib.decompress(stored)
