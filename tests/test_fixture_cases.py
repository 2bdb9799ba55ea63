"""Every saved page under fixtures/<site>/<case>/ gives exactly the expected fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wirecrawl.cases import extract, load_case

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(p.parent for p in FIXTURES.glob("*/*/expected.json"))


def test_there_are_cases_for_every_page_class() -> None:
    classes = {load_case(case)[0]["page_class"] for case in CASES}
    assert {"KcnaListingPage", "KcnaArticlePage"} <= classes


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_case(case: Path) -> None:
    meta, html, expected = load_case(case)
    assert expected, f"{case}: expected.json is empty; write what the page must give"
    actual = extract(meta, html)
    differences = [
        f"{field}: expected {expected.get(field)!r}, got {actual.get(field)!r}"
        for field in sorted(expected.keys() | actual.keys())
        if expected.get(field) != actual.get(field)
    ]
    assert not differences, f"{case.name}:\n" + "\n".join(differences)


def _non_empty(value: Any) -> bool:
    return value not in (None, "", [], {})


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_stories_have_the_fields_users_count_on(case: Path) -> None:
    """A page that is an article must give a title, a body and its date; never teaser text."""
    _meta, _html, expected = load_case(case)
    if not expected.get("is_article"):
        assert not expected.get("body"), "a page that is not a story must give no body"
        return
    for field in ("title", "body", "published"):
        assert _non_empty(expected[field]), f"{case.name}: {field} is empty"
    assert "-0-" not in expected["body"]
    assert "\n\n\n" not in expected["body"]
