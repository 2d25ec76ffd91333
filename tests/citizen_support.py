"""Helpers for the tests of a new citizen's first hour: units, registration steps, database reads."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from bot.config import ROOT
from bot.db.models import User
from bot.db.uow import UnitOfWork
from bot.domain.units import import_units
from bot.features import stores

CURRENT_UNITS = ROOT / "data" / "units" / "thai-nguyen-2025.csv"
BIG_BUTTONS_EN = ["📋 Public services", "🏆 Digital-transformation quiz", "📢 Announcements", "❓ Help"]


async def load_units(sandbox, path: Path = CURRENT_UNITS) -> None:
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    uow = UnitOfWork(sandbox.app.dispatcher["session_factory"], stores())
    await import_units(uow, text)
    await uow.close()


async def user_row(sandbox, citizen) -> User:
    async with sandbox.app.dispatcher["session_factory"]() as session:
        row = await session.scalar(select(User).where(User.platform_user_id == str(citizen.id)))
    assert row is not None
    return row


async def scalar(sandbox, query):
    async with sandbox.app.dispatcher["session_factory"]() as session:
        return await session.scalar(query)


async def up_to_phone(citizen, payload: str | None = None, year: str = "1990", name: str = "Nguyễn Thị Lan"):
    """English-speaking citizen: /start, /quiz, consent, birth year and name; the phone is asked next."""
    await citizen.start(payload=payload)
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    await citizen.send(year)
    return await citizen.send(name)


def labels(message) -> list[str]:
    return [button["text"] for button in message.buttons]


def data_of(message, text: str) -> str:
    for button in message.buttons:
        if button["text"] == text:
            return button["callback_data"]
    raise AssertionError(f"no button {text!r} on {message.describe()}")
