"""Faults the bot survives: a failing Bot API, Redis missing at start or lost under load, PostgreSQL
connections dropped under load, and SIGTERM while updates are in flight. 127.0.0.1 only, every loop bounded."""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import aiohttp
import asyncpg
import pytest
from sqlalchemy import make_url

from bot.config import ROOT
from bot.ops.metrics import Metrics
from bot.sandbox.emulator import BotAPIEmulator
from tests.conftest import ON_POSTGRES
from tests.ops_support import (
    SECRET,
    SECRET_HEADER,
    TOKEN,
    FlakyFront,
    RedisServer,
    apologised,
    bot_api_error,
    free_port,
    newest_press,
    poster,
    register,
    start_worker,
    stored_answers,
    subprocess_env,
)
from tests.quiz_support import contest_yaml, make_bank

QUESTIONS = 3


@pytest.fixture
def settings(settings, tmp_path):
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml(attempts=0, prediction=False)], with_practice=False)
    return settings.model_copy(update={"quiz_bank_dir": bank, "quiz_sweep_seconds": 60})


@pytest.fixture
async def emulator():
    emulator = BotAPIEmulator(token=TOKEN)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def front(emulator):
    front = await FlakyFront(emulator).start()
    try:
        yield front
    finally:
        await front.stop()


def _accepted(emulator: BotAPIEmulator, user_id: int, answers_before: int) -> bool:
    """The press was taken: answered without a notice (refusals carry one)."""
    answers = emulator.callback_answers(user_id)[answers_before:]
    return bool(answers) and not answers[-1].get("text")


# ---------------------------------------------------------------------- the Bot API


async def test_bot_api_5xx_timeouts_and_429_are_retried_with_backoff_and_a_limit(settings, emulator, front):
    worker = await start_worker(settings, front.url, bot_api_timeout=0.5, bot_api_retries=2)
    metrics: Metrics = worker.app.dispatcher["metrics"]
    try:
        async with poster() as telegram:

            async def start(user_id: int) -> float:
                emulator.add_user(user_id, "Mai", language_code="en")
                began = time.monotonic()
                assert await telegram.post(worker.url, emulator.send_text(user_id, "/start")) == 200
                return time.monotonic() - began

            # Two 5xx (a JSON error, then a proxy's HTML page), then the reply goes through.
            failures = iter(
                [bot_api_error(502, "Bad Gateway"), aiohttp.web.Response(status=502, text="<html>502</html>")]
            )
            front.fault = lambda method: next(failures, None) if method == "sendMessage" else None
            await start(940_001)
            assert emulator.last_message(940_001) is not None
            assert metrics.value("bot_api_retries_total", {"method": "sendMessage", "reason": "5xx"}) == 1
            assert metrics.value("bot_api_retries_total", {"method": "sendMessage", "reason": "undecodable"}) == 1
            assert metrics.value("bot_api_requests_total", {"method": "sendMessage", "status": "200"}) == 1

            # A server that does not answer within BOT_API_TIMEOUT: sent again.
            hangs = iter([2.0])
            front.fault = lambda method: next(hangs, None) if method == "sendMessage" else None
            await start(940_002)
            assert emulator.last_message(940_002) is not None
            assert metrics.value("bot_api_retries_total", {"method": "sendMessage", "reason": "timeout"}) == 1

            # Flood control: wait as long as asked, then send again.
            floods = iter([bot_api_error(429, "Too Many Requests: retry after 1", retry_after=1)])
            front.fault = lambda method: next(floods, None) if method == "sendMessage" else None
            waited = await start(940_003)
            assert emulator.last_message(940_003) is not None
            assert waited >= 1.0
            assert metrics.value("bot_api_retry_after_total", {"method": "sendMessage"}) == 1
            assert metrics.value("bot_api_retry_after_seconds_total") == 1.0

            # A Bot API that keeps failing: three attempts for the reply, three for the apology, then give up.
            calls_before = front.calls.count("sendMessage")

            def broken(method: str) -> aiohttp.web.Response | None:
                return bot_api_error(500, "Internal Server Error") if method == "sendMessage" else None

            front.fault = broken
            took = await start(940_004)
            assert front.calls.count("sendMessage") - calls_before == 2 * 3
            assert took < 10
            assert emulator.last_message(940_004) is None
            assert metrics.value("update_errors_total", {"kind": "TelegramServerError"}) == 1
    finally:
        await worker.stop()


# ---------------------------------------------------------------------- Redis


