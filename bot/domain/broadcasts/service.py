"""Broadcasts: compose, confirm, start on time, queue the audience slice by slice, pause, resume, cancel,
finish with a report, and what citizens see of them. Every action of staff goes to the audit log.

The audience is fixed when a broadcast starts: the citizens known then (ids up to `last_user_id`) who match it.
Their deliveries are queued a slice at a time, in id order, whenever the sender runs short (`refill`), with a
cursor committed together with the slice: a crash neither skips nor repeats a citizen, and the outbox holds a
few thousand rows however large the audience. Blocked and muted citizens are left out when their slice is
queued; a citizen who blocks the bot or mutes announcements later is skipped when their turn comes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.delivery.ports import OUTBOX
from bot.delivery.records import Kind, NewDelivery, State
from bot.domain.broadcasts import audience as audiences
from bot.domain.broadcasts.ports import BROADCASTS, AudienceScope
from bot.domain.broadcasts.records import (
    DEFAULT_VERSION,
    LIVE,
    PROGRESS_TOPIC,
    REPORT_TOPIC,
    TOPIC,
    Audience,
    Broadcast,
    BroadcastState,
    Progress,
    Report,
    UnitLine,
    Version,
)
from bot.domain.clock import utcnow
from bot.domain.platforms import TELEGRAM
from bot.domain.ports import Work

BROADCAST_ROLES = frozenset({"official", "admin"})
SLICE = 2000  # citizens looked at per refill
PROGRESS_EVERY = timedelta(seconds=5)  # the official's progress message is edited at most this often
ENDED_WATCH = timedelta(minutes=10)  # a broadcast that ended still gets its progress message's last edits
SYSTEM = "system"  # the actor of what happens on its own (a scheduled start, the end)


class BroadcastError(ValueError):
    """A broadcast cannot do this now (a draft without a message, a time in the past…)."""


def may_broadcast(roles: Iterable[str]) -> bool:
    return bool(BROADCAST_ROLES & set(roles))


def scope(default_locale: str, channels: tuple[str, ...] = (TELEGRAM,)) -> AudienceScope:
    return {"channels": channels, "default_locale": default_locale}


async def _audit(uow: Work, actor: str, action: str, broadcast_id: int, details: dict[str, object] | None) -> None:
    await uow.audit.record(actor, f"broadcast.{action}", f"broadcast:{broadcast_id}", details, utcnow())


# ---------------------------------------------------------------- composing


async def new_draft(uow: Work, actor: str, creator_user_id: int | None) -> Broadcast:
    async with uow:
        draft = await uow[BROADCASTS].create(actor, creator_user_id, utcnow())
        await uow.commit()
    return draft


async def get(uow: Work, broadcast_id: int) -> Broadcast | None:
    async with uow:
        return await uow[BROADCASTS].get(broadcast_id)


async def draft_of(uow: Work, broadcast_id: int, actor: str) -> Broadcast | None:
    """The actor's own draft, or None (someone else's, sent already, or unknown)."""
    broadcast = await get(uow, broadcast_id)
    if broadcast is None or broadcast.state is not BroadcastState.draft or broadcast.created_by != actor:
        return None
    return broadcast


async def save_version(uow: Work, broadcast_id: int, version: Version) -> None:
    async with uow:
        await uow[BROADCASTS].set_version(broadcast_id, version)
        await uow.commit()


async def versions(uow: Work, broadcast_id: int, with_files: bool = True) -> list[Version]:
    async with uow:
        return await uow[BROADCASTS].versions(broadcast_id, with_files)


async def set_audience(uow: Work, broadcast_id: int, audience: Audience) -> None:
    async with uow:
        await uow[BROADCASTS].update(broadcast_id, utcnow(), audience=audience)
        await uow.commit()


async def set_urgent(uow: Work, broadcast_id: int, urgent: bool) -> None:
    async with uow:
        await uow[BROADCASTS].update(broadcast_id, utcnow(), urgent=urgent)
        await uow.commit()


async def set_time(uow: Work, broadcast_id: int, at: datetime | None) -> None:
    """When the draft goes out once confirmed (None: at once)."""
    async with uow:
        await uow[BROADCASTS].update(broadcast_id, utcnow(), scheduled_at=at)
        await uow.commit()


async def count(uow: Work, audience: Audience, where: AudienceScope) -> int:
    """How many citizens the audience has now (blocked and muted ones left out)."""
    async with uow:
        return await uow[BROADCASTS].count_audience(audience, where, None)


@dataclass(frozen=True, slots=True)
class AudienceCheck:
    unknown_units: tuple[str, ...] = ()
    unknown_languages: tuple[str, ...] = ()


async def check_audience(uow: Work, audience: Audience, languages: Iterable[str]) -> AudienceCheck:
    async with uow:
        known = await uow.units.all_codes()
    shipped = set(languages)
    return AudienceCheck(
        unknown_units=tuple(code for code in audience.units if code not in known),
        unknown_languages=tuple(code for code in audience.languages if code not in shipped),
    )


async def confirm(
    uow: Work, broadcast_id: int, actor: str, where: AudienceScope, at: datetime | None = None
) -> Broadcast:
    """The draft becomes a broadcast: scheduled for `at`, or started now. BroadcastError when it cannot."""
    now = utcnow()
    async with uow:
        store = uow[BROADCASTS]
        draft = await store.get(broadcast_id, lock=True)
        if draft is None or draft.state is not BroadcastState.draft:
            raise BroadcastError("this broadcast is no longer a draft")
        if DEFAULT_VERSION not in draft.languages:
            raise BroadcastError("the broadcast has no message yet")
        details: dict[str, object] = {
            "audience": audiences.describe(draft.audience),
            "languages": [code or "default" for code in draft.languages],
            "urgent": draft.urgent,
        }
        await _audit(uow, actor, "created", broadcast_id, details)
        if at is not None and at > now:
            await store.transition(
                broadcast_id, [BroadcastState.draft], now, state=BroadcastState.scheduled, scheduled_at=at
            )
            await _audit(uow, actor, "scheduled", broadcast_id, {"at": at.isoformat()})
        else:
            await _start(uow, draft, where, now, actor, [BroadcastState.draft])
        await uow.commit()
        return _found(await store.get(broadcast_id), broadcast_id)


def _found(broadcast: Broadcast | None, broadcast_id: int) -> Broadcast:
    if broadcast is None:
        raise LookupError(f"broadcast {broadcast_id} is not stored")
    return broadcast


async def _start(
    uow: Work,
    broadcast: Broadcast,
    where: AudienceScope,
    now: datetime,
    actor: str,
    from_states: list[BroadcastState],
) -> bool:
    store = uow[BROADCASTS]
    last = await store.last_user_id()
    total = await store.count_audience(broadcast.audience, where, last)
    started = await store.transition(
        broadcast.id,
        from_states,
        now,
        state=BroadcastState.running,
        started_at=now,
        total=total,
        last_user_id=last,
        cursor=0,
    )
    if started:
        await _audit(uow, actor, "started", broadcast.id, {"recipients": total})
    return started


async def set_progress_message(uow: Work, broadcast_id: int, message_id: str) -> None:
    async with uow:
        await uow[BROADCASTS].update(broadcast_id, utcnow(), progress_message_id=message_id)
        await uow.commit()


# ---------------------------------------------------------------- pause, resume, cancel


async def pause(uow: Work, broadcast_id: int, actor: str) -> bool:
    now = utcnow()
    async with uow:
        changed = await uow[BROADCASTS].transition(
            broadcast_id, [BroadcastState.running], now, state=BroadcastState.paused
        )
        if changed:
            await uow[OUTBOX].hold(TOPIC, broadcast_id, now)
            await _audit(uow, actor, "paused", broadcast_id, None)
        await uow.commit()
    return changed


async def resume(uow: Work, broadcast_id: int, actor: str) -> bool:
    now = utcnow()
    async with uow:
        changed = await uow[BROADCASTS].transition(
            broadcast_id, [BroadcastState.paused], now, state=BroadcastState.running
        )
        if changed:
            await uow[OUTBOX].unhold(TOPIC, broadcast_id)
            await _audit(uow, actor, "resumed", broadcast_id, None)
        await uow.commit()
    return changed


async def cancel(uow: Work, broadcast_id: int, actor: str) -> bool:
    """Stop for good: what was sent stays sent; the rest is never sent."""
    now = utcnow()
    async with uow:
        changed = await uow[BROADCASTS].transition(
            broadcast_id, LIVE | {BroadcastState.draft}, now, state=BroadcastState.cancelled, finished_at=now
        )
        if changed:
            dropped = await uow[OUTBOX].cancel(TOPIC, broadcast_id, "cancelled", now)
            await _audit(uow, actor, "cancelled", broadcast_id, {"not_sent": dropped})
        await uow.commit()
    return changed


# ---------------------------------------------------------------- the worker's periodic work


async def start_due(uow: Work, where: AudienceScope, now: datetime) -> int:
    """Scheduled broadcasts whose time has come start (once, whichever process gets there first)."""
    started = 0
    async with uow:
        for broadcast_id in await uow[BROADCASTS].due(now):
            broadcast = await uow[BROADCASTS].get(broadcast_id, lock=True)
            if broadcast is not None and broadcast.state is BroadcastState.scheduled:
                started += await _start(uow, broadcast, where, now, SYSTEM, [BroadcastState.scheduled])
        await uow.commit()
    return started


async def refill(uow: Work, where: AudienceScope, now: datetime, loud: bool, size: int = SLICE) -> int:
    """Queue the next slice of every running broadcast that has citizens left (only urgent ones in quiet
    hours). Each slice is its own transaction, with the broadcast's row locked: two processes take turns."""
    added = 0
    async with uow:
        running = await uow[BROADCASTS].in_states([BroadcastState.running])
    for candidate in running:
        if candidate.queued_all or not (loud or candidate.urgent):
            continue
        async with uow:
            broadcast = await uow[BROADCASTS].get(candidate.id, lock=True)
            if broadcast is None or broadcast.state is not BroadcastState.running or broadcast.queued_all:
                continue
            queued, cursor = await uow[BROADCASTS].queue_slice(broadcast, where, size, now)
            await uow[BROADCASTS].update(broadcast.id, now, cursor=cursor)
            await uow.commit()
        added += queued
    return added


