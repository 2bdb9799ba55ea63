"""What the imitation of www.kcna.kp holds: categories and stories, before any rendering."""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass, field

HEX32 = re.compile(r"[0-9a-f]{32}")
"""A story or category id of the current layout: 32 lower-case hex digits."""

LEADER_NAMES = ("Kim Jong Un", "Kim Jong Il", "Kim Il Sung")
"""Names the site wraps in `<nobr><span class='fSpecCs'>...</span></nobr>` wherever they occur."""

_LEADER_PATTERN = re.compile("|".join(re.escape(name) for name in LEADER_NAMES))
_TAG = re.compile(r"<[^>]*>")


def leader_markup(name: str) -> str:
    """Return `name` wrapped the way the site prints a leader's name."""
    return f"<nobr><span class='fSpecCs'>{name}</span></nobr>"


def _wrap_match(match: re.Match[str]) -> str:
    return leader_markup(match.group(0))


def mark_leaders(fragment_html: str) -> str:
    """Wrap every leader name in an HTML fragment that has none wrapped yet."""
    return _LEADER_PATTERN.sub(_wrap_match, fragment_html)


def html_to_text(fragment_html: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub("", fragment_html)).split())


def _check_id(kind: str, value: str) -> None:
    if not HEX32.fullmatch(value):
        raise ValueError(f"{kind} id must be 32 lower-case hex digits, got {value!r}")


@dataclass(kw_only=True)
class Category:
    """A listing of the current layout, `/en/article/list/<id>`."""

    id: str
    """32 lower-case hex digits, as in the site's URLs."""
    name: str
    """Plain text as the menu shows it, e.g. "Kim Jong Un's Revolutionary Activities"."""

    def __post_init__(self) -> None:
        _check_id("category", self.id)


@dataclass(kw_only=True)
class Story:
    """One English story, `/en/article/detail/<id>`."""

    id: str
    """32 lower-case hex digits, as in the site's URLs."""
    title_html: str
    """Headline as HTML; leader names carry the site's `<nobr><span class='fSpecCs'>` markup."""
    published: datetime.date
    """The date the listings print for the story (`[2026.7.19.]`); the article page prints none."""
    paragraphs_html: list[str]
    """Body paragraphs as HTML, in order: usually a dateline first and the end mark ` -0-` last."""
    captions: list[str] = field(default_factory=list)
    """Photo captions as HTML; printed inside `div.photo`, never part of the body."""
    categories: list[str]
    """Ids of the categories whose listings carry the story."""

    def __post_init__(self) -> None:
        _check_id("story", self.id)

    @property
    def title(self) -> str:
        """The headline as plain text."""
        return html_to_text(self.title_html)

    @property
    def paragraphs(self) -> list[str]:
        """The body paragraphs as plain text, as printed (dateline and end mark included)."""
        return [html_to_text(paragraph) for paragraph in self.paragraphs_html]


@dataclass(kw_only=True)
class Site:
    """Everything the imitation serves."""

    categories: list[Category]
    """In menu order."""
    stories: list[Story]
    """Oldest first; among stories of one date, a later one counts as newer."""

    def category(self, category_id: str) -> Category:
        """The category with this id; KeyError if there is none."""
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)

    def story(self, story_id: str) -> Story:
        """The story with this id; KeyError if there is none."""
        for story in self.stories:
            if story.id == story_id:
                return story
        raise KeyError(story_id)

    def stories_in(self, category_id: str) -> list[Story]:
        """The stories a category lists, newest first, as its listing pages print them."""
        indexed = [
            (story.published, position, story)
            for position, story in enumerate(self.stories)
            if category_id in story.categories
        ]
        indexed.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
        return [story for _, _, story in indexed]


KCNA_CATEGORIES: tuple[Category, ...] = (
    Category(id="b0721b9f23054ddc7fe56c2811a12715", name="Kim Jong Un's Revolutionary Activities"),
    Category(id="503e9b606704f9b1c625fa5755928cd3", name="Revolutionary Anecdote"),
    Category(id="7bc083f00425be6aadfb828fba1cb5a7", name="Always in Memory of People"),
    Category(id="a666dda1282180e0ee1b4427b0574ae7", name="Latest News"),
    Category(id="6a47505ba5268fd7749c0fe11e4b24b4", name="Top News"),
    Category(id="2f7d854121ccbbfbe6feae9fdcc3556e", name="Home News"),
    Category(id="1afa96195f9b303902490a126ab7285f", name="Documents"),
    Category(id="ecc14533d88be93068af4178946b1b05", name="World"),
    Category(id="680e40b40899891bbe75a7072e3285e7", name="Social Life"),
    Category(id="e2f336db98b5e69c75e0da264e037e8d", name="External"),
)
"""The real site's English categories of the current layout, in menu order (kcna-site.md)."""
