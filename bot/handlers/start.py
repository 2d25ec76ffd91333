"""/start, with an optional deep-link payload from a QR code (unit_<code>)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.db.uow import UnitOfWork
from bot.domain import users
from bot.domain.records import UserRecord
from bot.handlers.keyboard import restored
from bot.i18n import catalogs
from bot.transport.reply import Reply
from bot.ui.screens.common import language_picker, main_menu, welcome


async def start(
    message: Message, command: CommandObject, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext
) -> None:
    await state.clear()  # start over: whatever form was open is left (what it saved stays saved)
    user = await users.apply_start_payload(uow, user, command.args)
    if user.language is None:
        suggested = catalogs().best_match(message.from_user.language_code if message.from_user else None)
        await reply.send(language_picker(suggested))
        return
    await reply.send(welcome())  # with the big buttons
    await restored(state)
    await reply.send(main_menu())


def create_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    return router
