"""The alarms a finished crawl's stats raise (``wirecrawl.runlog.alarms``), as a table."""

from __future__ import annotations

from typing import Any

import pytest

from wirecrawl.runlog import alarms

LISTINGS_READ = {"downloader/request_count": 12, "wirecrawl/listing/pages_read": 10}


def shown(reason: str, requested: int, parsed: int = 0, not_found: int = 0) -> dict[str, int]:
    """Stats of ``requested`` stories asked for because of ``reason``."""
    return {
        f"wirecrawl/article/requested/{reason}": requested,
        f"wirecrawl/article/parsed/{reason}": parsed,
        f"wirecrawl/article/not_found/{reason}": not_found,
    }


@pytest.mark.parametrize(
    ("stats", "raised"),
    [
        pytest.param({**LISTINGS_READ, **shown("new", 3, parsed=1)}, [], id="one-of-three-stored"),
        pytest.param(
            {**LISTINGS_READ, **shown("new", 3)},
            ["the listings showed 3 unstored story(ies) but none was stored"],
            id="none-of-three-stored",
        ),
        pytest.param(
            {**LISTINGS_READ, **shown("new", 1, not_found=1)}, [], id="a-lone-story-removed"
        ),
        pytest.param(
            {**LISTINGS_READ, **shown("unstored", 2, not_found=2)},
            ["the listings showed 2 unstored story(ies) but none was stored (2 answered 404)"],
            id="every-one-of-several-404",
        ),
        pytest.param(
            {**LISTINGS_READ, **shown("new", 1), **shown("recheck", 30, parsed=30)},
            ["the listings showed 1 unstored story(ies) but none was stored"],
            id="rechecks-do-not-count",
        ),
        pytest.param(
            {**LISTINGS_READ, **shown("gone_listed", 1, not_found=1)}, [], id="still-gone"
        ),
        pytest.param(
            {
                "downloader/request_count": 40,
                "wirecrawl/listing/failed": 10,
                "wirecrawl/article/parsed": 30,
                **shown("recheck", 30, parsed=30),
            },
            ["none of the category listings could be read (10 failed)"],
            id="listings-unread-rechecks-answered",
        ),
        pytest.param(
            {**LISTINGS_READ, **shown("new", 3, parsed=3), "wirecrawl/store/batch_failed": 1},
            ["writing to the archive failed (1 batch(es)) and no story was stored"],
            id="every-write-failed",
        ),
        pytest.param(
            {
                **LISTINGS_READ,
                **shown("new", 3, parsed=3),
                "wirecrawl/store/batch_failed": 1,
                "wirecrawl/store/new": 3,
            },
            [],
            id="a-failed-batch-written-with-the-next",
        ),
        pytest.param(
            {"downloader/request_count": 5, "wirecrawl/listing/failed": 5},
            ["none of 5 request(s) got a usable answer from the site"],
            id="nothing-answered",
        ),
    ],
)
def test_alarms(stats: dict[str, Any], raised: list[str]) -> None:
    assert alarms(stats) == raised
