"""A bare aiogram echo bot: the baseline the real bot is benchmarked against.

Every text is answered with the same text plus one inline button; pressing
the button edits that message in place.
"""

from __future__ import annotations

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

ECHO_TOKEN = "123456789:sandbox-echo-token"


def _again_button(count: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=f"Echo again ({count})", callback_data=f"echo:{count}")
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def _echo_text(message: Message) -> None:
    await message.answer(message.text or "", reply_markup=_again_button(1))


async def _echo_callback(callback: CallbackQuery) -> None:
    count = int((callback.data or "echo:0").split(":", 1)[1])
    await callback.answer()
    if isinstance(callback.message, Message):
        # The counter changes the text, so Telegram never rejects the edit as "not modified".
        await callback.message.edit_text(f"echo #{count}", reply_markup=_again_button(count + 1))


def build_echo_dispatcher() -> Dispatcher:
    router = Router(name="echo")
    router.message.register(_echo_text, F.text)
    router.callback_query.register(_echo_callback, F.data.startswith("echo:"))
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


def build_bot(base_url: str, token: str = ECHO_TOKEN) -> Bot:
    """A Bot that talks to a Bot API server at base_url (e.g. the sandbox emulator)."""
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
