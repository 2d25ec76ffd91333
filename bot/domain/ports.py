"""What the domain needs from storage, declared as protocols: services are typed against these, the
database repositories (bot.db) implement them, and tests/fakes.py implements them in memory.

A unit of work (`Work`) gives the stores every bot has as attributes (`uow.users`, `uow.units`, `uow.roles`,
`uow.audit`) and a feature's own store by its typed key (`uow[QUIZ]`, see bot.domain.quiz.ports): a feature
declares its key and its repository once (bot.features), and the unit of work needs no edit for it.
Stores never commit; services open `async with uow:` around one transaction and call `await uow.commit()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypedDict, TypeVar, Unpack

from bot.domain.records import UnitRecord, UserRecord

S = TypeVar("S")
T = TypeVar("T")


def found(value: T | None, what: str) -> T:
    """A row the transaction itself just wrote or read: missing means a bug, not a citizen's mistake."""
    if value is None:
        raise LookupError(f"{what} is not stored")
    return value


class StoreKey(Generic[S]):
    """The typed name of a feature's store: `QUIZ: StoreKey[QuizStore] = StoreKey("quiz")`."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"StoreKey({self.name!r})"


class UserChanges(TypedDict, total=False):
    chat_id: str
    language: str | None
    unit_code: str | None
    status: str
    last_seen: datetime
    source: str | None
    consent_at: datetime | None


class UserStore(Protocol):
    async def get(self, platform: str, platform_user_id: str) -> UserRecord | None: ...
    async def get_by_id(self, user_id: int) -> UserRecord | None: ...
    async def add(
        self, platform: str, platform_user_id: str, chat_id: str, now: datetime, source: str | None
    ) -> UserRecord: ...
    async def update(self, user_id: int, **values: Unpack[UserChanges]) -> None: ...
    async def count(self) -> int: ...
    async def count_by(self, column: str) -> dict[str | None, int]: ...


class UnitStore(Protocol):
    async def get(self, code: str) -> UnitRecord | None: ...
    async def children(self, parent_code: str | None) -> list[UnitRecord]: ...
    async def all_codes(self) -> set[str]: ...
    async def upsert_many(self, units: Iterable[UnitRecord]) -> int: ...
    async def count(self) -> int: ...


class RoleStore(Protocol):
    async def roles_of(self, platform: str, platform_user_id: str) -> set[str]: ...
    async def grant(self, platform: str, platform_user_id: str, role: str, by: str | None, now: datetime) -> bool: ...
    async def revoke(self, platform: str, platform_user_id: str, role: str) -> bool: ...
    async def staff(self, platform: str) -> list[tuple[str, str]]:
        """(platform user id, role) of every role granted on the platform, by user id and role."""


class AuditStore(Protocol):
    async def record(
        self, actor: str, action: str, target: str | None, details: dict[str, Any] | None, now: datetime
    ) -> None: ...
    async def recent(self, limit: int = 50) -> list[tuple[datetime, str, str, str | None]]: ...


class Work(Protocol):
    """One unit of work: one transaction at a time, stores made on first use."""

    @property
    def users(self) -> UserStore: ...
    @property
    def units(self) -> UnitStore: ...
    @property
    def roles(self) -> RoleStore: ...
    @property
    def audit(self) -> AuditStore: ...
    def __getitem__(self, key: StoreKey[S]) -> S: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    async def close(self) -> None: ...