async def finish_done(uow: Work, now: datetime) -> int:
    """Running broadcasts whose every delivery has ended are finished; their official gets the report."""
    finished = 0
    async with uow:
        running = await uow[BROADCASTS].in_states([BroadcastState.running])
    for broadcast in running:
        if not broadcast.queued_all:
            continue
        async with uow:
            counts = await uow[OUTBOX].counts(TOPIC, broadcast.id)
            if counts.get(State.pending, 0) or counts.get(State.sending, 0):
                continue
            if not await uow[BROADCASTS].transition(
                broadcast.id, [BroadcastState.running], now, state=BroadcastState.finished, finished_at=now
            ):
                continue
            sent = counts.get(State.sent, 0)
            await _audit(uow, SYSTEM, "finished", broadcast.id, {"sent": sent})
            creator = await uow.users.get_by_id(broadcast.creator_user_id) if broadcast.creator_user_id else None
            if creator is not None:
                await uow[OUTBOX].add(
                    [
                        NewDelivery(
                            user_id=creator.id,
                            channel=creator.platform,
                            kind=Kind.notice,
                            topic=REPORT_TOPIC,
                            ref_id=broadcast.id,
                            urgent=True,
                        )
                    ],
                    now,
                )
            await uow.commit()
            finished += 1
    return finished


