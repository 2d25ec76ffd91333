"""The web chat through real HTTP: the real bot, its web channel, a cookie jar per citizen."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.web_support import WebSandbox, labels, text_of


@pytest.fixture
async def web_chat(settings: Settings):
    running = await WebSandbox(settings).start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_visitor_starts_and_gets_the_menu(web_chat: WebSandbox) -> None:
    citizen = web_chat.citizen("en")
    shown = await citizen.start()
    assert shown, "the bot said nothing"
    assert citizen.keyboard, "no big buttons under the chat"
    print([text_of(m) for m in shown], [labels(m) for m in shown], citizen.keyboard)
