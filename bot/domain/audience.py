"""Who uses the bot: counts for staff, no personal data."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.ports import Work


@dataclass(frozen=True)
class AudienceSummary:
    total: int
    by_language: dict[str | None, int]
    by_status: dict[str | None, int]
    with_unit: int


async def summary(uow: Work) -> AudienceSummary:
    async with uow:
        by_unit = await uow.users.count_by("unit_code")
        return AudienceSummary(
            total=await uow.users.count(),
            by_language=await uow.users.count_by("language"),
            by_status=await uow.users.count_by("status"),
            with_unit=sum(count for code, count in by_unit.items() if code is not None),
        )
