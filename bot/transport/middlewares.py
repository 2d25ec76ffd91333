"""Per-update context: a unit of work, the citizen's record, their language, and where to reply.

Every update is first sorted by where it comes from (bot/transport/chats.py). Only what a person does in their
own private chat reaches the handlers with a citizen record; their record's chat is that private chat, so
nothing sent later (results, certificates, announcements) can go anywhere else. Presses on somebody else's
buttons, and everything from groups and channels, are answered here and change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User
from aiogram.types.update import UpdateTypeLookupError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.uow import StoreBinding, UnitOfWork
from bot.domain import users
from bot.i18n import catalogs, use_locale
from bot.transport import chats
from bot.transport.chats import GroupNotes, Origin
from bot.transport.reply import Reply
from bot.transport.telegram import PLATFORM

if TYPE_CHECKING:
    from bot.channels.engine import ChannelEvent

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ContextMiddleware(BaseMiddleware):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        stores: Iterable[StoreBinding],
        group_notes: GroupNotes | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._stores = tuple(stores)
        self._recent = users.RecentUsers()
        self.group_notes = group_notes or GroupNotes()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        where = chats.origin(event)
        if where is Origin.OUTSIDE:
            await self.group_notes.answer(data["bot"], event)
            return None
        if where is Origin.FOREIGN:
            await chats.answer_foreign_press(event)
            return None
        if where is Origin.NO_CHAT:
            await chats.answer_chatless_press(event)
            return None
        if where is Origin.OTHER and not _known_kind(event):
            log.info("update %s is of a kind this version does not know; ignored", event.update_id)
            return None
        uow = UnitOfWork(self._session_factory, self._stores)
        data["uow"] = uow
        channel: ChannelEvent | None = data.get("channel_event")
        try:
            sender: User | None = data.get("event_from_user")
            # Who the person is on their channel: (platform, their id there, as a string).
            if channel is not None:
                data["platform_key"] = (channel.who.channel, channel.who.external_id)
            elif sender is not None:
                data["platform_key"] = (PLATFORM, str(sender.id))
            if where is not Origin.PRIVATE:  # the bot's membership, kinds no feature takes: no citizen record
                return await handler(event, data)
            from_user: User = data["event_from_user"]
            if channel is not None:  # another channel: its ingress found the citizen, its egress answers
                reply: Reply | None = _channel_reply(data["bot"], event, channel)
                user, created = channel.user, channel.created
            else:
                reply = _reply(data["bot"], event)
                # The private chat's id: the sender's own (origin() checked it), never a group's.
                user, created = await users.touch(uow, PLATFORM, str(from_user.id), str(from_user.id), self._recent)
            if reply is not None:
                data["reply"] = reply
            data["user"] = user
            data["first_visit"] = created or user.language is None
            locale = user.language or catalogs().best_match(from_user.language_code)
            with use_locale(locale):
                result = await handler(event, data)
                if reply is not None:
                    await reply.toast()  # a press no handler answered: stop the citizen's spinner
                return result
        finally:
            self._recent.evict(uow.changed_user_ids)
            await uow.close()


def _known_kind(update: Update) -> bool:
    """False for a kind of update newer than this version of aiogram (a newer Bot API): nothing can take it."""
    try:
        update.event_type  # noqa: B018 -- the lookup is the test
    except UpdateTypeLookupError:
        return False
    return True


def _channel_reply(bot: Bot, event: Update, channel: ChannelEvent) -> Reply:
    from bot.channels.reply import ChannelReply

    query = event.callback_query if isinstance(event.callback_query, CallbackQuery) else None
    return ChannelReply(bot, channel.user.id, channel.egress, query)


def _reply(bot: Bot, event: Update) -> Reply | None:
    if isinstance(event.message, Message):
        return Reply.to_message(bot, event.message)
    if isinstance(event.callback_query, CallbackQuery):
        return Reply.to_press(bot, event.callback_query)
    return None
