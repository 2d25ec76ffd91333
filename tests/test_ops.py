"""Operations: bursts wait for a slot instead of failing for want of a database connection; /healthz,
/readyz and /metrics; JSON logs that carry the update id."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import create_async_engine

from bot.ops import logs
from bot.ops.health import Health
from bot.ops.metrics import Metrics
from bot.sandbox.emulator import BotAPIEmulator
from tests.conftest import REDIS_URL
from tests.e2e import Sandbox
from tests.ops_support import (
    TOKEN,
    FlakyFront,
    apologised,
    bot_api_error,
    newest_press,
    poster,
    register,
    start_worker,
    stored_answers,
)
from tests.quiz_support import contest_yaml, make_bank

CITIZENS = 40
QUESTIONS = 3  # quiz_support's contest


@pytest.fixture
def settings(settings, tmp_path):
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml(attempts=0, prediction=False)], with_practice=False)
    # A pool of 2 that fails a statement after waiting 0.3 s for a connection: without the bound on updates
    # handled at once, a burst of 40 presses fails here (the measured "QueuePool limit … reached").
    return settings.model_copy(
        update={"quiz_bank_dir": bank, "database_pool_size": 2, "database_pool_timeout": 0.3, "quiz_sweep_seconds": 60}
    )


def _ids(first: int) -> list[int]:
    return list(range(first, first + CITIZENS))


async def test_a_polling_burst_on_a_small_pool_waits_and_every_answer_is_stored(settings):
    assert settings.concurrent_updates == 2  # derived from DATABASE_POOL_SIZE
    users = _ids(910_001)
    await register(settings.database_url, users)
    sandbox = await Sandbox(settings).start()
    try:
        emulator = sandbox.emulator
        for uid in users:
            emulator.add_user(uid, f"Citizen {uid}", language_code="en")

        async def everyone(make) -> None:  # all citizens at once: one burst of updates
            updates = [make(uid) for uid in users]
            await asyncio.gather(*(sandbox.processed(update, timeout=60) for update in updates))

        await everyone(lambda uid: emulator.send_text(uid, "/quiz"))
        await everyone(lambda uid: newest_press(emulator, uid, "qz:r"))
        await everyone(lambda uid: newest_press(emulator, uid, "qz:b"))
        for _ in range(QUESTIONS):
            await everyone(lambda uid: newest_press(emulator, uid, "qa:"))
        metrics: Metrics = sandbox.app.dispatcher["metrics"]
        assert apologised(emulator, users) == []
        assert metrics.value("update_errors_total", {"kind": "TimeoutError"}) == 0
        assert metrics.value("quiz_answers_stored_total") == CITIZENS * QUESTIONS
    finally:
        await sandbox.stop()
    assert await stored_answers(settings.database_url) == {
        "rows": CITIZENS * QUESTIONS,
        "counted": CITIZENS * QUESTIONS,
        "mismatched": 0,
    }


async def test_a_webhook_burst_on_a_small_pool_waits_and_every_answer_is_stored(settings):
    users = _ids(920_001)
    await register(settings.database_url, users)
    emulator = BotAPIEmulator(token=TOKEN)
    await emulator.start()
    worker = await start_worker(settings, emulator.base_url)
    try:
        for uid in users:
            emulator.add_user(uid, f"Citizen {uid}", language_code="en")
        async with poster() as telegram:

            async def everyone(make) -> None:
                updates = [make(uid) for uid in users]
                await asyncio.gather(*(telegram.post(worker.url, update) for update in updates))

            await everyone(lambda uid: emulator.send_text(uid, "/quiz"))
            await everyone(lambda uid: newest_press(emulator, uid, "qz:r"))
            await everyone(lambda uid: newest_press(emulator, uid, "qz:b"))
            for _ in range(QUESTIONS):
                await everyone(lambda uid: newest_press(emulator, uid, "qa:"))
            assert set(telegram.statuses) == {200}
            async with telegram.session.get(worker.base + "/metrics") as response:
                exposition = await response.text()
        assert apologised(emulator, users) == []
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(exposition)
            for sample in family.samples
        }
        assert samples[("citizen_bot_quiz_answers_stored_total", ())] == CITIZENS * QUESTIONS
        presses = CITIZENS * (2 + QUESTIONS)  # the rules, the start, each answer
        assert samples[("citizen_bot_updates_total", (("type", "callback_query"),))] == presses
        assert samples[("citizen_bot_updates_total", (("type", "message"),))] == CITIZENS
        assert samples[("citizen_bot_update_duration_seconds_count", (("type", "message"),))] == CITIZENS
        assert (
            samples[("citizen_bot_bot_api_requests_total", (("method", "sendMessage"), ("status", "200")))] >= CITIZENS
        )
        assert samples[("citizen_bot_updates_in_flight", ())] == 0
        assert not any(name == "citizen_bot_update_errors_total" for name, _ in samples)
    finally:
        await worker.stop()
        await emulator.stop()
    assert (await stored_answers(settings.database_url))["rows"] == CITIZENS * QUESTIONS


async def test_health_and_readiness_on_the_webhook_server(settings):
    emulator = BotAPIEmulator(token=TOKEN)
    await emulator.start()
    worker = await start_worker(settings, emulator.base_url)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(worker.base + "/healthz") as response:
                assert response.status == 200
            async with http.get(worker.base + "/readyz") as response:
                assert response.status == 200
                ready = await response.json()
            assert ready["checked"] == (["database", "redis"] if REDIS_URL else ["database"])
            worker.app.health.stopping = True
            async with http.get(worker.base + "/readyz") as response:
                assert response.status == 503
                assert (await response.json())["status"] == "stopping"
    finally:
        await worker.stop()
        await emulator.stop()


async def test_readiness_names_what_cannot_be_reached():
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:9/none")  # port 9: nothing there
    health = Health(engine, Metrics(), redis_url="redis://127.0.0.1:9/0")
    try:
        problems = await health.problems()
    finally:
        await health.close()
        await engine.dispose()
    assert set(problems) == {"database", "redis"}
    assert "refused" in problems["database"].lower() or "connect" in problems["database"].lower()


async def test_polling_mode_serves_health_on_the_ops_port(settings):
    from bot.app import build_application, run_until_stopped

    emulator = BotAPIEmulator(token=TOKEN)
    await emulator.start()
    app = build_application(
        settings.model_copy(update={"bot_token": TOKEN, "bot_api_url": emulator.base_url, "ops_port": 0})
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run_until_stopped(app, stop))
    try:
        for _ in range(200):
            if app.ops_runner is not None or running.done():
                break
            await asyncio.sleep(0.05)
        assert app.ops_runner is not None, running
        base = f"http://127.0.0.1:{app.ops_runner.addresses[0][1]}"
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/healthz") as response:
                assert response.status == 200
            async with http.get(base + "/readyz") as response:
                assert response.status == 200
            async with http.get(base + "/metrics") as response:
                assert response.status == 200
                assert "citizen_bot_updates_in_flight" in await response.text()
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await emulator.stop()


async def test_json_logs_carry_the_update_id(settings):
    emulator = BotAPIEmulator(token=TOKEN)
    await emulator.start()
    front = await FlakyFront(emulator).start()
    failures = iter([bot_api_error(502, "Bad Gateway")])
    front.fault = lambda method: next(failures, None) if method == "sendMessage" else None
    worker = await start_worker(settings, front.url)
    stream = io.StringIO()
    root = logging.getLogger()
    kept = (list(root.handlers), root.level)
    logs.configure(logging.INFO, "json", stream=stream)
    try:
        emulator.add_user(930_001, "Mai", language_code="en")
        update = emulator.send_text(930_001, "/start")
        async with poster() as telegram:
            assert await telegram.post(worker.url, update) == 200
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in kept[0]:
            root.addHandler(handler)
        root.setLevel(kept[1])
        await worker.stop()
        await front.stop()
        await emulator.stop()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    retried = [line for line in lines if "Bot API sendMessage failed" in line["message"]]
    assert retried, lines
    assert retried[0]["update_id"] == update["update_id"]
    assert retried[0]["level"] == "WARNING" and retried[0]["logger"] == "bot.ops.bot_api"
    assert emulator.last_message(930_001) is not None  # the retry got the reply through
