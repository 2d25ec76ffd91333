"""Benchmark: announcements at Telegram's limits — the rate reached, the 429s caused, duplicates, misses, memory.

    python -m bench.broadcast [--recipients 21217] [--database-url URL] [--quick]

(a) paid: `--recipients` citizens (5% of them blocked the bot, which the bot learns from the 403s), the emulator
    limiting like Telegram (30 a second free, 1,000 a second with allow_paid_broadcast, 1 a second per chat),
    the bot with DELIVERY_PAID_RATE=950 and DELIVERY_BURST=10 (a margin under the limit);
(b) free: 1,000 citizens (5% blocked) at the free 30 a second, the bot with DELIVERY_RATE=29;
(c) memory: the bot's peak RSS with 1,000,000 citizens in the audience against 10,000, each run stopped after
    3,000 sends (only the first citizens exist in the emulator; a run never gets further).

Each bot is the real one (`python -m bot run`) in a process of its own, polling the emulator on 127.0.0.1 from
this process. Rates are the emulator's accepted sends between the first and the last, and all the sends the
bot made (accepted, and refused with 403 because the citizen blocked the bot: the emulator, like the public
documentation, does not say whether Telegram counts those against the limit), each divided by the limit.
Duplicates are copies beyond the first per citizen; misses are citizens who did not block the bot and got
none. Prints one JSON line. SQLite runs on temporary files; with --database-url postgresql+asyncpg://…/db
temporary databases are created next to `db` and dropped afterwards.

`two_workers()` runs one broadcast sent by two bot processes on PostgreSQL (+ Redis) and counts duplicates and
misses: the building block for a scale benchmark, and what tests/test_delivery_processes.py checks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.harness import collector_paused, quiet_logs
from bot.config import ROOT
from bot.sandbox.emulator import BotAPIEmulator

TOKEN = "7000000005:BROADCAST-BENCH"
FIRST_ID = 600_001
BLOCKED_EVERY = 20  # 5% of the citizens blocked the bot
# The bot's settings: a margin under each limit, and a burst that keeps rate + burst within it (GCRA lets at most
# rate × T + burst sends through in any T seconds), so that a busy moment can be made up without a 429.
PAID_LIMIT, PAID_RATE, PAID_BURST = 1000, 950.0, 10
FREE_LIMIT, FREE_RATE = 30, 29.0
MEMORY_SENDS = 3000
START_TIMEOUT = 60.0
GOALS = {"paid_fraction": 0.9, "free_fraction": 0.95, "rss_ratio": 1.2}


# ---------------------------------------------------------------- databases and citizens


@asynccontextmanager
async def temporary_database(url: str | None, folder: Path, name: str) -> AsyncIterator[str]:
    """A migrated empty database: a SQLite file in `folder`, or a PostgreSQL database next to `url`'s."""
    from bot.db.migrate import upgrade_async

    if not url:
        database = f"sqlite+aiosqlite:///{folder / f'{name}.db'}"
        await upgrade_async(database)
        yield database
        return
    import asyncpg

    base, _, _ = url.rpartition("/")
    database_name = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE DATABASE "{database_name}"')
    await connection.close()
    try:
        database = f"{base}/{database_name}"
        await upgrade_async(database)
        yield database
    finally:
        connection = await asyncpg.connect(dsn)
        await connection.execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
        await connection.close()


def _user_rows(count: int) -> list[tuple[str, str, str, str, str, str]]:
    now = datetime(2026, 11, 1, tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
    return [("telegram", str(uid), str(uid), "vi", "active", now) for uid in range(FIRST_ID, FIRST_ID + count)]


async def seed_citizens(database_url: str, count: int) -> list[int]:
    """`count` citizens who chose Vietnamese, with Telegram ids from FIRST_ID; the fast way for each database
    (a million rows through the ORM would take minutes)."""
    ids = list(range(FIRST_ID, FIRST_ID + count))
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]

        def insert() -> None:
            connection = sqlite3.connect(path)
            with connection:
                connection.executemany(
                    "INSERT INTO users (platform, platform_user_id, chat_id, language, status, first_seen, last_seen)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(*row, row[-1]) for row in _user_rows(count)],
                )
            connection.close()

        await asyncio.to_thread(insert)
        return ids
    import asyncpg

    now = datetime(2026, 11, 1, tzinfo=UTC)
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.copy_records_to_table(
            "users",
            columns=["platform", "platform_user_id", "chat_id", "language", "status", "first_seen", "last_seen"],
            records=[("telegram", str(uid), str(uid), "vi", "active", now, now) for uid in ids],
        )
    finally:
        await connection.close()
    return ids


