"""How the bot answers the update at hand, so that handlers need not care whether it was a command, a typed
text or a button press.

`reply.send(view)` sends a new message; `reply.show(view)` replaces the message whose button was pressed, or
sends a new one when there is none or it can no longer be edited; `reply.toast(text)` answers the press with a
short notice. A press that no handler answered is answered once, empty, after the handler (ContextMiddleware),
so the citizen's spinner always stops and nothing answers twice.

A press on a screen that is already shown (the same button twice, a re-sent callback) makes no edit at all:
`Shown` remembers what this process last put in each text message it sent or edited.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from bot.domain.records import UserRecord
from bot.transport.telegram import PLATFORM, edit_view, send_view
from bot.ui.view import Choice, View

log = logging.getLogger(__name__)

# Bot API answers to an edit of a message that is gone or too old: send the screen anew instead.
_NOT_EDITABLE = ("message to edit not found", "message can't be edited", "message_id_invalid")
_TOO_OLD = "query is too old"
TOAST_LIMIT = 200  # Telegram shows at most 200 characters in a callback answer


def _fingerprint(view: View) -> int:
    """The text and inline buttons of a screen: what an edit would put in the message."""
    buttons = tuple(
        tuple((b.label, b.payload.pack()) if isinstance(b, Choice) else (b.label, "url", b.url) for b in row)
        for row in view.buttons
    )
    return hash((view.text, buttons))


def _looks(message: Message) -> tuple[int, int]:
    """How a message looks as Telegram reports it: its edit date and its text (keyboards are not kept)."""
    return message.edit_date or 0, hash(message.text)


class Shown:
    """What this process last put in each text message it sent or edited, so that a press whose screen is already
    shown makes no edit (Telegram answers an identical edit with 400 "message is not modified").

    Per message: the last screen's fingerprint, and the last few looks the message had after this process
    changed it (edit date and text, as Telegram reports them in a press). A press counts as on that screen when
    it carries one of those looks: the message as left, or as it was before a double tap's first press edited
    it. A look this process never produced (an edit by another process or an older version) means the edit is
    made as usual. Bounded: the `size` messages shown last.
    """

    KEPT_LOOKS = 4

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, int], tuple[int, tuple[tuple[int, int], ...]]] = OrderedDict()

    def remember(self, chat_id: int, message: Message, view: View) -> None:
        key = (chat_id, message.message_id)
        if message.text is None:  # a photo or a document: never given a text (Reply.to_press)
            return
        entry = self._entries.get(key)
        looks = (*(entry[1] if entry else ()), _looks(message))[-self.KEPT_LOOKS :]
        self._entries[key] = (_fingerprint(view), looks)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def already(self, chat_id: int, pressed: Message, view: View) -> bool:
        """Whether the pressed message shows this screen already."""
        entry = self._entries.get((chat_id, pressed.message_id))
        return entry is not None and entry[0] == _fingerprint(view) and _looks(pressed) in entry[1]

    def __len__(self) -> int:
        return len(self._entries)


SHOWN = Shown()


async def answer_press(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a press. One answered too late is not an error: what it did is stored, and the chat moves on."""
    try:
        await query.answer(text[:TOAST_LIMIT] if text else None, show_alert=alert or None)
    except TelegramBadRequest as error:
        if _TOO_OLD not in error.message:
            raise
        log.info("press from user %s answered too late", query.from_user.id)


class Reply:
    __slots__ = ("_answered", "_pressed", "bot", "chat_id", "message_id", "query")

    def __init__(self, bot: Bot, chat_id: int, query: CallbackQuery | None = None, message_id: int | None = None):
        self.bot = bot
        self.chat_id = chat_id
        self.query = query
        # The message the pressed button is on, while the bot can still edit it (None: send anew).
        self.message_id = message_id
        self._pressed = query.message if query is not None and isinstance(query.message, Message) else None
        self._answered = query is None

    @classmethod
    def to_message(cls, bot: Bot, message: Message) -> Reply:
        return cls(bot, message.chat.id)

    @classmethod
    def to_citizen(cls, bot: Bot, user: UserRecord) -> Reply:
        """Where the bot writes to a citizen unasked (results at a deadline, announcements): their own private
        chat, whose id on Telegram is the citizen's own, whatever chat an older version may have stored."""
        return cls(bot, int(user.platform_user_id) if user.platform == PLATFORM else int(user.chat_id))

    @classmethod
    def to_press(cls, bot: Bot, query: CallbackQuery) -> Reply | None:
        """None when the press carries no chat at all (an inline-mode message): nowhere to answer."""
        message = query.message
        if message is None:
            return None
        # An InaccessibleMessage (too old, or deleted) still names its chat, but cannot be edited; nor can a
        # photo or document be given a text.
        editable = isinstance(message, Message) and message.message_id != 0 and message.text is not None
        return cls(bot, message.chat.id, query, message.message_id if editable else None)

    @property
    def answered(self) -> bool:
        return self._answered

    async def send(self, view: View) -> Message:
        sent = await send_view(self.bot, self.chat_id, view)
        SHOWN.remember(self.chat_id, sent, view)
        return sent

    async def show(self, view: View) -> None:
        """The pressed message becomes this screen (unless it shows it already); a new message when it cannot
        be edited."""
        await self.toast(view.toast)
        if self.message_id is None:
            await self.send(view)
            return
        if self._pressed is not None and SHOWN.already(self.chat_id, self._pressed, view):
            return
        try:
            edited = await edit_view(self.bot, self.chat_id, self.message_id, view)
        except TelegramBadRequest as error:
            if not any(reason in error.message.lower() for reason in _NOT_EDITABLE):
                raise
            log.info("message %s in chat %s cannot be edited; sending anew", self.message_id, self.chat_id)
            self.message_id = None
            await self.send(view)
            return
        if edited is None:  # Telegram says the message shows it already
            if self._pressed is not None:
                SHOWN.remember(self.chat_id, self._pressed, view)
            return
        SHOWN.remember(self.chat_id, edited, view)
        self._pressed = edited

    async def toast(self, text: str | None = None, alert: bool = False) -> None:
        """Answer the press (once; later calls do nothing)."""
        if self._answered or self.query is None:
            return
        self._answered = True
        await answer_press(self.query, text, alert)
