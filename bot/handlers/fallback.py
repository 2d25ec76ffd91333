"""Catch-alls: nothing a citizen sends is met with silence."""
from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Message

from bot.transport.telegram import send_view
from bot.ui.screens.common import stale_button, unknown_input

async def unknown_message(message: Message, bot: Bot) -> None:
    await send_view(bot, message.chat.id, unknown_input())


async def unknown_button(query: CallbackQuery) -> None:
    # Old, forged or foreign button data: say so briefly and change nothing.
    await query.answer(stale_button())


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_message)
    router.callback_query.register(unknown_button)
    return router