def add_citizens(emulator: BotAPIEmulator, ids: list[int]) -> set[int]:
    """The same citizens in the emulator, as having started the bot; every twentieth blocked it since."""
    blocked = set()
    for uid in ids:
        is_blocked = uid % BLOCKED_EVERY == 0
        emulator.add_user(uid, f"Citizen {uid}", language_code="vi", started=True, blocked=is_blocked)
        if is_blocked:
            blocked.add(uid)
    return blocked


async def queue_broadcast(database_url: str, text: str) -> int:
    """An announcement to everyone, confirmed as an official would (it starts at once)."""
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.uow import UnitOfWork
    from bot.domain.broadcasts import service
    from bot.domain.broadcasts.records import ContentKind, Version
    from bot.features import stores

    engine = create_engine(database_url)
    uow = UnitOfWork(create_session_factory(engine), stores())
    try:
        draft = await service.new_draft(uow, "bench", None)
        await service.save_version(uow, draft.id, Version("", ContentKind.text, text))
        return (await service.confirm(uow, draft.id, "bench", service.scope("vi"))).id
    finally:
        await uow.close()
        await engine.dispose()


async def outbox_left(database_url: str) -> int:
    """Deliveries not yet ended, plus citizens of running broadcasts not yet queued."""
    from bot.db.broadcasts import BroadcastRow
    from bot.db.engine import create_engine
    from bot.db.outbox import DeliveryRow

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            open_rows = await connection.scalar(
                select(func.count()).select_from(DeliveryRow).where(DeliveryRow.state.in_(("pending", "sending")))
            )
            running = await connection.scalar(
                select(func.count()).select_from(BroadcastRow).where(BroadcastRow.state == "running")
            )
    finally:
        await engine.dispose()
    return int(open_rows or 0) + int(running or 0)


# ---------------------------------------------------------------- the bot in a process of its own


def bot_environment(emulator: BotAPIEmulator, database_url: str, **settings: str | float) -> dict[str, str]:
    prefixes = ("BOT_", "DELIVERY_", "WEBHOOK_", "ADMIN_IDS")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(
        BOT_TOKEN=TOKEN,
        BOT_API_URL=emulator.base_url,
        DATABASE_URL=database_url,
        REDIS_URL="",
        REDIS_PREFIX=f"bench-{uuid.uuid4().hex[:8]}",
        QUIET_HOURS="off",
        DEMO_CONTESTS="false",
        DELIVERY_POLL_SECONDS="0.2",
    )
    env.update({key.upper(): str(value) for key, value in settings.items()})
    return env


