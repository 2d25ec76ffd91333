"""Health, readiness and metrics over HTTP, and the start-up check of the database and Redis.

* `/healthz` — the process is up and its event loop answers: 200 always.
* `/readyz` — the database answers `SELECT 1` and, when REDIS_URL is set, Redis answers PING, each within
  CHECK_SECONDS: 200 with what was checked, 503 and which one failed otherwise; also 503 while stopping.
* `/metrics` — Prometheus text format.

The webhook server serves them next to the webhook path (only that path need be public: the reverse proxy
forwards nothing else); `OPS_PORT` serves them on a small server of their own, in polling mode too.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ops.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger("bot.ops")

CHECK_SECONDS = 2.0


@dataclass
class Health:
    engine: AsyncEngine
    metrics: Metrics
    redis_url: str | None = None
    stopping: bool = False
    _redis: object | None = field(default=None, repr=False)

    async def problems(self) -> dict[str, str]:
        """What is not reachable now: {"database": "…", "redis": "…"}; empty when all is well."""
        found: dict[str, str] = {}
        checks = [("database", self._database())]
        if self.redis_url:
            checks.append(("redis", self._ping_redis()))
        results = await asyncio.gather(
            *(asyncio.wait_for(check, CHECK_SECONDS) for _, check in checks), return_exceptions=True
        )
        for (name, _), result in zip(checks, results, strict=True):
            if isinstance(result, BaseException):
                found[name] = _describe(result)
        return found

    async def _database(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _ping_redis(self) -> None:
        from redis.asyncio import Redis

        if self._redis is None:
            self._redis = Redis.from_url(
                self.redis_url or "", socket_connect_timeout=CHECK_SECONDS, socket_timeout=CHECK_SECONDS
            )
        assert isinstance(self._redis, Redis)
        await self._redis.ping()

    async def close(self) -> None:
        if self._redis is not None:
            from redis.asyncio import Redis

            assert isinstance(self._redis, Redis)
            await self._redis.aclose()
            self._redis = None

    # ------------------------------------------------------------------ HTTP

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, _: web.Request) -> web.Response:
        if self.stopping:
            return web.json_response({"status": "stopping"}, status=503)
        problems = await self.problems()
        if problems:
            return web.json_response({"status": "unavailable", "problems": problems}, status=503)
        checked = ["database", "redis"] if self.redis_url else ["database"]
        return web.json_response({"status": "ready", "checked": checked})

    async def _metrics(self, _: web.Request) -> web.Response:
        response = web.Response(body=self.metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response


async def start_ops_server(health: Health, host: str, port: int) -> web.AppRunner:
    """/healthz, /readyz and /metrics on a server of their own (OPS_HOST:OPS_PORT)."""
    app = web.Application()
    health.add_routes(app)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("operations endpoints on http://%s:%s/ (healthz, readyz, metrics)", host, runner.addresses[0][1])
    return runner


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {CHECK_SECONDS:.0f} s"
    return f"{type(error).__name__}: {error}"[:300]


def safe_url(url: str) -> str:
    """A database or Redis URL fit for a message: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.rsplit("@", maxsplit=1)[-1]


async def unreachable_at_start(database_url: str, redis_url: str | None) -> list[str]:
    """What a worker cannot reach before it starts, in sentences for the operator; empty when all is well."""
    from bot.db.engine import create_engine

    engine = create_engine(database_url, pool_size=1)
    health = Health(engine, Metrics(), redis_url)
    try:
        problems = await health.problems()
    finally:
        await health.close()
        await engine.dispose()
    messages = []
    if "database" in problems:
        messages.append(f"The database at {safe_url(database_url)} cannot be reached ({problems['database']}).")
    if "redis" in problems and redis_url:
        messages.append(
            f"Redis at {safe_url(redis_url)} cannot be reached ({problems['redis']}). "
            "Start it, or leave REDIS_URL empty to run a single process with state in memory."
        )
    return messages
