"""Every page a person can reach by following links, for every role, reads in Chinese.

The crawl starts at each role's landing page, follows every same-site link (GET) up to a bound,
and fails on any run of Latin letters in the visible text or in the attributes a person reads
(placeholder, title, aria-label, alt, button values) outside a short allow-list: account
names, codes, file formats and a few names that are written in Latin letters in Chinese too.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.models import User

# A run of Latin letters; one with a digit or an underscore is a code or an account name.
LATIN = re.compile(r"[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_'’-]*")
# Words that are written in Latin letters on Chinese pages too.
ALLOWED = {
    "api",
    "excel",
    "xlsx",
    "csv",
    "json",
    "pdf",
    "qr",
    "id",
    "km",
    "gps",
    "exif",
    "jpeg",
    "png",
    "webp",
    "english",  # the language switch names the other language in that language
    "en",
    "mb",
    "kb",
    "leaflet",
    "openstreetmap",
    "echarts",
    "ok",
}
READ_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
SKIP_PATH = re.compile(
    r"(\.(xlsx|json|pdf|csv|png|jpe?g|svg)$)|^/(static|api)/|/photos/|/logout|/lang/"
)
MAX_PAGES = 120


class _VisibleText(HTMLParser):
    """The text a person reads on a page: body text and the read attributes, not scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style", "template"):
            self._skip += 1
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self.chunks.append(values[name] or "")
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.chunks.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def latin_words(text: str, allowed: set[str]) -> list[str]:
    # Addresses, e-mail addresses and URLs printed on a page are data, not wording.
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    words = (w.strip("'’-") for w in LATIN.findall(text))
    return [w for w in words if w.lower() not in allowed and not re.search(r"[\d_]", w)]


def crawl(client: FlaskClient, start: str, allowed: set[str]) -> Iterator[tuple[str, list[str]]]:
    """(path, Latin words) for every page reachable from ``start``."""
    seen = {start}
    queue = deque([start])
    pages = 0
    while queue and pages < MAX_PAGES:
        path = queue.popleft()
        response = client.get(path, follow_redirects=True)
        if response.mimetype != "text/html" or response.status_code >= 400:
            continue
        pages += 1
        parser = _VisibleText()
        parser.feed(response.get_data(as_text=True))
        yield path, latin_words(" ".join(parser.chunks), allowed)
        for href in parser.links:
            href = urldefrag(href)[0]
            url = urlparse(href)
            if url.scheme or url.netloc or not url.path.startswith("/"):
                continue
            if SKIP_PATH.search(url.path) or "lang=" in url.query:
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target not in seen:
                seen.add(target)
                queue.append(target)


def test_latin_words_finds_english_and_allows_codes() -> None:
    assert latin_words("已确认 Confirmed · 导出 Excel", ALLOWED) == ["Confirmed"]
    assert latin_words("member1 认领 hub_shangcheng 01-02 Sent", ALLOWED) == ["Sent"]
    assert latin_words("https://example.org/a 幸福码 a@b.cn", ALLOWED) == []


@pytest.fixture
def market(
    users: dict[str, User],
    make_household: Callable[..., Any],
    make_need: Callable[..., Any],
    make_offer: Callable[..., Any],
    as_role: Callable[[str], FlaskClient],
) -> dict[str, Any]:
    """A small market with something on every page: needs in every state, an offer, a claim."""
    staff = users["hub_staff"]
    household = make_household(staff)
    make_need(staff, household, publish=False, title="想要一个书包")
    claimed = make_need(staff, household, title="想要一个电饭煲")
    make_need(staff, household, title="想要一床被子", item="09-02")
    make_offer(users["org"])
    member = as_role("member")
    assert member.post(f"/member/wishes/{claimed.id}/claim").status_code in (302, 303)
    return {"household": household}


@pytest.mark.parametrize("role", ["admin", "hub_staff", "member", "org"])
def test_every_reachable_page_reads_in_chinese(
    role: str,
    users: dict[str, User],
    market: dict[str, Any],
    as_role: Callable[[str], FlaskClient],
) -> None:
    client = as_role(role)
    problems = {path: words for path, words in crawl(client, "/", ALLOWED) if words}
    assert not problems, "\n".join(f"{p}: {sorted(set(w))}" for p, w in problems.items())


def test_household_page_reads_in_chinese(app: Flask, market: dict[str, Any]) -> None:
    """The fifth role: the household itself, through its 幸福码, without an account."""
    client = app.test_client()
    token = market["household"].token
    problems = {path: words for path, words in crawl(client, f"/h/{token}", ALLOWED) if words}
    assert not problems, "\n".join(f"{p}: {sorted(set(w))}" for p, w in problems.items())