def progress_note(broadcast: Broadcast, counts: dict[State, int]) -> str:
    """What the progress message shows, in short: it is edited only when this changes."""
    figures = ",".join(f"{state.value}={counts.get(state, 0)}" for state in State)
    return f"{broadcast.state.value}:{figures}"


async def rearm_progress(uow: Work, now: datetime, every: timedelta = PROGRESS_EVERY) -> int:
    """Queue an edit of each official's progress message whose figures changed, at most one per `every`."""
    async with uow:
        store = uow[BROADCASTS]
        ended = await store.recent(20, [BroadcastState.finished, BroadcastState.cancelled])
        watched = [
            *await store.in_states([BroadcastState.running, BroadcastState.paused]),
            # the last edit of one that ended (sends under way when it was cancelled may still end)
            *(b for b in ended if b.finished_at is not None and now - b.finished_at < ENDED_WATCH),
        ]
    queued = 0
    for broadcast in watched:
        if broadcast.progress_message_id is None or broadcast.creator_user_id is None:
            continue
        async with uow:
            counts = await uow[OUTBOX].counts(TOPIC, broadcast.id)
            note = progress_note(broadcast, counts)
            if note == broadcast.progress_note:
                continue
            creator = await uow.users.get_by_id(broadcast.creator_user_id)
            if creator is None:
                continue
            last = await uow[OUTBOX].last_done_at(PROGRESS_TOPIC, broadcast.id, creator.id)
            edit = NewDelivery(
                user_id=creator.id,
                channel=creator.platform,
                kind=Kind.notice,
                topic=PROGRESS_TOPIC,
                ref_id=broadcast.id,
                urgent=True,
                target_message_id=broadcast.progress_message_id,
                not_before=max(now, last + every) if last else now,
            )
            if await uow[OUTBOX].rearm(edit, now):
                await uow[BROADCASTS].update(broadcast.id, now, progress_note=note)
                queued += 1
            await uow.commit()
    return queued


