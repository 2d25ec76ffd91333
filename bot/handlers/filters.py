"""Filters shared by handlers: our button payloads and the big menu buttons, adapted to aiogram's routers."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from bot.ui import menu
from bot.ui.callbacks import MenuCb
from bot.ui.menu import MenuEntry
from bot.ui.payloads import Payload, PayloadError


class Pressed(Filter):
    """A press of a button carrying a `payload_type` payload whose fields equal `expected`.

    The handler gets the parsed payload as `callback_data`. Data that does not parse — forged, from an older
    version, a number out of range — matches no handler and ends in the catch-all "out of date" answer.
    """

    def __init__(self, payload_type: type[Payload], **expected: object) -> None:
        self.payload_type = payload_type
        self.expected = expected
        self._prefix = payload_type.prefix + ":"

    async def __call__(self, query: CallbackQuery) -> bool | dict[str, Any]:
        data = query.data
        if not data or not data.startswith(self._prefix):
            return False
        try:
            payload = self.payload_type.unpack(data)
        except PayloadError:
            return False
        if any(getattr(payload, name) != value for name, value in self.expected.items()):
            return False
        return {"callback_data": payload}


def from_menu(entry: MenuEntry) -> Pressed:
    """A press of the entry's button in the main menu."""
    return Pressed(MenuCb, item=entry.key)


class MenuText(Filter):
    """A press of a big button under the chat, in any shipped language."""

    def __init__(self, entry: MenuEntry) -> None:
        self.entry = entry

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text.strip() in menu.labels_of(self.entry)


def is_navigation(text: str) -> bool:
    """A command or a big menu button: it leaves whatever form the citizen was filling in."""
    return text.startswith("/") or menu.entry_of_text(text) is not None
