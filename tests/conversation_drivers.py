"""One conversation suite, every channel: what a test does as a citizen, whatever the channel.

A driver module (tests/drivers_<channel>.py) has `open_driver(settings) -> Driver`; `Driver` is an async context
manager that starts the real bot with that channel against its emulator (or a real browser), and makes citizens:

    async with await open_driver(settings) as driver:
        citizen = driver.citizen()
        replies = await citizen.send("/start")     # list[Shown]: what the bot said, toasts included
        await citizen.press("Tiếng Việt")          # a button on the newest message that has it
        await citizen.tap("gk:family")             # a button whose payload starts so
        await citizen.press_again()                # the last press once more (a double tap)
        await citizen.forge("qa:1:1:9")            # a press with data no button offered, on the newest screen
        await citizen.share_contact("+84912345678")
        await citizen.user_id()                    # users.id, for database checks

Add a channel: its driver module, and one line in DRIVERS.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.config import Settings

DRIVERS: dict[str, str] = {
    "telegram": "tests.drivers_telegram",
    "zalo": "tests.drivers_zalo",
    "web": "tests.drivers_web",
}


@dataclass(frozen=True)
class Shown:
    text: str
    buttons: list[str] = field(default_factory=list)  # labels
    toast: bool = False  # a press's short notice (Telegram); other channels say it as a message


def said(replies: list[Shown]) -> str:
    return "\n".join(reply.text for reply in replies)


class ChatCitizen(Protocol):
    async def send(self, text: str) -> list[Shown]: ...
    async def press(self, label: str) -> list[Shown]: ...
    async def tap(self, prefix: str) -> list[Shown]: ...
    async def press_again(self) -> list[Shown]: ...
    async def forge(self, data: str) -> list[Shown]: ...
    async def share_contact(self, phone: str) -> list[Shown]: ...
    async def user_id(self) -> int: ...
    def labels(self) -> list[str]: ...


class Driver(Protocol):
    name: str
    app: Any  # bot.app.Application

    def citizen(self) -> ChatCitizen: ...
    async def __aenter__(self) -> Driver: ...
    async def __aexit__(self, *exc: object) -> None: ...


async def open_driver(name: str, settings: Settings) -> Driver:
    module = importlib.import_module(DRIVERS[name])
    driver: Driver = await module.open_driver(settings)
    return driver
