"""/help: how to use the bot, the citizen's commune or ward on record, and who can help there (by phone, or in
person when no number is known). The commune is chosen or changed here with the unit picker."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, TelegramObject

from bot.config import Settings
from bot.db.uow import UnitOfWork
from bot.domain import units, users
from bot.domain.records import UserRecord
from bot.handlers.filters import MenuText, Pressed, from_menu
from bot.transport.reply import Reply
from bot.ui import menu
from bot.ui.callbacks import UnitChooseCb, UnitLevelCb, UnitOpenCb, UnitPurpose
from bot.ui.screens.common import help_view, no_units, stale_button, unit_chosen, unit_picker


async def show_help(_: TelegramObject, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings) -> None:
    unit, contact = await units.help_contact(uow, user.unit_code)
    await reply.send(help_view(unit, contact, settings.province_hotline))


async def open_picker(
    _: CallbackQuery, callback_data: UnitOpenCb, reply: Reply, uow: UnitOfWork, user: UserRecord
) -> None:
    """The picker in a new message, so that the screen it was opened from stays."""
    screen = await units.picker(uow)
    await reply.toast()
    await reply.send(
        unit_picker(callback_data.purpose, screen, await units.get(uow, user.unit_code)) if screen else no_units()
    )


async def show_level(
    _: CallbackQuery, callback_data: UnitLevelCb, reply: Reply, uow: UnitOfWork, user: UserRecord
) -> None:
    """Letters, pages and levels of the picker, in place (Help and "I'm stuck"; registration has its own)."""
    screen = await units.picker(uow, callback_data.parent, callback_data.letter, callback_data.page)
    if screen is None:
        await reply.toast(stale_button())
        return
    await reply.show(unit_picker(callback_data.purpose, screen, await units.get(uow, user.unit_code)))


async def choose_unit(
    _: CallbackQuery, callback_data: UnitChooseCb, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    updated = await users.set_unit(uow, user.id, callback_data.code)
    if updated is None:
        await reply.toast(stale_button())
        return
    unit, contact = await units.help_contact(uow, updated.unit_code)
    if unit is not None:
        await reply.show(unit_chosen(unit))
    await reply.send(help_view(unit, contact, settings.province_hotline))


def create_router() -> Router:
    router = Router(name="help")
    router.message.register(show_help, Command("help"))
    router.message.register(show_help, MenuText(menu.HELP))
    router.callback_query.register(show_help, from_menu(menu.HELP))
    router.callback_query.register(open_picker, Pressed(UnitOpenCb, purpose=UnitPurpose.help))
    for purpose in (UnitPurpose.help, UnitPurpose.guide):
        router.callback_query.register(show_level, Pressed(UnitLevelCb, purpose=purpose))
    router.callback_query.register(choose_unit, Pressed(UnitChooseCb, purpose=UnitPurpose.help))
    return router
