"""Telegram's HTML subset: plain text and Bot API entities, with offsets in UTF-16 code units."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.sandbox.emulator.core import JsonDict

_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}
COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_NAMED_CHAR_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL_CHARS = re.compile(r"[<&]")
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_TAG_NAME = re.compile(r"[^\s>/]*")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z][a-zA-Z0-9-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


class HtmlParseError(ValueError):
    pass


@dataclass
class _OpenTag:
    name: str
    entity: JsonDict | None
    start: int


def _unescape(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref[0] != "#":
            return _NAMED_CHAR_REFS.get(ref, match.group(0))
        code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
        return chr(code) if 0 < code <= 0x10FFFF else match.group(0)

    return _CHAR_REF.sub(replace, value) if "&" in value else value


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Parse Telegram's HTML subset into plain text and Bot API entities.

    Error texts mirror the ones Telegram reports after "can't parse entities: ".
    """
    if "<" not in source:
        return _unescape(source), []
    pieces: list[str] = []
    entities: list[JsonDict] = []
    stack: list[_OpenTag] = []
    offset = 0  # UTF-16 length of the text produced so far
    pos = 0
    while pos < len(source):
        match = _SPECIAL_CHARS.search(source, pos)
        end = match.start() if match else len(source)
        if end > pos:
            chunk = source[pos:end]
            pieces.append(chunk)
            offset += utf16_len(chunk)
            pos = end
            continue
        if source[pos] == "&":
            ref = _CHAR_REF.match(source, pos)
            chunk = _unescape(ref.group(0)) if ref else "&"
            pieces.append(chunk)
            offset += utf16_len(chunk)
            pos = ref.end() if ref else pos + 1
            continue
        if source.startswith("</", pos):
            pos = _close_tag(source, pos, stack, offset)
        else:
            pos = _open_tag(source, pos, stack, entities, offset)
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return "".join(pieces), [e for e in entities if e["length"] > 0]


def _byte_offset(source: str, pos: int) -> int:
    return len(source[:pos].encode())


def _open_tag(source: str, pos: int, stack: list[_OpenTag], entities: list[JsonDict], offset: int) -> int:
    name_match = _TAG_NAME.match(source, pos + 1)  # the pattern also matches the empty name
    name_end = name_match.end() if name_match else pos + 1
    name = source[pos + 1 : name_end].lower()
    if source.find(">", pos) < 0:
        raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(source, pos)}")
    if name not in _HTML_ENTITY_TYPES:
        raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, pos)}')
    attributes: dict[str, str] = {}
    cursor = name_end
    while True:
        attribute = _ATTRIBUTE.match(source, cursor)
        if attribute is None or attribute.end() == cursor:
            break
        value = attribute.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attributes[attribute.group(1).lower()] = _unescape(value)
        cursor = attribute.end()
    tag_end = source.find(">", cursor)
    if tag_end < 0 or source[cursor:tag_end].strip() not in ("", "/"):
        raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(source, pos)}")
    entity = _entity_for_tag(name, attributes, stack, offset, source, pos)
    if entity is not None:
        entities.append(entity)
    stack.append(_OpenTag(name, entity, offset))
    return tag_end + 1


def _entity_for_tag(
    name: str,
    attributes: dict[str, str],
    stack: list[_OpenTag],
    offset: int,
    source: str,
    pos: int,
) -> JsonDict | None:
    kind = _HTML_ENTITY_TYPES[name]
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise HtmlParseError(f'Unsupported start tag "span" at byte offset {_byte_offset(source, pos)}')
    if name == "a":
        href = attributes.get("href", "").strip()
        return {"type": "text_link", "offset": offset, "length": 0, "url": href} if href else None
    if name == "code" and stack and stack[-1].name == "pre" and stack[-1].entity is not None:
        # <pre><code class="language-x"> is one pre entity with a language, as in Telegram.
        language = attributes.get("class", "")
        if language.startswith("language-"):
            stack[-1].entity["language"] = language[len("language-") :]
            return None
    if name == "blockquote" and "expandable" in attributes:
        kind = "expandable_blockquote"
    return {"type": kind, "offset": offset, "length": 0}


def _close_tag(source: str, pos: int, stack: list[_OpenTag], offset: int) -> int:
    close = source.find(">", pos)
    if close < 0:
        raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(source, pos)}")
    name = source[pos + 2 : close].strip().lower()
    if not stack:
        raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(source, pos)}")
    top = stack.pop()
    if name != top.name:
        raise HtmlParseError(
            f'Unmatched end tag at byte offset {_byte_offset(source, pos)}, expected "</{top.name}>", found "</{name}>"'
        )
    if top.entity is not None:
        top.entity["length"] = offset - top.start
    return close + 1
