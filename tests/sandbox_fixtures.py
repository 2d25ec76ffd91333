"""Fixtures and helpers for the sandbox emulator tests (imported explicitly by them)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.sandbox.emulator import BotAPIEmulator

TOKEN = "123456789:sandbox-test-token"


class ManualClock:
    """A clock the test moves by hand, for the emulator's rate limits (``clock=``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_bot(emu: BotAPIEmulator, token: str = TOKEN) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))


@asynccontextmanager
async def emulator_with_bot(**options: Any) -> AsyncIterator[tuple[BotAPIEmulator, Bot]]:
    """A started emulator (constructed with options) and a bot pointed at it."""
    emu = BotAPIEmulator(token=TOKEN, **options)
    await emu.start()
    bot = make_bot(emu)
    try:
        yield emu, bot
    finally:
        await bot.session.close()
        await emu.stop()


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    emu = BotAPIEmulator(token=TOKEN)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest_asyncio.fixture
async def bot(emulator: BotAPIEmulator) -> AsyncIterator[Bot]:
    bot = make_bot(emulator)
    try:
        yield bot
    finally:
        await bot.session.close()


@asynccontextmanager
async def polling(emu: BotAPIEmulator, dp: Dispatcher, bot: Bot) -> AsyncIterator[None]:
    """Run dp.start_polling against the emulator until the block exits."""
    polls_before = emu.api_calls["getUpdates"]
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=5))
    deadline = time.monotonic() + 5
    while emu.api_calls["getUpdates"] == polls_before:
        if task.done():
            task.result()  # re-raises whatever stopped the polling
        if time.monotonic() > deadline:
            task.cancel()
            raise AssertionError("the bot did not start polling the emulator within 5s")
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(task, 5)
