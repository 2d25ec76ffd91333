"""Crash safety and several processes: the real bot in processes of its own (`python -m bot run|webhook`),
against the emulator in this process. A bot killed with SIGKILL in the middle of a broadcast and started again
sends every citizen exactly one copy, except at most those whose send was under way; two processes on
PostgreSQL share one broadcast without sending anyone two copies; a scheduled broadcast survives a crash."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from bench.broadcast import (
    TOKEN,
    BotProcess,
    add_citizens,
    bot_environment,
    outbox_left,
    queue_broadcast,
    seed_citizens,
    two_workers,
    wait_for,
)
from bot.db.engine import create_engine
from bot.db.models import User
from bot.db.outbox import DeliveryRow
from bot.db.uow import UnitOfWork
from bot.domain.broadcasts import service
from bot.domain.broadcasts.records import BroadcastState, ContentKind, Version
from bot.domain.clock import utcnow
from bot.features import stores
from bot.sandbox.emulator import BotAPIEmulator
from tests.broadcast_support import fast
from tests.conftest import ON_POSTGRES, REDIS_URL
from tests.e2e import Sandbox


async def _in_flight(database_url: str) -> set[int]:
    """Citizens whose delivery a worker held (claimed, perhaps sending) when it died."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(User.platform_user_id)
                .join(DeliveryRow, DeliveryRow.user_id == User.id)
                .where(DeliveryRow.state == "sending")
            )
            return {int(uid) for (uid,) in rows}
    finally:
        await engine.dispose()


async def test_a_bot_killed_mid_broadcast_resumes_and_only_in_flight_sends_can_repeat(settings, tmp_path) -> None:
    emulator = BotAPIEmulator(token=TOKEN)
    await emulator.start()
    try:
        ids = await seed_citizens(settings.database_url, 400)
        blocked = add_citizens(emulator, ids)
        await queue_broadcast(settings.database_url, "Hội thi mở từ hôm nay")
        env = bot_environment(
            emulator,
            settings.database_url,
            delivery_rate=100,
            delivery_lease_seconds=2,
            redis_url=REDIS_URL or "",
            redis_prefix=f"test-{uuid.uuid4().hex[:8]}",
        )
        first = BotProcess(emulator, env, tmp_path / "first.log")
        await first.start()

        async def halfway() -> bool:
            return len(emulator.stats.sends) >= 150

        assert await wait_for(halfway, 30, every=0.02), first.tail()
        await first.kill()  # SIGKILL: no shutdown, no hand-back of what it claimed
        before = sum(emulator.stats.copies().values())
        in_flight = await _in_flight(settings.database_url)
        assert 150 <= before < 380 and in_flight  # killed in the middle, with deliveries in hand

        second = BotProcess(emulator, env, tmp_path / "second.log")
        await second.start()

        async def done() -> bool:
            return await outbox_left(settings.database_url) == 0

        assert await wait_for(done, 60), second.tail()
        await second.stop()
    finally:
        await emulator.stop()
    copies = emulator.stats.copies()
    twice = {uid for uid in ids if copies[uid] > 1}
    assert all(copies[uid] >= 1 for uid in ids if uid not in blocked)  # nobody missed
    assert all(copies[uid] == 0 for uid in blocked)
    assert max(copies[uid] for uid in ids) <= 2
    assert twice <= in_flight  # a second copy only where the send was under way


@pytest.mark.skipif(not ON_POSTGRES, reason="several processes share PostgreSQL; SQLite serves one process")
async def test_two_processes_on_postgresql_share_one_broadcast_without_a_double_send(settings, tmp_path) -> None:
    result = await two_workers(settings.database_url, REDIS_URL, recipients=600, rate=300, folder=tmp_path)
    assert result["finished"] is True
    assert result["duplicates"] == 0 and result["misses"] == 0 and result["blocked_got_a_copy"] == 0
    sent_by = result["sent_by"]
    assert isinstance(sent_by, dict) and len(sent_by) == 2, sent_by  # both processes sent a share
    assert sum(sent_by.values()) == 570  # 600 citizens, 30 of whom blocked the bot
    assert result["429s"] == 0


async def test_a_scheduled_broadcast_survives_a_crash_and_goes_out_on_time(settings) -> None:
    sandbox = await Sandbox(fast(settings)).start()
    try:
        citizen = sandbox.citizen(language_code="en")
        await citizen.start()
        uow = UnitOfWork(sandbox.app.dispatcher["session_factory"], stores())
        try:
            draft = await service.new_draft(uow, "test", None)
            await service.save_version(uow, draft.id, Version("", ContentKind.text, "At nine sharp"))
            at = utcnow() + timedelta(seconds=2)
            scheduled = await service.confirm(uow, draft.id, "test", service.scope("vi"), at)
        finally:
            await uow.close()
        assert scheduled.state is BroadcastState.scheduled
        await sandbox.kill_bot()
        await asyncio.sleep(max(0.0, (at - utcnow()).total_seconds()) + 0.5)  # its time passes while it is down
        assert "At nine sharp" not in [m.text for m in citizen.messages]
        started = time.monotonic()
        await sandbox.start_bot()
        await sandbox.emulator.wait_for_message(citizen.id, lambda m: m.text == "At nine sharp", timeout=10)
        assert time.monotonic() - started < 10
    finally:
        await sandbox.stop()
