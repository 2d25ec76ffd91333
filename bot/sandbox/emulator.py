"""In-memory Telegram Bot API server for tests, benchmarks and local manual testing.

An unmodified aiogram bot talks to it over HTTP exactly as it would talk to
api.telegram.org (``TelegramAPIServer.from_base(emu.base_url)``).  Simulated
users inject updates; everything the bot sends is recorded per chat so tests
can observe the conversation and wait for replies with bounded timeouts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import mimetypes
import re
import secrets
import struct
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

JsonDict = dict[str, Any]
log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

CALLBACK_EXPIRED = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BOT_EVENT_KINDS = ("sent", "edited", "deleted", "callback_answer")
REPLY_EVENT_KINDS = ("sent", "edited")


class TelegramError(Exception):
    """An error answered to the bot in the Bot API error shape."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {text}")


# --------------------------------------------------------------------------- HTML


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
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
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


def _open_tag(
    source: str, pos: int, stack: list[_OpenTag], entities: list[JsonDict], offset: int
) -> int:
    name_match = _TAG_NAME.match(source, pos + 1)
    name = name_match.group(0).lower()
    if source.find(">", pos) < 0:
        raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(source, pos)}")
    if name not in _HTML_ENTITY_TYPES:
        raise HtmlParseError(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, pos)}'
        )
    attributes: dict[str, str] = {}
    cursor = name_match.end()
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
        raise HtmlParseError(
            f'Unsupported start tag "span" at byte offset {_byte_offset(source, pos)}'
        )
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
            f"Unmatched end tag at byte offset {_byte_offset(source, pos)}, "
            f'expected "</{top.name}>", found "</{name}>"'
        )
    if top.entity is not None:
        top.entity["length"] = offset - top.start
    return close + 1


# --------------------------------------------------------------------------- state


@dataclass
class SimUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"
    phone_number: str | None = None
    blocked: bool = False

    def as_dict(self) -> JsonDict:
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_dict(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class BotMessage:
    """A message the bot sent, in its current state after edits."""

    chat_id: int
    message_id: int
    data: JsonDict  # Bot API Message object; replaced (never mutated) on every edit
    markup: JsonDict | None = None  # reply_markup as sent, including reply keyboards
    edit_count: int = 0
    deleted: bool = False

    @property
    def text(self) -> str:
        return self.data.get("text") or self.data.get("caption") or ""

    @property
    def entities(self) -> list[JsonDict]:
        return self.data.get("entities") or self.data.get("caption_entities") or []

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        return (self.data.get("reply_markup") or {}).get("inline_keyboard", [])

    @property
    def buttons(self) -> list[JsonDict]:
        return [button for row in self.inline_keyboard for button in row]

    def button(self, text: str) -> JsonDict:
        for button in self.buttons:
            if button.get("text") == text:
                return button
        labels = [b.get("text") for b in self.buttons]
        raise LookupError(
            f"message {self.message_id} in chat {self.chat_id} has no inline button {text!r}; "
            f"buttons: {labels}"
        )

    def describe(self) -> str:
        text = self.text.replace("\n", " ")
        text = text if len(text) <= 60 else text[:57] + "..."
        flags = []
        if self.edit_count:
            flags.append(f"edited {self.edit_count}x")
        if self.deleted:
            flags.append("deleted")
        if self.buttons:
            flags.append(f"buttons={[b.get('text') for b in self.buttons]}")
        suffix = f" ({', '.join(flags)})" if flags else ""
        return f"#{self.message_id} {text!r}{suffix}"


@dataclass
class ChatEvent:
    """One entry of a chat's log.

    ``message`` is the message snapshot at the time of the event: bot messages
    are replaced on edit, so earlier events keep their earlier state.
    Kinds: incoming (user → bot), sent, edited, deleted, callback_answer.
    """

    index: int
    kind: str
    message_id: int | None
    message: JsonDict | None = None
    answer: JsonDict | None = None
    at: float = field(default_factory=time.time)


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    width: int = 0
    height: int = 0

    def file_object(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }

    def document(self) -> JsonDict:
        document: JsonDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            document["file_name"] = self.file_name
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return document

    def photo_sizes(self) -> list[JsonDict]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": len(self.data),
                "width": self.width,
                "height": self.height,
            }
        ]


