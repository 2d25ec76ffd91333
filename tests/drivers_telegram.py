"""The conversation suite's Telegram: the real bot polling the Bot API emulator (tests/e2e.py)."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.db.repositories import UserRepository
from bot.sandbox.emulator import BotMessage
from tests.conversation_drivers import Shown
from tests.e2e import Citizen, Sandbox


def _shown(message: BotMessage) -> Shown:
    return Shown(message.text or message.caption or "", [button.get("text", "") for button in message.buttons])


class TelegramCitizen:
    def __init__(self, driver: TelegramDriver, citizen: Citizen) -> None:
        self.driver = driver
        self.citizen = citizen
        self._last_press: tuple[BotMessage, str] | None = None

    async def _with_toasts(self, action: Any) -> list[Shown]:
        before = len(self.citizen.toasts)
        messages = await action
        toasts = [Shown(text, toast=True) for text in self.citizen.toasts[before:] if text]
        return toasts + [_shown(message) for message in messages]

    async def send(self, text: str) -> list[Shown]:
        return await self._with_toasts(self.citizen.send(text))

    async def press(self, label: str) -> list[Shown]:
        message = self.citizen.message_with_button(label)
        data = next(b["callback_data"] for b in message.buttons if b.get("text") == label and "callback_data" in b)
        self._last_press = (message, data)
        return await self._with_toasts(self.citizen.press_data(data, message))

    async def tap(self, prefix: str) -> list[Shown]:
        for message in reversed(self.citizen.messages):
            for button in message.buttons:
                if button.get("callback_data", "").startswith(prefix):
                    self._last_press = (message, button["callback_data"])
                    return await self._with_toasts(self.citizen.press_data(button["callback_data"], message))
        raise AssertionError(f"no button {prefix!r}: {[m.describe() for m in self.citizen.messages[-6:]]}")

    async def press_again(self) -> list[Shown]:
        assert self._last_press is not None
        message, data = self._last_press
        return await self._with_toasts(self.citizen.press_data(data, message))

    async def forge(self, data: str) -> list[Shown]:
        return await self._with_toasts(self.citizen.press_data(data, self.citizen.last))

    async def share_contact(self, phone: str) -> list[Shown]:
        return await self._with_toasts(self.citizen.share_contact(phone))

    async def user_id(self) -> int:
        async with self.driver.app.dispatcher["session_factory"]() as session:
            user = await UserRepository(session).get("telegram", str(self.citizen.id))
        assert user is not None
        return user.id

    def labels(self) -> list[str]:
        return [button.get("text", "") for button in self.citizen.last.buttons]


class TelegramDriver:
    name = "telegram"

    def __init__(self, settings: Settings) -> None:
        self.sandbox = Sandbox(settings)

    @property
    def app(self) -> Any:
        return self.sandbox.app

    def citizen(self) -> TelegramCitizen:
        # No language from the app, as on channels that say none: the default (Vietnamese) is suggested first.
        return TelegramCitizen(self, self.sandbox.citizen(language_code=None))

    async def __aenter__(self) -> TelegramDriver:
        await self.sandbox.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sandbox.stop()


async def open_driver(settings: Settings) -> TelegramDriver:
    return TelegramDriver(settings)
