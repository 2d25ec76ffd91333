"""What the delivery room needs from the outside: storage (the outbox), one messenger per channel, and a gate
that paces sends (in this process, or shared by every process through Redis)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.delivery.records import ChannelLimits, Claimed, NewDelivery, Outcome, Skipped, State
from bot.domain.ports import StoreKey
from bot.ui.view import View


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one claimed delivery (written back in groups, see the worker)."""

    id: int
    state: State
    attempts: int
    parts_sent: int
    not_before: datetime | None = None
    reason: str | None = None
    message_id: str | None = None


class OutboxStore(Protocol):
    async def add(self, deliveries: Sequence[NewDelivery], now: datetime) -> int:
        """Queue these; one already queued for the same (topic, ref_id, user) is left as it is. How many were new."""

    async def claim(self, worker: str, limit: int, now: datetime, loud: bool) -> list[Claimed]:
        """Up to `limit` due pending deliveries, notices first, now `sending` and claimed by `worker`; two workers
        never get the same one (FOR UPDATE SKIP LOCKED on PostgreSQL). `loud`: outside quiet hours, so
        broadcasts that are not urgent may go too."""

    async def record(self, results: Sequence[Result], now: datetime) -> None: ...
    async def renew(self, worker: str, now: datetime) -> int:
        """Extend the lease of every delivery `worker` holds."""

    async def recover(self, stale_before: datetime | None) -> int:
        """Deliveries claimed before `stale_before` (all claimed ones when None) are pending again: whoever
        claimed them died. How many."""

    async def release(self, worker: str, ids: Sequence[int]) -> int:
        """Claimed deliveries `worker` will not send after all are pending again."""

    async def hold(self, topic: str, ref_id: int, now: datetime) -> None:
        """Deliveries of (topic, ref_id) are not claimed until `unhold` (a paused broadcast)."""

    async def unhold(self, topic: str, ref_id: int) -> None: ...
    async def holds(self) -> set[tuple[str, int]]:
        """Every held (topic, ref_id), paused or cancelled."""

    async def cancel(self, topic: str, ref_id: int, reason: str, now: datetime) -> int:
        """Every delivery of (topic, ref_id) not yet sent is cancelled, now and when an in-flight try ends."""

    async def counts(self, topic: str, ref_id: int) -> dict[State, int]: ...
    async def counts_by_unit(self, topic: str, ref_id: int) -> dict[str | None, dict[State, int]]: ...
    async def reasons(self, topic: str, ref_id: int, state: State) -> dict[str, int]:
        """Deliveries of (topic, ref_id) in `state`, by the reason recorded (a channel's window, muted…)."""

    async def count_by_state(self) -> dict[State, int]:
        """Every delivery by state (for operations' metrics)."""

    async def rearm(self, delivery: NewDelivery, now: datetime) -> bool:
        """Queue `delivery` again, to be sent not before its `not_before`, unless one for the same key is
        still waiting or being sent. False when nothing changed."""

    async def mute(self, user_id: int, now: datetime) -> bool:
        """The citizen gets no broadcasts (notices still come). False if already muted."""

    async def unmute(self, user_id: int) -> bool: ...
    async def is_muted(self, user_id: int) -> bool: ...
    async def last_done_at(self, topic: str, ref_id: int, user_id: int) -> datetime | None: ...
    async def latest(self, user_id: int, topic: str, limit: int) -> list[tuple[int, datetime]]:
        """(ref_id, sent at) of the newest deliveries of `topic` sent to the citizen, newest first."""


OUTBOX: StoreKey[OutboxStore] = StoreKey("outbox")


class Messenger(Protocol):
    """One channel's way to reach a citizen's chat. Never raises for what the channel answers: every answer is
    an Outcome (a bug or a cancellation still raises)."""

    @property
    def channel(self) -> str: ...
    @property
    def limits(self) -> ChannelLimits: ...
    async def send(self, chat_id: str, view: View) -> Outcome: ...
    async def edit(self, chat_id: str, message_id: str, view: View) -> Outcome: ...
    async def close(self) -> None:
        """Let go of the channel's connections (at shutdown)."""


@runtime_checkable
class Windowed(Protocol):
    """A messenger whose channel lets the bot write only for a while after the citizen's last interaction (Zalo:
    free for 48 hours, charged up to 7 days, refused after): asked before each delivery is composed."""

    def admits(self, delivery: Claimed, now: datetime) -> Skipped | None:
        """None: send it; otherwise it is skipped with this reason (shown in the broadcast's report)."""


class Gate(Protocol):
    """Paces sends per channel: a token bucket, and a pause of every sender after a flood answer."""

    async def reserve(self, channel: str, limits: ChannelLimits) -> float:
        """Take the next slot of the channel's bucket: seconds to wait before sending (0: now)."""

    async def pause(self, channel: str, seconds: float) -> None:
        """No sender of this channel, in any process sharing the gate, sends for `seconds`."""

    async def paused_for(self, channel: str) -> float:
        """Seconds the channel's senders still wait (0: not paused)."""

    async def close(self) -> None: ...
