"""A citizen's way through a guide: durable progress and funnel events, one transaction per action.

Every action names the step the citizen is looking at and the guide version its
button was made for; it is applied only if both still match the stored
progress of the person pressing, so old, edited or foreign buttons change nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.clock import utcnow
from bot.domain.guides.ports import GUIDES
from bot.domain.guides.records import EventKind, GuideProgress, ProgressStatus
from bot.domain.guides.schema import Guide
from bot.domain.ports import Work
from bot.domain.records import UserRecord

MAX_REASON = 500
log = logging.getLogger(__name__)


class Move(StrEnum):
    next = "n"
    back = "b"
    resume = "c"  # show the stored step again
    restart = "r"
    stuck = "k"
    done = "d"


async def _record(
    uow: Work,
    user: UserRecord,
    language: str,
    guide_id: str,
    kind: EventKind,
    now: datetime,
    step: int | None = None,
    detail: str | None = None,
) -> None:
    await uow[GUIDES].record(user.id, user.unit_code, language, guide_id, kind, now, step=step, detail=detail)


def _fresh(user_id: int, guide: Guide, now: datetime, ticked: frozenset[int] = frozenset()) -> GuideProgress:
    return GuideProgress(
        user_id=user_id,
        guide_id=guide.id,
        step=0,
        ticked=ticked,
        version=guide.version,
        status=ProgressStatus.active,
        updated_at=now,
    )


def _reconciled(progress: GuideProgress, guide: Guide) -> GuideProgress:
    """Progress saved against an older edit of the guide: same place, clamped; ticks no longer mean the same."""
    if progress.version == guide.version:
        return progress
    return replace(progress, version=guide.version, step=min(progress.step, len(guide.steps)), ticked=frozenset())


async def open_guide(uow: Work, user: UserRecord, language: str, guide: Guide) -> GuideProgress:
    """Open a guide at its overview; unfinished progress is kept so that it can be resumed."""
    now = utcnow()
    async with uow:
        stored = await uow[GUIDES].progress(user.id, guide.id)
        if stored is None or stored.status is ProgressStatus.done:
            progress = _fresh(user.id, guide, now)
        else:
            progress = replace(_reconciled(stored, guide), status=ProgressStatus.active)
        await uow[GUIDES].save(progress, now)
        await _record(uow, user, language, guide.id, EventKind.opened, now)
        await uow.commit()
    return progress


async def latest_unfinished(uow: Work, user_id: int, known: set[str]) -> GuideProgress | None:
    async with uow:
        progress = await uow[GUIDES].latest_unfinished(user_id)
    return progress if progress and progress.guide_id in known else None


async def current(uow: Work, user_id: int, guide: Guide) -> GuideProgress | None:
    async with uow:
        stored = await uow[GUIDES].progress(user_id, guide.id)
    return _reconciled(stored, guide) if stored else None


async def toggle_item(uow: Work, user: UserRecord, guide: Guide, version: str, item: int) -> GuideProgress | None:
    """Tick or untick one checklist item. None: the button is stale."""
    if version != guide.version or not 0 <= item < len(guide.documents):
        return None
    now = utcnow()
    async with uow:
        stored = await uow[GUIDES].progress(user.id, guide.id)
        if stored is None or stored.version != guide.version or stored.status is ProgressStatus.done:
            return None
        progress = replace(stored, ticked=stored.ticked ^ {item}, status=ProgressStatus.active)
        await uow[GUIDES].save(progress, now)
        await uow.commit()
    return progress


async def move(
    uow: Work, user: UserRecord, language: str, guide: Guide, version: str, shown: int, action: Move
) -> GuideProgress | None:
    """Apply a button pressed on the message showing step `shown` (0 = overview). None: stale."""
    total = len(guide.steps)
    if version != guide.version or not 0 <= shown <= total:
        return None
    now = utcnow()
    async with uow:
        stored = await uow[GUIDES].progress(user.id, guide.id)
        if stored is None:
            return None
        progress = _reconciled(stored, guide)
        if progress.step != shown or (progress.status is ProgressStatus.done and action is not Move.restart):
            return None
        target = _target(action, shown, total)
        if target is None:
            return None
        status = ProgressStatus.done if action is Move.done else ProgressStatus.active
        progress = replace(progress, step=target, status=status)
        await uow[GUIDES].save(progress, now)
        if action is Move.stuck:
            await _record(uow, user, language, guide.id, EventKind.stuck, now, step=shown)
        elif action is Move.done:
            await _record(uow, user, language, guide.id, EventKind.done, now, step=shown)
        elif target >= 1:
            await _record(uow, user, language, guide.id, EventKind.step, now, step=target)
        await uow.commit()
    return progress


def _target(action: Move, shown: int, total: int) -> int | None:
    """The step an action leads to, or None when it makes no sense from here."""
    if action is Move.next:
        return shown + 1 if shown < total else None
    if action is Move.back:
        return shown - 1 if shown >= 1 else None
    if action is Move.restart:
        return 1
    if action in (Move.resume, Move.stuck):
        return shown if shown >= 1 else None
    if action is Move.done:
        return shown if shown == total else None
    return None


async def give_feedback(uow: Work, user: UserRecord, language: str, guide: Guide, helpful: bool) -> bool:
    """👍 or 👎 once per finished walk through the guide. False: nothing to rate (stale)."""
    now = utcnow()
    async with uow:
        stored = await uow[GUIDES].progress(user.id, guide.id)
        if stored is None or stored.status is not ProgressStatus.done:
            return False
        if await uow[GUIDES].has_event_since(user.id, guide.id, EventKind.feedback, stored.updated_at):
            return False
        await _record(
            uow, user, language, guide.id, EventKind.feedback, now, step=None, detail="up" if helpful else "down"
        )
        await uow.commit()
    return True


async def give_reason(uow: Work, user: UserRecord, language: str, guide_id: str, text: str) -> None:
    now = utcnow()
    async with uow:
        await _record(uow, user, language, guide_id, EventKind.reason, now, detail=" ".join(text.split())[:MAX_REASON])
        await uow.commit()


async def mark_abandoned(uow: Work, older_than: timedelta, now: datetime | None = None) -> int:
    """Active progress untouched for `older_than` becomes abandoned, with one event each. Safe to run anywhere."""
    now = now or utcnow()
    async with uow:
        rows = await uow[GUIDES].mark_abandoned(now - older_than, now)
        context = await uow[GUIDES].users_context({row.user_id for row in rows})
        for row in rows:
            unit_code, language = context.get(row.user_id, (None, None))
            await uow[GUIDES].record(
                row.user_id, unit_code, language, row.guide_id, EventKind.abandoned, now, step=row.step
            )
        await uow.commit()
    return len(rows)


async def sweep_forever(new_uow: Callable[[], Any], older_than: timedelta, every: timedelta) -> None:
    """Background task of a running bot: mark abandoned guides every few minutes until cancelled."""
    while True:
        uow = new_uow()
        try:
            count = await mark_abandoned(uow, older_than)
            if count:
                log.info("%d guide walk(s) marked abandoned", count)
        except Exception:  # a database hiccup must not end the sweeping for good
            log.warning("abandoned-guides sweep failed; will retry", exc_info=True)
        finally:
            await uow.close()
        await asyncio.sleep(every.total_seconds())
