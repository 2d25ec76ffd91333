"""Unit of work: one database session, opened per update or per command.

Services use it as `async with uow:` around one transaction and call
`await uow.commit()`; leaving the block without commit rolls back. Ending every
transaction before talking to the network keeps SQLite's write lock short.

The stores every bot has are attributes (`uow.users`, `uow.units`, `uow.roles`, `uow.audit`); a feature's
store is reached by its typed key (`uow[QUIZ]`), from the bindings the features declare (bot.features).
Stores are made on first use: most updates need one or two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repositories import AuditRepository, RoleRepository, UnitRepository, UserRepository
from bot.domain.ports import StoreKey

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class StoreBinding:
    key: StoreKey[Any]
    factory: Callable[[AsyncSession], object]


def bind(key: StoreKey[S], factory: Callable[[AsyncSession], S]) -> StoreBinding:
    """A feature's store: mypy checks that what `factory` makes satisfies the key's protocol."""
    return StoreBinding(key, factory)


class UnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], stores: Iterable[StoreBinding] = ()) -> None:
        self._factory = session_factory
        self._bindings = {binding.key: binding.factory for binding in stores}
        self._session: AsyncSession | None = None
        self._made: dict[StoreKey[Any], object] = {}
        self._users: UserRepository | None = None
        self._units: UnitRepository | None = None
        self._roles: RoleRepository | None = None
        self._audit: AuditRepository | None = None
        self._depth = 0
        # Ids of users changed through this unit of work, so that caches can drop them.
        self.changed_user_ids: set[int] = set()

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._factory()
        return self._session

    @property
    def users(self) -> UserRepository:
        if self._users is None:
            self._users = UserRepository(self.session, self.changed_user_ids)
        return self._users

    @property
    def units(self) -> UnitRepository:
        if self._units is None:
            self._units = UnitRepository(self.session)
        return self._units

    @property
    def roles(self) -> RoleRepository:
        if self._roles is None:
            self._roles = RoleRepository(self.session)
        return self._roles

    @property
    def audit(self) -> AuditRepository:
        if self._audit is None:
            self._audit = AuditRepository(self.session)
        return self._audit

    def __getitem__(self, key: StoreKey[S]) -> S:
        store = self._made.get(key)
        if store is None:
            factory = self._bindings.get(key)
            if factory is None:
                raise KeyError(f"no store {key.name!r} here: is its feature listed in bot.features?")
            store = self._made[key] = factory(self.session)
        return cast(S, store)  # bind() checked the factory against the key's protocol

    async def __aenter__(self) -> Self:
        _ = self.session  # open lazily
        self._depth += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._session is not None and self._session.in_transaction():
            # Anything not committed is thrown away.
            await self._session.rollback()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            self._made.clear()
            self._users = self._units = self._roles = self._audit = None
