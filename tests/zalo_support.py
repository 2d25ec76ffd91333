"""End-to-end harness for Zalo: the real bot (the same application as Telegram's) with its Zalo channel, against
the Zalo OA emulator over HTTP (the bot's webhook on one side, the Open API on the other).

async def test_something(zalo):
    citizen = zalo.citizen()
    replies = await zalo.send(citizen, "/start")   # waits until the event is handled; the new messages
    await zalo.press(citizen, "Tiếng Việt")
"""

from __future__ import annotations

from typing import Any

from bot.channels.zalo.channel import ZaloChannel
from bot.config import Settings
from bot.sandbox.zalo import ZaloCitizen, ZaloEmulator, ZaloMessage
from tests.e2e import Sandbox


def zalo_settings(settings: Settings, emulator: ZaloEmulator) -> Settings:
    return settings.model_copy(
        update={
            "zalo_app_id": emulator.app_id,
            "zalo_oa_secret": emulator.oa_secret,
            "zalo_app_secret": emulator.app_secret,
            "zalo_oa_id": emulator.oa_id,
            "zalo_access_token": emulator.access_token,
            "zalo_refresh_token": emulator.refresh_token,
            "zalo_api_url": emulator.base_url,
            "zalo_oauth_url": emulator.base_url,
            "channels_port": 0,
        }
    )


class ZaloSandbox:
    def __init__(self, settings: Settings) -> None:
        self.base_settings = settings
        self.emulator = ZaloEmulator()
        self.telegram: Sandbox | None = None

    async def start(self) -> ZaloSandbox:
        await self.emulator.start()
        self.telegram = Sandbox(zalo_settings(self.base_settings, self.emulator))
        await self.telegram.start()
        await self._point_webhook()
        return self

    async def _point_webhook(self) -> None:
        app = self.app
        for _ in range(200):  # the channels' server starts with the delivery worker
            if app.channels_port:
                break
            import asyncio

            await asyncio.sleep(0.01)
        assert app.channels_port, "the channels' server did not start"
        self.emulator.webhook_url = f"http://127.0.0.1:{app.channels_port}{app.settings.zalo_webhook_path}"

    @property
    def app(self) -> Any:
        assert self.telegram is not None and self.telegram.app is not None
        return self.telegram.app

    @property
    def channel(self) -> ZaloChannel:
        engine = next(engine for engine in self.app.channels if engine.channel.name == "zalo")
        channel = engine.channel
        assert isinstance(channel, ZaloChannel)
        return channel

    async def restart_bot(self) -> None:
        assert self.telegram is not None
        await self.telegram.restart_bot()
        await self._point_webhook()

    async def kill_bot(self) -> None:
        assert self.telegram is not None
        await self.telegram.kill_bot()

    async def start_bot(self) -> None:
        assert self.telegram is not None
        await self.telegram.start_bot()
        await self._point_webhook()

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()
        await self.emulator.stop()

    def citizen(self, user_id: str | None = None, name: str = "Lan") -> ZaloCitizen:
        return self.emulator.citizen(user_id, name)

    async def settle(self) -> None:
        await self.channel.settled()

    async def _after(self, citizen: ZaloCitizen, action: Any) -> list[ZaloMessage]:
        before = len(citizen.messages)
        status = await action
        assert status == 200, f"the webhook answered {status}"
        await self.settle()
        return citizen.messages[before:]

    async def send(self, citizen: ZaloCitizen, text: str) -> list[ZaloMessage]:
        return await self._after(citizen, citizen.send_text(text))

    async def press(self, citizen: ZaloCitizen, title: str) -> list[ZaloMessage]:
        return await self._after(citizen, citizen.press(title))

    async def submit_info(self, citizen: ZaloCitizen, phone: str) -> list[ZaloMessage]:
        return await self._after(citizen, citizen.submit_info(phone))
