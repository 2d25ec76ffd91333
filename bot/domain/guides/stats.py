"""The guides funnel per guide: how many citizens opened, reached each step, got stuck, finished, rated.

Its text and its sheet are the reports' (bot.reports.stats)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.guides.ports import GUIDES
from bot.domain.guides.records import EventKind
from bot.domain.guides.service import mark_abandoned
from bot.domain.ports import Work


@dataclass
class GuideFunnel:
    guide_id: str
    steps: int
    opened: int = 0
    reached: dict[int, int] = field(default_factory=dict)
    stuck: dict[int, int] = field(default_factory=dict)
    abandoned: dict[int, int] = field(default_factory=dict)
    done: int = 0
    helpful: int = 0
    not_helpful: int = 0


def build_funnels(
    counts: list[tuple[str, str, int | None, str | None, int]], steps: dict[str, int]
) -> list[GuideFunnel]:
    """Counts of distinct citizens per (guide, kind, step, detail) → one funnel per guide, in catalogue order."""
    funnels = {guide_id: GuideFunnel(guide_id, total) for guide_id, total in steps.items()}
    for guide_id, kind, step, detail, citizens in counts:
        funnel = funnels.setdefault(guide_id, GuideFunnel(guide_id, 0))
        if kind == EventKind.opened.value:
            funnel.opened += citizens
        elif kind == EventKind.step.value and step is not None:
            funnel.reached[step] = funnel.reached.get(step, 0) + citizens
        elif kind == EventKind.stuck.value and step is not None:
            funnel.stuck[step] = funnel.stuck.get(step, 0) + citizens
        elif kind == EventKind.abandoned.value and step is not None:
            funnel.abandoned[step] = funnel.abandoned.get(step, 0) + citizens
        elif kind == EventKind.done.value:
            funnel.done += citizens
        elif kind == EventKind.feedback.value:
            if detail == "up":
                funnel.helpful += citizens
            elif detail == "down":
                funnel.not_helpful += citizens
    return list(funnels.values())


async def guide_funnels(uow: Work, steps: dict[str, int], abandon_after: timedelta) -> list[GuideFunnel]:
    """Sweep stale progress first, so that 'left here' is current."""
    await mark_abandoned(uow, abandon_after)
    async with uow:
        counts = await uow[GUIDES].event_counts()
    return build_funnels(counts, steps)
