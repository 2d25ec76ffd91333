"""The Reply handlers get for an update of a channel other than Telegram: the same three verbs, spoken through
the channel's Egress (bot.channels.base) instead of the Bot API."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, Message

from bot.channels.base import Egress
from bot.channels.synth import message_stub
from bot.transport.reply import Reply
from bot.ui.view import View


class ChannelReply(Reply):
    __slots__ = ("egress",)

    def __init__(self, bot: Bot, chat_id: int, egress: Egress, query: CallbackQuery | None = None) -> None:
        pressed = query.message.message_id if query is not None and query.message is not None else None
        super().__init__(bot, chat_id, query, pressed or None)
        self.egress = egress

    async def send(self, view: View) -> Message:
        message_id = await self.egress.send(view)
        return message_stub(self.chat_id, message_id, view.text)

    async def show(self, view: View) -> None:
        await self.toast(view.toast)
        if self.message_id is None:
            await self.send(view)
            return
        self.message_id = await self.egress.replace(self.message_id, view) or None

    async def toast(self, text: str | None = None, alert: bool = False) -> None:
        if self._answered or self.query is None:
            return
        self._answered = True
        await self.egress.toast(text, alert)
