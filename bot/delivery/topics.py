"""Topics: who composes a delivery at send time, and the features' hooks into the worker's loop.

A delivery stores only what it is about (topic and ref_id); its messages are composed when it is sent, in the
citizen's language at that moment, from what is stored then (a quiz result with its certificate, an
announcement's version for the citizen's language, an official's progress figures).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.delivery.records import Claimed
from bot.domain.ports import Work
from bot.ui.view import View


@dataclass(frozen=True, slots=True)
class ComposeContext:
    uow: Work  # for reads; the composer commits nothing
    delivery: Claimed
    content: Mapping[str, object]  # what the features loaded at start-up (e.g. "quiz_bank")


@dataclass(frozen=True, slots=True)
class HookContext:
    uow: Work
    now: datetime
    loud: bool  # outside quiet hours
    content: Mapping[str, object]


Compose = Callable[[ComposeContext], Awaitable[Sequence[View]]]
# Periodic work of a feature inside the worker's loop: returns how many deliveries it queued (0: none).
Hook = Callable[[HookContext], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    compose: Compose  # no views: nothing to send any more (the delivery is skipped)
    # Called when the worker finds fewer due deliveries than it could send: queue the next ones (a broadcast's
    # next slice of its audience). Keeps the outbox short however large the audience.
    refill: Hook | None = None
    # Called about once a second: start what is due, finish what is done, refresh progress messages.
    tick: Hook | None = None


def by_name(topics: Sequence[Topic]) -> dict[str, Topic]:
    named: dict[str, Topic] = {}
    for topic in topics:
        if topic.name in named and named[topic.name] is not topic:
            raise ValueError(f"two delivery topics are named {topic.name!r}")
        named[topic.name] = topic
    return named
