"""Views as web chat messages: plain JSON the page draws with DOM nodes only, never as HTML.

The bot's texts are Telegram's HTML subset (<b>, <i>, <u>, <s>, <code>, <pre>, <blockquote>, <a href>, spoilers).
Here they become a tree of text and a few known tags, parsed with the standard library's HTML parser (which
resolves character references); a tag outside the subset keeps only its text, a link keeps its href only for
http(s), mailto and tel addresses. The page then builds elements from the tree and puts every text in a text node
(`textContent`), so nothing from a citizen, an official or a content file can reach the page as markup.

What Telegram has and the web does not, and what is drawn instead:
- a persistent keyboard under the chat: big buttons above the input field; a press sends the label as a text;
- the share-contact button: a small form (name, phone, a consent box) whose answer becomes the shared contact;
- files: a link that stays valid a few minutes (bot.channels.web.files), a photo shown inline through it;
- edits: the message is replaced in place (the page draws the new version where the old one was);
- toasts and alerts of a press: a short notice at the bottom, or a dialog with OK;
- commands in a text (/help): tappable, they send the command.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from bot.ui.view import Choice, Link, View

Node = str | dict[str, Any]
JsonDict = dict[str, Any]

# Telegram's tags -> the one name the page knows for each.
_TAGS = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "quote",
    "tg-spoiler": "spoiler",
    "a": "a",
}
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
MAX_TEXT = 8192  # longer texts are cut: no screen of ours comes near it
MAX_DEPTH = 16


def safe_href(url: str | None) -> str | None:
    """The address if a citizen may open it from the page: http(s), mailto or tel; None otherwise."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES:
        return None
    if parts.scheme.lower() in ("http", "https") and not parts.netloc:
        return None
    return url


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: list[Node] = []
        self._stack: list[tuple[str, list[Node]]] = [("", self.root)]

    def _children(self) -> list[Node]:
        return self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = _TAGS.get(tag)
        if tag == "span" and ("class", "tg-spoiler") in attrs:
            name = "spoiler"
        if tag == "br":
            self.handle_data("\n")
            return
        if name is None or len(self._stack) > MAX_DEPTH:
            self._stack.append((tag, self._children()))  # unknown: its text goes to the parent
            return
        node: JsonDict = {"t": name, "c": []}
        if name == "a":
            href = safe_href(dict(attrs).get("href"))
            if href is None:
                self._stack.append((tag, self._children()))  # a link we will not open: its text only
                return
            node["href"] = href
        self._children().append(node)
        self._stack.append((tag, node["c"]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.handle_data("\n")

    def handle_endtag(self, tag: str) -> None:
        # Close the innermost open tag of that name; a stray end tag changes nothing.
        for index in range(len(self._stack) - 1, 0, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data: str) -> None:
        children = self._children()
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)


def markup_tree(text: str) -> list[Node]:
    """Telegram HTML as a tree: strings, and {"t": tag, "c": children[, "href": url]}."""
    builder = _TreeBuilder()
    builder.feed(text[:MAX_TEXT])
    builder.close()
    return builder.root


def plain_text(nodes: list[Node]) -> str:
    """The text of a tree, without its tags (what a screen reader or a test reads)."""
    return "".join(node if isinstance(node, str) else plain_text(node["c"]) for node in nodes)


def buttons_json(view: View) -> list[list[JsonDict]]:
    rows: list[list[JsonDict]] = []
    for row in view.buttons:
        out: list[JsonDict] = []
        for button in row:
            if isinstance(button, Choice):
                out.append({"label": button.label, "data": button.payload.pack()})
            elif isinstance(button, Link):
                href = safe_href(button.url)
                out.append({"label": button.label, "url": href} if href else {"label": button.label, "off": True})
        if out:
            rows.append(out)
    return rows


def under_json(view: View) -> JsonDict | None:
    """What goes under the chat with this message (None: it stays as it is), as Telegram's reply keyboards do."""
    if view.contact_request:
        return {"contact": view.contact_request}
    if view.keyboard:
        return {"keyboard": [list(row) for row in view.keyboard]}
    if view.remove_keyboard:
        return {"remove": True}
    return None


def message_json(view: View, file: JsonDict | None = None) -> JsonDict:
    """A bot message: text tree, buttons, what goes under the chat, and a file (stored apart, see files)."""
    message: JsonDict = {"from": "bot"}
    text = (view.attachment.caption or view.text) if view.attachment is not None else view.text
    if text:
        message["text"] = markup_tree(text)
    buttons = buttons_json(view)
    if buttons:
        message["buttons"] = buttons
    under = under_json(view)
    if under is not None:
        message["under"] = under
    if file is not None:
        message["file"] = file
    return message


def citizen_json(text: str) -> JsonDict:
    """What the citizen typed, as a text: never parsed, drawn as typed."""
    return {"from": "me", "text": [text]}
