"""Benchmark: the quiz load of bench.quiz through webhooks, on one worker and on two behind one entry point.

    python -m bench.scale [--users 500] [--connections 100] [--database-url URL] [--redis-url URL] [--front auto]

Telegram's side is played here: the Bot API emulator, and a deliverer that POSTs each citizen's next update to
the front with the webhook secret, as Telegram does (at most --connections posts at once, Telegram's
max_connections allows up to 100), sending again what got no 2xx. Each worker is `bot.app`'s webhook server in
a process of its own, on PostgreSQL and Redis; the front is nginx from Debian when installed (least_conn,
keep-alive, next upstream on 503), else a small aiohttp proxy in this process. Every citizen (registered
already) opens /quiz, starts an attempt, answers 20 questions and types the prediction, as fast as answered.

Runs, each on a temporary database created and dropped, with Redis keys under a prefix of its own: (a) one
worker; (b) two workers; (c) two workers with every PostgreSQL connection terminated once, half-way through; (d)
one announcement to --recipients citizens (5% of whom blocked the bot) sent by two workers sharing the outbox
(`bench.broadcast.two_workers`): duplicates and misses. Prints one JSON line: updates/s, p50/p99 of a post's
round trip (the update handled, its replies sent), answers confirmed but not stored (`lost_answers`, must be 0),
attempts whose counter differs from their rows, the ratio two/one (goal ≥ 1.3), and for the fault run the p99 in
the seconds after the fault. A post's round trip is measured under saturation (closed loop), so it is mostly time
waiting for a slot; compare runs with each other, not with bench.quiz's open-loop latency. Only 127.0.0.1 is
used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.harness import Action, _newest_button, _percentile, collector_paused, quiet_logs
from bench.quiz import QUESTIONS, _database, _integrity, _quiz_bank, _register, attempt_script
from bot.config import ROOT
from bot.sandbox.emulator import BotAPIEmulator

TOKEN = "7000000004:SCALE-BENCH-TOKEN"
SECRET = "scale-bench-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram"
STEPS = 3 + QUESTIONS  # /quiz, start, 20 answers, the prediction
RESEND_TRIES = 30  # Telegram keeps trying far longer; a run that needs more than this has failed
RESEND_PAUSE = 0.5
POST_TIMEOUT = 60.0
RUN_TIMEOUT = 900.0
START_TIMEOUT = 60.0
RECOVERY_SECONDS = 5.0  # the fault run's p99 covers posts sent this long after the fault
RATIO_GOAL = 1.3
FIRST_USER = 1_100_001


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (Linux)."""
    try:
        fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc/PID/stat (Linux); 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (float(fields[11]) + float(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------- workers


def worker_command(base_url: str, database_url: str, redis_url: str, prefix: str, port: int, bank: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.scale",
        "worker",
        base_url,
        database_url,
        redis_url,
        prefix,
        str(port),
        str(bank),
    ]


async def serve_worker(base_url: str, database_url: str, redis_url: str, prefix: str, port: str, bank: str) -> None:
    """One webhook worker until SIGTERM (which drains it, as in production): `python -m bench.scale worker …`."""
    from bot.app import build_application
    from bot.config import Settings
    from bot.ops.signals import stop_on_signals

    quiet_logs()
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        bot_api_url=base_url,
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=prefix,
        webhook_secret=SECRET,
        webhook_path=WEBHOOK_PATH,
        quiz_bank_dir=Path(bank),
        admin_ids=[],
    )
    app = build_application(settings)
    stop = stop_on_signals()
    runner = await app.start_webhook_server("127.0.0.1", int(port))
    print("ready", flush=True)
    try:
        await stop.wait()
    finally:
        await app.stop_webhook_server(runner)
        await app.close()


@asynccontextmanager
async def workers(
    count: int, emulator: BotAPIEmulator, database_url: str, redis_url: str, bank: Path
) -> AsyncIterator[list[tuple[int, int]]]:
    """`count` worker processes; yields their (port, pid); stopped with SIGTERM (a drain), killed if hung."""
    prefix = f"scale-{uuid.uuid4().hex[:8]}"
    ports = [free_port() for _ in range(count)]
    processes = []
    try:
        for port in ports:
            process = await asyncio.create_subprocess_exec(
                *worker_command(emulator.base_url, database_url, redis_url, prefix, port, bank),
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            processes.append(process)
        for process in processes:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
            if line.strip() != b"ready":
                raise RuntimeError("a worker did not start")
        yield [(port, process.pid) for port, process in zip(ports, processes, strict=True)]
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 40)
            except TimeoutError:
                process.kill()
                await process.wait()
        await _forget_redis_keys(redis_url, prefix)


async def _forget_redis_keys(redis_url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
    finally:
        await client.aclose()


# ---------------------------------------------------------------------- the front


@asynccontextmanager
async def front(kind: str, ports: list[int], folder: Path) -> AsyncIterator[str]:
    """One entry point before the workers: nginx (a process of its own) or an aiohttp proxy here."""
    if kind == "nginx":
        async with _nginx(ports, folder) as url:
            yield url
    else:
        async with _aiohttp_front(ports) as url:
            yield url


@asynccontextmanager
async def _nginx(ports: list[int], folder: Path) -> AsyncIterator[str]:
    port = free_port()
    home = folder / f"nginx-{port}"
    home.mkdir()
    home.chmod(0o755)
    upstreams = "\n".join(f"    server 127.0.0.1:{p} max_fails=0;" for p in ports)
    temp = " ".join(f"{name}_temp_path {home / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (home / "nginx.conf").write_text(
        f"""daemon off;
worker_processes 1;
pid {home / "nginx.pid"};
error_log {home / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  {temp}
  upstream bots {{
    least_conn;
{upstreams}
    keepalive 128;
  }}
  server {{
    listen 127.0.0.1:{port};
    location {WEBHOOK_PATH} {{
      proxy_pass http://bots;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_next_upstream_tries 2;
      proxy_read_timeout 60s;
    }}
  }}
}}
""",
        encoding="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        "nginx", "-p", str(home), "-c", str(home / "nginx.conf"), "-e", str(home / "error.log")
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(port):
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {(home / 'error.log').read_text()}")
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@asynccontextmanager
async def _aiohttp_front(ports: list[int]) -> AsyncIterator[str]:
    """Round robin over the workers; a worker's 503 or a refused connection goes to the next one."""
    upstreams = [f"http://127.0.0.1:{port}{WEBHOOK_PATH}" for port in ports]
    turn = 0
    client = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT)
    )

    async def forward(request: web.Request) -> web.Response:
        nonlocal turn
        body = await request.read()
        headers = {SECRET_HEADER: request.headers.get(SECRET_HEADER, ""), "Content-Type": "application/json"}
        status, answer = 502, b""
        for _ in range(min(2, len(upstreams))):
            url = upstreams[turn % len(upstreams)]
            turn += 1
            try:
                async with client.post(url, data=body, headers=headers) as response:
                    status, answer = response.status, await response.read()
            except aiohttp.ClientError:
                status = 502
                continue
            if status != 503:
                break
        return web.Response(status=status, body=answer)

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, forward)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}{WEBHOOK_PATH}"
    finally:
        await runner.cleanup()
        await client.close()


