"""The channel core alone (bot.channels), with a loopback channel: a citizen keyed by (channel, string id), the
same conversations through synthesised updates, stale and forged presses stopped before any handler."""

from __future__ import annotations

import pytest

from bot.channels.engine import ChannelEngine
from bot.db.repositories import UserRepository
from tests.channel_support import LoopbackChannel
from tests.e2e import Sandbox

BIG_ID = "8431249098316409823"  # longer than 2^53: kept as the string it is


@pytest.fixture
async def loop(settings):
    sandbox = await Sandbox(settings).start()
    channel = LoopbackChannel()
    engine = ChannelEngine(sandbox.app.dispatcher, channel)
    channel.routes(None, engine)
    try:
        yield sandbox, channel
    finally:
        await engine.close()
        await sandbox.stop()


def _texts(said) -> list[str]:
    return [s.view.text if s.view else f"toast:{s.toast}" for s in said]


async def test_a_channel_citizen_is_keyed_by_channel_and_string_id(loop):
    sandbox, channel = loop
    replies = await channel.say(BIG_ID, "/start")
    assert replies and any("lang:" in p for s in replies if s.view for p in _payloads(s))
    async with sandbox.app.dispatcher["session_factory"]() as session:
        user = await UserRepository(session).get("loop", BIG_ID)
    assert user is not None and user.platform_user_id == BIG_ID and user.chat_id == BIG_ID
    replies = await channel.press(BIG_ID, "Tiếng Việt")
    assert any("Xin chào" in text for text in _texts(replies))


def _payloads(said) -> list[str]:
    return [button.payload.pack() for row in said.view.buttons for button in row if hasattr(button, "payload")]


async def test_a_replaced_screen_is_stale_and_a_forged_payload_changes_nothing(loop):
    _, channel = loop
    replies = await channel.say("z1", "/start")
    picker = replies[-1]
    await channel.press("z1", "Tiếng Việt")  # the picker is replaced: its buttons are stale now
    again = await channel.press_data("z1", _payloads(picker)[1], picker.message_id)
    assert len(again) == 1 and again[0].view is None and again[0].toast  # the stale notice, nothing else
    forged = await channel.press_data("z1", "lang:xx", picker.message_id)
    assert len(forged) == 1 and forged[0].view is None  # only the stale notice
    other = await channel.say("z2", "/start")
    foreign = await channel.press_data("z1", _payloads(other[-1])[0], other[-1].message_id)
    assert len(foreign) == 1 and foreign[0].view is None
