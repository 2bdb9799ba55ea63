"""Which page class reads a kcna.kp URL (wirecrawl.pages.dispatch.page_kind)."""

from __future__ import annotations

import pytest

from wirecrawl.pages.dispatch import PAGE_CLASSES, page_kind

H32 = "3f9c2a71d4e85b06a1c7e2d94b3f8a10"
H64 = H32 * 2
SITE = "http://www.kcna.kp"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        pytest.param(f"{SITE}/en/article/detail/{H32}", "KcnaArticlePage", id="current-article"),
        pytest.param(
            f"{SITE}/en/article/detail/{H32}/", "KcnaArticlePage", id="current-article-slash"
        ),
        pytest.param(
            f"{SITE}/en/article/detail/{H32.upper()}", "KcnaArticlePage", id="upper-case-hex"
        ),
        pytest.param(
            f"https://kcna.kp/en/article/detail/{H32}?x=1#y",
            "KcnaArticlePage",
            id="bare-host-https-query",
        ),
        pytest.param(f"{SITE}/en/article/list/{H32}", "KcnaListingPage", id="current-listing"),
        pytest.param(f"{SITE}/en/article/q/{H32}.kcmsf", "KcnaOldArticlePage", id="old-article-32"),
        pytest.param(f"{SITE}/en/article/q/{H64}.kcmsf", "KcnaOldArticlePage", id="old-article-64"),
        pytest.param(
            f"{SITE}/en/category/articles/q/{H32}.kcmsf", "KcnaOldCategoryPage", id="old-category"
        ),
        pytest.param(
            f"{SITE}/en/category/articles/q/{H64}.kcmsf",
            "KcnaOldCategoryPage",
            id="old-category-later-page",
        ),
        pytest.param(f"{SITE}/en", "KcnaOldHomePage", id="home"),
        pytest.param(f"{SITE}/en/", "KcnaOldHomePage", id="home-slash"),
        pytest.param(f"{SITE}/en/index.kcmsf", "KcnaOldHomePage", id="home-kcmsf"),
        pytest.param(
            f"http://www.kcna.kp./en/article/q/{H32}.kcmsf",
            "KcnaOldArticlePage",
            id="host-with-final-dot",
        ),
        pytest.param(f"{SITE}/", None, id="root-chooses-language"),
        pytest.param(f"{SITE}/kp/article/detail/{H32}", None, id="korean"),
        pytest.param(f"{SITE}/en/gallery/detail/{H32}", None, id="gallery"),
        pytest.param(f"{SITE}/en/media/photo/q/{H32}.kcmsf", None, id="old-photo-page"),
        pytest.param(f"{SITE}/en/article/detail/{H32[:-1]}", None, id="short-id"),
        pytest.param(f"{SITE}/en/article/q/{H32}", None, id="old-without-kcmsf"),
        pytest.param(f"https://kcnawatch.org/en/article/detail/{H32}", None, id="other-host"),
        pytest.param(
            f"http://kcna.kp.evil.example/en/article/detail/{H32}", None, id="lookalike-host"
        ),
        pytest.param(f"/en/article/detail/{H32}", None, id="relative"),
        pytest.param(f"ftp://www.kcna.kp/en/article/detail/{H32}", None, id="ftp"),
        pytest.param("http://[::1/en", None, id="unparseable"),
        pytest.param("", None, id="empty"),
    ],
)
def test_page_kind(url: str, kind: str | None) -> None:
    assert page_kind(url) == kind


def test_every_kind_names_a_page_class() -> None:
    assert set(PAGE_CLASSES) == {
        "KcnaArticlePage",
        "KcnaListingPage",
        "KcnaOldArticlePage",
        "KcnaOldCategoryPage",
        "KcnaOldHomePage",
    }
    assert all(name == cls.__name__ for name, cls in PAGE_CLASSES.items())
