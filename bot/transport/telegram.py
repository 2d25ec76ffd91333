"""Render views as Telegram messages."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.domain.platforms import TELEGRAM
from bot.ui.view import Choice, Link, View

PLATFORM = TELEGRAM
log = logging.getLogger(__name__)


def inline_markup(view: View) -> InlineKeyboardMarkup | None:
    if not view.buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[_inline_button(button) for button in row] for row in view.buttons])


def _inline_button(button: Choice | Link) -> InlineKeyboardButton:
    if isinstance(button, Link):
        return InlineKeyboardButton(text=button.label, url=button.url)
    return InlineKeyboardButton(text=button.label, callback_data=button.payload.pack())


def reply_markup(view: View) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    if view.contact_request:
        return ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=view.contact_request, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if view.keyboard:
        return ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=label) for label in row] for row in view.keyboard],
            resize_keyboard=True,
            is_persistent=True,
        )
    if view.remove_keyboard:
        return ReplyKeyboardRemove()
    return inline_markup(view)


async def send_view(bot: Bot, chat_id: int | str, view: View) -> Message:
    markup = reply_markup(view)
    if view.attachment is not None:
        upload = BufferedInputFile(view.attachment.data, filename=view.attachment.filename)
        caption = view.attachment.caption or view.text
        if view.attachment.kind == "photo":
            return await bot.send_photo(chat_id, upload, caption=caption, reply_markup=markup)
        return await bot.send_document(chat_id, upload, caption=caption, reply_markup=markup)
    return await bot.send_message(chat_id, view.text, reply_markup=markup)


async def edit_view(bot: Bot, chat_id: int | str, message_id: int, view: View) -> Message | None:
    """Replace a message in place: the message as it now is. An identical edit is not an error (None)."""
    try:
        edited = await bot.edit_message_text(
            text=view.text, chat_id=chat_id, message_id=message_id, reply_markup=inline_markup(view)
        )
    except TelegramBadRequest as error:
        if "message is not modified" not in error.message:
            raise
        return None
    return edited if isinstance(edited, Message) else None
