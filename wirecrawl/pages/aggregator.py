"""Article pages of an aggregator that republishes KCNA (the seed page's format).

The aggregator's markup is not established, so the page is read by the structure of its text
(``wirecrawl.pages.text_lines``), never by class names. In order, the page prints:

1. the headline (its ``h1``, not the site's logo in another; else ``<title>``), perhaps a date
   line under it;
2. the story: from its dateline (``Pyongyang, June 1 (KCNA) --``) to its end mark `` -0-``;
3. a heading ``More From <source>`` (``More From KCNA.kp (En)``);
4. teasers of other stories, each as teaser / date (``December 01, 2025``) / the same teaser;
5. ``More Articles``.

Story URLs look like ``/newstream/<10-digit unix time>-<id>/<slug>/``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

from wirecrawl.normalise.datelines import split_dateline
from wirecrawl.normalise.dates import (
    date_from_unix_time_in_url,
    date_of_machine_time,
    parse_english_date,
    parse_kcna_date,
)
from wirecrawl.normalise.teasers import Teaser, dedupe_teasers
from wirecrawl.normalise.text import clean_text, strip_end_mark
from wirecrawl.pages.base import StoryPage, text_of
from wirecrawl.pages.text_lines import TextLine, text_lines

_MORE_FROM = re.compile(r"\W*more\s+from\s*:?\s*(?P<source>.*?)\s*:?\s*", re.IGNORECASE)
# The teaser box's heading names a source ("More From KCNA.kp (En)", "More From Committee for
# the Peaceful Reunification of the Country"); a line opening with those words that ends as a
# sentence ends, or runs longer than a name, is a sentence of the story ("More from the
# Russian side were present at the talks, the report said.").
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")
_MAX_WORDS_OF_MORE_FROM = 16
_MORE_ARTICLES = re.compile(r"\W*more\s+articles\W*", re.IGNORECASE)

# A date line may carry a label before the date and a time after it.
_DATE_LABEL = re.compile(r"^(?:published|posted|updated|date)(?:\s+on)?\s*:?\s*", re.IGNORECASE)
_TIME_OF_DAY = re.compile(
    r"\s*(?:,|at|-)?\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?\s*(?:[ap]\.?m\.?)?(?:\s*[A-Z]{2,5})?$",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})(?:[T ].*)?")
_KCNA_DATE_ONLY = re.compile(
    r"[\[(]?(?:juche\s*)?[0-9]{1,4}\.[0-9]{1,2}\.[0-9]{1,2}\.?[\])]?", re.I
)

# A teaser line with its date glued on (``<a>teaser</a> <time>December 01, 2025</time>``).
_MONTH_DAY_YEAR = r"[A-Za-z]{3,9}\.?\s+[0-9]{1,2}(?:st|nd|rd|th)?,?\s+[0-9]{4}"
_TRAILING_DATE = re.compile(
    rf"(?P<text>.+?)\s*[-\u2013\u2014|\u00b7\u2022,]?\s*(?P<date>{_MONTH_DAY_YEAR})"
)
_LEADING_DATE = re.compile(
    rf"(?P<date>{_MONTH_DAY_YEAR})\s*[-\u2013\u2014|\u00b7\u2022:]?\s*(?P<text>.+)"
)

# What cuts a teaser short (``...``, ``…``, ``[…]``); two copies of a teaser may differ in it.
_ELLIPSIS = re.compile(r"(?:\s*(?:\.\.\.|\u2026|\[\u2026\]|\[\.\.\.\]))+$")

# The title of a page without h1: ``Headline | Site``; the longest part is the headline.
_TITLE_SEPARATOR = re.compile(r"\s+(?:\||-|\u2013|\u2014|::|\u00bb)\s+")

# Without a dateline, the story starts at the first line long enough to be a paragraph.
_MIN_WORDS_OF_FIRST_PARAGRAPH = 8
# Shorter lines in the teaser box are labels and buttons ("Read more"), not teasers.
_MIN_WORDS_OF_TEASER = 3

# What a page says its site is called (``KCNA Watch``).
_SITE_NAME_META = (
    "meta[property='og:site_name']::attr(content)",
    "meta[name='application-name']::attr(content)",
)
# A link to the site's home page: its root, or its index page, without a query (``/?p=<id>``
# is a story's short link, ``/?s=`` a search).
_HOME_PATH = re.compile(r"/?(?:index\.[a-z]+)?", re.IGNORECASE)

_PUBLISHED_META = (
    "meta[property='article:published_time']::attr(content)",
    "meta[itemprop='datePublished']::attr(content)",
    "meta[name='pubdate']::attr(content)",
    "meta[name='date']::attr(content)",
    "[itemprop='datePublished']::attr(datetime)",
)


def date_of_line(text: str) -> dt.date | None:
    """The date a line is, or None: ``December 01, 2025``, ``Published: June 1, 2018 07:00``,
    ``2018-06-01``, ``[2025.12.1.]``. A line that mentions a date among other words is no date."""
    stripped = _TIME_OF_DAY.sub("", _DATE_LABEL.sub("", clean_text(text)))
    if not stripped:
        return None
    iso = _ISO_DATE.fullmatch(stripped)
    if iso is not None:
        try:
            return dt.date(int(iso["year"]), int(iso["month"]), int(iso["day"]))
        except ValueError:
            return None
    if _KCNA_DATE_ONLY.fullmatch(stripped):
        return parse_kcna_date(stripped)
    return parse_english_date(stripped)


def _more_from(text: str) -> re.Match[str] | None:
    """The teaser box's heading ``More From <source>``, matched; None for any other line."""
    text = text.strip()
    if len(text.split()) > _MAX_WORDS_OF_MORE_FROM or _SENTENCE_END.search(text):
        return None
    return _MORE_FROM.fullmatch(text)


