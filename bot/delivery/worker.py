"""The sender: one loop per process, for the process's lifetime, whatever receives the updates.

    feeder ──claim a batch──► queue ──► senders (N) ──gate──► messenger ──► results ──► writer (group commit)
       └─ refill hooks (a broadcast's next slice)        lease keeper · ticker (features' periodic work)

* Deliveries are claimed in batches of about one second of sending, notices first; never the whole list.
* Every send takes a slot of its channel's bucket (bot.delivery.gate). A flood answer (429) pauses every sender
  of that channel, here and in every process sharing the gate, for the time the channel asked.
* A blocked citizen is marked blocked (and left out of later audiences); server errors and network failures are
  tried again with exponential backoff up to `max_attempts`, then failed with the reason; other refusals fail at
  once with the channel's reason.
* Results are written in small groups. A delivery stays `sending` until its result is written: if the process
  dies, what it held is claimed again once its lease ends (at once on SQLite, which serves one process), so no
  recipient is missed and only a send that was under way, or done but not yet written, can go out twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.delivery.ports import OUTBOX, Gate, Messenger, Result, Windowed
from bot.delivery.quiet import QuietHours
from bot.delivery.records import Blocked, Claimed, Delivered, Failed, Kind, Outcome, RetryAfter, Skipped, State
from bot.delivery.topics import ComposeContext, HookContext, Topic, by_name
from bot.domain.clock import utcnow
from bot.domain.ports import Work
from bot.i18n import use_locale
from bot.ui.view import View

log = logging.getLogger(__name__)

# A delivery that keeps meeting the flood limit goes back to the outbox after this many pauses in a row.
MAX_PAUSES_IN_HAND = 5
WRITE_GROUP = 200  # results written in one transaction at most


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    max_attempts: int = 5  # tries of a delivery that meets server errors or network failures
    lease_seconds: float = 30.0  # a claim not renewed for this long belongs to a dead process
    poll_seconds: float = 1.0  # how often an idle worker looks for work queued by other processes
    tick_seconds: float = 1.0
    backoff_seconds: float = 2.0  # first wait after a transient failure; doubles each time
    backoff_cap_seconds: float = 300.0
    quiet: QuietHours | None = None
    # SQLite serves one process: whatever is claimed at start-up was claimed by this process before a crash.
    single_process: bool = False
    # Deliveries claimed at once; default: a quarter of a second of sending (on SQLite a claim holds the event
    # loop: 250 rows take about 5 ms, which the bucket's burst can make up for).
    batch: int | None = None
    concurrency: int | None = None  # sends in flight; default: enough for 100 ms answers at the full rate


@dataclass
class DeliveryStats:
    """What this process's worker did since it started, per channel and outcome (for operations' metrics)."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (channel, state) -> deliveries
    messages: Counter[str] = field(default_factory=Counter)  # channel -> messages sent or edited
    flood_pauses: Counter[str] = field(default_factory=Counter)  # channel -> 429 answers
    transient_errors: Counter[str] = field(default_factory=Counter)  # channel -> 5xx and network failures
    claimed: int = 0