# ---------------------------------------------------------------------- Telegram's side


class Deliverer:
    """POSTs updates as Telegram does: with the secret, at most `connections` at once, again after a non-2xx."""

    def __init__(self, url: str, connections: int) -> None:
        self.url = url
        self._slots = asyncio.Semaphore(connections)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections), timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT)
        )
        self.round_trips: list[tuple[float, float]] = []  # (sent at, seconds) of each post that got a 2xx
        self.refused = 0
        self.given_up = 0

    async def close(self) -> None:
        await self._session.close()

    async def deliver(self, update: dict[str, Any]) -> bool:
        body = json.dumps(update).encode()
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        for _ in range(RESEND_TRIES):
            async with self._slots:
                sent = time.perf_counter()
                try:
                    async with self._session.post(self.url, data=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
            if 200 <= status < 300:
                self.round_trips.append((sent, time.perf_counter() - sent))
                return True
            self.refused += 1
            await asyncio.sleep(RESEND_PAUSE)
        self.given_up += 1
        return False


class Citizens:
    def __init__(self, emulator: BotAPIEmulator, ids: list[int]) -> None:
        self.emulator = emulator
        self.ids = ids
        self._scripts: dict[int, Iterator[Action]] = {uid: attempt_script(uid) for uid in ids}
        for uid in ids:
            emulator.add_user(uid, f"Citizen {uid}", language_code="vi")

    def next_update(self, user_id: int) -> dict[str, Any]:
        kind, value = next(self._scripts[user_id])
        if kind == "text":
            return self.emulator.send_text(user_id, value)
        found = _newest_button(self.emulator, user_id, value)
        if found is None:
            return self.emulator.send_text(user_id, "/quiz")
        return self.emulator.press(user_id, *found)


async def run_attempts(
    citizens: Citizens, deliverer: Deliverer, fault_at: int | None = None, fault: Any = None
) -> dict[str, Any]:
    """Every citizen takes one whole attempt; with `fault_at`, `fault()` runs once that many updates are done."""
    emulator = citizens.emulator
    done = confirmed = 0
    fault_time: float | None = None
    fault_result: Any = None

    async def one(user_id: int) -> None:
        nonlocal done, confirmed, fault_time, fault_result
        for step in range(STEPS):
            before = len(emulator.callback_answers(user_id))
            if not await deliverer.deliver(citizens.next_update(user_id)):
                return  # given up: counted by the deliverer
            done += 1
            if 2 <= step < 2 + QUESTIONS:
                toasts = emulator.callback_answers(user_id)[before:]
                confirmed += bool(toasts) and not toasts[-1].get("text")
            if fault_at is not None and fault_time is None and done >= fault_at:
                fault_time = time.perf_counter()
                fault_result = await fault()

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one(uid) for uid in citizens.ids)), RUN_TIMEOUT)
    elapsed = time.perf_counter() - started
    trips = sorted(seconds for _, seconds in deliverer.round_trips)
    result: dict[str, Any] = {
        "updates": done,
        "seconds": round(elapsed, 2),
        "updates_per_s": round(done / elapsed, 1),
        "answers_confirmed": confirmed,
        "p50_ms": round(_percentile(trips, 50) * 1000, 1),
        "p99_ms": round(_percentile(trips, 99) * 1000, 1),
        "posts_refused": deliverer.refused,
        "updates_given_up": deliverer.given_up,
    }
    if fault_time is not None:
        window = sorted(s for sent, s in deliverer.round_trips if fault_time <= sent <= fault_time + RECOVERY_SECONDS)
        result["fault_after_updates"] = fault_at
        result["connections_terminated"] = fault_result
        result["p99_recovery_ms"] = round(_percentile(window, 99) * 1000, 1)
    return result


