"""What broadcasts need from storage (implemented by bot.db.broadcasts.BroadcastRepository and the tests' fake)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypedDict, Unpack

from bot.domain.broadcasts.records import Audience, Broadcast, BroadcastState, Version
from bot.domain.ports import StoreKey


class BroadcastChanges(TypedDict, total=False):
    state: BroadcastState
    audience: Audience
    urgent: bool
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    total: int | None
    cursor: int
    last_user_id: int | None
    progress_message_id: str | None
    progress_note: str | None


class AudienceScope(TypedDict):
    """What every audience query needs besides the audience itself."""

    channels: tuple[str, ...]  # citizens on these messengers (those the bot can send to)
    default_locale: str  # a citizen who never chose a language reads this one


class BroadcastStore(Protocol):
    async def create(self, created_by: str, creator_user_id: int | None, now: datetime) -> Broadcast: ...
    async def get(self, broadcast_id: int, lock: bool = False) -> Broadcast | None:
        """`lock`: hold the row until the transaction ends (PostgreSQL), so two processes change it in turn."""

    async def update(self, broadcast_id: int, now: datetime, **changes: Unpack[BroadcastChanges]) -> None: ...
    async def transition(
        self,
        broadcast_id: int,
        from_states: Iterable[BroadcastState],
        now: datetime,
        **changes: Unpack[BroadcastChanges],
    ) -> bool:
        """Apply `changes` only while the broadcast is in one of `from_states`; whether it was."""

    async def set_version(self, broadcast_id: int, version: Version) -> None: ...
    async def versions(self, broadcast_id: int, with_files: bool = True) -> list[Version]:
        """`with_files=False` leaves the files' bytes out (for lists)."""

    async def recent(self, limit: int, states: Iterable[BroadcastState] | None = None) -> list[Broadcast]: ...
    async def in_states(self, states: Iterable[BroadcastState]) -> list[Broadcast]: ...
    async def due(self, now: datetime) -> list[int]:
        """Scheduled broadcasts whose time has come."""

    async def last_user_id(self) -> int:
        """The newest citizen's id (0 when there is none)."""

    async def count_audience(self, audience: Audience, scope: AudienceScope, up_to_user_id: int | None) -> int: ...
    async def queue_slice(
        self, broadcast: Broadcast, scope: AudienceScope, size: int, now: datetime
    ) -> tuple[int, int]:
        """Queue deliveries for the next `size` citizens (by id) after the broadcast's cursor, those of them in
        its audience; returns (deliveries queued, the new cursor)."""

    async def unit_names(self, codes: Iterable[str]) -> dict[str, str]: ...


BROADCASTS: StoreKey[BroadcastStore] = StoreKey("broadcasts")
