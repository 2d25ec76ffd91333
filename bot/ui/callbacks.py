"""Typed button payloads. Packed strings must stay within Telegram's 64 bytes."""
from __future__ import annotations

from enum import Enum

from aiogram.filters.callback_data import CallbackData


class MenuItem(str, Enum):
    menu = "menu"
    guides = "guides"
    quiz = "quiz"
    news = "news"
    help = "help"
    language = "language"


class MenuCb(CallbackData, prefix="m"):
    item: MenuItem


class LanguageCb(CallbackData, prefix="lang"):
    code: str
