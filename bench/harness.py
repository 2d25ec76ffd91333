"""Load harness: simulated citizens drive a bot through the Bot API emulator over HTTP (127.0.0.1 only).

The bot runs in a process of its own and polls the emulator; each simulated
user injects an update and waits for the bot's reply (a message sent or edited
in its chat). Two ways to drive it:

* closed loop: every user sends its next update as soon as the previous one is handled;
* open loop: updates are offered at a fixed rate, each by a user with nothing in flight.

Every loop is bounded in time and in count. Reusable for any bot: pass a Script
that says what each user does next.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.config import ROOT
from bot.sandbox.emulator import BotAPIEmulator

if TYPE_CHECKING:
    from aiogram import Dispatcher

# ("text", "hello") sends a text; ("press", "gs:") presses the newest button whose payload starts so.
Action = tuple[str, str]
Script = Callable[[int], Iterator[Action]]
FIRST_USER_ID = 500001
MAX_UPDATES = 1_000_000
UPDATE_TIMEOUT = 10.0
START_TIMEOUT = 30.0


@dataclass
class RunningBot:
    emulator: BotAPIEmulator
    timeouts: int = 0

    async def deliver(self, user_id: int, inject: Callable[[], dict]) -> float | None:
        """Inject an update and wait for the bot's reply (a message sent or edited in that chat).

        Returns the moment the reply arrived, or None if none came in time (counted in `timeouts`)."""
        reply = self.emulator.next_reply(user_id)
        inject()
        try:
            await asyncio.wait_for(reply, UPDATE_TIMEOUT)
        except TimeoutError:
            self.timeouts += 1
            return None
        return time.perf_counter()


@asynccontextmanager
async def bot_process(
    emulator: BotAPIEmulator,
    kind: str,
    token: str,
    database_url: str | None = None,
    quiz_bank_dir: str | None = None,
    report: bool = False,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The bot in a process of its own, polling the emulator over HTTP as in production; stopped with SIGINT."""
    command = [
        sys.executable,
        "-m",
        "bench.harness",
        kind,
        emulator.base_url,
        token,
        database_url or "",
        quiz_bank_dir or "",
        "report" if report else "",
    ]
    polls_before = emulator.api_calls["getUpdates"]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=asyncio.subprocess.PIPE if report else None
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while emulator.api_calls["getUpdates"] == polls_before:
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {kind} bot did not start polling")
            await asyncio.sleep(0.05)
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


@asynccontextmanager
async def running_bot(kind: str, token: str, database_url: str | None = None) -> AsyncIterator[RunningBot]:
    """An emulator here, and the bot in a process of its own polling it over HTTP, as in production."""
    emulator = BotAPIEmulator(token=token)
    await emulator.start("127.0.0.1", 0)
    try:
        async with bot_process(emulator, kind, token, database_url):
            yield RunningBot(emulator)
    finally:
        await emulator.stop()


class Population(Protocol):
    """What the loops drive: users by id, each taking its next step when told."""

    ids: list[int]

    @property
    def timeouts(self) -> int: ...

    async def step(self, user_id: int) -> float | None: ...


class Users:
    """Simulated users, each following its own copy of a script."""

    def __init__(self, running: RunningBot, script: Script, count: int, first_id: int = FIRST_USER_ID) -> None:
        self.running = running
        self.ids = list(range(first_id, first_id + count))
        self._scripts = {user_id: script(user_id) for user_id in self.ids}
        for user_id in self.ids:
            running.emulator.add_user(user_id, f"Citizen {user_id}", language_code="vi")

    @property
    def timeouts(self) -> int:
        return self.running.timeouts

    async def step(self, user_id: int) -> float | None:
        return await self.running.deliver(user_id, lambda: self.inject(user_id))

    def inject(self, user_id: int) -> dict:
        """Queue the user's next update in the emulator (at most a few tries past unusable presses)."""
        emulator = self.running.emulator
        for _ in range(4):
            kind, value = next(self._scripts[user_id])
            if kind == "text":
                return emulator.send_text(user_id, value)
            found = _newest_button(emulator, user_id, value)
            if found is not None:
                message_id, data = found
                return emulator.press(user_id, message_id, data)
        return emulator.send_text(user_id, "/menu")


def _newest_button(emulator: BotAPIEmulator, user_id: int, prefix: str) -> tuple[int, str] | None:
    try:
        messages = emulator.chat(user_id).bot_messages
    except LookupError:
        return None
    for message in reversed(list(messages.values())[-6:]):
        for button in message.buttons:
            data = button.get("callback_data", "")
            if data.startswith(prefix):
                return message.message_id, data
    return None


async def warm_up(users: Users, rounds: int = 2) -> None:
    """A couple of updates per user first, so that first-visit work is not measured."""

    async def one(user_id: int) -> None:
        for _ in range(rounds):
            await users.step(user_id)

    await asyncio.gather(*(one(user_id) for user_id in users.ids))


