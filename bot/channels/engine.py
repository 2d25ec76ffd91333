"""ChannelEngine: a channel's inbound event handled as one conversation step of the same dispatcher.

    event ─► who: (channel, external id) found or created in users (ids kept as strings)
          ─► a press: its screen checked (stale, another chat's, a payload the screen never offered → the stale
             notice, nothing else happens)
          ─► an aiogram Update with the citizen's internal id (bot.channels.synth)
          ─► dispatcher.feed_update(channel bot, update, channel_event=…): ContextMiddleware gives the handlers
             the citizen's record and a ChannelReply speaking through the channel's Egress
          ─► egress.finish()

Every channel has its own aiogram Bot (id = the channel's number) whose session refuses Bot API calls: a handler
answers through `reply`, never through the bot, so nothing meant for Telegram can leak to a citizen elsewhere.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import GetMe, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import User

from bot.channels import synth
from bot.channels.base import Channel, ChannelUser, Egress, Inbound, Press
from bot.db.uow import UnitOfWork
from bot.domain import users
from bot.domain.channels import CHANNELS
from bot.domain.clock import utcnow
from bot.domain.records import UserRecord
from bot.i18n import catalogs, use_locale
from bot.ui.screens.common import stale_button

if TYPE_CHECKING:
    from bot.app import BotDispatcher

log = logging.getLogger(__name__)


class ChannelSession(BaseSession):
    """The channel bot's session: getMe answers with the channel's own bot; every other Bot API call is refused
    (handlers speak through `reply`), and logged so that a handler that reached for the bot is found."""

    def __init__(self, channel: str, number: int) -> None:
        super().__init__()
        self.channel = channel
        self.number = number

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        if isinstance(method, GetMe):
            me = User(id=self.number, is_bot=True, first_name=self.channel, username=f"{self.channel}_channel")
            return me  # type: ignore[return-value]  # GetMe's result type is User
        log.warning("%s: %s is not available on this channel; refused", self.channel, type(method).__name__)
        raise TelegramBadRequest(method=method, message=f"{type(method).__name__} is not available on {self.channel}")

    async def close(self) -> None:
        return None

    def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("no files are downloaded on this channel")


def channel_bot(channel: Channel) -> Bot:
    return Bot(token=f"{channel.number}:{channel.name}", session=ChannelSession(channel.name, channel.number))


@dataclass(frozen=True, slots=True)
class ChannelEvent:
    """What ContextMiddleware needs of a channel's update: whose it is and how to answer."""

    channel: Channel
    who: ChannelUser
    user: UserRecord
    created: bool
    egress: Egress


class ChannelEngine:
    def __init__(self, dispatcher: BotDispatcher, channel: Channel) -> None:
        self.dispatcher = dispatcher
        self.channel = channel
        self.bot = channel_bot(channel)
        self._recent = users.RecentUsers()
        self._sequence = itertools.count(1)
        # Called with each event's sequence once it is fully handled (tests and the sandbox wait on it).
        self.handled: list[Callable[[int], None]] = []

    def work(self) -> UnitOfWork:
        return UnitOfWork(self.dispatcher["session_factory"], self.dispatcher["stores"])

    async def citizen(self, who: ChannelUser) -> tuple[UserRecord, bool]:
        uow = self.work()
        try:
            return await users.touch(uow, who.channel, who.external_id, who.chat_id, self._recent)
        finally:
            await uow.close()

    async def handle(self, event: Inbound, sequence: int | None = None) -> None:
        """Handle one event to the end (answers sent, writes committed). `sequence`: the channel's own number for
        it (its inbox id), unique among its events; a process-wide counter otherwise."""
        number = next(self._sequence) if sequence is None else sequence
        try:
            await self._handle(event, number)
        finally:
            for callback in self.handled:
                callback(number)

    async def _handle(self, event: Inbound, number: int) -> None:
        user, created = await self.citizen(event.who)
        egress = self.channel.egress(event.who, self)
        try:
            if isinstance(event, Press) and self.channel.keeps_screens and not await self._current(event):
                with use_locale(user.language or catalogs().best_match(event.who.language_code)):
                    await egress.toast(stale_button())
                return
            update = synth.build(event, user.id, synth.update_id(self.channel.number, number))
            context = ChannelEvent(self.channel, event.who, user, created, egress)
            await self.dispatcher.feed_update(self.bot, update, channel_event=context)
        finally:
            await egress.finish()
        self._recent.evict({user.id})  # what the step changed is read afresh next time

    async def _current(self, press: Press) -> bool:
        """Whether the press is on a screen of this chat that is still shown, with a payload it offered."""
        uow = self.work()
        try:
            async with uow:
                screen = await uow[CHANNELS].screen(press.message_id)
        finally:
            await uow.close()
        return (
            screen is not None
            and screen.channel == self.channel.name
            and screen.chat_id == press.who.chat_id
            and not screen.replaced
            and press.data in screen.payloads
        )

    async def new_screen(self, chat_id: str, payloads: list[str]) -> int:
        """A screen for a message about to be sent with these buttons: its id goes into the buttons."""
        uow = self.work()
        try:
            async with uow:
                screen_id = await uow[CHANNELS].screen_add(self.channel.name, chat_id, payloads, utcnow())
                await uow.commit()
        finally:
            await uow.close()
        return screen_id

    async def retire_screen(self, screen_id: int) -> None:
        """The message was replaced by a newer one: its buttons are stale from now on."""
        uow = self.work()
        try:
            async with uow:
                await uow[CHANNELS].screen_replace(screen_id)
                await uow.commit()
        finally:
            await uow.close()

    async def close(self) -> None:
        await self.bot.session.close()
