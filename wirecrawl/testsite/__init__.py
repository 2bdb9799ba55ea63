"""A local imitation of www.kcna.kp (current layout), for tests, the demo and the benchmark.

Build a site (`build_site`), write it as a snapshot folder (`write_snapshot`), and serve the
folder with `SiteServer`, which the crawler uses as its HTTP proxy. Standard library only.
"""

from wirecrawl.testsite.generate import build_site
from wirecrawl.testsite.model import KCNA_CATEGORIES, Category, Site, Story
from wirecrawl.testsite.server import BEHAVIOURS, RequestRecord, SiteServer
from wirecrawl.testsite.snapshot import load_site, write_snapshot

__all__ = [
    "BEHAVIOURS",
    "KCNA_CATEGORIES",
    "Category",
    "RequestRecord",
    "Site",
    "SiteServer",
    "Story",
    "build_site",
    "load_site",
    "write_snapshot",
]