class DeliveryWorker:
    def __init__(
        self,
        work: Callable[[], Work],
        messengers: Mapping[str, Messenger],
        gate: Gate,
        topics: Sequence[Topic],
        content: Mapping[str, object] | None = None,
        settings: WorkerSettings | None = None,
        clock: Callable[[], datetime] = utcnow,
        worker_id: str | None = None,
    ) -> None:
        self._work = work
        self._messengers = dict(messengers)
        self._gate = gate
        self._topics = by_name(topics)
        self._content: Mapping[str, object] = content if content is not None else {}
        self.settings = settings or WorkerSettings()
        self._clock = clock
        self.worker_id = worker_id or f"w-{uuid.uuid4().hex[:16]}"
        self.stats = DeliveryStats()
        rate = max((messenger.limits.rate for messenger in self._messengers.values()), default=25.0)
        self.batch = self.settings.batch or max(10, min(250, round(rate / 4)))
        self.concurrency = self.settings.concurrency or max(4, min(200, round(rate * 0.1)))
        self._wake = asyncio.Event()
        self._queue: asyncio.Queue[Claimed] = asyncio.Queue()
        self._results: asyncio.Queue[tuple[Claimed, Result]] = asyncio.Queue()
        self._in_flight = 0
        self._held: set[tuple[str, int]] = set()

    def wake(self) -> None:
        """Something was queued in this process: look for it now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled."""
        await self._recover(at_start=True)
        await self._read_holds()
        tasks = [
            asyncio.create_task(self._feed(), name="delivery-feeder"),
            asyncio.create_task(self._write(), name="delivery-writer"),
            asyncio.create_task(self._keep_leases(), name="delivery-leases"),
            asyncio.create_task(self._tick(), name="delivery-ticker"),
            asyncio.create_task(self._watch_holds(), name="delivery-holds"),
            *(asyncio.create_task(self._send_loop(), name=f"delivery-sender-{n}") for n in range(self.concurrency)),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._shut_down()

    # ---------------------------------------------------------------- claiming

    def _loud(self, now: datetime) -> bool:
        quiet = self.settings.quiet
        return quiet is None or not quiet.contains(now)

    async def _feed(self) -> None:
        while True:
            if self._queue.qsize() >= self.batch:
                await asyncio.sleep(0.01)
                continue
            try:
                claimed = await self._claim()
                if len(claimed) < self.batch and await self._refill():
                    continue  # the next slice is queued: claim it at once
            except Exception:
                log.exception("claiming deliveries failed; trying again shortly")
                await asyncio.sleep(self.settings.poll_seconds)
                continue
            if claimed:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_seconds)

    async def _claim(self) -> list[Claimed]:
        now = self._clock()
        uow = self._work()
        try:
            async with uow:
                claimed = await uow[OUTBOX].claim(self.worker_id, self.batch, now, self._loud(now))
                if claimed:
                    self._held = await uow[OUTBOX].holds()  # as fresh as the claim
                await uow.commit()
        finally:
            await uow.close()
        self.stats.claimed += len(claimed)
        for delivery in claimed:
            self._queue.put_nowait(delivery)
        return claimed

    async def _refill(self) -> int:
        now = self._clock()
        added = 0
        for topic in self._topics.values():
            if topic.refill is None:
                continue
            uow = self._work()
            try:
                added += await topic.refill(HookContext(uow, now, self._loud(now), self._content))
            finally:
                await uow.close()
        return added

    # ---------------------------------------------------------------- sending

    async def _send_loop(self) -> None:
        while True:
            delivery = await self._queue.get()
            self._in_flight += 1
            try:
                try:
                    result = await self._deliver(delivery)
                except Exception as error:  # a bug in a composer or messenger: keep the worker alive
                    log.exception("delivery %s failed unexpectedly", delivery.id)
                    result = self._transient(delivery, f"internal error: {type(error).__name__}", delivery.parts_sent)
                self.stats.outcomes[(delivery.channel, result.state.value)] += 1
                self._results.put_nowait((delivery, result))
            finally:
                self._in_flight -= 1

    async def _deliver(self, delivery: Claimed) -> Result:
        messenger = self._messengers.get(delivery.channel)
        if messenger is None:
            return self._final(delivery, State.failed, f"no messenger for channel {delivery.channel!r}")
        if delivery.user_status == "blocked":
            return self._final(delivery, State.blocked, "the citizen had blocked the bot")
        if delivery.kind is Kind.broadcast and delivery.muted:
            return self._final(delivery, State.skipped, "muted")
        if (delivery.topic, delivery.ref_id) in self._held:  # paused (or cancelled) since it was claimed
            return Result(delivery.id, State.pending, delivery.attempts, delivery.parts_sent, reason="held")
        if isinstance(messenger, Windowed):
            refused = messenger.admits(delivery, self._clock())
            if refused is not None:
                return self._final(delivery, State.skipped, refused.reason)
        topic = self._topics.get(delivery.topic)
        if topic is None:
            return self._final(delivery, State.failed, f"no composer for topic {delivery.topic!r}")
        views = await self._compose(topic, delivery)
        if not views:
            return self._final(delivery, State.skipped, "nothing to send")
        parts, first_id = delivery.parts_sent, None
        for index in range(delivery.parts_sent, len(views)):
            if index > delivery.parts_sent:
                await asyncio.sleep(messenger.limits.chat_interval)  # one chat takes about a message a second
            outcome = await self._send_paced(messenger, delivery, views[index])
            if outcome is None:  # paused while it waited for its slot
                return Result(delivery.id, State.pending, delivery.attempts, parts, reason="held")
            if not isinstance(outcome, Delivered):
                return self._after(delivery, outcome, parts)
            parts += 1
            first_id = first_id or outcome.message_id
        return Result(delivery.id, State.sent, delivery.attempts + 1, parts, message_id=first_id)

    async def _compose(self, topic: Topic, delivery: Claimed) -> Sequence[View]:
        uow = self._work()
        try:
            with use_locale(delivery.language):
                return await topic.compose(ComposeContext(uow, delivery, self._content))
        finally:
            await uow.close()

    async def _send_paced(self, messenger: Messenger, delivery: Claimed, view: View) -> Outcome | None:
        """The channel's answer, once the gate lets this send through; None when its broadcast was paused
        meanwhile (nothing was sent)."""
        channel, limits = messenger.channel, messenger.limits
        pauses = 0
        while True:
            wait = await self._gate.reserve(channel, limits)
            if wait > 0:
                await asyncio.sleep(wait)
            paused = await self._gate.paused_for(channel)
            if paused > 0:  # a flood answer came while this one waited for its slot
                await asyncio.sleep(paused)
                continue
            if (delivery.topic, delivery.ref_id) in self._held:
                return None
            if delivery.target_message_id is not None:
                outcome = await messenger.edit(delivery.chat_id, delivery.target_message_id, view)
            else:
                outcome = await messenger.send(delivery.chat_id, view)
            if not isinstance(outcome, RetryAfter):
                if isinstance(outcome, Delivered):
                    self.stats.messages[channel] += 1
                return outcome
            self.stats.flood_pauses[channel] += 1
            log.warning("%s asked to wait %.0f s: every sender pauses", channel, outcome.seconds)
            await self._gate.pause(channel, outcome.seconds)
            pauses += 1
            if pauses >= MAX_PAUSES_IN_HAND:
                return outcome

    def _final(self, delivery: Claimed, state: State, reason: str | None) -> Result:
        return Result(delivery.id, state, delivery.attempts + 1, delivery.parts_sent, reason=reason)

    def _after(self, delivery: Claimed, outcome: Outcome, parts: int) -> Result:
        if isinstance(outcome, Blocked):
            return Result(delivery.id, State.blocked, delivery.attempts + 1, parts, reason=outcome.reason)
        if isinstance(outcome, Skipped):
            return Result(delivery.id, State.skipped, delivery.attempts + 1, parts, reason=outcome.reason)
        if isinstance(outcome, RetryAfter):
            later = self._clock() + timedelta(seconds=outcome.seconds)
            return Result(delivery.id, State.pending, delivery.attempts, parts, later, "flood limit")
        if isinstance(outcome, Failed) and outcome.transient:
            self.stats.transient_errors[delivery.channel] += 1
            return self._transient(delivery, outcome.reason, parts)
        reason = outcome.reason if isinstance(outcome, Failed) else repr(outcome)
        return Result(delivery.id, State.failed, delivery.attempts + 1, parts, reason=reason)

    def _transient(self, delivery: Claimed, reason: str, parts: int) -> Result:
        attempts = delivery.attempts + 1
        if attempts >= self.settings.max_attempts:
            return Result(delivery.id, State.failed, attempts, parts, reason=f"{reason} (after {attempts} tries)")
        base = self.settings.backoff_seconds * 2 ** (attempts - 1)
        wait = min(self.settings.backoff_cap_seconds, base) * random.uniform(0.8, 1.2)  # jitter, so retries spread out
        later = self._clock() + timedelta(seconds=wait)
        return Result(delivery.id, State.pending, attempts, parts, later, reason)

    # ---------------------------------------------------------------- writing results

    async def _write(self) -> None:
        while True:
            group = [await self._results.get()]
            while len(group) < WRITE_GROUP and not self._results.empty():
                group.append(self._results.get_nowait())
            await self._write_group(group)

    async def _write_group(self, group: list[tuple[Claimed, Result]]) -> None:
        delay = 0.05
        while True:
            uow = self._work()
            try:
                async with uow:
                    await uow[OUTBOX].record([result for _, result in group], self._clock())
                    for delivery, result in group:
                        if result.state is State.blocked and delivery.user_status != "blocked":
                            await uow.users.update(delivery.user_id, status="blocked")
                    await uow.commit()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("writing %d delivery results failed; trying again", len(group))
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)
            finally:
                await uow.close()

    # ---------------------------------------------------------------- leases, recovery, ticks

    async def _recover(self, at_start: bool = False) -> None:
        now = self._clock()
        stale = (
            None if at_start and self.settings.single_process else now - timedelta(seconds=self.settings.lease_seconds)
        )
        uow = self._work()
        try:
            async with uow:
                recovered = await uow[OUTBOX].recover(stale)
                await uow.commit()
        finally:
            await uow.close()
        if recovered:
            log.warning("%d deliveries claimed by a stopped process are queued again", recovered)

    async def _keep_leases(self) -> None:
        interval = self.settings.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                uow = self._work()
                try:
                    async with uow:
                        await uow[OUTBOX].renew(self.worker_id, self._clock())
                        await uow.commit()
                finally:
                    await uow.close()
                await self._recover()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("renewing delivery leases failed")

    async def _read_holds(self) -> None:
        uow = self._work()
        try:
            async with uow:
                self._held = await uow[OUTBOX].holds()
        finally:
            await uow.close()

    async def _watch_holds(self) -> None:
        """What is claimed but not yet sent is not sent once its broadcast is paused, in every process."""
        interval = min(0.5, self.settings.poll_seconds)
        while True:
            await asyncio.sleep(interval)
            if self._queue.empty() and self._in_flight == 0:
                continue  # nothing in hand: claims leave held deliveries out by themselves
            try:
                await self._read_holds()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading paused broadcasts failed")

    async def _tick(self) -> None:
        while True:
            for topic in self._topics.values():
                if topic.tick is None:
                    continue
                uow = self._work()
                now = self._clock()
                try:
                    if await topic.tick(HookContext(uow, now, self._loud(now), self._content)):
                        self.wake()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("periodic work of %s failed", topic.name)
                finally:
                    await uow.close()
            await asyncio.sleep(self.settings.tick_seconds)

    async def _shut_down(self) -> None:
        """A clean stop: results already known are written, claims not yet begun are handed back."""
        group = []
        while not self._results.empty():
            group.append(self._results.get_nowait())
        unsent = []
        while not self._queue.empty():
            unsent.append(self._queue.get_nowait().id)
        uow = self._work()
        try:
            async with uow:
                if group:
                    await uow[OUTBOX].record([result for _, result in group], self._clock())
                if unsent:
                    await uow[OUTBOX].release(self.worker_id, unsent)
                await uow.commit()
        except Exception:
            log.exception("could not hand back %d claimed deliveries; they return when the lease ends", len(unsent))
        finally:
            await uow.close()

    async def close(self) -> None:
        await self._gate.close()
        for messenger in self._messengers.values():
            await messenger.close()
