"""/start, with an optional deep-link payload from a QR code (unit_<code>)."""
from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bot.domain import users
from bot.domain.records import UserRecord
from bot.i18n import catalogs
from bot.transport.telegram import send_view
from bot.ui.screens.common import language_picker, main_menu, welcome

async def start(message: Message, command: CommandObject, bot: Bot, uow, user: UserRecord) -> None:
    user = await users.apply_start_payload(uow, user, command.args)
    if user.language is None:
        suggested = catalogs().best_match(message.from_user.language_code if message.from_user else None)
        await send_view(bot, message.chat.id, language_picker(suggested))
        return
    await send_view(bot, message.chat.id, welcome())
    await send_view(bot, message.chat.id, main_menu())


def create_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    return router
