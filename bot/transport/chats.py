"""Where an update comes from, and what the bot does outside a citizen's own private chat.

The bot is a private assistant: it keeps a record of a person, and answers them, only in their own private
chat, so that results, certificates and personal details never go anywhere else. Every update is sorted once,
here, before any handler sees it (ContextMiddleware):

* `PRIVATE`: a message, an edit or a press by the person whose private chat it is: the handlers get it;
* `FOREIGN`: a press on a button in somebody else's private chat. Telegram never shows those buttons to anyone
  else, so such an update is forged; it gets a polite toast and changes nothing;
* `OUTSIDE`: anything in a group, supergroup or channel. Nothing is stored; a group that addresses the bot (a
  command, a reply to it, a mention, adding it) gets at most a short note pointing to its private chat, once
  per `GroupNotes.interval` whoever asks; a press there gets a toast; a channel gets nothing, ever (a post
  there would go to every subscriber);
* `NO_CHAT`: a press that names no chat at all (inline mode): the out-of-date toast;
* `MEMBERSHIP`: the bot blocked or allowed again in a private chat: handed to its handler with no record touched;
* `OTHER`: kinds of update no feature takes (polls, inline queries, join requests…): handed on, no record.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from enum import StrEnum

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType, MessageEntityType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, Message, Update

from bot.i18n import catalogs, use_locale
from bot.transport.reply import answer_press
from bot.transport.telegram import send_view
from bot.ui.screens.common import stale_button
from bot.ui.screens.private import not_your_button, private_chat_only, private_chat_toast

log = logging.getLogger(__name__)

GROUPS = frozenset({ChatType.GROUP.value, ChatType.SUPERGROUP.value})
_IN = frozenset({ChatMemberStatus.MEMBER.value, ChatMemberStatus.ADMINISTRATOR.value})
_OUT = frozenset({ChatMemberStatus.LEFT.value, ChatMemberStatus.KICKED.value})


class Origin(StrEnum):
    PRIVATE = "private"
    FOREIGN = "foreign"
    OUTSIDE = "outside"
    NO_CHAT = "no_chat"
    MEMBERSHIP = "membership"
    OTHER = "other"


def _own_private_chat(chat: Chat, sender_id: int | None) -> bool:
    return chat.type == ChatType.PRIVATE and sender_id is not None and chat.id == sender_id


def origin(update: Update) -> Origin:
    query = update.callback_query
    if query is not None:
        if query.message is None:
            return Origin.NO_CHAT
        chat = query.message.chat  # an InaccessibleMessage still names its chat
        if chat.type != ChatType.PRIVATE:
            return Origin.OUTSIDE
        return Origin.PRIVATE if chat.id == query.from_user.id else Origin.FOREIGN
    message = update.message or update.edited_message
    if message is not None:
        sender = message.from_user
        human = sender is not None and not sender.is_bot
        if human and _own_private_chat(message.chat, sender.id if sender else None):
            return Origin.PRIVATE
        return Origin.OUTSIDE  # a group, or what no private chat can hold (a bot, nobody, someone else)
    if update.channel_post is not None or update.edited_channel_post is not None:
        return Origin.OUTSIDE
    member = update.my_chat_member
    if member is not None:
        return Origin.MEMBERSHIP if _own_private_chat(member.chat, member.from_user.id) else Origin.OUTSIDE
    return Origin.OTHER


async def answer_foreign_press(update: Update) -> None:
    query = update.callback_query
    assert query is not None
    with use_locale(catalogs().best_match(query.from_user.language_code)):
        await answer_press(query, not_your_button())


async def answer_chatless_press(update: Update) -> None:
    query = update.callback_query
    assert query is not None
    with use_locale(catalogs().best_match(query.from_user.language_code)):
        await answer_press(query, stale_button())


class GroupNotes:
    """The note a group gets when it addresses the bot: at most one per group every `interval` seconds, however
    often and by whomever it is asked, so that the bot cannot be made to spam a group. The `size` groups heard
    from last are remembered."""

    def __init__(self, interval: float = 600.0, size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self._size = size
        self._clock = clock
        self._sent: OrderedDict[int, float] = OrderedDict()

    def due(self, chat_id: int) -> bool:
        """Whether a note may go to the group now; if so, it counts as sent."""
        now = self._clock()
        last = self._sent.get(chat_id)
        if last is not None and now - last < self.interval:
            return False
        self._sent[chat_id] = now
        self._sent.move_to_end(chat_id)
        while len(self._sent) > self._size:
            self._sent.popitem(last=False)
        return True

    async def answer(self, bot: Bot, update: Update) -> None:
        """What the bot does with an update from outside private chats: at most a toast or the note."""
        query = update.callback_query
        if query is not None:
            with use_locale(catalogs().best_match(query.from_user.language_code)):
                await answer_press(query, private_chat_toast())
            return
        asked = await _asking_group(bot, update)
        if asked is None:
            return
        chat, language_code = asked
        if not self.due(chat.id):
            return
        me = await bot.me()
        with use_locale(catalogs().best_match(language_code)):
            note = private_chat_only(f"https://t.me/{me.username}")
        try:
            await send_view(bot, chat.id, note)
        except TelegramAPIError as error:  # removed meanwhile, not allowed to write, flooded: a note is not worth more
            log.info("no note to chat %s: %s", chat.id, error)


async def _asking_group(bot: Bot, update: Update) -> tuple[Chat, str | None] | None:
    """The group that addressed the bot, with the language of whoever did; None when nobody asked."""
    member = update.my_chat_member
    if member is not None:
        added = member.new_chat_member.status in _IN and member.old_chat_member.status in _OUT
        if added and member.chat.type in GROUPS:
            return member.chat, member.from_user.language_code
        return None
    message = update.message
    if message is None or message.chat.type not in GROUPS or not await _addresses_bot(bot, message):
        return None
    sender = message.from_user
    # An anonymous administrator writes as the group (GroupAnonymousBot): no language of their own.
    language = sender.language_code if sender is not None and not sender.is_bot else None
    return message.chat, language


async def _addresses_bot(bot: Bot, message: Message) -> bool:
    """A command for this bot (`/cmd` or `/cmd@this_bot`), a reply to one of its messages, or a mention of it."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True
    text = message.text or message.caption or ""
    mentions = [e for e in message.entities or message.caption_entities or () if e.type == MessageEntityType.MENTION]
    if not text.startswith("/") and not mentions:
        return False
    username = ((await bot.me()).username or "").lower()
    if text.startswith("/"):
        addressee = text.split(maxsplit=1)[0].partition("@")[2]
        return not addressee or addressee.lower() == username
    return any(entity.extract_from(text).lower() == f"@{username}" for entity in mentions)
