"""Repositories: queries in, dataclasses out. They never commit."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Unpack

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.core import rowcount, run
from bot.db.models import AuditEntry, Role, Unit, User
from bot.domain.ports import UserChanges
from bot.domain.records import UnitRecord, UserRecord


def _unit(row: Unit) -> UnitRecord:
    return UnitRecord(
        code=row.code,
        name=row.name,
        kind=row.kind,
        parent_code=row.parent_code,
        headcount=row.headcount,
        help_name=row.help_name,
        help_phone=row.help_phone,
        help_hours=row.help_hours,
    )


def _user(row: User) -> UserRecord:
    return UserRecord(
        id=row.id,
        platform=row.platform,
        platform_user_id=row.platform_user_id,
        chat_id=row.chat_id,
        language=row.language,
        unit_code=row.unit_code,
        status=row.status,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        source=row.source,
        consent_at=row.consent_at,
    )


class UnitRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, code: str) -> UnitRecord | None:
        row = await self._session.get(Unit, code)
        return _unit(row) if row else None

    async def children(self, parent_code: str | None) -> list[UnitRecord]:
        query = select(Unit).where(
            Unit.parent_code.is_(None) if parent_code is None else Unit.parent_code == parent_code
        )
        rows = await self._session.scalars(query.order_by(Unit.name))
        return [_unit(row) for row in rows]

    async def all_codes(self) -> set[str]:
        return set(await self._session.scalars(select(Unit.code)))

    async def upsert_many(self, units: Iterable[UnitRecord]) -> int:
        count = 0
        # Parents first, so foreign keys hold at every insert.
        for record in units:
            row = await self._session.get(Unit, record.code)
            if row is None:
                row = Unit(code=record.code)
                self._session.add(row)
            row.name, row.kind, row.parent_code = record.name, record.kind, record.parent_code
            row.headcount, row.help_name = record.headcount, record.help_name
            row.help_phone, row.help_hours = record.help_phone, record.help_hours
            await self._session.flush()
            count += 1
        return count

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(Unit)) or 0)


class UserRepository:
    def __init__(self, session: AsyncSession, changed_ids: set[int] | None = None) -> None:
        self._session = session
        # Ids of users changed through this repository, so caches can drop them.
        self.changed_ids = changed_ids if changed_ids is not None else set()

    async def get(self, platform: str, platform_user_id: str) -> UserRecord | None:
        row = await self._row(platform, platform_user_id)
        return _user(row) if row else None

    async def get_by_id(self, user_id: int) -> UserRecord | None:
        row = await self._session.get(User, user_id)
        return _user(row) if row else None

    async def _row(self, platform: str, platform_user_id: str) -> User | None:
        return await self._session.scalar(
            select(User).where(User.platform == platform, User.platform_user_id == platform_user_id)
        )

    async def add(
        self, platform: str, platform_user_id: str, chat_id: str, now: datetime, source: str | None
    ) -> UserRecord:
        row = User(
            platform=platform,
            platform_user_id=platform_user_id,
            chat_id=chat_id,
            status="active",
            first_seen=now,
            last_seen=now,
            source=source,
        )
        self._session.add(row)
        await self._session.flush()
        return _user(row)

    async def update(self, user_id: int, **values: Unpack[UserChanges]) -> None:
        self.changed_ids.add(user_id)
        await run(self._session, update(User).where(User.id == user_id).values(**values))

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(User)) or 0)

    async def count_by(self, column: str) -> dict[str | None, int]:
        field = getattr(User, column)
        rows = await self._session.execute(select(field, func.count()).group_by(field))
        return {key: int(count) for key, count in rows}


class RoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def roles_of(self, platform: str, platform_user_id: str) -> set[str]:
        rows = await self._session.scalars(
            select(Role.role).where(Role.platform == platform, Role.platform_user_id == platform_user_id)
        )
        return set(rows)

    async def grant(self, platform: str, platform_user_id: str, role: str, by: str | None, now: datetime) -> bool:
        if role in await self.roles_of(platform, platform_user_id):
            return False
        self._session.add(
            Role(platform=platform, platform_user_id=platform_user_id, role=role, granted_by=by, granted_at=now)
        )
        await self._session.flush()
        return True

    async def revoke(self, platform: str, platform_user_id: str, role: str) -> bool:
        result = await self._session.execute(
            delete(Role).where(Role.platform == platform, Role.platform_user_id == platform_user_id, Role.role == role)
        )
        return bool(rowcount(result))

    async def staff(self, platform: str) -> list[tuple[str, str]]:
        rows = await self._session.execute(
            select(Role.platform_user_id, Role.role)
            .where(Role.platform == platform)
            .order_by(Role.platform_user_id, Role.role)
        )
        return [(user, role) for user, role in rows]


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self, actor: str, action: str, target: str | None, details: dict[str, Any] | None, now: datetime
    ) -> None:
        self._session.add(
            AuditEntry(
                actor=actor,
                action=action,
                target=target,
                at=now,
                details=json.dumps(details, ensure_ascii=False) if details else None,
            )
        )

    async def recent(self, limit: int = 50) -> list[tuple[datetime, str, str, str | None]]:
        rows = await self._session.execute(
            select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.target)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]
