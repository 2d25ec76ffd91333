"""The main menu: /menu, its buttons, and the big keyboard buttons."""
from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.handlers.filters import MenuText
from bot.transport.telegram import edit_view, send_view
from bot.ui.callbacks import MenuCb, MenuItem
from bot.ui.screens.common import coming_soon, main_menu

router = Router(name="menu")

# Features not built yet answer "coming soon" until their router takes the item.
PENDING = (MenuItem.guides, MenuItem.quiz, MenuItem.news)


@router.message(Command("menu"))
@router.message(MenuText(MenuItem.menu))
async def show_menu(message: Message, bot: Bot) -> None:
    await send_view(bot, message.chat.id, main_menu())


@router.callback_query(MenuCb.filter(F.item == MenuItem.menu))
async def show_menu_in_place(query: CallbackQuery, bot: Bot) -> None:
    await query.answer()
    await edit_view(bot, query.message.chat.id, query.message.message_id, main_menu())


@router.callback_query(MenuCb.filter(F.item.in_(PENDING)))
async def pending_from_button(query: CallbackQuery, callback_data: MenuCb, bot: Bot) -> None:
    await query.answer()
    await send_view(bot, query.message.chat.id, coming_soon(callback_data.item))


for _item in PENDING:
    @router.message(MenuText(_item))
    async def pending_from_keyboard(message: Message, bot: Bot, _item: MenuItem = _item) -> None:
        await send_view(bot, message.chat.id, coming_soon(_item))
