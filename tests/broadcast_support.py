"""Helpers for the announcement and delivery tests: settings, staff, seeded citizens, bounded waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.config import Settings
from bot.db.outbox import DeliveryRow
from bot.domain import roles
from bot.sandbox.emulator import BotMessage
from tests.e2e import Citizen, Sandbox


def fast(settings: Settings, **changes: object) -> Settings:
    """Settings for tests: quick polls and progress edits, and no quiet hours unless a test wants them."""
    values: dict[str, object] = {
        "delivery_poll_seconds": 0.1,
        "broadcast_progress_seconds": 1.0,
        "delivery_backoff_seconds": 0.05,
        "quiet_hours": "off",
    }
    values.update(changes)
    return settings.model_copy(update=values)


async def deliver(citizen: Citizen, update: dict) -> list[BotMessage]:
    """Inject an update the harness has no shortcut for (a photo, a formatted text) and wait until it is handled."""
    emulator = citizen.emulator
    before = emulator.event_count(citizen.id)
    await citizen.sandbox.processed(update)
    seen, result = set(), []
    for event in emulator.events(citizen.id, after_event=before):
        if event.kind in ("sent", "edited") and event.message_id not in seen:
            seen.add(event.message_id)
            result.append(emulator.message(citizen.id, event.message_id))
    return result


async def staff(sandbox: Sandbox, uow, role: str = "official", language: str = "en") -> Citizen:
    person = sandbox.citizen(language_code=language)
    await person.start()
    assert await roles.grant(uow, "telegram", str(person.id), role, actor="test")
    return person


async def wait_until(check: Callable[[], object], timeout: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_for_db(sandbox: Sandbox, query, expected, timeout: float = 10.0):
    """Poll a scalar query until it equals `expected` (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        async with sandbox.app.dispatcher["session_factory"]() as session:
            value = await session.scalar(query)
        if value == expected or time.monotonic() > deadline:
            assert value == expected, f"{query} gave {value!r}, expected {expected!r}"
            return value
        await asyncio.sleep(0.05)


def count_in_state(state: str):
    return select(func.count()).select_from(DeliveryRow).where(DeliveryRow.state == state)


def texts(citizen: Citizen) -> list[str]:
    return [message.text for message in citizen.messages]


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
