"""What the guides need from storage (implemented by bot.db.guides.GuideRepository and by the tests' fake)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.guides.records import AbandonedRow, EventKind, GuideProgress
from bot.domain.ports import StoreKey

# (guide id, kind, step, detail, distinct citizens)
EventCount = tuple[str, str, int | None, str | None, int]


class GuideStore(Protocol):
    async def progress(self, user_id: int, guide_id: str) -> GuideProgress | None: ...
    async def latest_unfinished(self, user_id: int) -> GuideProgress | None:
        """The guide the citizen touched last and did not finish (active or abandoned)."""

    async def save(self, progress: GuideProgress, now: datetime) -> None: ...
    async def record(
        self,
        user_id: int,
        unit_code: str | None,
        language: str | None,
        guide_id: str,
        kind: EventKind,
        now: datetime,
        step: int | None = None,
        detail: str | None = None,
    ) -> None: ...
    async def mark_abandoned(self, cutoff: datetime, now: datetime) -> list[AbandonedRow]:
        """Active progress last touched before `cutoff` becomes abandoned; the rows claimed here."""

    async def users_context(self, user_ids: set[int]) -> dict[int, tuple[str | None, str | None]]:
        """Unit code and language of each user, for events recorded outside a conversation."""

    async def event_counts(self) -> list[EventCount]:
        """Distinct citizens per (guide, kind, step, detail); free-text reasons are not grouped."""

    async def has_event_since(self, user_id: int, guide_id: str, kind: EventKind, since: datetime) -> bool: ...


GUIDES: StoreKey[GuideStore] = StoreKey("guides")
