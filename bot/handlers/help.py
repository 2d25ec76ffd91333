"""/help: how to use the bot, and who can help in the citizen's own commune."""
from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.domain import units
from bot.domain.records import UserRecord
from bot.handlers.filters import MenuText
from bot.transport.telegram import send_view
from bot.ui.callbacks import MenuCb, MenuItem
from bot.ui.screens.common import help_view
from bot.ui.view import View

async def _help(uow, user: UserRecord, settings: Settings) -> View:
    unit, contact = await units.help_contact(uow, user.unit_code)
    return help_view(unit, contact, settings.province_hotline)


async def show_help(message: Message, bot: Bot, uow, user: UserRecord, settings: Settings) -> None:
    await send_view(bot, message.chat.id, await _help(uow, user, settings))


async def show_help_from_menu(query: CallbackQuery, bot: Bot, uow, user: UserRecord, settings: Settings) -> None:
    await query.answer()
    await send_view(bot, query.message.chat.id, await _help(uow, user, settings))


def create_router() -> Router:
    router = Router(name="help")
    router.message.register(show_help, Command("help"))
    router.message.register(show_help, MenuText(MenuItem.help))
    router.callback_query.register(show_help_from_menu, MenuCb.filter(F.item == MenuItem.help))
    return router
