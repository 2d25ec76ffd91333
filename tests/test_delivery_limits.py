"""Telegram's limits and faults, from the emulator, against the real bot's delivery worker: a 429 pauses every
sender and sending resumes; 5xx answers are tried again, then failed with the reason; the paid rate sends with
allow_paid_broadcast. With Redis, two processes' gates share one bucket and one pause."""

from __future__ import annotations

import itertools
import time

import pytest
from sqlalchemy import select

from bot.db.outbox import DeliveryRow
from bot.db.uow import UnitOfWork
from bot.delivery.gate import RedisGate
from bot.delivery.records import ChannelLimits
from bot.domain.broadcasts import service
from bot.domain.broadcasts.records import ContentKind, Version
from bot.features import stores
from tests.broadcast_support import count_in_state, fast, wait_for_db
from tests.conftest import REDIS_URL
from tests.e2e import Sandbox


async def _broadcast(sandbox: Sandbox, text: str, citizens: int) -> int:
    """Citizens who started the bot, and an announcement to all of them, queued without the chat (whose own
    replies would meet the same flood limits)."""
    for _ in range(citizens):
        await sandbox.citizen(language_code="en").start()
    uow = UnitOfWork(sandbox.app.dispatcher["session_factory"], stores())
    try:
        draft = await service.new_draft(uow, "test", None)
        await service.save_version(uow, draft.id, Version("", ContentKind.text, text))
        broadcast = await service.confirm(uow, draft.id, "test", service.scope("vi"))
    finally:
        await uow.close()
    sandbox.app.delivery.wake()
    return broadcast.id


async def test_a_429_pauses_every_sender_for_retry_after_and_sending_resumes(settings) -> None:
    # The bot is set faster than the emulator allows, on purpose, so that Telegram's limit answers.
    sandbox = await Sandbox(fast(settings, delivery_rate=40)).start()
    try:
        citizens = [sandbox.citizen(language_code="en") for _ in range(30)]
        for citizen in citizens:
            await citizen.start()
        emulator = sandbox.emulator
        emulator.set_rate_limits(global_per_second=10, chat_per_second=5, chat_burst=5)
        emulator.stats.reset()
        broadcast_id = await _broadcast(sandbox, "Flood news", 0)
        await wait_for_db(sandbox, count_in_state("sent").where(DeliveryRow.ref_id == broadcast_id), 30, timeout=30)
        refused = list(emulator.stats.refused)
        assert refused and {send.scope for send in refused} == {"global"}
        first = refused[0]
        window = (first.at + 0.2, first.at + first.retry_after - 0.05)
        arrived = [send.at for send in emulator.stats.sends] + [send.at for send in refused]
        assert [at for at in arrived if window[0] < at < window[1]] == []  # nobody sent while paused
        copies = emulator.stats.copies()
        assert sorted(copies[citizen.id] for citizen in citizens) == [1] * 30
        assert sandbox.app.delivery.stats.flood_pauses["telegram"] >= 1
    finally:
        await sandbox.stop()


async def test_5xx_answers_are_tried_again_then_failed_with_the_reason(settings) -> None:
    sandbox = await Sandbox(fast(settings, delivery_max_attempts=3)).start()
    try:
        warm_up = await _broadcast(sandbox, "Warm-up", 2)
        await wait_for_db(sandbox, count_in_state("sent").where(DeliveryRow.ref_id == warm_up), 2)
        sandbox.emulator.set_faults(error_rate=1.0, error_statuses=(502,), methods={"sendMessage"})
        broadcast_id = await _broadcast(sandbox, "Doomed", 0)
        failed = count_in_state("failed").where(DeliveryRow.ref_id == broadcast_id)
        await wait_for_db(sandbox, failed, 2, timeout=15)
        async with sandbox.app.dispatcher["session_factory"]() as session:
            reasons = set(await session.scalars(select(DeliveryRow.reason).where(DeliveryRow.ref_id == broadcast_id)))
            attempts = set(
                await session.scalars(select(DeliveryRow.attempts).where(DeliveryRow.ref_id == broadcast_id))
            )
        assert reasons == {"server error: Bad Gateway (after 3 tries)"} and attempts == {3}
        assert sandbox.emulator.stats.statuses[502] == 6
        # flaky, not broken: every one arrives (with room for ten tries each)
        await sandbox.stop_bot()
        sandbox.settings = fast(sandbox.settings, delivery_max_attempts=10)
        await sandbox.start_bot()
        sandbox.emulator.set_faults(error_rate=0.5, error_statuses=(500, 503), seed=7, methods={"sendMessage"})
        flaky = await _broadcast(sandbox, "Flaky", 0)
        await wait_for_db(sandbox, count_in_state("sent").where(DeliveryRow.ref_id == flaky), 2, timeout=15)
    finally:
        await sandbox.stop()


async def test_the_paid_rate_sends_with_allow_paid_broadcast_above_the_free_rate(settings) -> None:
    sandbox = await Sandbox(fast(settings, delivery_paid_rate=200)).start()
    try:
        for _ in range(60):
            await sandbox.citizen(language_code="en").start()
        sandbox.emulator.set_rate_limits(global_per_second=20, paid_per_second=250, chat_burst=5)
        sandbox.emulator.stats.reset()
        broadcast_id = await _broadcast(sandbox, "Paid", 0)
        await wait_for_db(sandbox, count_in_state("sent").where(DeliveryRow.ref_id == broadcast_id), 60, timeout=15)
        stats = sandbox.emulator.stats
        assert all(send.paid for send in stats.sends) and stats.paid_sends > 0
        assert stats.statuses[429] == 0
        assert stats.achieved_rate() > 40  # above the free rate of 20 a second
    finally:
        await sandbox.stop()


@pytest.mark.skipif(not REDIS_URL, reason="sharing the gate between processes needs REDIS_URL")
async def test_two_processes_gates_in_redis_share_one_bucket_and_one_pause() -> None:
    prefix = f"test-gate-{time.monotonic_ns()}"
    first, second = RedisGate(REDIS_URL, prefix), RedisGate(REDIS_URL, prefix)
    limits = ChannelLimits(rate=10)
    try:
        waits = [await gate.reserve("telegram", limits) for gate in (first, second, first, second)]
        assert waits[0] == pytest.approx(0, abs=0.02)
        assert [round(b - a, 2) for a, b in itertools.pairwise(waits)] == pytest.approx([0.1] * 3, abs=0.03)
        await first.pause("telegram", 1.5)
        assert await second.paused_for("telegram") == pytest.approx(1.5, abs=0.1)
        assert await second.reserve("telegram", limits) >= 1.4
        assert await second.paused_for("zalo") == 0  # per channel
    finally:
        await first.close()
        await second.close()