async def _terminate_connections(database_url: str) -> int:
    import asyncpg
    from sqlalchemy import make_url

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


async def one_run(args: argparse.Namespace, count: int, front_kind: str, folder: Path, with_fault: bool) -> dict:
    from bot.db.migrate import upgrade_async

    database_url, drop = await _database(args.database_url, folder)
    try:
        await upgrade_async(database_url)
        bank = _quiz_bank(folder / f"bank-{uuid.uuid4().hex[:6]}")
        ids = list(range(FIRST_USER, FIRST_USER + args.users))
        await _register(database_url, ids)
        emulator = BotAPIEmulator(token=TOKEN)
        await emulator.start("127.0.0.1", 0)
        try:
            async with (
                workers(count, emulator, database_url, args.redis_url, bank) as running,
                front(front_kind, [port for port, _ in running], folder) as url,
            ):
                deliverer = Deliverer(url, args.connections)
                pids = [pid for _, pid in running]
                machine_before, driver_before = machine_cpu(), time.process_time()
                workers_before = [process_cpu(pid) for pid in pids]
                try:
                    with collector_paused():
                        result = await run_attempts(
                            Citizens(emulator, ids),
                            deliverer,
                            fault_at=args.users * STEPS // 2 if with_fault else None,
                            fault=lambda: _terminate_connections(database_url),
                        )
                finally:
                    await deliverer.close()
                busy, total = (after - before for after, before in zip(machine_cpu(), machine_before, strict=True))
                result["cpu"] = {
                    # Where the cores went during the run: all of them busy means the machine, not the bot, limits.
                    "machine_busy_percent": round(100 * busy / total, 1) if total else None,
                    "driver_cpu_s": round(time.process_time() - driver_before, 1),
                    "workers_cpu_s": [
                        round(process_cpu(pid) - before, 1) for pid, before in zip(pids, workers_before, strict=True)
                    ],
                }
        finally:
            await emulator.stop()
        integrity = await _integrity(database_url)
    finally:
        await drop()
    result["workers"] = count
    result["answer_rows"] = integrity["answer_rows"]
    result["lost_answers"] = max(0, result["answers_confirmed"] - integrity["answer_rows"])
    result["mismatched_attempts"] = integrity["mismatched_attempts"]
    result["finished_attempts"] = integrity["finished_attempts"]
    return result