def _name_key(text: str) -> str:
    """A name with only its letters and digits, case folded: ``KCNA Watch`` is ``kcnawatch``."""
    return "".join(char for char in text.casefold() if char.isalnum())


def _without_www(host: str) -> str:
    return host.removeprefix("www.")


def _compare_key(text: str) -> str:
    return _ELLIPSIS.sub("", clean_text(text)).casefold()


def _split_date(text: str) -> tuple[str, dt.date | None]:
    # A teaser line with its date glued on before or after it.
    for pattern in (_TRAILING_DATE, _LEADING_DATE):
        match = pattern.fullmatch(text)
        if match is not None:
            day = parse_english_date(match["date"])
            if day is not None:
                return match["text"], day
    return text, None


def _opens_with_dateline(text: str) -> bool:
    return split_dateline(text)[0] is not None


def _ends_with_end_mark(text: str) -> bool:
    return strip_end_mark([text])[1]


def _holds_a_story(lines: list[TextLine]) -> bool:
    # A line ends with the end mark; or, where no end mark is printed at all (not even inside
    # a line that lumps story and teasers together), a line opens with a dateline.
    if any(_ends_with_end_mark(line.text) for line in lines):
        return True
    return not any("-0-" in line.text for line in lines) and any(
        _opens_with_dateline(line.text) for line in lines
    )


@dataclass
class _TeaserGroup:
    """Consecutive lines of the teaser box that print one teaser (teaser, date, teaser)."""

    text: str
    key: str
    published: dt.date | None
    lines: list[TextLine] = field(default_factory=list)

    def url(self) -> str | None:
        texts = [line for line in self.lines if _compare_key(_split_date(line.text)[0]) == self.key]
        for line in (*texts, *self.lines):
            href = line.main_link()
            if href:
                return href
        return next((link.href for line in self.lines for link in line.links), None)


@dataclass(frozen=True, kw_only=True)
class _Structure:
    """Where the parts of the page are, as indexes into its lines."""

    headline: int | None
    story: range
    more_from: int | None
    teaser_box: range


