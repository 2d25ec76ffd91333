"""End-to-end harness for the web chat: the real bot (the same application as Telegram's) with its web channel,
spoken to over real HTTP with a real cookie jar per citizen (and, in the browser tests, by headless Chromium).

async def test_something(web_chat):
    citizen = web_chat.citizen()
    shown = await citizen.send("/start")    # waits until handled; the messages it drew or redrew
    await citizen.press("Tiếng Việt")
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.channels.web.channel import WebChannel
from bot.config import Settings
from tests.e2e import Sandbox

SECRET = "test-secret-for-the-web-chat-0123456789"


def web_settings(settings: Settings, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "web_chat_enabled": True,
            "web_chat_secret": SECRET,
            "web_chat_cookie_secure": False,
            "channels_port": 0,
            **extra,
        }
    )


class WebSandbox:
    def __init__(self, settings: Settings, **extra: Any) -> None:
        self.telegram = Sandbox(web_settings(settings, **extra))
        self.citizens: list[WebCitizen] = []

    async def start(self) -> WebSandbox:
        await self.telegram.start()
        for _ in range(500):  # the channels' server starts with the delivery worker
            if self.app.channels_port:
                break
            await asyncio.sleep(0.01)
        assert self.app.channels_port, "the channels' server did not start"
        return self

    async def stop(self) -> None:
        for citizen in self.citizens:
            await citizen.close()
        await self.telegram.stop()

    @property
    def app(self) -> Any:
        assert self.telegram.app is not None
        return self.telegram.app

    @property
    def channel(self) -> WebChannel:
        engine = next(engine for engine in self.app.channels if engine.channel.name == "web")
        assert isinstance(engine.channel, WebChannel)
        return engine.channel

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.app.channels_port}{self.app.settings.web_chat_path}"

    def citizen(self, language: str = "vi") -> WebCitizen:
        citizen = WebCitizen(self, language)
        self.citizens.append(citizen)
        return citizen


class WebCitizen:
    """A browser without a page: its own cookie jar, the page's API calls, the log read as the page reads it."""

    def __init__(self, sandbox: WebSandbox, language: str) -> None:
        self.sandbox = sandbox
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), headers={"Accept-Language": language}
        )
        self.since = 0
        self.events: list[dict[str, Any]] = []  # every row read so far
        self.messages: dict[int, dict[str, Any]] = {}  # bubble ref -> as now drawn
        self.last_press: tuple[int, str] | None = None
        self.statuses: list[int] = []

    async def close(self) -> None:
        await self.http.close()

    async def _post(self, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        async with self.http.post(f"{self.sandbox.base_url}/api/{path}", json=body) as response:
            self.statuses.append(response.status)
            await response.read()
        return await self.read()

    async def read(self) -> list[dict[str, Any]]:
        """The rows written since the last read: the messages drawn or redrawn (toasts in `toasts`)."""
        async with self.http.get(f"{self.sandbox.base_url}/api/events", params={"since": self.since}) as response:
            data = await response.json()
        new = data["events"]
        self.since = data["next"]
        self.events.extend(new)
        shown = []
        for event in new:
            if event["kind"] in ("message", "edit"):
                self.messages[event["ref"]] = event
                if event.get("from") == "bot":
                    shown.append(event)
        return shown

    @property
    def toasts(self) -> list[str]:
        return [event["text"] for event in self.events if event["kind"] == "toast"]

    @property
    def bot_messages(self) -> list[dict[str, Any]]:
        return [message for message in self.messages.values() if message.get("from") == "bot"]

    @property
    def keyboard(self) -> list[str]:
        under: dict[str, Any] = {}
        for event in self.events:
            if event.get("under"):
                under = event["under"]
        return [label for row in under.get("keyboard", []) for label in row]

    @property
    def contact_requested(self) -> bool:
        under: dict[str, Any] = {}
        for event in self.events:
            if event.get("under"):
                under = event["under"]
        return "contact" in under

    async def send(self, text: str) -> list[dict[str, Any]]:
        return await self._post("send", {"text": text})

    async def start(self) -> list[dict[str, Any]]:
        shown = await self.send("/start")
        for message in reversed(shown):
            for row in message.get("buttons", []):
                if row and row[0].get("data", "").startswith("lang:"):
                    return await self.press(row[0]["label"])
        return shown

    def find(self, label: str) -> tuple[int, str]:
        for message in reversed(self.bot_messages):
            for row in message.get("buttons", []):
                for button in row:
                    if button["label"] == label and "data" in button:
                        return message["id"], button["data"]
        raise AssertionError(f"no button {label!r}; shown: {[text_of(m) for m in self.bot_messages[-3:]]}")

    async def press(self, label: str) -> list[dict[str, Any]]:
        message_id, data = self.find(label)
        self.last_press = (message_id, data)
        return await self._post("press", {"id": message_id, "data": data})

    async def press_data(self, message_id: int, data: str) -> list[dict[str, Any]]:
        return await self._post("press", {"id": message_id, "data": data})

    async def press_again(self) -> list[dict[str, Any]]:
        assert self.last_press is not None
        return await self.press_data(*self.last_press)

    async def share_contact(self, phone: str, name: str = "Nguyễn Thị Lan", consent: bool = True) -> list[Any]:
        return await self._post("contact", {"name": name, "phone": phone, "consent": consent})

    async def user_id(self) -> int:
        cookie = next(c for c in self.http.cookie_jar if c.key == "citizen_chat")
        session_id = self.sandbox.channel.cookies.read(cookie.value)
        assert session_id is not None
        uow = self.sandbox.app.channels[0].work()
        try:
            async with uow:
                user = await uow.users.get("web", session_id)
        finally:
            await uow.close()
        assert user is not None
        return user.id


def text_of(message: dict[str, Any]) -> str:
    from bot.channels.web.render import plain_text

    return plain_text(message.get("text", []))


def labels(message: dict[str, Any]) -> list[str]:
    return [button["label"] for row in message.get("buttons", []) for button in row]
