"""The main menu: /menu, its buttons, and the big keyboard buttons."""
from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.handlers.filters import MenuText
from bot.transport.telegram import edit_view, send_view
from bot.ui.callbacks import MenuCb, MenuItem
from bot.ui.screens.common import coming_soon, main_menu

# Features not built yet answer "coming soon" until their router takes the item.
PENDING = (MenuItem.news,)


async def show_menu(message: Message, bot: Bot) -> None:
    await send_view(bot, message.chat.id, main_menu())


async def show_menu_in_place(query: CallbackQuery, bot: Bot) -> None:
    await query.answer()
    await edit_view(bot, query.message.chat.id, query.message.message_id, main_menu())


async def pending_from_button(query: CallbackQuery, callback_data: MenuCb, bot: Bot) -> None:
    await query.answer()
    await send_view(bot, query.message.chat.id, coming_soon(callback_data.item))


def _pending_from_keyboard(item: MenuItem):  # type: ignore[no-untyped-def]
    async def pending_from_keyboard(message: Message, bot: Bot) -> None:
        await send_view(bot, message.chat.id, coming_soon(item))

    return pending_from_keyboard


def create_router() -> Router:
    router = Router(name="menu")
    router.message.register(show_menu, Command("menu"))
    router.message.register(show_menu, MenuText(MenuItem.menu))
    router.callback_query.register(show_menu_in_place, MenuCb.filter(F.item == MenuItem.menu))
    router.callback_query.register(pending_from_button, MenuCb.filter(F.item.in_(PENDING)))
    for item in PENDING:
        router.message.register(_pending_from_keyboard(item), MenuText(item))
    return router
