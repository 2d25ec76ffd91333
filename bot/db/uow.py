"""Unit of work: one database session, opened per update or per command.

Services use it as `async with uow:` around one transaction and call
`await uow.commit()`; leaving the block without commit rolls back. Ending every
transaction before talking to the network keeps SQLite's write lock short.
"""
from __future__ import annotations

from types import TracebackType
from typing import Any, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.extensions import extension
from bot.db.repositories import AuditRepository, RoleRepository, UnitRepository, UserRepository

_CORE_REPOSITORIES: dict[str, Callable[[AsyncSession], Any]] = {
    "units": UnitRepository, "roles": RoleRepository, "audit": AuditRepository,
}


class UnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = session_factory
        self._session: AsyncSession | None = None
        self._repositories: dict[str, Any] = {}
        self._depth = 0
        self.changed_user_ids: set[int] = set()

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._factory()
            self._repositories.clear()
        return self._session

    def __getattr__(self, name: str) -> Any:
        """Repositories (`uow.users`, `uow.guides`…), made on first use: most updates need one or two."""
        if name.startswith("_"):
            raise AttributeError(name)
        repository = self._repositories.get(name)
        if repository is None:
            if name == "users":
                repository = UserRepository(self.session, self.changed_user_ids)
            elif name in _CORE_REPOSITORIES:
                repository = _CORE_REPOSITORIES[name](self.session)
            else:
                # Feature repositories are registered by name (see bot.db.extensions).
                factory = extension(name)
                if factory is None:
                    raise AttributeError(name)
                repository = factory(self.session)
            self._repositories[name] = repository
        return repository

    async def __aenter__(self) -> "UnitOfWork":
        self.session  # open lazily
        self._depth += 1
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
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
            self._repositories.clear()
