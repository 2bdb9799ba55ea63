"""The fixture cases cover every page class the case registry knows, and keep teasers out of
stories."""

from __future__ import annotations

from pathlib import Path

import pytest

from wirecrawl.cases import ARTICLE_PAGES, LISTING_PAGES, extract, load_case

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(p.parent for p in FIXTURES.glob("*/*/expected.json"))
AGGREGATOR_CASES = [case for case in CASES if case.parent.name == "aggregator"]


def test_every_registered_page_class_has_a_case() -> None:
    classes = {load_case(case)[0]["page_class"] for case in CASES}
    assert set(ARTICLE_PAGES) | set(LISTING_PAGES) <= classes


def test_the_seed_page_has_at_least_two_renderings() -> None:
    assert len(AGGREGATOR_CASES) >= 2


@pytest.mark.parametrize("case", AGGREGATOR_CASES, ids=[c.name for c in AGGREGATOR_CASES])
def test_seed_rendering_gives_20_teasers_once_each_and_none_in_the_body(case: Path) -> None:
    _meta, _html, expected = load_case(case)
    teasers = expected["teasers"]
    assert len(teasers) == 20
    assert len({teaser["url"] for teaser in teasers}) == 20
    assert all(teaser["published"] for teaser in teasers)
    assert not [t["text"] for t in teasers if t["text"] in expected["body"]]
    assert expected["body"].count("\n\n") == 11  # the seed story's twelve paragraphs


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_a_page_with_an_xml_declaration_reads_as_the_same_html(case: Path) -> None:
    # An XHTML rendering (declaration, namespace) is still HTML to the page classes: read by
    # the HTML parser, never as XML (whose namespace no CSS query of ours would match).
    meta, html, _expected = load_case(case)
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n' + html.replace(
        "<html", '<html xmlns="http://www.w3.org/1999/xhtml"', 1
    )
    assert extract(meta, xhtml) == extract(meta, html)
