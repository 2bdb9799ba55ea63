"""The keys of the identity rule: what counts as the same title and the same text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wirecrawl.normalise.identity import content_hash, identity_keys, title_key


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param("Kim Jong Un Inspects Farm", "KIM JONG UN INSPECTS FARM", True, id="case"),
        pytest.param(
            "Kim Jong Un Inspects Farm", "Kim  Jong Un\u00a0Inspects Farm ", True, id="spaces"
        ),
        pytest.param("DPRK's Stand", "DPRK\u2019s Stand", True, id="typographic-apostrophe"),
        pytest.param("Talks Held", "Talks Held.", True, id="trailing-punctuation"),
        pytest.param("Talks Held", "Talks Were Held", False, id="another-word"),
        pytest.param(
            "\uff26\uff55\uff4c\uff4c \uff57\uff49\uff44\uff54\uff48", "Full width", True, id="nfkc"
        ),
        pytest.param("", "", True, id="empty"),
    ],
)
def test_title_key(a: str, b: str, same: bool) -> None:
    assert (title_key(a) == title_key(b)) is same


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param(("T", "One two."), ("T", "One  two."), True, id="spacing-is-no-edit"),
        pytest.param(("T", "One\n\ntwo."), ("T", "One two."), True, id="paragraphing-is-no-edit"),
        pytest.param(("T", "One two."), ("T", "One three."), False, id="word-edit"),
        pytest.param(("T", "One two."), ("T", "One two"), False, id="punctuation-edit"),
        pytest.param(("Title", "Body"), ("Title!", "Body"), True, id="title-punctuation"),
        pytest.param(("Title", "Body"), ("Other", "Body"), False, id="title-edit"),
    ],
)
def test_content_hash(a: tuple[str, str], b: tuple[str, str], same: bool) -> None:
    assert (content_hash(*a) == content_hash(*b)) is same


@given(st.text())
def test_title_key_is_idempotent(text: str) -> None:
    assert title_key(title_key(text)) == title_key(text)


@given(st.text(), st.text())
def test_content_hash_is_hex_sha256(title: str, body: str) -> None:
    digest = content_hash(title, body)
    assert len(digest) == 64
    assert int(digest, 16) >= 0


@given(st.text(), st.text())
def test_identity_keys_are_the_title_key_and_the_content_hash(title: str, body: str) -> None:
    # What the archive writer stores and compares must be the two keys the rule defines.
    assert identity_keys(title, body) == (title_key(title), content_hash(title, body))