# ---------------------------------------------------------------- progress and report


async def progress(uow: Work, broadcast_id: int, rate: float) -> Progress | None:
    async with uow:
        broadcast = await uow[BROADCASTS].get(broadcast_id)
        if broadcast is None:
            return None
        counts = await uow[OUTBOX].counts(TOPIC, broadcast_id)
    return _progress(broadcast, counts, rate)


def _progress(broadcast: Broadcast, counts: dict[State, int], rate: float) -> Progress:
    sent, failed, blocked = counts.get(State.sent, 0), counts.get(State.failed, 0), counts.get(State.blocked, 0)
    skipped, cancelled = counts.get(State.skipped, 0), counts.get(State.cancelled, 0)
    pending = counts.get(State.pending, 0) + counts.get(State.sending, 0)
    if broadcast.state in (BroadcastState.finished, BroadcastState.cancelled):
        remaining = 0
    elif broadcast.total is None:
        remaining = pending
    else:
        # Citizens not queued yet are estimated from the total (some may have muted or blocked since).
        remaining = max(pending, broadcast.total - (sent + failed + blocked + skipped + cancelled))
    eta = remaining / rate if rate > 0 and broadcast.state is BroadcastState.running else None
    return Progress(broadcast, sent, failed, blocked, skipped, cancelled, pending, remaining, eta)


async def report(uow: Work, broadcast_id: int, rate: float) -> Report | None:
    async with uow:
        broadcast = await uow[BROADCASTS].get(broadcast_id)
        if broadcast is None:
            return None
        counts = await uow[OUTBOX].counts(TOPIC, broadcast_id)
        by_unit = await uow[OUTBOX].counts_by_unit(TOPIC, broadcast_id)
        reasons = await uow[OUTBOX].reasons(TOPIC, broadcast_id, State.skipped)
        names = await uow[BROADCASTS].unit_names([code for code in by_unit if code])
    lines = [
        UnitLine(
            unit_code=code,
            name=names.get(code) if code else None,
            delivered=states.get(State.sent, 0),
            blocked=states.get(State.blocked, 0),
            failed=states.get(State.failed, 0),
            skipped=states.get(State.skipped, 0),
        )
        for code, states in by_unit.items()
    ]
    lines.sort(key=lambda line: (line.unit_code is None, -line.delivered, line.name or ""))
    skipped = tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
    return Report(_progress(broadcast, counts, rate), tuple(lines), skipped)


async def recent(uow: Work, limit: int = 20) -> list[Broadcast]:
    async with uow:
        return await uow[BROADCASTS].recent(limit)


# ---------------------------------------------------------------- citizens


async def latest_for(uow: Work, user_id: int, limit: int = 5) -> list[tuple[Broadcast, datetime]]:
    """The newest announcements sent to this citizen, newest first."""
    async with uow:
        sent = await uow[OUTBOX].latest(user_id, TOPIC, limit)
        found = [(await uow[BROADCASTS].get(ref_id), at) for ref_id, at in sent]
    return [(broadcast, at) for broadcast, at in found if broadcast is not None]


async def was_sent_to(uow: Work, broadcast_id: int, user_id: int) -> bool:
    async with uow:
        return any(ref_id == broadcast_id for ref_id, _ in await uow[OUTBOX].latest(user_id, TOPIC, 50))


def version_for(all_versions: Iterable[Version], language: str | None) -> Version | None:
    """The citizen's own language version, else the default one."""
    by_language = {version.language: version for version in all_versions}
    return by_language.get(language or DEFAULT_VERSION) or by_language.get(DEFAULT_VERSION)


async def mute(uow: Work, user_id: int) -> bool:
    async with uow:
        changed = await uow[OUTBOX].mute(user_id, utcnow())
        await uow.commit()
    return changed


async def unmute(uow: Work, user_id: int) -> bool:
    async with uow:
        changed = await uow[OUTBOX].unmute(user_id)
        await uow.commit()
    return changed


async def is_muted(uow: Work, user_id: int) -> bool:
    async with uow:
        return await uow[OUTBOX].is_muted(user_id)
