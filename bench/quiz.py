"""Benchmark: the quiz under load, against a bare aiogram echo bot measured the same way in the same run.

    python -m bench.quiz [--users 1000] [--rate 200] [--seconds 10] [--database-url URL]

(a) throughput: every citizen (already registered) opens /quiz, starts the contest, answers 20 questions and
    types the prediction, all at once, as fast as the bot answers (closed loop); then the database is checked
    for lost or double-counted answers;
(b) latency: with every citizen of a second group already in an attempt, answers offered at a fixed rate
    (open loop), reply latency p50/p99.
Each bot runs in a process of its own and reports every update it has fully handled on its stdout (see
bench.harness); the emulator and the simulated citizens share this process. The ratio is to a bare aiogram
echo bot; `ratio_same_plumbing` is to an echo bot with the citizen bot's HTTP session and collector settings.
Prints one JSON line. SQLite runs on a fresh temporary file; with --database-url postgresql+asyncpg://…/db
a temporary database is created next to `db` and dropped afterwards. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, insert, select

from bench.echo_bot import ECHO_TOKEN
from bench.harness import Action, Script, bot_process, closed_loop, collector_paused, echo_script, open_loop, quiet_logs
from bot.config import ROOT
from bot.sandbox.emulator import BotAPIEmulator

TOKEN = "7000000003:QUIZ-BENCH-TOKEN"
UPDATE_TIMEOUT = 60.0
QUESTIONS = 20
RATIO_GOAL = 0.4
P99_GOAL_MS = 300.0


def attempt_script(user_id: int) -> Iterator[Action]:
    while True:
        yield "text", "/quiz"
        yield "press", "qz:r"  # the contest's rules…
        yield "press", "qz:b"  # …then the timer starts
        for _ in range(QUESTIONS):
            yield "press", "qa:"
        yield "text", str(21_000 + user_id % 500)


def _quiz_bank(folder: Path) -> Path:
    shutil.copytree(ROOT / "quiz_bank" / "questions", folder / "questions")
    (folder / "contests").mkdir()
    contest = yaml.safe_load((ROOT / "quiz_bank" / "contests" / "backan-dx-2023.yaml").read_text(encoding="utf-8"))
    now = datetime.now(UTC)
    contest.update(
        id="bench",
        attempts_allowed=0,
        time_limit_minutes=60,
        window={"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(hours=3)).isoformat()},
    )
    (folder / "contests" / "bench.yaml").write_text(yaml.safe_dump(contest, allow_unicode=True), encoding="utf-8")
    return folder


async def _register(database_url: str, user_ids: list[int]) -> None:
    """Registration is not what is measured: citizens arrive registered, with Vietnamese chosen."""
    from bot.db.engine import create_engine
    from bot.db.models import User
    from bot.db.quiz import QuizParticipant

    engine = create_engine(database_url)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(
            insert(User),
            [
                dict(
                    platform="telegram",
                    platform_user_id=str(uid),
                    chat_id=str(uid),
                    language="vi",
                    status="active",
                    first_seen=now,
                    last_seen=now,
                )
                for uid in user_ids
            ],
        )
        ids = dict((await connection.execute(select(User.platform_user_id, User.id))).all())
        await connection.execute(
            insert(QuizParticipant),
            [
                dict(
                    user_id=ids[str(uid)],
                    full_name=f"Người dự thi {uid}",
                    phone="+84900000000",
                    birth_year=1990,
                    group_id="citizens",
                    consent_at=now,
                    consent_version="bench",
                    updated_at=now,
                )
                for uid in user_ids
            ],
        )
    await engine.dispose()


async def _integrity(database_url: str) -> dict[str, int]:
    from bot.db.engine import create_engine
    from bot.db.quiz import QuizAnswer, QuizAttempt

    engine = create_engine(database_url)
    async with engine.connect() as connection:
        finished = await connection.scalar(
            select(func.count()).select_from(QuizAttempt).where(QuizAttempt.status == "finished")
        )
        rows = await connection.scalar(select(func.count()).select_from(QuizAnswer))
        counted = await connection.scalar(select(func.coalesce(func.sum(QuizAttempt.answered), 0)))
        per_attempt = (
            await connection.execute(
                select(QuizAttempt.answered, func.count(QuizAnswer.id))
                .outerjoin(QuizAnswer, QuizAnswer.attempt_id == QuizAttempt.id)
                .group_by(QuizAttempt.id, QuizAttempt.answered)
            )
        ).all()
    await engine.dispose()
    return {
        "finished_attempts": int(finished or 0),
        "answer_rows": int(rows or 0),
        "counted": int(counted or 0),
        "mismatched_attempts": sum(1 for answered, stored in per_attempt if answered != stored),
    }


async def _attempts_closed_loop(users: Users) -> dict[str, float]:
    """Each user takes exactly one whole attempt; the clock runs from the first /quiz to the last prediction."""
    steps = 3 + QUESTIONS

    timed_out = delivered = accepted = 0
    emulator = users.running.emulator

    async def one(user_id: int) -> None:
        nonlocal timed_out, delivered, accepted
        for step in range(steps):
            answers_before = len(emulator.callback_answers(user_id))
            try:
                await users.running.deliver(users.inject(user_id))
            except TimeoutError:  # the bot is overwhelmed: this citizen gives up
                timed_out += 1
                return
            if 2 <= step < 2 + QUESTIONS:
                delivered += 1
                toasts = emulator.callback_answers(user_id)[answers_before:]
                # A press the bot took answers without a toast; refusals ("already answered"…) carry one.
                accepted += bool(toasts) and not toasts[-1].get("text")

    started = time.perf_counter()
    await asyncio.gather(*(one(user_id) for user_id in users.ids))
    elapsed = time.perf_counter() - started
    return {
        "seconds": round(elapsed, 2),
        "updates_per_s": round(len(users.ids) * steps / elapsed, 1),
        "answers_per_s": round(accepted / elapsed, 1),
        "answer_presses": delivered,
        "answers_accepted": accepted,
        "citizens_timed_out": timed_out,
    }


class Running:
    """A bot in a process of its own that reports every update it has fully handled; deliver() waits for it."""

    def __init__(self, emulator: BotAPIEmulator, stream: asyncio.StreamReader) -> None:
        self.emulator = emulator
        self.done: dict[int, asyncio.Future] = {}
        self.timeouts = 0
        self._reader = asyncio.create_task(self._read(stream))

    def _future(self, update_id: int) -> asyncio.Future:
        return self.done.setdefault(update_id, asyncio.get_running_loop().create_future())

    async def _read(self, stream: asyncio.StreamReader) -> None:
        async for line in stream:
            future = self._future(int(line))
            if not future.done():
                future.set_result(time.perf_counter())

    async def deliver(self, update: dict) -> float:
        try:
            return await asyncio.wait_for(self._future(update["update_id"]), UPDATE_TIMEOUT)
        finally:
            self.done.pop(update["update_id"], None)

    def stop(self) -> None:
        self._reader.cancel()


@asynccontextmanager
async def running_bot(
    kind: str, token: str, database_url: str | None = None, bank: Path | None = None
) -> AsyncIterator[Running]:
    """The emulator here, the bot (`kind`, see bench.harness) in a process of its own, as in production."""
    emulator = BotAPIEmulator(token=token)
    await emulator.start("127.0.0.1", 0)
    try:
        async with bot_process(
            emulator, kind, token, database_url, str(bank) if bank else None, report=True
        ) as process:
            assert process.stdout is not None  # report=True pipes it
            running = Running(emulator, process.stdout)
            try:
                yield running
            finally:
                running.stop()
    finally:
        await emulator.stop()


class Users:
    def __init__(self, running: Running, script: Script, count: int, first_id: int) -> None:
        self.running = running
        self.ids = list(range(first_id, first_id + count))
        self._scripts = {user_id: script(user_id) for user_id in self.ids}
        for user_id in self.ids:
            running.emulator.add_user(user_id, f"Citizen {user_id}", language_code="vi")

    def inject(self, user_id: int) -> dict:
        emulator = self.running.emulator
        kind, value = next(self._scripts[user_id])
        if kind == "text":
            return emulator.send_text(user_id, value)
        for message in reversed(list(emulator.chat(user_id).bot_messages.values())[-6:]):
            for button in message.buttons:
                if button.get("callback_data", "").startswith(value):
                    return emulator.press(user_id, message.message_id, button["callback_data"])
        return emulator.send_text(user_id, "/quiz")

    @property
    def timeouts(self) -> int:
        return self.running.timeouts

    async def step(self, user_id: int) -> float | None:
        """The user's next update, handled: when it was, or None if not in time (for bench.harness's loops)."""
        try:
            return await self.running.deliver(self.inject(user_id))
        except TimeoutError:
            self.running.timeouts += 1
            return None


async def _into_attempts(users: Users) -> None:
    """Untimed: every citizen opens /quiz and starts an attempt, so that what the open loop offers is answers."""

    async def one(user_id: int) -> None:
        for _ in range(3):  # "/quiz", the rules, then the start button (see attempt_script)
            await users.running.deliver(users.inject(user_id))

    await asyncio.gather(*(one(user_id) for user_id in users.ids))


async def measure(args: argparse.Namespace) -> dict:
    from bot.db.migrate import upgrade_async

    quiet_logs()
    result: dict = {"database": "postgresql" if args.database_url else "sqlite", "users": args.users}
    with tempfile.TemporaryDirectory(prefix="bench-quiz-") as folder:
        database_url, drop = await _database(args.database_url, Path(folder))
        try:
            await upgrade_async(database_url)
            bank = _quiz_bank(Path(folder) / "quiz_bank")
            # Two baselines: a bare aiogram echo bot (the ratio), and one with the citizen bot's own plumbing
            # (HTTP session, collector settings), whose ratio shows what the quiz's own work costs.
            for kind, name, first_id in (("echo-plain", "plain_aiogram_echo", 600_001), ("echo", "echo", 650_001)):
                async with running_bot(kind, ECHO_TOKEN) as running:
                    with collector_paused():
                        result[name] = await closed_loop(
                            Users(running, echo_script, args.users, first_id), args.seconds
                        )
            first, second = 700_001, 800_001
            await _register(
                database_url, list(range(first, first + args.users)) + list(range(second, second + args.users))
            )
            async with running_bot("bot", TOKEN, database_url, bank) as running:
                with collector_paused():
                    result["quiz"] = await _attempts_closed_loop(Users(running, attempt_script, args.users, first))
                result["integrity"] = await _integrity(database_url)
                latency_users = Users(running, attempt_script, args.users, second)
                await _into_attempts(latency_users)
                with collector_paused():
                    result["latency"] = await open_loop(latency_users, args.rate, args.seconds)
        finally:
            await drop()
    # Every answer the bot confirmed must be stored, and every attempt's counter must match its stored rows.
    integrity = result["integrity"]
    result["lost_answers"] = max(0, result["quiz"]["answers_accepted"] - integrity["answer_rows"])
    result["double_counted"] = integrity["mismatched_attempts"]
    result["ratio"] = round(result["quiz"]["updates_per_s"] / result["plain_aiogram_echo"]["updates_per_s"], 3)
    result["ratio_same_plumbing"] = round(result["quiz"]["updates_per_s"] / result["echo"]["updates_per_s"], 3)
    result["goals_met"] = (
        result["ratio"] >= RATIO_GOAL
        and result["lost_answers"] == 0
        and result["quiz"]["citizens_timed_out"] == 0
        and result["double_counted"] == 0
        and result["latency"]["p99_ms"] < P99_GOAL_MS
    )
    return result


async def _database(url: str | None, folder: Path):  # type: ignore[no-untyped-def]
    if not url:

        async def nothing() -> None:
            return None

        return f"sqlite+aiosqlite:///{folder / 'bench.db'}", nothing
    import asyncpg

    base, _, _ = url.rpartition("/")
    name = f"bench_quiz_{uuid.uuid4().hex[:8]}"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(dsn)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()

    return f"{base}/{name}", drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="offered answers per second in the open loop")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", help="postgresql+asyncpg://… (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 5000 or not 0 < args.seconds <= 120 or not 0 < args.rate <= 2000:
        parser.error("keep --users ≤ 5000, --seconds ≤ 120, --rate ≤ 2000")
    print(json.dumps(asyncio.run(measure(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