class Signal:
    """Wakes every current waiter when fired; waits are always bounded."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None

    def fire(self) -> None:
        if self._future is not None:
            if not self._future.done():
                self._future.set_result(None)
            self._future = None

    async def wait(self, timeout: float) -> None:
        if timeout <= 0:
            return
        if self._future is None:
            self._future = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._future), timeout)
        except TimeoutError:
            pass


class ChatState:
    """Everything the emulator knows about one private chat."""

    def __init__(self, user: SimUser) -> None:
        self.user = user
        self.started = False  # Telegram only lets a bot write to users who wrote first
        self.bot_messages: dict[int, BotMessage] = {}
        self.incoming: dict[int, JsonDict] = {}
        self.deleted_incoming: set[int] = set()
        self.events: list[ChatEvent] = []
        self.changed = Signal()
        self.reply_waiters: list[asyncio.Future[BotMessage]] = []
        self.keyboard: JsonDict | None = None  # the reply keyboard currently shown
        self.send_times: deque[float] = deque()
        self.chat_instance = str(secrets.randbits(63))
        self._last_message_id = 0

    @property
    def chat_id(self) -> int:
        return self.user.id

    def next_message_id(self) -> int:
        self._last_message_id += 1
        return self._last_message_id

    def find_message(self, message_id: int) -> JsonDict | None:
        bot_message = self.bot_messages.get(message_id)
        if bot_message is not None:
            return None if bot_message.deleted else bot_message.data
        if message_id in self.deleted_incoming:
            return None
        return self.incoming.get(message_id)

    def describe(self) -> str:
        if not self.bot_messages:
            return "no bot messages"
        return "; ".join(m.describe() for m in list(self.bot_messages.values())[-8:])


@dataclass
class _PendingCallback:
    user_id: int
    chat_id: int
    message_id: int
    created: float


class Params:
    """Request parameters from a query string, JSON body or (multipart) form.

    Form values are always strings; typed accessors decode them the way the
    Bot API does, so JSON bodies and form posts behave the same.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def has(self, name: str) -> bool:
        return self._data.get(name) is not None

    def str(self, name: str) -> str | None:
        value = self._data.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)

    def int(self, name: str) -> int | None:
        value = self._data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def bool(self, name: str) -> bool:
        return self._data.get(name) in (True, "true", "True", "1", 1)

    def json(self, name: str) -> Any:
        value = self._data.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object") from None
            raise bad_request(f"can't parse {name} JSON object") from None

    def file(self, name: str) -> FileField | str | None:
        value = self._data.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self._data.get(value[len("attach://") :])
            if not isinstance(value, FileField):
                raise bad_request(f"wrong remote file identifier specified for {name}")
        return value


def _image_size(data: bytes) -> tuple[int, int] | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    return None


# A valid 1x1 PNG used when a simulated user sends a photo without giving bytes.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2a1b3"
    "6b0000000049454e44ae426082"
)


# --------------------------------------------------------------------------- emulator


Handler = Callable[[Params], Any]


