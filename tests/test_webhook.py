"""Webhook mode: updates posted by Telegram are handled before the 200, and only with the secret."""

from __future__ import annotations

import aiohttp
import pytest

from bot.app import build_application
from bot.sandbox.emulator import BotAPIEmulator

TOKEN = "7000000001:WEBHOOK"
SECRET = "webhook-secret-42"


@pytest.fixture
async def webhook(settings):
    emulator = BotAPIEmulator(token=TOKEN)
    await emulator.start()
    app = build_application(
        settings.model_copy(update={"bot_token": TOKEN, "bot_api_url": emulator.base_url, "webhook_secret": SECRET})
    )
    runner = await app.start_webhook_server("127.0.0.1", 0)
    port = runner.addresses[0][1]
    try:
        yield emulator, f"http://127.0.0.1:{port}{app.settings.webhook_path}"
    finally:
        await runner.cleanup()
        await app.close()
        await emulator.stop()


async def _post(url: str, update: dict, secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    async with aiohttp.ClientSession() as session, session.post(url, json=update, headers=headers) as response:
        return response.status


async def test_posted_update_is_answered_before_the_response(webhook):
    emulator, url = webhook
    emulator.add_user(4242, "Mai", language_code="en")
    update = emulator.send_text(4242, "/start")  # only built here; delivered by POST below
    assert await _post(url, update, SECRET) == 200
    # handle_in_background=False: the reply exists as soon as the POST returns
    assert emulator.last_message(4242) is not None
    assert "Please choose your language" in emulator.last_message(4242).text


async def test_wrong_or_missing_secret_is_refused_and_changes_nothing(webhook):
    emulator, url = webhook
    emulator.add_user(4343, "Tuan", language_code="vi")
    update = emulator.send_text(4343, "/start")
    assert await _post(url, update, "guess") == 401
    assert await _post(url, update, None) == 401
    assert emulator.last_message(4343) is None
