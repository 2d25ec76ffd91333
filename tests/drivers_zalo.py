"""The conversation suite's Zalo: the real bot's Zalo channel against the Zalo OA emulator (tests/zalo_support.py)."""

from __future__ import annotations

from typing import Any

from bot.channels.zalo.events import PRESS, press_payload
from bot.config import Settings
from bot.db.repositories import UserRepository
from bot.sandbox.zalo import ZaloCitizen as SimulatedCitizen
from bot.sandbox.zalo import ZaloMessage
from tests.conversation_drivers import Shown
from tests.zalo_support import ZaloSandbox


def _shown(message: ZaloMessage) -> Shown:
    text = message.text
    if message.template == "request_user_info":
        text = message.body["attachment"]["payload"]["elements"][0]["title"]
    return Shown(text, [button.get("title", "") for button in message.buttons])


class ZaloDriverCitizen:
    def __init__(self, driver: ZaloDriver, citizen: SimulatedCitizen) -> None:
        self.driver = driver
        self.citizen = citizen
        self._last_payload: str | None = None

    async def _shown(self, action: Any) -> list[Shown]:
        return [_shown(message) for message in await action]

    async def send(self, text: str) -> list[Shown]:
        return await self._shown(self.driver.sandbox.send(self.citizen, text))

    async def _send_payload(self, payload: str) -> list[Shown]:
        self._last_payload = payload
        return await self.send(payload)

    async def press(self, label: str) -> list[Shown]:
        return await self._send_payload(str(self.citizen.button(label)["payload"]))

    async def tap(self, prefix: str) -> list[Shown]:
        for message in reversed(self.citizen.messages):
            for button in message.buttons:
                pressed = PRESS.match(str(button.get("payload", "")))
                if pressed is not None and pressed.group(2).startswith(prefix):
                    return await self._send_payload(str(button["payload"]))
        raise AssertionError(f"no button {prefix!r}: {[m.describe() for m in self.citizen.messages[-6:]]}")

    async def press_again(self) -> list[Shown]:
        assert self._last_payload is not None
        return await self.send(self._last_payload)

    async def forge(self, data: str) -> list[Shown]:
        """Typed by hand as a press: on the newest screen, with data no button there offered."""
        for message in reversed(self.citizen.messages):
            for button in message.buttons:
                pressed = PRESS.match(str(button.get("payload", "")))
                if pressed is not None:
                    return await self.send(press_payload(int(pressed.group(1)), data))
        return await self.send(press_payload(1, data))

    async def share_contact(self, phone: str) -> list[Shown]:
        return await self._shown(self.driver.sandbox.submit_info(self.citizen, phone))

    async def user_id(self) -> int:
        async with self.driver.app.dispatcher["session_factory"]() as session:
            user = await UserRepository(session).get("zalo", self.citizen.id)
        assert user is not None
        return user.id

    def labels(self) -> list[str]:
        last = self.citizen.messages[-1]
        return [button.get("title", "") for button in last.buttons]


class ZaloDriver:
    name = "zalo"

    def __init__(self, settings: Settings) -> None:
        self.sandbox = ZaloSandbox(settings)

    @property
    def app(self) -> Any:
        return self.sandbox.app

    def citizen(self) -> ZaloDriverCitizen:
        return ZaloDriverCitizen(self, self.sandbox.citizen())

    async def __aenter__(self) -> ZaloDriver:
        await self.sandbox.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sandbox.stop()


async def open_driver(settings: Settings) -> ZaloDriver:
    return ZaloDriver(settings)
