"""The conversation suite's web chat: the real bot's web channel over real HTTP, a cookie jar per citizen
(tests/web_support.py). The browser itself is tested in tests/test_web_chat_browser.py."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from tests.conversation_drivers import Shown
from tests.web_support import WebCitizen, WebSandbox, labels, text_of


def _shown(citizen: WebCitizen, before: int, messages: list[dict[str, Any]]) -> list[Shown]:
    shown = [Shown(text_of(message), labels(message)) for message in messages]
    shown += [Shown(event["text"], toast=True) for event in citizen.events[before:] if event["kind"] == "toast"]
    if citizen.contact_requested and messages and messages[-1].get("under", {}).get("contact"):
        shown.append(Shown(messages[-1]["under"]["contact"]))
    return shown


class WebDriverCitizen:
    def __init__(self, citizen: WebCitizen) -> None:
        self.citizen = citizen

    async def _do(self, action: Any) -> list[Shown]:
        before = len(self.citizen.events)
        return _shown(self.citizen, before, await action)

    async def send(self, text: str) -> list[Shown]:
        return await self._do(self.citizen.send(text))

    async def press(self, label: str) -> list[Shown]:
        return await self._do(self.citizen.press(label))

    async def tap(self, prefix: str) -> list[Shown]:
        for message in reversed(self.citizen.bot_messages):
            for row in message.get("buttons", []):
                for button in row:
                    if button.get("data", "").startswith(prefix):
                        self.citizen.last_press = (message["id"], button["data"])
                        return await self._do(self.citizen.press_data(message["id"], button["data"]))
        raise AssertionError(f"no button {prefix!r}")

    async def press_again(self) -> list[Shown]:
        return await self._do(self.citizen.press_again())

    async def forge(self, data: str) -> list[Shown]:
        newest = next((m for m in reversed(self.citizen.bot_messages) if m.get("buttons")), None)
        return await self._do(self.citizen.press_data(newest["id"] if newest else 1, data))

    async def share_contact(self, phone: str) -> list[Shown]:
        return await self._do(self.citizen.share_contact(phone))

    async def user_id(self) -> int:
        return await self.citizen.user_id()

    def labels(self) -> list[str]:
        messages = self.citizen.bot_messages
        return labels(messages[-1]) if messages else []


class WebDriver:
    name = "web"

    def __init__(self, settings: Settings) -> None:
        self.sandbox = WebSandbox(settings)

    @property
    def app(self) -> Any:
        return self.sandbox.app

    def citizen(self) -> WebDriverCitizen:
        return WebDriverCitizen(self.sandbox.citizen())

    async def __aenter__(self) -> WebDriver:
        await self.sandbox.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.sandbox.stop()


async def open_driver(settings: Settings) -> WebDriver:
    return WebDriver(settings)