async def broadcast_run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """One announcement sent by two workers that share PostgreSQL and Redis, on a database of its own."""
    from bench.broadcast import temporary_database, two_workers

    async with temporary_database(args.database_url, folder, "scale_broadcast") as database:
        return await two_workers(database, args.redis_url, recipients=args.recipients, rate=300, folder=folder)


async def measure(args: argparse.Namespace) -> dict:
    quiet_logs()
    front_kind = args.front if args.front != "auto" else ("nginx" if shutil.which("nginx") else "aiohttp")
    result: dict[str, Any] = {
        "database": "postgresql",
        "front": front_kind,
        "users": args.users,
        "updates_per_run": args.users * STEPS,
        "connections": args.connections,
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as name:
        folder = Path(name)
        os.chmod(name, 0o755)  # nginx's worker reads its files as another user
        result["one_worker"] = await one_run(args, 1, front_kind, folder, with_fault=False)
        result["two_workers"] = await one_run(args, 2, front_kind, folder, with_fault=False)
        result["fault"] = await one_run(args, 2, front_kind, folder, with_fault=True)
        result["broadcast"] = await broadcast_run(args, folder)
    one, two = result["one_worker"]["updates_per_s"], result["two_workers"]["updates_per_s"]
    result["ratio_two_to_one"] = round(two / one, 3) if one else None
    runs = ("one_worker", "two_workers", "fault")
    result["lost_answers"] = sum(result[run]["lost_answers"] for run in runs)
    result["goals"] = {
        "ratio_at_least_1_3": bool(result["ratio_two_to_one"] and result["ratio_two_to_one"] >= RATIO_GOAL),
        "no_lost_answers": result["lost_answers"] == 0
        and all(result[run]["mismatched_attempts"] == 0 and result[run]["updates_given_up"] == 0 for run in runs),
        "broadcast_no_duplicates": result["broadcast"]["duplicates"] == 0,
        "broadcast_no_misses": result["broadcast"]["finished"] and result["broadcast"]["misses"] == 0,
    }
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["worker"]:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_worker(*argv[1:7]))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--connections", type=int, default=100, help="posts in flight at once (Telegram: ≤ 100)")
    parser.add_argument("--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--front", choices=("auto", "nginx", "aiohttp"), default="auto")
    parser.add_argument("--recipients", type=int, default=2000, help="the announcement sent by two workers")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 5000 or not 1 <= args.connections <= 100 or not 1 <= args.recipients <= 100_000:
        parser.error("keep --users ≤ 5000, --connections ≤ 100 and --recipients ≤ 100,000")
    if not args.database_url.startswith("postgresql") or "127.0.0.1" not in args.database_url:
        parser.error("--database-url must be PostgreSQL on 127.0.0.1 (several workers need a shared database)")
    if "127.0.0.1" not in args.redis_url:
        parser.error("--redis-url must be on 127.0.0.1")
    print(json.dumps(asyncio.run(measure(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