class BotProcess:
    """`python -m bot run` (polling) or `python -m bot webhook` against the emulator, with its log in a file."""

    def __init__(self, emulator: BotAPIEmulator, env: dict[str, str], log: Path, mode: str = "run") -> None:
        self.emulator, self.env, self.log, self.mode = emulator, env, log, mode
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        commands_before = self.emulator.api_calls["setMyCommands"]
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", self.mode, cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + START_TIMEOUT
        # Both modes set the command list before they receive updates and deliver.
        while self.emulator.api_calls["setMyCommands"] == commands_before:
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not start; its log:\n{self.tail()}")
            await asyncio.sleep(0.05)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    def peak_rss_mib(self) -> float:
        if self.process is None:
            return 0.0
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    async def stop(self) -> None:
        """As an operator would: SIGINT, then the clean shutdown (bounded)."""
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            await self.kill()

    async def kill(self) -> None:
        """As a crash would: SIGKILL, no shutdown at all."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float, every: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(every)
    return False


# ---------------------------------------------------------------- counting


def copies_of(emulator: BotAPIEmulator, recipients: list[int], blocked: set[int]) -> dict[str, int]:
    copies = emulator.stats.copies()
    return {
        "duplicates": sum(max(0, copies[uid] - 1) for uid in recipients),
        "misses": sum(1 for uid in recipients if uid not in blocked and copies[uid] == 0),
        "blocked_got_a_copy": sum(1 for uid in blocked if copies[uid]),
    }


def rates(emulator: BotAPIEmulator, limit: float) -> dict[str, float]:
    sends = list(emulator.stats.sends)
    forbidden = emulator.stats.errors["Forbidden: bot was blocked by the user"]
    if len(sends) < 2:
        return {"accepted_per_s": 0.0, "sends_per_s": 0.0, "fraction_of_limit": 0.0, "accepted_fraction": 0.0}
    seconds = sends[-1].at - sends[0].at
    accepted = (len(sends) - 1) / seconds
    made = (len(sends) + forbidden - 1) / seconds
    return {
        "seconds": round(seconds, 2),
        "accepted_per_s": round(accepted, 1),
        "sends_per_s": round(made, 1),
        "fraction_of_limit": round(made / limit, 3),
        "accepted_fraction": round(accepted / limit, 3),
    }


# ---------------------------------------------------------------- the scenarios


async def _emulator(limits: dict[str, int]) -> BotAPIEmulator:
    emulator = BotAPIEmulator(token=TOKEN, send_log_size=200_000)
    await emulator.start("127.0.0.1", 0)
    emulator.set_rate_limits(True, chat_per_second=1, chat_burst=3, **limits)
    return emulator


async def full_broadcast(
    database_url: str, folder: Path, recipients: int, limit: int, settings: dict[str, str | float]
) -> dict[str, object]:
    """Every citizen gets the announcement once; what it took."""
    emulator = await _emulator({"global_per_second": FREE_LIMIT, "paid_per_second": PAID_LIMIT})
    try:
        ids = await seed_citizens(database_url, recipients)
        blocked = add_citizens(emulator, ids)
        await queue_broadcast(database_url, "Hội thi <b>Tìm hiểu chuyển đổi số</b> mở từ hôm nay.")
        bot = BotProcess(emulator, bot_environment(emulator, database_url, **settings), folder / "bot.log")
        emulator.stats.reset()
        with collector_paused():
            await bot.start()
            expected = recipients / (limit * 0.9) + 60
            finished = await wait_for(lambda: _done(database_url), expected)
            rss = bot.peak_rss_mib()
            await bot.stop()
        return {
            "recipients": recipients,
            "blocked": len(blocked),
            "limit_per_s": limit,
            "finished": finished,
            **rates(emulator, limit),
            "429s": emulator.stats.statuses[429],
            **copies_of(emulator, ids, blocked),
            "peak_rss_mib": rss,
        }
    finally:
        await emulator.stop()


async def _done(database_url: str) -> bool:
    return await outbox_left(database_url) == 0


async def memory_run(database_url: str, folder: Path, audience: int) -> float:
    """Peak RSS of the bot sending to an audience of `audience`, stopped after MEMORY_SENDS sends."""
    emulator = await _emulator({"global_per_second": FREE_LIMIT, "paid_per_second": PAID_LIMIT})
    try:
        ids = await seed_citizens(database_url, audience)
        add_citizens(emulator, ids[: MEMORY_SENDS + 1000])  # a bounded run never gets further
        await queue_broadcast(database_url, "Thông báo")
        settings: dict[str, str | float] = {"delivery_paid_rate": int(PAID_RATE), "delivery_burst": PAID_BURST}
        bot = BotProcess(emulator, bot_environment(emulator, database_url, **settings), folder / f"rss-{audience}.log")
        with collector_paused():
            await bot.start()

            async def enough() -> bool:
                return len(emulator.stats.sends) >= MEMORY_SENDS

            if not await wait_for(enough, MEMORY_SENDS / 100 + 60, every=0.1):
                raise RuntimeError(f"the bot sent {len(emulator.stats.sends)} of {MEMORY_SENDS}; log:\n{bot.tail()}")
            rss = bot.peak_rss_mib()
            await bot.stop()
        return rss
    finally:
        await emulator.stop()


async def two_workers(
    database_url: str,
    redis_url: str | None,
    recipients: int = 600,
    rate: float = 200.0,
    folder: Path | None = None,
    timeout: float = 120.0,
) -> dict[str, object]:
    """One broadcast sent by two bot processes (webhook mode: both deliver; no updates are posted) sharing
    `database_url` (PostgreSQL: SQLite serves one process) and, when given, Redis. `database_url` must be
    migrated and hold no citizens yet. Returns the copies per citizen summed up, and the sends per worker."""
    if database_url.startswith("sqlite"):
        raise ValueError("two processes need PostgreSQL: SQLite serves one process")
    emulator = await _emulator({"global_per_second": FREE_LIMIT, "paid_per_second": PAID_LIMIT})
    work = folder or Path(tempfile.mkdtemp(prefix="bench-two-workers-"))
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        ids = await seed_citizens(database_url, recipients)
        blocked = add_citizens(emulator, ids)
        bots = []
        for number in (1, 2):
            env = bot_environment(
                emulator,
                database_url,
                redis_url=redis_url or "",
                redis_prefix=prefix,
                delivery_paid_rate=int(rate),
                webhook_port=0,
            )
            bots.append(BotProcess(emulator, env, work / f"worker-{number}.log", mode="webhook"))
        emulator.stats.reset()
        for bot in bots:
            await bot.start()
        started = time.monotonic()
        await queue_broadcast(database_url, "Hai tiến trình, một thông báo")
        finished = await wait_for(lambda: _done(database_url), timeout)
        seconds = time.monotonic() - started
        for bot in bots:
            await bot.stop()
        return {
            "recipients": recipients,
            "finished": finished,
            "seconds": round(seconds, 2),
            **copies_of(emulator, ids, blocked),
            "sent_by": await _sent_by(database_url),
            "429s": emulator.stats.statuses[429],
        }
    finally:
        await emulator.stop()


async def _sent_by(database_url: str) -> dict[str, int]:
    from bot.db.engine import create_engine
    from bot.db.outbox import DeliveryRow

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(DeliveryRow.claimed_by, func.count())
                .where(DeliveryRow.state == "sent", DeliveryRow.topic == "broadcast")
                .group_by(DeliveryRow.claimed_by)
            )
            return dict(Counter({str(worker): int(count) for worker, count in rows}))
    finally:
        await engine.dispose()


async def measure(args: argparse.Namespace) -> dict[str, object]:
    quiet_logs()
    result: dict[str, object] = {"database": "postgresql" if args.database_url else "sqlite"}
    parts = set(args.parts.split(","))
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as name:
        folder = Path(name)
        if "paid" in parts:
            async with temporary_database(args.database_url, folder, "paid") as database:
                settings: dict[str, str | float] = {"delivery_paid_rate": int(PAID_RATE), "delivery_burst": PAID_BURST}
                result["paid"] = await full_broadcast(database, folder, args.recipients, PAID_LIMIT, settings)
        if "free" in parts:
            async with temporary_database(args.database_url, folder, "free") as database:
                result["free"] = await full_broadcast(database, folder, 1000, FREE_LIMIT, {"delivery_rate": FREE_RATE})
        if "memory" in parts:
            memory: dict[str, float] = {}
            for audience in (10_000, args.large):
                async with temporary_database(args.database_url, folder, f"rss{audience}") as database:
                    memory[f"peak_rss_mib_{audience}"] = await memory_run(database, folder, audience)
            memory["ratio"] = round(memory[f"peak_rss_mib_{args.large}"] / memory["peak_rss_mib_10000"], 3)
            result["memory"] = memory
    if parts != {"paid", "free", "memory"}:
        return result
    paid, free, rss = result["paid"], result["free"], result["memory"]
    assert isinstance(paid, dict) and isinstance(free, dict) and isinstance(rss, dict)
    result["goals"] = {
        "paid_fraction_at_least_0_9": paid["fraction_of_limit"] >= GOALS["paid_fraction"],
        "free_fraction_at_least_0_95": free["fraction_of_limit"] >= GOALS["free_fraction"],
        "no_self_caused_429": paid["429s"] == 0 and free["429s"] == 0,
        "no_duplicates": paid["duplicates"] == 0 and free["duplicates"] == 0,
        "no_misses": paid["misses"] == 0 and free["misses"] == 0,
        "rss_ratio_at_most_1_2": rss["ratio"] <= GOALS["rss_ratio"],
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--recipients", type=int, default=21_217, help="the paid run's audience")
    parser.add_argument("--large", type=int, default=1_000_000, help="the large audience of the memory run")
    parser.add_argument("--database-url", help="postgresql+asyncpg://… (default: temporary SQLite files)")
    parser.add_argument("--parts", default="paid,free,memory", help="which runs (comma separated); goals need all")
    args = parser.parse_args(argv)
    if not 100 <= args.recipients <= 100_000 or not 20_000 <= args.large <= 2_000_000:
        parser.error("keep 100 ≤ --recipients ≤ 100,000 and 20,000 ≤ --large ≤ 2,000,000")
    print(json.dumps(asyncio.run(measure(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
