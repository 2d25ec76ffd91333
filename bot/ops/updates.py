"""Updates in flight, and what happens to an update whose database or Redis is unreachable.

`UpdateTracker.track(update)` wraps the whole handling of one update in the dispatcher: the update's id is
put on every log line written meanwhile, it is counted and timed for /metrics, and a stopping process can
wait for every update in flight (`drain`) before it closes its connections.

An update that fails because PostgreSQL, SQLite or Redis could not be reached is not the citizen's fault
and not a bug: in webhook mode it is refused (the webhook answers 503 and Telegram sends it again, to this
worker or another) instead of being apologised for and dropped. Any other error goes on to the one error
handler (bot/handlers/errors.py), which tells the citizen.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiogram import Dispatcher
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import ErrorEvent, Update
from aiogram.types.update import UpdateTypeLookupError

from bot.ops.logs import current_update_id
from bot.ops.metrics import Metrics

log = logging.getLogger("bot.ops")


class UpdateTracker:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics
        self.in_flight: set[int] = set()
        self.elsewhere: set[int] = set()  # updates of other channels (bot.channels) in flight
        self.last_finished: int | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    @contextmanager
    def track(self, update: Update, confirms: bool = True) -> Iterator[None]:
        """`confirms`: a Telegram update, whose id counts towards the getUpdates offset (another channel's
        update is tracked all the same, but never confirmed to Telegram)."""
        token = current_update_id.set(update.update_id)
        flight = self.in_flight if confirms else self.elsewhere
        flight.add(update.update_id)
        self._idle.clear()
        metrics = self.metrics
        if metrics is not None:
            metrics.updates_in_flight.inc()
        started = time.perf_counter()
        try:
            yield
        finally:
            flight.discard(update.update_id)
            if confirms and (self.last_finished is None or update.update_id > self.last_finished):
                self.last_finished = update.update_id
            if not self.in_flight and not self.elsewhere:
                self._idle.set()
            if metrics is not None:
                kind = _kind(update)
                metrics.updates_in_flight.dec()
                metrics.updates.labels(kind).inc()
                metrics.update_seconds.labels(kind).observe(time.perf_counter() - started)
            current_update_id.reset(token)

    async def drain(self, timeout: float) -> bool:
        """Wait until no update is in flight (True), or `timeout` seconds (False)."""
        if self.in_flight or self.elsewhere:
            log.info("waiting for %d update(s) in flight", len(self.in_flight) + len(self.elsewhere))
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("%d update(s) still in flight after %.0f s; stopping anyway", len(self.in_flight), timeout)
            return False
        return True

    def confirmed_offset(self) -> int | None:
        """The getUpdates offset that confirms every finished update and none still in flight."""
        if self.in_flight:
            return min(self.in_flight)
        return None if self.last_finished is None else self.last_finished + 1


def unavailable(error: BaseException) -> str | None:
    """ "database" or "redis" when `error` says that one could not be reached; None for anything else."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy import exc

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:  # the error, then what caused it
        seen.add(id(current))
        if isinstance(current, (RedisConnectionError, RedisTimeoutError)):
            return "redis"
        if isinstance(current, exc.DBAPIError) and (
            current.connection_invalidated or isinstance(current, (exc.OperationalError, exc.InterfaceError))
        ):
            return "database"
        if isinstance(current, (exc.TimeoutError, exc.DisconnectionError)):  # the pool's own timeout
            return "database"
        # The pool gave up reconnecting on checkout (SQLAlchemy raises this bare class, with this text).
        if type(current) is exc.InvalidRequestError and str(current) == "This connection is closed":
            return "database"
        current = current.__cause__ or current.__context__
    return None


class Unavailable(Exception):
    """An update refused because `what` (database, redis) could not be reached; the webhook answers 503."""

    def __init__(self, what: str, error: BaseException) -> None:
        super().__init__(f"{what} unavailable: {type(error).__name__}: {error}")
        self.what = what


REFUSE_UNAVAILABLE = "refuse_unavailable"  # workflow-data flag, set by the webhook server


def install(dp: Dispatcher, metrics: Metrics) -> None:
    """The first error handler of `dp`: counts every error by kind and, in webhook mode (the flag above),
    refuses updates that failed for want of the database or Redis. Everything else goes on to the error
    handler of bot/handlers/errors.py."""

    async def count_and_refuse(event: ErrorEvent, **_: Any) -> Any:
        error = event.exception
        metrics.update_errors.labels(type(error).__name__).inc()
        what = unavailable(error)
        if what is not None and dp.workflow_data.get(REFUSE_UNAVAILABLE):
            log.error("update %s refused: %s is unavailable: %r", event.update.update_id, what, error)
            metrics.updates_refused.labels(what).inc()
            raise Unavailable(what, error) from error
        raise SkipHandler

    dp.errors.register(count_and_refuse)


def _kind(update: Update) -> str:
    """The update's kind for metrics; "unknown" for a kind newer than this aiogram (a newer Bot API)."""
    try:
        return update.event_type
    except UpdateTypeLookupError:
        return "unknown"
