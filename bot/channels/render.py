"""What every renderer of a channel without Telegram's formatting needs: plain text from the views' small HTML
subset, long texts split on paragraph boundaries, and buttons laid out in pages of a channel's maximum."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Generic, TypeVar

from bot.ui.view import Button, Choice, Link, View

T = TypeVar("T")


class _Plain(HTMLParser):
    """<b>, <i>, <code> lose their tags; <a href> keeps its address after its text when they differ. The standard
    library's parser, so that entities and odd markup are read as a browser would."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._link_text = []
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            text = "".join(self._link_text)
            self.parts.append(text if not self._href or self._href == text else f"{text} ({self._href})")
            self._href = None

    def handle_data(self, data: str) -> None:
        (self._link_text if self._href is not None else self.parts).append(data)


def plain_text(text: str) -> str:
    """A view's text (Telegram's HTML subset) as plain text."""
    if "<" not in text and "&" not in text:
        return text
    parser = _Plain()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters: cut between paragraphs where possible, then between lines, then
    between words; a word longer than the limit is cut where it must be."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joined = f"{current}{piece}" if current else piece.lstrip("\n ")
        if len(joined.rstrip()) <= limit:
            current = joined
            continue
        if current.strip():
            parts.append(current.rstrip())
        current = piece.lstrip("\n ")
    if current.strip():
        parts.append(current.rstrip())
    return parts


def _pieces(text: str, limit: int) -> list[str]:
    """The text cut after each paragraph (blank line), each piece still too long cut after lines, then words."""
    pieces: list[str] = []
    for paragraph in re.split(r"(?<=\n\n)", text):
        if len(paragraph.strip()) <= limit:
            pieces.append(paragraph)
            continue
        for line in re.split(r"(?<=\n)", paragraph):
            if len(line.strip()) <= limit:
                pieces.append(line)
                continue
            for word in re.split(r"(?<= )", line):
                pieces.extend(word[start : start + limit] for start in range(0, len(word), limit))
    return pieces


def flat_buttons(view: View) -> list[Button]:
    """The view's inline buttons in reading order (channels that show one button per row)."""
    return [button for row in view.buttons for button in row]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    number: int  # from 1
    count: int
    buttons: tuple[T, ...]


def pages(buttons: Sequence[T], per_page: int) -> list[Page[T]]:
    """Buttons (or whatever a channel makes of them) in pages of at most `per_page`, as even as they go."""
    if len(buttons) <= per_page:
        return [Page(1, 1, tuple(buttons))]
    count = -(-len(buttons) // per_page)
    size = -(-len(buttons) // count)
    chunks = [tuple(buttons[start : start + size]) for start in range(0, len(buttons), size)]
    return [Page(n, len(chunks), chunk) for n, chunk in enumerate(chunks, start=1)]


def payloads(view: View) -> list[str]:
    """What the view's buttons send back when pressed (links send nothing)."""
    return [button.payload.pack() for button in flat_buttons(view) if isinstance(button, Choice)]


def label(button: Button, limit: int) -> str:
    text = html.unescape(button.label)
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["Link", "Page", "flat_buttons", "label", "pages", "payloads", "plain_text", "split_text"]