class BotAPIEmulator:
    """A Telegram Bot API server kept entirely in memory.

    Start it with ``await emu.start()`` and point a bot at ``emu.base_url``.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = 7000000001,
        bot_username: str = "sandbox_bot",
        bot_first_name: str = "Sandbox Bot",
        callback_answer_timeout: float = 15.0,
        rate_limit: bool = False,
        chat_messages_per_second: int = 1,
        global_messages_per_second: int = 30,
    ) -> None:
        self.token = token
        self.bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.callback_answer_timeout = callback_answer_timeout
        self.rate_limit = rate_limit
        self.chat_messages_per_second = chat_messages_per_second
        self.global_messages_per_second = global_messages_per_second
        self.api_calls: Counter[str] = Counter()
        self.body_types: Counter[str] = Counter()  # how calls arrived: application/json, multipart/form-data…

        self._users: dict[int, SimUser] = {}
        self._chats: dict[int, ChatState] = {}
        self._updates: deque[JsonDict] = deque()
        self._last_update_id = 0
        self._updates_signal = Signal()
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._webhook_url = ""
        self._callbacks: dict[str, _PendingCallback] = {}
        self._answers: dict[int, list[JsonDict]] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._commands: dict[str, list[JsonDict]] = {}
        self._menu_buttons: dict[int | None, JsonDict] = {}
        self._global_send_times: deque[float] = deque()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"
        self._methods = self._method_table()
        self._last_token = ""
        if token:
            self._adopt_token(token)

        self.app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self.app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_download)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._closing = False
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self._host = host
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing = True
        self._wake_everyone()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self._host}:{self._port}"

    def _wake_everyone(self) -> None:
        self._updates_signal.fire()
        for chat in self._chats.values():
            chat.changed.fire()

    # ------------------------------------------------------------------ users

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        phone_number: str | None = None,
    ) -> SimUser:
        if user_id in self._users:
            raise ValueError(f"user {user_id} already exists")
        user = SimUser(user_id, first_name, last_name, username, language_code, phone_number)
        self._users[user_id] = user
        self._chats[user_id] = ChatState(user)
        return user

    def user(self, user_id: int) -> SimUser:
        try:
            return self._users[user_id]
        except KeyError:
            raise LookupError(f"unknown simulated user {user_id}; call add_user first") from None

    def users(self) -> list[SimUser]:
        return list(self._users.values())

    def block(self, user_id: int) -> JsonDict:
        """Mark the bot as blocked by the user and deliver my_chat_member like Telegram."""
        user = self.user(user_id)
        user.blocked = True
        return self._chat_member_update(user, old="member", new="kicked")

    def unblock(self, user_id: int) -> JsonDict:
        user = self.user(user_id)
        user.blocked = False
        return self._chat_member_update(user, old="kicked", new="member")

    def _chat_member_update(self, user: SimUser, old: str, new: str) -> JsonDict:
        now = int(time.time())
        member = {
            "chat": user.chat_dict(),
            "from": user.as_dict(),
            "date": now,
            "old_chat_member": {"status": old, "user": self.bot_user}
            | ({"until_date": 0} if old == "kicked" else {}),
            "new_chat_member": {"status": new, "user": self.bot_user}
            | ({"until_date": 0} if new == "kicked" else {}),
        }
        return self._enqueue({"my_chat_member": member})

    # ------------------------------------------------------------------ injecting updates

    def send_text(self, user_id: int, text: str) -> JsonDict:
        content: JsonDict = {"text": text}
        command = _COMMAND.match(text)
        if command:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
            ]
        return self._incoming(user_id, content)

    def send_contact(
        self,
        user_id: int,
        phone_number: str | None = None,
        own: bool = True,
        other_user_id: int | None = None,
    ) -> JsonDict:
        """Share a contact; ``own=True`` is the request_contact button flow."""
        user = self.user(user_id)
        phone = phone_number or user.phone_number
        if not phone:
            raise ValueError(f"user {user_id} has no phone number to share")
        contact: JsonDict = {
            "phone_number": phone,
            "first_name": user.first_name if own else "Other",
            "user_id": user_id if own else (other_user_id or user_id + 1),
        }
        if own and user.last_name:
            contact["last_name"] = user.last_name
        return self._incoming(user_id, {"contact": contact})

    def send_sticker(self, user_id: int, emoji: str = "👍") -> JsonDict:
        stored = self._store_file(TINY_PNG, "sticker.webp", "image/webp", "stickers")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "SandboxStickers",
            "file_size": len(stored.data),
        }
        return self._incoming(user_id, {"sticker": sticker})

    def send_photo_from_user(
        self, user_id: int, data: bytes = TINY_PNG, caption: str | None = None
    ) -> JsonDict:
        stored = self._store_file(data, None, "image/jpeg", "photos")
        content: JsonDict = {"photo": stored.photo_sizes()}
        if caption:
            content["caption"] = caption
        return self._incoming(user_id, content)

    def press(self, user_id: int, message_id: int, callback_data: str) -> JsonDict:
        """Deliver a callback_query for a bot message; the data is not checked on purpose."""
        user = self.user(user_id)
        chat = self._chats[user_id]
        message = chat.bot_messages.get(message_id)
        if message is None or message.deleted:
            raise LookupError(
                f"chat {user_id} has no live bot message {message_id}; it holds: {chat.describe()}"
            )
        query_id = str(secrets.randbits(63))
        self._callbacks[query_id] = _PendingCallback(
            user_id, chat.chat_id, message_id, time.monotonic()
        )
        query = {
            "id": query_id,
            "from": user.as_dict(),
            "message": message.data,
            "chat_instance": chat.chat_instance,
            "data": callback_data,
        }
        return self._enqueue({"callback_query": query})

    def press_button(self, user_id: int, message_id: int, text: str) -> JsonDict:
        message = self.message(user_id, message_id)
        button = message.button(text)
        if "callback_data" not in button:
            raise LookupError(f"inline button {text!r} has no callback_data: {button}")
        return self.press(user_id, message_id, button["callback_data"])

    def send_raw(self, update: JsonDict) -> JsonDict:
        """Queue an arbitrary update; update_id is assigned unless given and increasing."""
        given = update.get("update_id")
        if given is not None and given <= self._last_update_id:
            raise ValueError(f"update_id {given} is not above {self._last_update_id}")
        body = {k: v for k, v in update.items() if k != "update_id"}
        if given is not None:
            self._last_update_id = given - 1
        return self._enqueue(body)

    def _incoming(self, user_id: int, content: JsonDict) -> JsonDict:
        user = self.user(user_id)
        chat = self._chats[user_id]
        chat.started = True
        message = {
            "message_id": chat.next_message_id(),
            "from": user.as_dict(),
            "chat": user.chat_dict(),
            "date": int(time.time()),
            **content,
        }
        chat.incoming[message["message_id"]] = message
        self._record(chat, "incoming", message["message_id"], message)
        return self._enqueue({"message": message})

    def _enqueue(self, body: JsonDict) -> JsonDict:
        """Create an update; like Telegram, types outside allowed_updates are never queued."""
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, **body}
        if self._allowed_updates is None or _update_type(update) in self._allowed_updates:
            self._updates.append(update)
            self._updates_signal.fire()
        return update

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    # ------------------------------------------------------------------ observing

    def chat(self, chat_id: int) -> ChatState:
        try:
            return self._chats[chat_id]
        except KeyError:
            raise LookupError(f"unknown chat {chat_id}; call add_user first") from None

    def messages(self, chat_id: int, include_deleted: bool = False) -> list[BotMessage]:
        messages = self.chat(chat_id).bot_messages.values()
        return [m for m in messages if include_deleted or not m.deleted]

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        chat = self.chat(chat_id)
        try:
            return chat.bot_messages[message_id]
        except KeyError:
            raise LookupError(
                f"chat {chat_id} has no bot message {message_id}; it holds: {chat.describe()}"
            ) from None

    def last_message(self, chat_id: int) -> BotMessage | None:
        for message in reversed(self.chat(chat_id).bot_messages.values()):
            if not message.deleted:
                return message
        return None

    def reply_keyboard(self, chat_id: int) -> JsonDict | None:
        return self.chat(chat_id).keyboard

    def events(self, chat_id: int, after_event: int = 0) -> list[ChatEvent]:
        return self.chat(chat_id).events[after_event:]

    def event_count(self, chat_id: int) -> int:
        return len(self.chat(chat_id).events)

    def callback_answers(self, user_id: int) -> list[JsonDict]:
        return list(self._answers.get(user_id, ()))

    def get_file(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    async def wait_for_events(
        self, chat_id: int, after_event: int, timeout: float
    ) -> list[ChatEvent]:
        """Events with index >= after_event, waiting up to timeout for at least one."""
        chat = self.chat(chat_id)
        deadline = time.monotonic() + timeout
        while len(chat.events) <= after_event and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await chat.changed.wait(remaining)
        return chat.events[after_event:]

    async def wait_for_event(
        self,
        chat_id: int,
        kind: str | Iterable[str] | None = None,
        after_event: int = 0,
        timeout: float = 5.0,
    ) -> ChatEvent:
        """The first event at or after ``after_event`` of the given kind(s).

        Without ``kind`` any event produced by the bot matches (not ``incoming``).
        """
        if kind is None:
            kinds: tuple[str, ...] = BOT_EVENT_KINDS
        else:
            kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        found = await self._scan(
            chat_id, after_event, timeout, lambda event: event if event.kind in kinds else None
        )
        if found is None:
            raise AssertionError(
                f"timed out after {timeout}s waiting for a {'/'.join(kinds)} event in chat "
                f"{chat_id} at or after event {after_event}; "
                f"events: {[e.kind for e in self.chat(chat_id).events[after_event:]]}; "
                f"messages: {self.chat(chat_id).describe()}"
            )
        return found

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 5.0,
        after_event: int = 0,
    ) -> BotMessage:
        """The first bot message sent or edited at or after ``after_event`` that matches.

        The predicate sees the message's current state.
        """
        chat = self.chat(chat_id)

        def match(event: ChatEvent) -> BotMessage | None:
            if event.kind not in REPLY_EVENT_KINDS or event.message_id is None:
                return None
            message = chat.bot_messages[event.message_id]
            if message.deleted or (predicate is not None and not predicate(message)):
                return None
            return message

        found = await self._scan(chat_id, after_event, timeout, match)
        if found is None:
            wanted = "a bot message" if predicate is None else f"a bot message matching {predicate!r}"
            raise AssertionError(
                f"timed out after {timeout}s waiting for {wanted} in chat {chat_id} "
                f"at or after event {after_event}; chat holds: {chat.describe()}"
            )
        return found

    async def _scan(
        self,
        chat_id: int,
        after_event: int,
        timeout: float,
        match: Callable[[ChatEvent], Any],
    ) -> Any:
        chat = self.chat(chat_id)
        deadline = time.monotonic() + timeout
        cursor = after_event
        while True:
            while cursor < len(chat.events):
                found = match(chat.events[cursor])
                cursor += 1
                if found is not None:
                    return found
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return None
            await chat.changed.wait(remaining)

    def next_reply(self, chat_id: int) -> asyncio.Future[BotMessage]:
        """A future resolved by the next message the bot sends or edits in this chat."""
        future: asyncio.Future[BotMessage] = asyncio.get_running_loop().create_future()
        self.chat(chat_id).reply_waiters.append(future)
        return future

    async def wait_for_reply(self, chat_id: int, timeout: float = 5.0) -> BotMessage:
        """Wait for the next sent or edited message; arm it before injecting the update."""
        future = self.next_reply(chat_id)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for the next reply in chat {chat_id}; "
                f"chat holds: {self.chat(chat_id).describe()}"
            ) from None

    def _record(
        self,
        chat: ChatState,
        kind: str,
        message_id: int | None,
        message: JsonDict | None = None,
        answer: JsonDict | None = None,
    ) -> None:
        chat.events.append(ChatEvent(len(chat.events), kind, message_id, message, answer))
        chat.changed.fire()
        if kind in REPLY_EVENT_KINDS and chat.reply_waiters and message_id is not None:
            waiters, chat.reply_waiters = chat.reply_waiters, []
            bot_message = chat.bot_messages[message_id]
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(bot_message)

    # ------------------------------------------------------------------ HTTP plumbing

    def _method_table(self) -> dict[str, tuple[str, Handler]]:
        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._ok,
            "close": self._ok,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "sendDocument": lambda p: self._send_media(p, "document"),
            "sendPhoto": lambda p: self._send_media(p, "photo"),
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getFile": self._get_file,
        }
        return {name.lower(): (name, handler) for name, handler in handlers.items()}

    def _adopt_token(self, token: str) -> None:
        # aiogram derives bot.id from the token prefix; getMe and "from" must agree with it.
        self._last_token = token
        prefix = token.split(":", 1)[0]
        if prefix.isdigit():
            self.bot_user["id"] = int(prefix)

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if self.token is not None and token != self.token:
            return _reply(TelegramError(401, "Unauthorized").payload(), 401)
        if token != self._last_token:
            self._adopt_token(token)
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return _reply(TelegramError(404, "Not Found").payload(), 404)
        name, handler = entry
        self.api_calls[name] += 1
        if request.body_exists:
            self.body_types[request.content_type] += 1
        try:
            params = await _read_params(request)
            result = handler(params)
            if isinstance(result, Awaitable):
                result = await result
        except TelegramError as error:
            return _reply(error.payload(), error.code)
        except Exception:
            # A malformed request the emulator does not model must still get a Bot API answer.
            log.exception("emulator failed on %s", name)
            return _reply(TelegramError(500, "Internal Server Error").payload(), 500)
        return _reply({"ok": True, "result": result}, 200)

    async def _handle_download(self, request: web.Request) -> web.Response:
        if self.token is not None and request.match_info["token"] != self.token:
            return _reply(TelegramError(401, "Unauthorized").payload(), 401)
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return _reply(TelegramError(404, "Not Found").payload(), 404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    # ------------------------------------------------------------------ simple methods

    def _ok(self, _: Params) -> bool:
        return True

    def _get_me(self, _: Params) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_webhook(self, p: Params) -> bool:
        url = p.str("url") or ""
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self._webhook_url = url
        self._drop_pending_if_asked(p)
        return True

    def _delete_webhook(self, p: Params) -> bool:
        self._webhook_url = ""
        self._drop_pending_if_asked(p)
        return True

    def _drop_pending_if_asked(self, p: Params) -> None:
        if p.bool("drop_pending_updates"):
            self._updates.clear()

    def _get_webhook_info(self, _: Params) -> JsonDict:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _commands_key(p: Params) -> str:
        scope = p.json("scope") or {"type": "default"}
        return json.dumps([scope, p.str("language_code") or ""], sort_keys=True)

    def _set_my_commands(self, p: Params) -> bool:
        commands = p.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands are invalid")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("command description must be non-empty")
        self._commands[self._commands_key(p)] = commands
        return True

    def _get_my_commands(self, p: Params) -> list[JsonDict]:
        return self._commands.get(self._commands_key(p), [])

    def _delete_my_commands(self, p: Params) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    def _set_chat_menu_button(self, p: Params) -> bool:
        self._menu_buttons[p.int("chat_id")] = p.json("menu_button") or {"type": "default"}
        return True

    def _get_chat_menu_button(self, p: Params) -> JsonDict:
        chat_id = p.int("chat_id")
        return self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "commands"}

    def _get_chat(self, p: Params) -> JsonDict:
        chat = self._known_chat(p)
        return {
            **chat.user.chat_dict(),
            "accent_color_id": chat.chat_id % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_file(self, p: Params) -> JsonDict:
        stored = self._files.get(p.str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.file_object()

    def _send_chat_action(self, p: Params) -> bool:
        self._writable_chat(p)
        if p.str("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, p: Params) -> list[JsonDict]:
        if self._webhook_url:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.int("offset")
        limit = min(max(p.int("limit") or 100, 1), 100)
        timeout = min(max(p.int("timeout") or 0, 0), 50)
        allowed = p.json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or None
        if offset is not None:
            self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            batch = self._take(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                return batch
            await self._updates_signal.wait(remaining)
            if generation != self._poll_generation:
                raise TelegramError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            # A negative offset keeps only the last -offset updates, forgetting the rest.
            while len(self._updates) > -offset:
                self._updates.popleft()
            return
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()

    def _take(self, limit: int) -> list[JsonDict]:
        if len(self._updates) <= limit:
            return list(self._updates)
        return list(itertools.islice(self._updates, limit))

    # ------------------------------------------------------------------ chat lookup

    def _known_chat(self, p: Params) -> ChatState:
        raw = p.str("chat_id")
        if not raw:
            raise bad_request("chat_id is empty")
        chat: ChatState | None = None
        if raw.startswith("@"):
            chat = next((c for c in self._chats.values() if c.user.username == raw[1:]), None)
        elif raw.lstrip("-").isdigit():
            chat = self._chats.get(int(raw))
        if chat is None or not chat.started:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, p: Params) -> ChatState:
        chat = self._known_chat(p)
        if chat.user.blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _check_rate(self, chat: ChatState) -> None:
        if not self.rate_limit:
            return
        now = time.monotonic()
        for times, limit in (
            (chat.send_times, self.chat_messages_per_second),
            (self._global_send_times, self.global_messages_per_second),
        ):
            while times and now - times[0] >= 1.0:
                times.popleft()
            if len(times) >= limit:
                retry_after = max(1, math.ceil(times[0] + 1.0 - now))
                raise TelegramError(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after
                )
        chat.send_times.append(now)
        self._global_send_times.append(now)

    # ------------------------------------------------------------------ sending

    def _formatted(
        self, p: Params, name: str, entities_name: str, limit: int
    ) -> tuple[str, list[JsonDict]]:
        raw = p.str(name) or ""
        parse_mode = (p.str("parse_mode") or "").lower()
        # Only HTML is parsed; Markdown modes keep the text verbatim, without entities.
        if parse_mode == "html":
            try:
                text, entities = parse_html(raw)
            except HtmlParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        else:
            text, entities = raw, p.json(entities_name) or []
        if len(text) > limit:
            raise bad_request("message caption is too long" if name == "caption" else "message is too long")
        return text, entities

    def _message_text(self, p: Params) -> tuple[str, list[JsonDict]]:
        text, entities = self._formatted(p, "text", "entities", TEXT_LIMIT)
        if not text.strip():
            raise bad_request("message text is empty")
        return text, entities

    def _reply_markup(self, p: Params, inline_only: bool = False) -> JsonDict | None:
        markup = p.json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if inline_only and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        for row in markup.get("inline_keyboard", ()):
            for button in row:
                _check_inline_button(button)
        return markup

    def _reply_target(self, chat: ChatState, p: Params) -> JsonDict | None:
        reply = p.json("reply_parameters") or {}
        message_id = reply.get("message_id") if reply else p.int("reply_to_message_id")
        if message_id is None:
            return None
        target = chat.find_message(int(message_id))
        if target is None:
            if reply.get("allow_sending_without_reply") or p.bool("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def _new_message(
        self, chat: ChatState, reply_to: JsonDict | None, markup: JsonDict | None
    ) -> JsonDict:
        data: JsonDict = {
            "message_id": chat.next_message_id(),
            "from": self.bot_user,
            "chat": chat.user.chat_dict(),
            "date": int(time.time()),
        }
        if reply_to is not None:
            data["reply_to_message"] = reply_to
        inline = _inline_markup(markup)
        if inline is not None:
            data["reply_markup"] = inline
        return data

    def _store_sent(self, chat: ChatState, data: JsonDict, markup: JsonDict | None) -> JsonDict:
        message = BotMessage(chat.chat_id, data["message_id"], data, markup)
        chat.bot_messages[message.message_id] = message
        if markup is not None:
            if "keyboard" in markup:
                chat.keyboard = markup
            elif markup.get("remove_keyboard"):
                chat.keyboard = None
        self._record(chat, "sent", message.message_id, data)
        return data

    def _send_message(self, p: Params) -> JsonDict:
        chat = self._writable_chat(p)
        text, entities = self._message_text(p)
        markup = self._reply_markup(p)
        reply_to = self._reply_target(chat, p)
        self._check_rate(chat)
        data = self._new_message(chat, reply_to, markup)
        data["text"] = text
        if entities:
            data["entities"] = entities
        return self._store_sent(chat, data, markup)

    def _send_media(self, p: Params, kind: str) -> JsonDict:
        chat = self._writable_chat(p)
        caption, entities = self._formatted(p, "caption", "caption_entities", CAPTION_LIMIT)
        markup = self._reply_markup(p)
        reply_to = self._reply_target(chat, p)
        stored = self._input_file(p, kind)
        self._check_rate(chat)
        data = self._new_message(chat, reply_to, markup)
        data[kind] = stored.document() if kind == "document" else stored.photo_sizes()
        if caption:
            data["caption"] = caption
            if entities:
                data["caption_entities"] = entities
        return self._store_sent(chat, data, markup)

    def _input_file(self, p: Params, kind: str) -> StoredFile:
        value = p.file(kind)
        if isinstance(value, FileField):
            data = value.file.read()
            if not data:
                raise bad_request("file must be non-empty")
            mime = mimetypes.guess_type(value.filename or "")[0]
            folder = "photos" if kind == "photo" else "documents"
            return self._store_file(data, value.filename, mime, folder)
        if not value:
            raise bad_request(f"there is no {kind} in the request")
        stored = self._files.get(value)
        if stored is not None:
            return stored
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        number = len(self._files) + 1
        extension = mimetypes.guess_extension(mime_type or "") or ".bin"
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        width, height = _image_size(data) or (512, 512)
        stored = StoredFile(
            file_id=f"SBX{number}_{secrets.token_urlsafe(16)}",
            file_unique_id=f"U{number}{secrets.token_hex(4)}",
            file_path=f"{folder}/file_{number}{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    # ------------------------------------------------------------------ editing and deleting

    def _editable(self, p: Params) -> tuple[ChatState, BotMessage]:
        if p.has("inline_message_id") and not p.has("chat_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._writable_chat(p)
        message_id = p.int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.bot_messages.get(message_id)
        if message is None or message.deleted:
            if message_id in chat.incoming and message_id not in chat.deleted_incoming:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return chat, message

    def _store_edit(
        self, chat: ChatState, message: BotMessage, changes: JsonDict, markup: JsonDict | None
    ) -> JsonDict:
        current = {k: v for k, v in message.data.items() if k != "edit_date"}
        data = {k: v for k, v in current.items() if k not in changes}
        data.update({k: v for k, v in changes.items() if v})  # empty values drop the field
        if data == current:
            raise bad_request(NOT_MODIFIED)
        data["edit_date"] = int(time.time())
        message.data = data
        message.markup = markup
        message.edit_count += 1
        self._record(chat, "edited", message.message_id, data)
        return data

    def _edit_message_text(self, p: Params) -> JsonDict:
        chat, message = self._editable(p)
        if "text" not in message.data:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._message_text(p)
        markup = self._reply_markup(p, inline_only=True)
        changes = {"text": text, "entities": entities, "reply_markup": _inline_markup(markup)}
        return self._store_edit(chat, message, changes, markup)

    def _edit_message_caption(self, p: Params) -> JsonDict:
        chat, message = self._editable(p)
        if "text" in message.data:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._formatted(p, "caption", "caption_entities", CAPTION_LIMIT)
        markup = self._reply_markup(p, inline_only=True)
        changes = {
            "caption": caption,
            "caption_entities": entities,
            "reply_markup": _inline_markup(markup),
        }
        return self._store_edit(chat, message, changes, markup)

    def _edit_message_reply_markup(self, p: Params) -> JsonDict:
        chat, message = self._editable(p)
        markup = self._reply_markup(p, inline_only=True)
        return self._store_edit(chat, message, {"reply_markup": _inline_markup(markup)}, markup)

    def _delete_message(self, p: Params) -> bool:
        chat = self._known_chat(p)
        message_id = p.int("message_id")
        message = chat.bot_messages.get(message_id) if message_id is not None else None
        if message is not None and not message.deleted:
            message.deleted = True
        elif message_id in chat.incoming and message_id not in chat.deleted_incoming:
            chat.deleted_incoming.add(message_id)
        else:
            raise bad_request("message to delete not found")
        self._record(chat, "deleted", message_id)
        return True

    # ------------------------------------------------------------------ callbacks

    def _answer_callback_query(self, p: Params) -> bool:
        query_id = p.str("callback_query_id") or ""
        pending = self._callbacks.pop(query_id, None)
        if pending is None or time.monotonic() - pending.created > self.callback_answer_timeout:
            raise bad_request(CALLBACK_EXPIRED)
        answer = {
            "callback_query_id": query_id,
            "message_id": pending.message_id,
            "text": p.str("text"),
            "show_alert": p.bool("show_alert"),
            "url": p.str("url"),
        }
        self._answers.setdefault(pending.user_id, []).append(answer)
        self._record(self._chats[pending.chat_id], "callback_answer", pending.message_id, answer=answer)
        return True


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("BUTTON_TEXT_INVALID")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    elif len(button) == 1:
        raise bad_request("text buttons are unallowed in the inline keyboard")


def _inline_markup(markup: JsonDict | None) -> JsonDict | None:
    """The part of reply_markup Telegram echoes back in Message objects."""
    if not markup or not markup.get("inline_keyboard"):
        return None
    return {"inline_keyboard": markup["inline_keyboard"]}


def _update_type(update: JsonDict) -> str:
    return next(key for key in update if key != "update_id")


async def _read_params(request: web.Request) -> Params:
    data: dict[str, Any] = dict(request.query) if request.query_string else {}
    if request.method == "POST" and request.body_exists:
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.read())
            except ValueError:
                raise bad_request("can't parse JSON encoded request") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON encoded request")
            data.update(body)
        else:
            data.update(await request.post())
    return Params(data)


def _reply(body: JsonDict, status: int) -> web.Response:
    text = json.dumps(body, ensure_ascii=False)
    return web.Response(text=text, status=status, content_type="application/json")
