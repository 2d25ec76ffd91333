"""A channel for tests of the core alone: its egress keeps what the bot says in memory, its ingress is a call.

channel = LoopbackChannel()
app.channels.append(ChannelEngine(app.dispatcher, channel))
await channel.say("/start")     # handled to the end; channel.said holds the answers
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import ChannelUser, Contact, Inbound, Press, Text
from bot.channels.engine import ChannelEngine
from bot.channels.render import payloads
from bot.delivery.ports import Messenger
from bot.ui.view import View


@dataclass
class Said:
    message_id: int
    view: View | None
    toast: str | None = None


@dataclass
class LoopbackEgress:
    channel: LoopbackChannel
    who: ChannelUser
    engine: ChannelEngine

    async def send(self, view: View) -> int:
        choices = payloads(view)
        message_id = await self.engine.new_screen(self.who.chat_id, choices) if choices else 0
        self.channel.said.append(Said(message_id, view))
        return message_id

    async def replace(self, message_id: int, view: View) -> int:
        await self.engine.retire_screen(message_id)
        return await self.send(view)

    async def toast(self, text: str | None, alert: bool = False) -> None:
        if text:
            self.channel.said.append(Said(0, None, text))

    async def finish(self) -> None:
        return None


@dataclass
class LoopbackChannel:
    name: str = "loop"
    number: int = 990
    keeps_screens: bool = True
    said: list[Said] = field(default_factory=list)
    engine: ChannelEngine | None = None

    def egress(self, who: ChannelUser, engine: ChannelEngine) -> LoopbackEgress:
        return LoopbackEgress(self, who, engine)

    def messenger(self) -> Messenger | None:
        return None

    def routes(self, server: Any, engine: ChannelEngine) -> None:
        self.engine = engine

    async def run(self, engine: ChannelEngine) -> None:
        self.engine = engine

    async def close(self) -> None:
        return None

    # ---------------------------------------------------------------- the simulated citizen
    def who(self, external_id: str) -> ChannelUser:
        return ChannelUser(self.name, external_id, external_id, "Lan", "vi")

    async def _hand_in(self, event: Inbound) -> list[Said]:
        assert self.engine is not None
        before = len(self.said)
        await self.engine.handle(event)
        return self.said[before:]

    async def say(self, external_id: str, text: str) -> list[Said]:
        return await self._hand_in(Text(self.who(external_id), text))

    async def press(self, external_id: str, label: str) -> list[Said]:
        for said in reversed(self.said):
            for row in said.view.buttons if said.view else ():
                for button in row:
                    if button.label == label:
                        data = button.payload.pack()  # type: ignore[union-attr]
                        return await self._hand_in(Press(self.who(external_id), data, said.message_id))
        raise AssertionError(f"no button {label!r}")

    async def press_data(self, external_id: str, data: str, message_id: int) -> list[Said]:
        return await self._hand_in(Press(self.who(external_id), data, message_id))

    async def share(self, external_id: str, phone: str) -> list[Said]:
        return await self._hand_in(Contact(self.who(external_id), phone, "Lan"))
