"""Filters shared by handlers."""
from __future__ import annotations

from functools import lru_cache

from aiogram.filters import Filter
from aiogram.types import Message

from bot.i18n import catalogs, use_locale
from bot.ui.callbacks import MenuItem
from bot.ui.screens.common import menu_label


@lru_cache(maxsize=None)
def _labels(item: MenuItem) -> frozenset[str]:
    # A keyboard sent before a language change still carries the old labels.
    labels = set()
    for code in catalogs().available:
        with use_locale(code):
            labels.add(menu_label(item))
    return frozenset(labels)


class MenuText(Filter):
    """A press of a big reply-keyboard button, in any shipped language."""

    def __init__(self, item: MenuItem) -> None:
        self.item = item

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text.strip() in _labels(self.item)
