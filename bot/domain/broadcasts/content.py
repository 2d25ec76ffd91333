"""What an announcement may contain, checked when it is composed (never half-way through sending).

Texts are the small HTML subset every channel of the bot can render or reduce to plain text: bold, italic,
underline, strikethrough, code, preformatted, quotes and web links. Telegram counts a text's length after its
markup is taken out, in UTF-16 code units (an emoji is two); the limits are Telegram's.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from html.parser import HTMLParser

from bot.domain.broadcasts.records import ContentKind

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_MAX_BYTES = 10 * 1024 * 1024  # Telegram's limit for photos
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram to keep

ALLOWED_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "blockquote", "a"})
# Formatting a messenger may send that announcements refuse, by the names Telegram gives them:
# hidden text, custom emoji (need a paid account) and mentions of a person by their account (personal data).
ALLOWED_FORMATTING = frozenset(
    {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "code",
        "pre",
        "blockquote",
        "text_link",
        # recognised by the app in plain text, not formatting anyone chose
        "url",
        "email",
        "phone_number",
        "hashtag",
        "cashtag",
        "mention",
        "bot_command",
    }
)


class Problem(StrEnum):
    empty = "empty"
    too_long = "too_long"
    caption_too_long = "caption_too_long"
    formatting = "formatting"  # detail: the formatting refused
    markup = "markup"  # detail: what is wrong with the HTML
    file_too_big = "file_too_big"
    unsupported = "unsupported"  # a sticker, a voice message, a video…


@dataclass(frozen=True, slots=True)
class ContentProblem:
    problem: Problem
    detail: str = ""
    limit: int = 0
    length: int = 0


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.problem: str | None = None
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = self.problem or f"<{tag}>"
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.startswith(("https://", "http://")):
                self.problem = self.problem or f'<a href="{href[:40]}">'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            return
        if not self.open or self.open[-1] != tag:
            self.problem = self.problem or f"</{tag}>"
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(markup: str) -> str:
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    return "".join(checker.text)


def check_text(markup: str, kind: ContentKind) -> ContentProblem | None:
    """A text or caption in the HTML subset: None when it may be sent."""
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    if checker.problem is not None or checker.open:
        return ContentProblem(Problem.markup, checker.problem or f"<{checker.open[-1]}>")
    visible = "".join(checker.text)
    length = utf16_length(visible)
    if kind is ContentKind.text:
        if not visible.strip():
            return ContentProblem(Problem.empty)
        if length > TEXT_LIMIT:
            return ContentProblem(Problem.too_long, limit=TEXT_LIMIT, length=length)
    elif length > CAPTION_LIMIT:
        return ContentProblem(Problem.caption_too_long, limit=CAPTION_LIMIT, length=length)
    return None


def check_formatting(names: Iterable[str]) -> ContentProblem | None:
    refused = sorted(set(names) - ALLOWED_FORMATTING)
    return ContentProblem(Problem.formatting, ", ".join(refused)) if refused else None


def check_file(kind: ContentKind, size: int | None) -> ContentProblem | None:
    limit = PHOTO_MAX_BYTES if kind is ContentKind.photo else DOCUMENT_MAX_BYTES
    if size is not None and size > limit:
        return ContentProblem(Problem.file_too_big, limit=limit, length=size)
    return None


def plain_excerpt(markup: str, length: int = 60) -> str:
    """The first line of a text without markup, cut at a word: for lists of announcements."""
    visible = " ".join(visible_text(markup).split())
    if len(visible) <= length:
        return visible
    cut = visible[:length].rsplit(" ", 1)[0] or visible[:length]
    return cut + "…"


def escape(text: str) -> str:
    return html.escape(text, quote=False)
