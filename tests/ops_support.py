"""Helpers for the operations tests: webhook workers, citizens driven over HTTP, a Bot API front that fails
on purpose (the outside world misbehaving), and a Redis server of the test's own. 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, insert, select

from bot.app import Application, build_application
from bot.config import Settings
from bot.db.engine import create_engine
from bot.db.models import User
from bot.db.quiz import QuizAnswer, QuizAttempt, QuizParticipant
from bot.i18n import use_locale
from bot.sandbox.emulator import BotAPIEmulator
from bot.ui.screens.common import something_went_wrong

TOKEN = "7000000005:OPS-TEST-TOKEN"
SECRET = "ops-secret-7"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def apology(language: str = "en") -> str:
    with use_locale(language):
        return something_went_wrong().text


def apologised(emulator: BotAPIEmulator, user_ids: list[int], language: str = "en") -> list[int]:
    """The citizens who were told that something went wrong (in a message or a press's notice)."""
    text = apology(language)
    return [
        uid
        for uid in user_ids
        if any(text in (m.text or "") for m in emulator.messages(uid))
        or any(text == (a.get("text") or "") for a in emulator.callback_answers(uid))
    ]


async def register(database_url: str, user_ids: list[int], language: str = "en") -> None:
    """Citizens who already agreed and registered for the quiz (registration is tested elsewhere)."""
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(User),
                [
                    dict(
                        platform="telegram",
                        platform_user_id=str(uid),
                        chat_id=str(uid),
                        language=language,
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
                        consent_version="test",
                        updated_at=now,
                    )
                    for uid in user_ids
                ],
            )
    finally:
        await engine.dispose()


async def stored_answers(database_url: str) -> dict[str, int]:
    """Answer rows, what the attempts counted, and attempts whose counter differs from their rows."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.scalar(select(func.count()).select_from(QuizAnswer))
            counted = await connection.scalar(select(func.coalesce(func.sum(QuizAttempt.answered), 0)))
            per_attempt = (
                await connection.execute(
                    select(QuizAttempt.answered, func.count(QuizAnswer.id))
                    .outerjoin(QuizAnswer, QuizAnswer.attempt_id == QuizAttempt.id)
                    .group_by(QuizAttempt.id, QuizAttempt.answered)
                )
            ).all()
    finally:
        await engine.dispose()
    return {
        "rows": int(rows or 0),
        "counted": int(counted or 0),
        "mismatched": sum(1 for answered, stored in per_attempt if answered != stored),
    }


def newest_press(emulator: BotAPIEmulator, user_id: int, prefix: str) -> dict[str, Any]:
    """The update pressing the newest button whose payload starts with `prefix` (built, and queued)."""
    for message in reversed(emulator.messages(user_id)):
        for button in message.buttons:
            data = button.get("callback_data", "")
            if data.startswith(prefix):
                return emulator.press(user_id, message.message_id, data)
    raise AssertionError(f"no button {prefix!r} for {user_id}: {[m.describe() for m in emulator.messages(user_id)]}")


@dataclass
class Worker:
    app: Application
    runner: web.AppRunner
    url: str  # the webhook's URL

    @property
    def base(self) -> str:
        return self.url.rsplit("/", 1)[0]

    async def stop(self) -> None:
        await self.app.stop_webhook_server(self.runner)
        await self.app.close()


async def start_worker(settings: Settings, api_url: str, **changes: Any) -> Worker:
    app = build_application(
        settings.model_copy(update={"bot_token": TOKEN, "bot_api_url": api_url, "webhook_secret": SECRET, **changes})
    )
    runner = await app.start_webhook_server("127.0.0.1", 0)
    port = runner.addresses[0][1]
    return Worker(app, runner, f"http://127.0.0.1:{port}{app.settings.webhook_path}")


@dataclass
class Poster:
    """Posts updates as Telegram does: with the secret, sending again (up to `tries`) what got no 2xx."""

    session: aiohttp.ClientSession
    statuses: list[int] = field(default_factory=list)

    async def post(self, url: str, update: dict[str, Any]) -> int:
        try:
            async with self.session.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
                await response.read()
                status = response.status
        except aiohttp.ClientError:
            status = 0  # no answer at all: Telegram would send again
        self.statuses.append(status)
        return status

    async def deliver(self, urls: list[str], update: dict[str, Any], tries: int = 40, pause: float = 0.25) -> int:
        """Until a 2xx, trying the workers in turn; returns how many posts it took."""
        for attempt in range(tries):
            if 200 <= await self.post(urls[attempt % len(urls)], update) < 300:
                return attempt + 1
            await asyncio.sleep(pause)
        raise AssertionError(f"update {update['update_id']} was refused {tries} times")


@asynccontextmanager
async def poster() -> AsyncIterator[Poster]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield Poster(session)


# A Bot API front: forwards to the emulator, or misbehaves when `fault(method)` says so.
Fault = Callable[[str], "web.StreamResponse | float | None"]


class FlakyFront:
    """The Bot API as seen through a bad network: `fault(method)` returns None (forward), a response to
    give instead (a 5xx, a 429), or seconds to wait before forwarding (a slow or hanging server)."""

    def __init__(self, emulator: BotAPIEmulator) -> None:
        self.emulator = emulator
        self.fault: Any = lambda method: None
        self.calls: list[str] = []
        self.in_flight = 0
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> FlakyFront:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._client = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["path"].rsplit("/", 1)[-1]
        self.calls.append(method)
        self.in_flight += 1
        try:
            fault = self.fault(method)
            if isinstance(fault, web.StreamResponse):
                return fault
            if isinstance(fault, (int, float)):
                await asyncio.sleep(fault)
            assert self._client is not None
            body = await request.read()
            headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
            async with self._client.request(
                request.method, f"{self.emulator.base_url}/{request.match_info['path']}", data=body, headers=headers
            ) as upstream:
                return web.Response(
                    body=await upstream.read(), status=upstream.status, content_type=upstream.content_type
                )
        finally:
            self.in_flight -= 1


def bot_api_error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


class RedisServer:
    """A redis-server of the test's own on 127.0.0.1, to stop and start again at will."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.binary is not None
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.process = None


def subprocess_env(**values: str) -> dict[str, str]:
    """The environment for `python -m bot …` in a child process: this one's, without any bot setting."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "BOT_TOKEN", "BOT_API_URL", "WEBHOOK_URL", "OPS_PORT")
    }
    env.update(values)
    return env
