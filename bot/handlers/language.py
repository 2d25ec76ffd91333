"""Choosing and changing the language."""
from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.domain import users
from bot.domain.records import UserRecord
from bot.i18n import catalogs, use_locale
from bot.transport.telegram import edit_view, send_view
from bot.ui.callbacks import LanguageCb, MenuCb, MenuItem
from bot.ui.screens.common import language_changed, language_picker, main_menu, stale_button, welcome
from bot.ui.view import View

async def ask_language(message: Message, bot: Bot, user: UserRecord) -> None:
    await send_view(bot, message.chat.id, language_picker(user.language or catalogs().default_locale))


async def ask_language_from_menu(query: CallbackQuery, bot: Bot, user: UserRecord) -> None:
    await query.answer()
    await send_view(bot, query.message.chat.id, language_picker(user.language or catalogs().default_locale))


async def choose_language(query: CallbackQuery, callback_data: LanguageCb, bot: Bot, uow, user: UserRecord) -> None:
    code = callback_data.code
    if code not in catalogs().available:
        await query.answer(stale_button())
        return
    first_time = user.language is None
    await users.set_language(uow, user.id, code)
    with use_locale(code):
        await query.answer()
        chat_id = query.message.chat.id
        await edit_view(bot, chat_id, query.message.message_id, View(text=f"✅ {catalogs().display_name(code)}"))
        await send_view(bot, chat_id, welcome() if first_time else language_changed())
        await send_view(bot, chat_id, main_menu())


def create_router() -> Router:
    router = Router(name="language")
    router.message.register(ask_language, Command("language"))
    router.callback_query.register(ask_language_from_menu, MenuCb.filter(F.item == MenuItem.language))
    router.callback_query.register(choose_language, LanguageCb.filter())
    return router
