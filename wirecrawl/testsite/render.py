"""HTML of the current www.kcna.kp layout (since July 2026), as the imitation serves it.

The markup the crawler relies on follows the published facts in kcna-site.md exactly:
listing entries `main div.article h5.block > a` with the date in `<span><nobr>[y.m.d.]</nobr>`,
the pagination variables in a script, the POST form `#article_form`, and the article body as
the direct `<p>` children of `main > article > div.container`. Everything around them (menus
printed twice, header, sidebar, footer, pagination links, off-site links) is noise on purpose:
a parser that leans on anything else should fail against these pages.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import itertools
from collections.abc import Sequence

from wirecrawl.testsite.model import KCNA_CATEGORIES, Category, Site, Story, mark_leaders

_LANGUAGES = (
    ("kp", "조선어"),
    ("en", "English"),
    ("cn", "中国语"),
    ("ru", "Русский"),
    ("es", "Español"),
    ("jp", "日本語"),
)
# Off-site links the real footer carries; a crawler must never follow them.
_RELATED_SITES = (
    ("http://www.rodong.rep.kp", "Rodong Sinmun"),
    ("http://www.vok.rep.kp", "Voice of Korea"),
    ("http://www.naenara.com.kp", "Naenara"),
    ("http://www.mfa.gov.kp", "Ministry of Foreign Affairs"),
)
_GALLERY_LIST_ID = "9d3c0e1c7e1b4a3f8f7d2b5a6c4e1f20"
_VIDEO_LIST_ID = "5e2a91b7c3d84f60a1b2c3d4e5f60718"
_ARTICLE_SIDEBAR_SIZE = 6


def listing_date(day: datetime.date) -> str:
    """A date as listing entries print it: `[2026.7.19.]`, no zero padding."""
    return f"[{day.year}.{day.month}.{day.day}.]"


def gallery_id(story: Story) -> str:
    """The 32-hex id of a story's photo gallery; derived from the story so pages are stable."""
    return hashlib.md5(f"gallery:{story.id}".encode(), usedforsecurity=False).hexdigest()


def photo_id(story: Story, index: int) -> str:
    """The 64-hex name of a story's `index`-th photo under `/photo/`."""
    return hashlib.sha256(f"photo:{story.id}:{index}".encode()).hexdigest()


def _name_html(name: str) -> str:
    return mark_leaders(html.escape(name, quote=False))


def _menu_items(categories: Sequence[Category], current_id: str | None) -> str:
    items = []
    for category in categories:
        active = " class='active'" if category.id == current_id else ""
        items.append(
            f"<li{active}><a href='/en/article/list/{category.id}'>"
            f"{_name_html(category.name)}</a></li>"
        )
    items.append(f"<li><a href='/en/gallery/list/{_GALLERY_LIST_ID}'>Photo</a></li>")
    items.append(f"<li><a href='/en/video/list/{_VIDEO_LIST_ID}'>Video</a></li>")
    return "\n".join(items)


def _header(categories: Sequence[Category], current_id: str | None) -> str:
    languages = " <span>/</span> ".join(
        f"<a href='/{code}' class='lang-link{' active' if code == 'en' else ''}' lang='{code}'>"
        f"{label}</a>"
        for code, label in _LANGUAGES
    )
    menu = _menu_items(categories, current_id)
    # The real site prints its menu twice (a drop-down for phones and a bar for desktops),
    # so every category link appears more than once on every page.
    return f"""<div class="mobile-bar">
<a href="/en" class="kcna-link"><i class="fa fa-home"></i></a>
<div class="drop-list-category"><i class="fa fa-bars"></i>
<ul class="mobile-menu">
{menu}
</ul>
</div>
</div>
<header class="page-header">
<div class="container">
<a href="/en" class="kcna-link">
<img class="kcna-logo" src="/assets/img/mark.png" alt="KCNA Mark"></a>
<div class="language-bar text-right">{languages}</div>
<form id="search_form" class="search-form form-inline" method="GET" action="/en/article/search">
<input type="text" class="search-text" name="keyword" value="" placeholder="Search">
<input type="submit" class="search-btn" value="Search">
</form>
<nav class="site-menu">
<ul class="nav-menu">
{menu}
</ul>
</nav>
</div>
</header>"""


def _footer(categories: Sequence[Category]) -> str:
    related = "\n".join(
        f'<li class="relative_link"><a href="{url}" target="_blank" title="{url}">{label}</a></li>'
        for url, label in _RELATED_SITES
    )
    return f"""<footer class="page-footer">
<div class="container">
<div class="footer-menu-container">
<ul class="nav-menu">
{_menu_items(categories, None)}
</ul>
</div>
<div class="ref-sites">
<ul>
{related}
</ul>
</div>
<div class="copy-right">Korean Central News Agency &copy; 2000-2026 www.kcna.kp</div>
</div>
</footer>
<div class="scroll-to-top"><i class="fa fa-long-arrow-up"></i></div>
<script src="/assets/plugins/jquery.min.js"></script>
<script src="/assets/js/common.js"></script>"""