async def test_redis_unreachable_at_start_is_a_clear_message_and_exit_code(database_url, tmp_path):
    port = free_port()  # nothing listens there
    result = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "webhook",
        cwd=ROOT,
        env=subprocess_env(BOT_TOKEN=TOKEN, DATABASE_URL=database_url, REDIS_URL=f"redis://:hush@127.0.0.1:{port}/0"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(result.communicate(), 60)
    message = err.decode()
    assert result.returncode == 69, message
    assert f"Redis at redis://:***@127.0.0.1:{port}/0 cannot be reached" in message
    assert "hush" not in message  # the password stays out of the message
    assert "Not starting." in message


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (apt-get install redis-server)")
async def test_redis_lost_under_load_refuses_updates_and_keeps_state(settings, emulator, caplog):
    redis = RedisServer()
    redis.start()
    citizens = list(range(950_001, 950_011))
    await register(settings.database_url, citizens)
    worker = await start_worker(settings, emulator.base_url, redis_url=redis.url)
    metrics: Metrics = worker.app.dispatcher["metrics"]
    try:
        for uid in citizens:
            emulator.add_user(uid, f"Citizen {uid}", language_code="en")
        async with poster() as telegram:

            async def round_of(make) -> list[tuple[dict, int]]:
                updates = [make(uid) for uid in citizens]
                statuses = await asyncio.gather(*(telegram.post(worker.url, update) for update in updates))
                return list(zip(updates, statuses, strict=True))

            for make in (
                lambda uid: emulator.send_text(uid, "/quiz"),
                lambda uid: newest_press(emulator, uid, "qz:r"),
                lambda uid: newest_press(emulator, uid, "qz:b"),
            ):
                assert {status for _, status in await round_of(make)} == {200}
            assert {status for _, status in await round_of(lambda uid: newest_press(emulator, uid, "qa:"))} == {200}

            # Redis goes away while the second answers are on their way.
            with caplog.at_level(logging.ERROR, logger="bot.ops"):
                pending = asyncio.ensure_future(round_of(lambda uid: newest_press(emulator, uid, "qa:")))
                await asyncio.sleep(0)
                redis.kill()
                second = await pending
            refused = [update for update, status in second if status != 200]
            assert refused, "Redis was killed before any update reached it; nothing was refused"
            assert {status for _, status in second} <= {200, 503}
            assert metrics.value("updates_refused_total", {"reason": "redis"}) == len(refused)
            assert any("redis is unavailable" in record.getMessage() for record in caplog.records)

            # Back again: Telegram sends the refused updates again, and they are handled once.
            redis.start()
            for update in refused:
                await telegram.deliver([worker.url], update)
            assert {status for _, status in await round_of(lambda uid: newest_press(emulator, uid, "qa:"))} == {200}
        assert apologised(emulator, citizens) == []
    finally:
        await worker.stop()
        redis.kill()
    assert await stored_answers(settings.database_url) == {
        "rows": len(citizens) * QUESTIONS,
        "counted": len(citizens) * QUESTIONS,
        "mismatched": 0,
    }


# ---------------------------------------------------------------------- PostgreSQL


async def _terminate_connections(database_url: str) -> int:
    url = make_url(database_url)
    admin = await asyncpg.connect(url.set(drivername="postgresql", database="postgres").render_as_string(False))
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                url.database,
            )
        )
    finally:
        await admin.close()


@pytest.mark.skipif(not ON_POSTGRES, reason="a server dropping connections is a PostgreSQL matter")
async def test_postgres_connections_dropped_under_load_lose_no_confirmed_answer(settings, emulator):
    citizens = list(range(960_001, 960_031))
    await register(settings.database_url, citizens)
    worker = await start_worker(settings, emulator.base_url)
    confirmed = 0
    dropped = 0
    try:
        for uid in citizens:
            emulator.add_user(uid, f"Citizen {uid}", language_code="en")
        async with poster() as telegram:
            urls = [worker.url]

            async def press(uid: int, prefix: str) -> bool:
                before = len(emulator.callback_answers(uid))
                update = newest_press(emulator, uid, prefix)
                if await telegram.post(worker.url, update) != 200:
                    await telegram.deliver(urls, update)  # as Telegram: again until it is taken
                    return False
                return _accepted(emulator, uid, before)

            for uid in citizens:
                await telegram.deliver(urls, emulator.send_text(uid, "/quiz"))
            await asyncio.gather(*(press(uid, "qz:r") for uid in citizens))
            await asyncio.gather(*(press(uid, "qz:b") for uid in citizens))
            for _ in range(QUESTIONS):
                answers = asyncio.gather(*(press(uid, "qa:") for uid in citizens))
                await asyncio.sleep(0.01)
                dropped += await _terminate_connections(settings.database_url)  # while the answers are handled
                confirmed += sum(await answers)
        assert apologised(emulator, citizens) == []
        # The pool recovered: a fresh update after all that is handled at once.
        emulator.add_user(960_999, "Late", language_code="en")
        async with poster() as telegram:
            assert await telegram.post(worker.url, emulator.send_text(960_999, "/start")) == 200
    finally:
        await worker.stop()
    assert dropped >= 1
    stored = await stored_answers(settings.database_url)
    assert stored["rows"] >= confirmed  # nothing confirmed is lost…
    assert stored == {"rows": len(citizens) * QUESTIONS, "counted": len(citizens) * QUESTIONS, "mismatched": 0}


