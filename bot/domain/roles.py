"""Roles of staff: who may broadcast, export results or administer."""

from __future__ import annotations

from bot.domain.clock import utcnow
from bot.domain.ports import Work

ROLES = ("admin", "official", "organizer")


class RoleError(ValueError):
    pass


async def grant(uow: Work, platform: str, platform_user_id: str, role: str, actor: str) -> bool:
    if role not in ROLES:
        raise RoleError(f"unknown role {role!r}; roles are: {', '.join(ROLES)}")
    async with uow:
        granted = await uow.roles.grant(platform, platform_user_id, role, by=actor, now=utcnow())
        if granted:
            await uow.audit.record(actor, "role.grant", f"{platform}:{platform_user_id}", {"role": role}, utcnow())
        await uow.commit()
    return granted


async def revoke(uow: Work, platform: str, platform_user_id: str, role: str, actor: str) -> bool:
    if role not in ROLES:
        raise RoleError(f"unknown role {role!r}; roles are: {', '.join(ROLES)}")
    async with uow:
        revoked = await uow.roles.revoke(platform, platform_user_id, role)
        if revoked:
            await uow.audit.record(actor, "role.revoke", f"{platform}:{platform_user_id}", {"role": role}, utcnow())
        await uow.commit()
    return revoked


async def roles_of(
    uow: Work, platform: str, platform_user_id: str, admin_ids: frozenset[str] = frozenset()
) -> set[str]:
    async with uow:
        roles = await uow.roles.roles_of(platform, platform_user_id)
    if platform_user_id in admin_ids:
        roles.add("admin")
    return roles


async def staff(uow: Work, platform: str) -> list[tuple[str, list[str]]]:
    """Everyone with a granted role on the platform: (user id, roles), by user id."""
    async with uow:
        granted = await uow.roles.staff(platform)
    people: dict[str, list[str]] = {}
    for user, role in granted:
        people.setdefault(user, []).append(role)
    return list(people.items())


def user_id_of(text: str) -> str | None:
    """A Telegram user id typed by a person (digits, at most 20), or None."""
    cleaned = text.strip()
    return cleaned if cleaned.isascii() and cleaned.isdigit() and 0 < len(cleaned) <= 20 and int(cleaned) > 0 else None