class AggregatorArticlePage(StoryPage):
    """A story republished by an aggregator, with its "More From <source>" teasers."""

    @cached_property
    def lines(self) -> list[TextLine]:
        """The page's text, one line per block, in document order.

        A page that holds no story that way may print its text as plain lines without markup
        between them: then every newline ends a line too.
        """
        lines = text_lines(self.selector)
        if _holds_a_story(lines):
            return lines
        by_newline = text_lines(self.selector, newlines=True)
        return by_newline if _holds_a_story(by_newline) else lines

    def title(self) -> str:
        """The headline: the page's ``h1`` (if it has several: not the site's logo, and the one
        the ``<title>`` names), else ``og:title``, else the longest part of ``<title>``
        (``Headline | Site``)."""
        headings = [
            (text, node.root)
            for node in self.selector.xpath("//body//h1")
            if (text := text_of(node))
        ]
        page_title = clean_text(
            self.selector.css("meta[property='og:title']::attr(content)").get()
            or self.selector.css("title::text").get("")
        )
        if len(headings) > 1:
            # A site's header often puts its logo in an h1 too, and its <title> may be the
            # site's name alone: it would name the logo.
            story_headings = [text for text, node in headings if not self._is_logo(text, node)]
            texts = story_headings or [text for text, _node in headings]
            named = [h for h in texts if _compare_key(h) in _compare_key(page_title)]
            return max(named or texts, key=len)
        if headings:
            return headings[0][0]
        return max(_TITLE_SEPARATOR.split(page_title), key=len)

    def _is_logo(self, text: str, heading: Any) -> bool:
        """Whether a heading (an lxml element) is the site's logo: it links to the site's home
        page, or it says the site's name (the one the page gives, or its host's name)."""
        host = _without_www(urlsplit(self.url).hostname or "")
        for href in heading.xpath("ancestor::a/@href | .//a/@href"):
            try:
                target = urlsplit(urljoin(self.url, href.strip()))
            except ValueError:
                continue  # a link that is no web address
            if (
                _without_www(target.hostname or "") == host
                and _HOME_PATH.fullmatch(target.path)
                and not target.query
            ):
                return True
        return _name_key(text) in self._site_names

    @cached_property
    def _site_names(self) -> set[str]:
        # ``kcnawatch.org`` is "KCNA Watch", ``kcna.watch`` too.
        labels = _without_www(urlsplit(self.url).hostname or "").split(".")
        names = {"".join(labels[:-1]), "".join(labels)}
        names.update(_name_key(v) for q in _SITE_NAME_META for v in self.selector.css(q).getall())
        return names - {""}

    def paragraphs(self) -> list[str]:
        """The story's lines, dateline and end mark included (the pipelines split them off).

        No line of the teaser box is ever part of the story, and no line that reads as one of
        its teasers, but for the lines that open the story with its dateline or end it with
        its end mark: the box lists the source's latest stories, the page's own among them,
        whose teaser may be the whole of its first paragraph.
        """
        teaser_keys = {group.key for group in self._teaser_groups}
        story = self._structure.story
        return [
            self.lines[i].text
            for i in story
            if i not in self._runs
            and (
                _compare_key(self.lines[i].text) not in teaser_keys
                or (i == story.start and _opens_with_dateline(self.lines[i].text))
                or _ends_with_end_mark(self.lines[i].text)
            )
        ]

    def published(self) -> dt.date | None:
        """The story's date: a date the page gives for it (publication metadata, a date line
        between headline and story), else the unix time in the URL, else None. Never a
        teaser's date, never the crawl's."""
        for query in _PUBLISHED_META:
            value = self.selector.css(query).get()
            day = (date_of_machine_time(value) or date_of_line(value)) if value else None
            if day is not None:
                return day
        for i in self._lines_before_story():
            line = self.lines[i]
            # The date printed, which the reader sees, before a machine time (often UTC).
            day = date_of_line(line.text) or _split_date(line.text)[1]
            for value in line.times:
                day = day or date_of_machine_time(value) or date_of_line(value)
            if day is not None:
                return day
        return date_from_unix_time_in_url(self.url)

    def source_label(self) -> str | None:
        """The source named by the ``More From <source>`` heading (``KCNA.kp (En)``)."""
        index = self._structure.more_from
        if index is None:
            return None
        match = _more_from(self.lines[index].text)
        return match["source"] if match and match["source"] else None

    def teasers(self) -> list[Teaser]:
        """The teasers of other stories after the story, each story once, in page order."""
        found = []
        for group in self._teaser_groups:
            href = group.url()
            if href is None:
                continue
            try:
                found.append(Teaser.from_link(self.url, href, group.text, group.published))
            except ValueError:
                continue  # a link that is no web address (a cut or mangled page): no teaser
        return dedupe_teasers(found)

    def story(self) -> tuple[str, list[str]] | None:
        """The headline and the paragraphs; None unless the lines open with a dateline or end
        with the end mark (else they are not a story)."""
        found = super().story()
        if found and (_opens_with_dateline(found[1][0]) or _ends_with_end_mark(found[1][-1])):
            return found
        return None

    # --- the structure of the text ---------------------------------------------------------

    @cached_property
    def _runs(self) -> set[int]:
        # Lines that are part of a teaser / date / same teaser run, wherever on the page.
        keys = [_compare_key(line.text) for line in self.lines]
        dated = [date_of_line(line.text) is not None for line in self.lines]
        in_runs: set[int] = set()
        for i in range(len(self.lines) - 2):
            if dated[i + 1] and not dated[i] and keys[i] == keys[i + 2]:
                in_runs.update((i, i + 1, i + 2))
        return in_runs

    def _headline_index(self) -> int | None:
        key = _compare_key(self.title())
        matches = [i for i, line in enumerate(self.lines) if _compare_key(line.text) == key]
        in_heading = [i for i in matches if self.lines[i].heading is not None]
        return next(iter(in_heading or matches), None)

    @cached_property
    def _structure(self) -> _Structure:
        lines = self.lines
        headline = self._headline_index()
        first = 0 if headline is None else headline + 1
        # Nothing of the story lies past the teaser box's heading or its "More Articles".
        limit = next(
            (
                i
                for i in range(first, len(lines))
                if _more_from(lines[i].text) or _MORE_ARTICLES.fullmatch(lines[i].text)
            ),
            len(lines),
        )
        start = self._story_start(first, limit)
        # The story ends with its end mark; without one, where teaser runs or the box begin.
        end = next((i + 1 for i in range(start, limit) if _ends_with_end_mark(lines[i].text)), None)
        if end is None:
            end = next((i for i in range(start, limit) if i in self._runs), limit)
        more_from = next((i for i in range(end, len(lines)) if _more_from(lines[i].text)), None)
        box_start = end if more_from is None else more_from + 1
        box_end = next(
            (i for i in range(box_start, len(lines)) if _MORE_ARTICLES.fullmatch(lines[i].text)),
            len(lines),
        )
        return _Structure(
            headline=headline,
            story=range(start, end),
            more_from=more_from,
            teaser_box=range(box_start, box_end),
        )

    def _story_start(self, first: int, limit: int) -> int:
        """The story's first line: the line that opens with its dateline, else the first line
        long enough to be a paragraph; never a teaser run's line or a line that is a link."""
        lines = self.lines
        candidates = [
            i for i in range(first, limit) if i not in self._runs and lines[i].main_link() is None
        ]
        openers = [i for i in candidates if _opens_with_dateline(lines[i].text)]
        end_mark = next((i for i in candidates if _ends_with_end_mark(lines[i].text)), None)
        if end_mark is not None and any(i <= end_mark for i in openers):
            # Story paragraphs never open with a dateline but the first: the last dateline
            # before the end mark is the story's, whatever boxes come before it.
            return max(i for i in openers if i <= end_mark)
        if openers:
            return openers[0]
        return next(
            (
                i
                for i in candidates
                if len(lines[i].text.split()) >= _MIN_WORDS_OF_FIRST_PARAGRAPH
                and date_of_line(lines[i].text) is None
            ),
            limit,
        )

    def _lines_before_story(self) -> list[int]:
        # A date line right under the headline (within three lines) or right above the story
        # (within two), with no link or teaser run between: a box's dates are not the story's.
        structure = self._structure
        start = structure.story.start
        below = range(structure.headline + 1, start) if structure.headline is not None else []
        top = -1 if structure.headline is None else structure.headline
        above = range(start - 1, max(top, start - 3), -1)
        found: list[int] = []
        for stretch in (below[:3], above):
            for i in stretch:
                if i in self._runs or self.lines[i].main_link() is not None:
                    break
                found.append(i)
        return found

    @cached_property
    def _teaser_groups(self) -> list[_TeaserGroup]:
        groups: list[_TeaserGroup] = []
        label = _compare_key(self.source_label() or "")
        pending: dt.date | None = None
        for i in self._structure.teaser_box:
            line = self.lines[i]
            day = date_of_line(line.text)
            if day is not None:
                if groups and groups[-1].published is None and pending is None:
                    groups[-1].published = day
                    groups[-1].lines.append(line)
                else:
                    # Dates printed before their teasers.
                    pending = day
                continue
            text, glued = _split_date(line.text)
            key = _compare_key(text)
            href = line.main_link()
            if (
                groups
                and groups[-1].key == key
                and (href is None or groups[-1].url() in (None, href))
            ):
                # The same teaser printed again; the same words linking elsewhere are another
                # story's (greetings of one day open alike).
                groups[-1].lines.append(line)
                continue
            if key == label or len(text.split()) < _MIN_WORDS_OF_TEASER:
                continue
            groups.append(
                _TeaserGroup(text=text, key=key, published=glued or pending, lines=[line])
            )
            pending = None
        # Where teasers carry dates, a line without one is not a teaser (a footer, a label).
        if any(group.published for group in groups):
            groups = [group for group in groups if group.published is not None]
        return groups