# ---------------------------------------------------------------------- SIGTERM


def _bot_env(settings, front: FlakyFront, **extra: str) -> dict[str, str]:
    return subprocess_env(
        BOT_TOKEN=TOKEN,
        BOT_API_URL=front.url,
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url or "",
        REDIS_PREFIX=settings.redis_prefix,
        QUIZ_BANK_DIR=str(settings.quiz_bank_dir),
        SHUTDOWN_DRAIN_SECONDS="20",
        **extra,
    )


async def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        await asyncio.sleep(0.05)


@contextmanager
def _log_to(path: Path) -> Iterator[IO[bytes]]:
    with path.open("wb") as file:
        yield file


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_sigterm_drains_the_updates_in_flight_of_a_webhook_worker(settings, emulator, front, tmp_path):
    port = free_port()
    with _log_to(tmp_path / "worker.log") as log_file:
        await _drain_a_webhook_worker(settings, emulator, front, tmp_path, port, log_file)
    assert emulator.last_message(970_001) is not None  # the update in flight was finished
    assert emulator.last_message(970_002) is None
    assert "finishing the updates in flight" in (tmp_path / "worker.log").read_text()


async def _drain_a_webhook_worker(settings, emulator, front, tmp_path, port, log_file) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "webhook",
        cwd=ROOT,
        env=_bot_env(settings, front, WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port), WEBHOOK_SECRET=SECRET),
        stdout=log_file,
        stderr=log_file,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:

            async def up() -> bool:
                try:
                    async with http.get(base + "/healthz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            for _ in range(600):  # up to 60 s for start-up
                if process.returncode is not None or await up():
                    break
                await asyncio.sleep(0.1)
            assert await up(), (tmp_path / "worker.log").read_text()

            async def post(update: dict) -> int:
                async with http.post(base + "/telegram", json=update, headers={SECRET_HEADER: SECRET}) as response:
                    return response.status

            emulator.add_user(970_001, "Mai", language_code="en")
            emulator.add_user(970_002, "Tuan", language_code="en")
            front.fault = lambda method: 1.5 if method == "sendMessage" else None  # a slow Bot API
            in_flight = asyncio.ensure_future(post(emulator.send_text(970_001, "/start")))
            await _wait_for(lambda: front.in_flight > 0, 30, "the reply reaching the Bot API")
            process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.2)
            assert await post(emulator.send_text(970_002, "/start")) == 503  # stopping: Telegram sends it later
            assert await in_flight == 200
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        await _stop(process)


async def test_sigterm_drains_the_updates_in_flight_when_polling(settings, emulator, front, tmp_path):
    emulator.add_user(980_001, "Mai", language_code="en")
    front.fault = lambda method: 1.5 if method == "sendMessage" else None
    emulator.send_text(980_001, "/start")
    with _log_to(tmp_path / "bot.log") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=ROOT,
            env=_bot_env(settings, front),
            stdout=log_file,
            stderr=log_file,
        )
        try:
            await _wait_for(
                lambda: "sendMessage" in front.calls and front.in_flight > 0, 60, "the reply reaching the Bot API"
            )
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0, (tmp_path / "bot.log").read_text()
        finally:
            await _stop(process)
    assert emulator.last_message(980_001) is not None
    # The handled update was confirmed before exit: a restarted bot does not receive it again.
    assert emulator.pending_updates == 0


async def test_sigterm_during_start_up_stops_cleanly(settings, emulator, front, tmp_path):
    """A stop that comes before polling has begun (the Bot API slow to answer at start-up) ends the start-up:
    exit code 0, no traceback, nothing received."""
    emulator.add_user(980_002, "Mai", language_code="en")
    front.fault = lambda method: 3.0 if method in {"deleteWebhook", "setMyCommands", "getMe"} else None
    emulator.send_text(980_002, "/start")
    with _log_to(tmp_path / "bot.log") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=ROOT,
            env=_bot_env(settings, front),
            stdout=log_file,
            stderr=log_file,
        )
        try:
            await _wait_for(lambda: front.in_flight > 0, 60, "the start-up reaching the Bot API")
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0, (tmp_path / "bot.log").read_text()
        finally:
            await _stop(process)
    log = (tmp_path / "bot.log").read_text()
    assert "Traceback" not in log, log
    assert "getUpdates" not in front.calls
    assert emulator.pending_updates == 1  # not received: Telegram keeps it for the next start
