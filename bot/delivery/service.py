"""Queueing deliveries, for the features that send on their own; and counts for operations."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.delivery.ports import OUTBOX
from bot.delivery.records import NewDelivery, State
from bot.domain.clock import utcnow
from bot.domain.ports import Work

# Something that tells this process's worker that work was queued (DeliveryWorker.wake), or nothing.
Waker = Callable[[], None]


async def enqueue(uow: Work, deliveries: Sequence[NewDelivery]) -> int:
    """Queue deliveries inside the caller's open transaction (the caller commits): what is queued is committed
    with the change it is about, or not at all. A delivery already queued for the same key is not queued twice."""
    if not deliveries:
        return 0
    return await uow[OUTBOX].add(deliveries, utcnow())


async def counts_by_state(uow: Work) -> dict[State, int]:
    """Every delivery in the outbox by state, e.g. for a "deliveries by state" gauge."""
    async with uow:
        return await uow[OUTBOX].count_by_state()