async def closed_loop(users: Population, seconds: float, max_updates: int = MAX_UPDATES) -> dict[str, float]:
    """Every user sends again as soon as its previous update is handled. Returns updates per second."""
    handled = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def user_loop(user_id: int) -> None:
        nonlocal handled
        while time.perf_counter() < deadline and handled < max_updates:
            if await users.step(user_id) is not None:
                handled += 1

    await asyncio.gather(*(user_loop(user_id) for user_id in users.ids))
    elapsed = time.perf_counter() - started
    return {
        "updates": handled,
        "timeouts": users.timeouts,
        "seconds": round(elapsed, 2),
        "updates_per_s": round(handled / elapsed, 1),
    }


async def open_loop(
    users: Population, rate: float, seconds: float, until: Callable[[], bool] | None = None
) -> dict[str, float]:
    """Offer `rate` updates per second for `seconds` (or until `until()` is true); latency is injection →
    handled, per update."""
    latencies: list[float] = []
    idle = list(users.ids)
    skipped = 0
    tasks: set[asyncio.Task] = set()

    async def one(user_id: int) -> None:
        sent = time.perf_counter()
        try:
            finished = await users.step(user_id)
            if finished is not None:
                latencies.append(finished - sent)
        finally:
            idle.append(user_id)

    started = time.perf_counter()
    total = int(rate * seconds)
    for index in range(total):
        if until is not None and until():
            break
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if not idle:
            skipped += 1  # every user is still waiting: the bot is far behind
            continue
        task = asyncio.create_task(one(idle.pop(0)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=UPDATE_TIMEOUT)
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "offered_per_s": rate,
        "handled": len(latencies),
        "skipped": skipped,
        "timeouts": users.timeouts,
        "achieved_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_percentile(ordered, 50) * 1000, 1),
        "p99_ms": round(_percentile(ordered, 99) * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else 0.0,
    }


def _percentile(ordered: list[float], percent: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The driver's garbage collector off while a bot is measured, as timeit does.

    This process holds the emulator's whole chat history (hundreds of thousands of objects); its full
    collections paused it for up to half a second, and every reply in flight waited, which would count
    against whichever bot was being measured. The bots' own processes are left as they are."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def quiet_logs() -> None:
    """Per-update INFO logs would cost more than the work measured."""
    logging.basicConfig(level=logging.WARNING)
    for name in ("aiogram", "aiogram.event", "aiogram.dispatcher", "bot", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _report_handled(dispatcher: Dispatcher) -> None:
    """Write each update's id to stdout once it is fully handled (for a harness that must know exactly)."""
    from bot.app import BotDispatcher

    out = sys.stdout.buffer

    def report(update_id: int) -> None:
        out.write(b"%d\n" % update_id)
        out.flush()

    if isinstance(dispatcher, BotDispatcher):  # the citizen bot's own hook
        dispatcher.update_handled.append(lambda update: report(update.update_id))
        return

    async def handled(handler: Any, event: Any, data: dict[str, Any]) -> Any:  # an echo bot: aiogram's public API
        try:
            return await handler(event, data)
        finally:
            report(event.update_id)

    dispatcher.update.outer_middleware.register(handled)


async def serve(
    kind: str, base_url: str, token: str, database_url: str = "", quiz_bank_dir: str = "", report: str = ""
) -> None:
    """The bot side, until SIGINT:

    python -m bench.harness echo|echo-plain|bot BASE_URL TOKEN [DATABASE_URL] [QUIZ_BANK_DIR] [report]
    """
    quiet_logs()
    if kind in ("echo", "echo-plain"):
        from bench.echo_bot import build_bot, build_echo_dispatcher

        bot = build_bot(base_url, token)
        if kind == "echo":
            # The same plumbing as the citizen bot (HTTP session, collector settings): the ratio then
            # measures what the citizen bot's own work costs. "echo-plain" keeps aiogram's defaults.
            from aiogram.client.telegram import TelegramAPIServer

            from bot.runtime import tune_garbage_collector
            from bot.transport.session import BotAPISession

            await bot.session.close()
            bot.session = BotAPISession(api=TelegramAPIServer.from_base(base_url))
            tune_garbage_collector()
        dispatcher = build_echo_dispatcher()
        if report:
            _report_handled(dispatcher)
        await dispatcher.start_polling(bot, polling_timeout=1)
        return
    from bot.app import build_application
    from bot.config import Settings

    settings = Settings(
        _env_file=None,
        bot_token=token,
        bot_api_url=base_url,
        database_url=database_url,
        redis_url=None,
        admin_ids=[],
    )
    if quiz_bank_dir:
        settings = settings.model_copy(update={"quiz_bank_dir": Path(quiz_bank_dir)})
    app = build_application(settings)
    if report:
        _report_handled(app.dispatcher)
    try:
        await app.dispatcher.start_polling(app.bot, polling_timeout=1, close_bot_session=False)
    finally:
        await app.close()


def echo_script(user_id: int) -> Iterator[Action]:
    while True:
        yield "text", f"hello {user_id}"
        yield "press", "echo:"


if __name__ == "__main__":
    asyncio.run(serve(*sys.argv[1:7]))
