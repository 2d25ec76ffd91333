"""Choosing and changing the language."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, TelegramObject

from bot.db.uow import UnitOfWork
from bot.domain import users
from bot.domain.records import UserRecord
from bot.handlers.filters import Pressed, from_menu
from bot.handlers.keyboard import restored
from bot.i18n import catalogs, use_locale
from bot.transport.reply import Reply
from bot.ui import menu
from bot.ui.callbacks import LanguageCb
from bot.ui.screens.common import language_changed, language_chosen, language_picker, main_menu, stale_button


async def ask_language(_: TelegramObject, reply: Reply, user: UserRecord) -> None:
    await reply.send(language_picker(user.language or catalogs().default_locale))


async def choose_language(
    _: CallbackQuery, callback_data: LanguageCb, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext
) -> None:
    code = callback_data.code
    if code not in catalogs().available:
        await reply.toast(stale_button())
        return
    if code == user.language:  # an older language question, answered with the language already spoken
        with use_locale(code):
            await reply.show(language_chosen(code))
        return
    first_time = user.language is None
    await users.set_language(uow, user.id, code)
    with use_locale(code):
        await reply.show(language_chosen(code))
        await reply.send(language_changed(first_time))  # with the big buttons, in the new language
        await restored(state)
        await reply.send(main_menu())


def create_router() -> Router:
    router = Router(name="language")
    router.message.register(ask_language, Command("language"))
    router.callback_query.register(ask_language, from_menu(menu.LANGUAGE))
    router.callback_query.register(choose_language, Pressed(LanguageCb))
    return router