def _page(title_text: str, body: str, *, head_extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="author" content="Korean Central News Agency">
{head_extra}<title>{html.escape(title_text, quote=False)}</title>
<link href="/assets/plugins/bootstrap/css/bootstrap.min.css" rel="stylesheet" type="text/css">
<link href="/assets/css/common.css" rel="stylesheet" type="text/css">
<link rel="shortcut icon" href="/favicon.png">
</head>
<body class="en" lang="en-us">
{body}
</body>
</html>
"""


def _listing_sidebar() -> str:
    # Gallery and video links only: an empty listing must hold no article link anywhere.
    return f"""<aside class="sidebar col-md-3">
<div class="widget">
<div class="cat-title"><a href="/en/gallery/list/{_GALLERY_LIST_ID}">Photo</a></div>
<a href="/en/gallery/list/{_GALLERY_LIST_ID}">
<img class="focus" src="/siteFiles/thumb/photo.jpg" alt=""></a>
</div>
<div class="widget">
<div class="cat-title"><a href="/en/video/list/{_VIDEO_LIST_ID}">Video</a></div>
<a href="/en/video/list/{_VIDEO_LIST_ID}">
<img class="focus" src="/siteFiles/thumb/video.jpg" alt=""></a>
</div>
</aside>"""


def _pagination(cur_page: int, page_cnt: int) -> str:
    # The real pager is JavaScript that posts #article_form; its links lead nowhere themselves.
    first = max(1, cur_page - 4)
    last = min(page_cnt, first + 9)
    links = []
    if cur_page > 1:
        links.append(f'<li><a href="javascript:goPage({cur_page - 1})">&laquo;</a></li>')
    for number in range(first, last + 1):
        active = ' class="active"' if number == cur_page else ""
        links.append(f'<li{active}><a href="javascript:goPage({number})">{number}</a></li>')
    if cur_page < page_cnt:
        links.append(f'<li><a href="javascript:goPage({cur_page + 1})">&raquo;</a></li>')
    return '<ul class="pagination">' + "".join(links) + "</ul>"


def render_listing(
    site: Site,
    category: Category,
    entries: Sequence[Story],
    *,
    cur_page: int,
    per_page: int,
    page_cnt: int,
    total: int,
    csrf: str,
) -> str:
    """A category listing page: `entries` as `div.article`, the pager variables and form.

    `csrf` goes into the form's `_csrf` field and into the `_csrf` meta tag; the snapshot
    writes a placeholder there that the server replaces per session.
    """
    items = "\n".join(
        f'<div class="article"><h5 class="block"><a href="/en/article/detail/{story.id}">'
        f"{story.title_html}</a></h5><span><nobr>{listing_date(story.published)}</nobr></span></div>"
        for story in entries
    )
    name = _name_html(category.name)
    # One line, as the site prints it; the crawler reads these rather than assuming 15.
    pager_variables = (
        f"var total = {total}; var cur_page = {cur_page}; "
        f"var per_page = {per_page}; var page_cnt = {page_cnt};"
    )
    body = f"""{_header(site.categories, category.id)}
<main class="page-container">
<div class="container">
<div class="col-md-9 article-list-container">
<div class="cat-title"><h4>{name}</h4></div>
<form id="article_form" method="POST" action="/en/article/list/{category.id}">
<input type="hidden" name="page_num" id="page_num" value="{cur_page}">
<input type="hidden" name="cnt_per_page" id="cnt_per_page" value="{per_page}">
<input type="hidden" name="keyword" id="keyword" value="">
<input type="hidden" name="_csrf" value="{csrf}">
</form>
<div class="article-list">
{items}
</div>
<nav class="page-nav">{_pagination(cur_page, page_cnt)}</nav>
</div>
{_listing_sidebar()}
</div>
</main>
<script type="text/javascript">
{pager_variables}
function goPage(num) {{
	document.getElementById("page_num").value = num;
	document.getElementById("article_form").submit();
}}
</script>
{_footer(site.categories)}"""
    head = (
        f'<meta name="_csrf" content="{csrf}">\n<meta name="_csrf_header" content="X-CSRF-TOKEN">\n'
    )
    return _page(f"KCNA | {category.name}", body, head_extra=head)


def render_empty_listing(
    site: Site,
    category: Category,
    *,
    cur_page: int,
    per_page: int,
    page_cnt: int,
    total: int,
    csrf: str,
) -> str:
    """The listing page with no entries: the site's answer (200) to a POST it rejects.

    The pager variables still describe the full listing, as on the real site: only the
    missing article links tell a rejected request from a good one.
    """
    return render_listing(
        site,
        category,
        (),
        cur_page=cur_page,
        per_page=per_page,
        page_cnt=page_cnt,
        total=total,
        csrf=csrf,
    )


def _photo(story: Story, index: int, caption_html: str) -> str:
    return (
        f'<div class="photo"><img src="/photo/{photo_id(story, index)}" alt="">'
        f"<p>{caption_html}</p></div>"
    )


def _article_sidebar(site: Site, story: Story) -> str:
    # Other headlines without dates: the real article page prints no date at all.
    others = (other for other in reversed(site.stories) if other.id != story.id)
    links = "\n".join(
        f'<li><a href="/en/article/detail/{other.id}">{other.title_html}</a></li>'
        for other in itertools.islice(others, _ARTICLE_SIDEBAR_SIZE)
    )
    latest = next((c for c in site.categories if c.name == "Latest News"), None)
    more = ""
    if latest is not None:
        more = f'<p class="more"><a href="/en/article/list/{latest.id}">More news</a></p>'
    return f"""<aside class="sidebar">
<div class="cat-title"><h4>Latest News</h4></div>
<p class="sidebar-note">Other stories</p>
<ul class="sidebar-list">
{links}
</ul>
{more}
</aside>"""


def render_article(story: Story, *, site: Site | None = None) -> str:
    """A story page: headline, body as direct `<p>` children, photos, gallery link; no date.

    With `site`, the menu lists its categories and a sidebar shows other headlines;
    without it the menu lists the real site's categories and there is no sidebar.
    """
    categories = site.categories if site is not None else list(KCNA_CATEGORIES)
    parts = [
        f'<h1 class="text-center text-danger">{story.title_html}</h1>',
        '<h1 class="text-center"></h1>',
    ]
    # The first photo stands above the body and the others between its paragraphs, so that a
    # caption sits among body paragraphs but one level deeper (inside div.photo).
    photos = [_photo(story, index, caption) for index, caption in enumerate(story.captions)]
    if photos:
        parts.append(photos[0])
    for position, paragraph in enumerate(story.paragraphs_html):
        parts.append(f"<p>{paragraph}</p>")
        if position == 1 and len(photos) > 1:
            parts.extend(photos[1:])
    if len(photos) > 1 and len(story.paragraphs_html) < 2:
        parts.extend(photos[1:])
    if photos:
        parts.append(
            f'<div class="text-center"><a class="gallery_button" '
            f'href="/en/gallery/detail/{gallery_id(story)}">Photo</a></div>'
        )
    container = "\n".join(parts)
    sidebar = _article_sidebar(site, story) if site is not None else ""
    body = f"""{_header(categories, None)}
<main class="page-container">
<article>
<div class="container">
{container}
</div>
</article>
{sidebar}
</main>
{_footer(categories)}"""
    return _page(f"KCNA | {story.title}", body)


def render_home(site: Site) -> str:
    """The English front page, `/en`: the menu and the newest headlines of each category."""
    blocks = []
    for category in site.categories:
        newest = site.stories_in(category.id)[:5]
        lines = "\n".join(
            f"<li><a href='/en/article/detail/{story.id}'>{story.title_html}</a> "
            f"<span class='datemark'><nobr>{listing_date(story.published)}</nobr></span></li>"
            for story in newest
        )
        blocks.append(
            f"<section class='widget'><div class='cat-title'>"
            f"<a href='/en/article/list/{category.id}'>{_name_html(category.name)}</a></div>"
            f"<ul class='widget-content'>\n{lines}\n</ul></section>"
        )
    widgets = "\n".join(blocks)
    body = f"""{_header(site.categories, None)}
<main class="page-container home">
<div class="container">
{widgets}
</div>
</main>
{_footer(site.categories)}"""
    return _page("KCNA", body)


def render_blocked_page(url: str = "") -> str:
    """A local network filter's page, served with 200 in place of the one asked for."""
    shown = f"<p><b>URL:</b> {html.escape(url)}</p>" if url else ""
    return f"""<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Web Page Blocked</title></head>
<body style="font-family: sans-serif">
<div class="block-page">
<h2>Web Page Blocked</h2>
<p>Access to the web page you were trying to visit has been blocked in accordance with
the network's security policy.</p>
{shown}
<p><b>Category:</b> News and Media</p>
<p>Contact your network administrator if you believe this is an error.</p>
</div>
</body>
</html>
"""


def render_error_page(status: int, reason: str) -> str:
    """A plain server error page (404, 500, 503) like the site's application server prints."""
    return f"""<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>HTTP Status {status} - {html.escape(reason)}</title></head>
<body><h1>HTTP Status {status} - {html.escape(reason)}</h1><hr></body>
</html>
"""


def render_robots() -> str:
    """A robots.txt that allows every crawler everywhere."""
    return "User-agent: *\nDisallow:\n"
