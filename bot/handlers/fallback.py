"""Catch-alls: nothing a citizen sends is met with silence."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.domain import smalltalk
from bot.transport.reply import Reply
from bot.ui.screens.common import small_talk, stale_button, unknown_input


async def unknown_message(message: Message, reply: Reply) -> None:
    # "xin chào", "cảm ơn", "ok": a short friendly answer and the menu; anything else: a hint and the menu.
    talk = smalltalk.classify(message.text) if message.text else None
    await reply.send(small_talk(talk) if talk is not None else unknown_input())


async def unknown_button(_: CallbackQuery, reply: Reply) -> None:
    # Old, forged or foreign button data: say so briefly and change nothing.
    await reply.toast(stale_button())


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_message)
    router.callback_query.register(unknown_button)
    return router
