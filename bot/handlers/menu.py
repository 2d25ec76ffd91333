"""The main menu: /menu, its button, and the big keyboard button."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.handlers.filters import MenuText, from_menu
from bot.transport.reply import Reply
from bot.ui import menu
from bot.ui.screens.common import main_menu


async def show_menu(_: Message, reply: Reply) -> None:
    await reply.send(main_menu())


async def show_menu_in_place(_: CallbackQuery, reply: Reply) -> None:
    await reply.show(main_menu())


def create_router() -> Router:
    router = Router(name="menu")
    router.message.register(show_menu, Command("menu"))
    router.message.register(show_menu, MenuText(menu.HOME))
    router.callback_query.register(show_menu_in_place, from_menu(menu.HOME))
    return router
