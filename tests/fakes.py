"""An in-memory store: our own ports (bot.domain.ports, guides/ports.py, quiz/ports.py) implemented over
plain dictionaries, so that services can be tested in microseconds. It keeps the rules the database keeps
(unique keys, one open attempt, conditional updates, commit and rollback); what only a database can prove —
constraints under concurrency, migrations, SQL — stays in the database tests.

    work = FakeWork()
    await registration.consent(work, user_id=1)
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack, cast

from bot.delivery.ports import OUTBOX, Result
from bot.delivery.records import DONE, Claimed, Kind, NewDelivery
from bot.delivery.records import State as DeliveryState
from bot.domain.broadcasts.ports import BROADCASTS, AudienceScope, BroadcastChanges
from bot.domain.broadcasts.records import Audience, Broadcast, BroadcastState, QuizFilter, Version
from bot.domain.guides.ports import GUIDES, EventCount
from bot.domain.guides.records import AbandonedRow, EventKind, GuideProgress, ProgressStatus
from bot.domain.ports import StoreKey, UserChanges
from bot.domain.quiz.ports import QUIZ, ParticipantChanges
from bot.domain.quiz.ranking import Entry, counted_attempts, rank_order
from bot.domain.quiz.records import AnswerRow, Attempt, AttemptMode, AttemptStatus, Participant
from bot.domain.quiz.sampling import Drawn
from bot.domain.records import UnitRecord, UserRecord
from bot.reports.ports import REPORTS, AnswerCount, DeliveryCount, Entrant

S = TypeVar("S")


@dataclass
class Event:
    at: datetime
    user_id: int
    unit_code: str | None
    language: str | None
    guide_id: str
    kind: EventKind
    step: int | None
    detail: str | None


@dataclass
class Delivery:
    """One outbox row, as the database keeps it."""

    id: int
    new: NewDelivery
    state: DeliveryState = DeliveryState.pending
    attempts: int = 0
    parts_sent: int = 0
    not_before: datetime | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    message_id: str | None = None
    reason: str | None = None
    done_at: datetime | None = None


@dataclass
class State:
    """Everything stored; copied whole at each transaction's start so that a rollback can restore it."""

    users: dict[int, UserRecord] = field(default_factory=dict)
    units: dict[str, UnitRecord] = field(default_factory=dict)
    roles: set[tuple[str, str, str]] = field(default_factory=set)
    audit: list[tuple[datetime, str, str, str | None, dict[str, Any] | None]] = field(default_factory=list)
    progress: dict[tuple[int, str], tuple[int, GuideProgress]] = field(default_factory=dict)  # (order, row)
    events: list[Event] = field(default_factory=list)
    participants: dict[int, Participant] = field(default_factory=dict)
    attempts: dict[int, Attempt] = field(default_factory=dict)
    answers: dict[tuple[int, int], AnswerRow] = field(default_factory=dict)
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    holds: dict[tuple[str, int], bool] = field(default_factory=dict)  # (topic, ref_id) -> final
    mutes: dict[int, datetime] = field(default_factory=dict)
    broadcasts: dict[int, Broadcast] = field(default_factory=dict)
    versions: dict[tuple[int, str], Version] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class FakeUsers:
    def __init__(self, work: FakeWork) -> None:
        self._work = work

    @property
    def _state(self) -> State:
        return self._work.state

    async def get(self, platform: str, platform_user_id: str) -> UserRecord | None:
        return next(
            (u for u in self._state.users.values() if (u.platform, u.platform_user_id) == (platform, platform_user_id)),
            None,
        )

    async def get_by_id(self, user_id: int) -> UserRecord | None:
        return self._state.users.get(user_id)

    async def add(
        self, platform: str, platform_user_id: str, chat_id: str, now: datetime, source: str | None
    ) -> UserRecord:
        if await self.get(platform, platform_user_id) is not None:
            raise ValueError("UNIQUE (platform, platform_user_id)")
        user = UserRecord(
            id=self._state.new_id(),
            platform=platform,
            platform_user_id=platform_user_id,
            chat_id=chat_id,
            language=None,
            unit_code=None,
            status="active",
            first_seen=now,
            last_seen=now,
            source=source,
        )
        self._state.users[user.id] = user
        return user

    async def update(self, user_id: int, **values: Unpack[UserChanges]) -> None:
        user = self._state.users.get(user_id)
        if user is not None:
            self._state.users[user_id] = replace(user, **values)
            self._work.changed_user_ids.add(user_id)

    async def count(self) -> int:
        return len(self._state.users)

    async def count_by(self, column: str) -> dict[str | None, int]:
        counts: dict[str | None, int] = {}
        for user in self._state.users.values():
            key = getattr(user, column)
            counts[key] = counts.get(key, 0) + 1
        return counts


class FakeUnits:
    def __init__(self, work: FakeWork) -> None:
        self._work = work

    async def get(self, code: str) -> UnitRecord | None:
        return self._work.state.units.get(code)

    async def children(self, parent_code: str | None) -> list[UnitRecord]:
        units = self._work.state.units.values()
        return sorted((unit for unit in units if unit.parent_code == parent_code), key=lambda unit: unit.name)

    async def all_codes(self) -> set[str]:
        return set(self._work.state.units)

    async def upsert_many(self, units: Iterable[UnitRecord]) -> int:
        count = 0
        for unit in units:
            if unit.parent_code and unit.parent_code not in self._work.state.units:
                raise ValueError(f"FOREIGN KEY: no unit {unit.parent_code!r}")
            self._work.state.units[unit.code] = unit
            count += 1
        return count

    async def count(self) -> int:
        return len(self._work.state.units)


class FakeRoles:
    def __init__(self, work: FakeWork) -> None:
        self._work = work

    async def roles_of(self, platform: str, platform_user_id: str) -> set[str]:
        return {role for p, uid, role in self._work.state.roles if (p, uid) == (platform, platform_user_id)}

    async def grant(self, platform: str, platform_user_id: str, role: str, by: str | None, now: datetime) -> bool:
        key = (platform, platform_user_id, role)
        if key in self._work.state.roles:
            return False
        self._work.state.roles.add(key)
        return True

    async def revoke(self, platform: str, platform_user_id: str, role: str) -> bool:
        key = (platform, platform_user_id, role)
        if key not in self._work.state.roles:
            return False
        self._work.state.roles.discard(key)
        return True

    async def staff(self, platform: str) -> list[tuple[str, str]]:
        return sorted((uid, role) for p, uid, role in self._work.state.roles if p == platform)


class FakeAudit:
    def __init__(self, work: FakeWork) -> None:
        self._work = work

    async def record(
        self, actor: str, action: str, target: str | None, details: dict[str, Any] | None, now: datetime
    ) -> None:
        self._work.state.audit.append((now, actor, action, target, details))

    async def recent(self, limit: int = 50) -> list[tuple[datetime, str, str, str | None]]:
        return [(at, actor, action, target) for at, actor, action, target, _ in reversed(self._work.state.audit)][
            :limit
        ]


class FakeGuides:
    def __init__(self, work: FakeWork) -> None:
        self._work = work

    @property
    def _state(self) -> State:
        return self._work.state

    async def progress(self, user_id: int, guide_id: str) -> GuideProgress | None:
        stored = self._state.progress.get((user_id, guide_id))
        return stored[1] if stored else None

    async def latest_unfinished(self, user_id: int) -> GuideProgress | None:
        mine = [
            (row.updated_at, order, row)
            for (owner, _), (order, row) in self._state.progress.items()
            if owner == user_id and row.status is not ProgressStatus.done
        ]
        return max(mine, key=lambda item: (item[0], item[1]))[2] if mine else None

    async def save(self, progress: GuideProgress, now: datetime) -> None:
        key = (progress.user_id, progress.guide_id)
        order = self._state.progress[key][0] if key in self._state.progress else self._state.new_id()
        self._state.progress[key] = (order, replace(progress, updated_at=now))

    async def record(
        self,
        user_id: int,
        unit_code: str | None,
        language: str | None,
        guide_id: str,
        kind: EventKind,
        now: datetime,
        step: int | None = None,
        detail: str | None = None,
    ) -> None:
        self._state.events.append(Event(now, user_id, unit_code, language, guide_id, kind, step, detail))

    async def mark_abandoned(self, cutoff: datetime, now: datetime) -> list[AbandonedRow]:
        claimed = []
        for key, (order, row) in list(self._state.progress.items()):
            if row.status is ProgressStatus.active and row.updated_at < cutoff:
                self._state.progress[key] = (order, replace(row, status=ProgressStatus.abandoned, updated_at=now))
                claimed.append(AbandonedRow(row.user_id, row.guide_id, row.step))
        return claimed

    async def users_context(self, user_ids: set[int]) -> dict[int, tuple[str | None, str | None]]:
        users = self._state.users
        return {uid: (users[uid].unit_code, users[uid].language) for uid in user_ids if uid in users}

    async def event_counts(self) -> list[EventCount]:
        people: dict[tuple[str, str, int | None, str | None], set[int]] = {}
        for event in self._state.events:
            if event.kind is not EventKind.reason:
                people.setdefault((event.guide_id, event.kind.value, event.step, event.detail), set()).add(
                    event.user_id
                )
        return [(*key, len(users)) for key, users in people.items()]

    async def has_event_since(self, user_id: int, guide_id: str, kind: EventKind, since: datetime) -> bool:
        return any(
            (e.user_id, e.guide_id, e.kind) == (user_id, guide_id, kind) and e.at >= since for e in self._state.events
        )


class FakeQuiz:
    def __init__(self, work: FakeWork) -> None:
        self._work = work

    @property
    def _state(self) -> State:
        return self._work.state

    async def participant(self, user_id: int) -> Participant | None:
        return self._state.participants.get(user_id)

    async def ensure_participant(self, user_id: int, now: datetime, **values: Unpack[ParticipantChanges]) -> None:
        if user_id in self._state.participants:
            return
        empty = Participant(user_id, None, None, None, None, None, None, None)
        self._state.participants[user_id] = replace(empty, **values)

    async def update_participant(self, user_id: int, now: datetime, **values: Unpack[ParticipantChanges]) -> None:
        current = self._state.participants.get(user_id)
        if current is not None:
            self._state.participants[user_id] = replace(current, **values)

    async def attempt(self, attempt_id: int) -> Attempt | None:
        return self._state.attempts.get(attempt_id)

    def known_items(self, attempt_id: int) -> tuple[Drawn, ...] | None:
        attempt = self._state.attempts.get(attempt_id)
        return attempt.items if attempt else None

    async def count_answer_if_current(
        self,
        attempt_id: int,
        user_id: int,
        position: int,
        question_id: str,
        chosen: int,
        is_correct: bool,
        now: datetime,
    ) -> Attempt | None:
        attempt = self._state.attempts.get(attempt_id)
        if (
            attempt is None
            or attempt.user_id != user_id
            or attempt.status is not AttemptStatus.in_progress
            or not now < attempt.deadline_at
            or attempt.answered != position
        ):
            return None
        counters = await self.record_answer(attempt_id, position, question_id, chosen, is_correct, now)
        return None if counters is None else self._state.attempts[attempt_id]

    async def record_answer(
        self, attempt_id: int, position: int, question_id: str, chosen: int, is_correct: bool, now: datetime
    ) -> tuple[int, int] | None:
        if (attempt_id, position) in self._state.answers:
            return None
        self._state.answers[attempt_id, position] = AnswerRow(position, question_id, chosen, is_correct)
        attempt = self._state.attempts[attempt_id]
        attempt = replace(attempt, answered=attempt.answered + 1, correct=attempt.correct + int(is_correct))
        self._state.attempts[attempt_id] = attempt
        return attempt.answered, attempt.correct

    def _of(self, user_id: int, contest_id: str | None = None) -> list[Attempt]:
        return sorted(
            (
                attempt
                for attempt in self._state.attempts.values()
                if attempt.user_id == user_id and (contest_id is None or attempt.contest_id == contest_id)
            ),
            key=lambda attempt: attempt.id,
        )

    async def open_attempt(self, user_id: int, contest_id: str) -> Attempt | None:
        return next((a for a in self._of(user_id, contest_id) if a.status is AttemptStatus.in_progress), None)

    async def open_attempts_of(self, user_id: int) -> list[Attempt]:
        return [attempt for attempt in self._of(user_id) if attempt.status is AttemptStatus.in_progress]

    async def last_attempt(self, user_id: int, contest_id: str) -> Attempt | None:
        attempts = self._of(user_id, contest_id)
        return max(attempts, key=lambda attempt: attempt.number) if attempts else None

    async def attempts_made(self, user_id: int, contest_id: str) -> int:
        return len(self._of(user_id, contest_id))

    async def has_contest_attempt(self, user_id: int) -> bool:
        return any(attempt.mode is AttemptMode.contest for attempt in self._of(user_id))

    async def add_attempt(
        self,
        contest_id: str,
        user_id: int,
        number: int,
        mode: AttemptMode,
        items: list[Drawn],
        started_at: datetime,
        deadline_at: datetime,
    ) -> Attempt | None:
        mine = self._of(user_id, contest_id)
        if any(a.status is AttemptStatus.in_progress or a.number == number for a in mine):
            return None  # the database's unique keys refuse it
        attempt = Attempt(
            id=self._state.new_id(),
            contest_id=contest_id,
            user_id=user_id,
            number=number,
            mode=mode,
            items=tuple(items),
            started_at=started_at,
            deadline_at=deadline_at,
            finished_at=None,
            status=AttemptStatus.in_progress,
            correct=0,
            answered=0,
            duration_ms=None,
            prediction=None,
        )
        self._state.attempts[attempt.id] = attempt
        return attempt

    def _unanswered(self, attempt_id: int) -> Attempt | None:
        attempt = self._state.attempts.get(attempt_id)
        if attempt is None or attempt.status is not AttemptStatus.in_progress or attempt.answered:
            return None
        return attempt

    async def restart_clock(self, attempt_id: int, started_at: datetime, deadline_at: datetime) -> bool:
        attempt = self._unanswered(attempt_id)
        if attempt is None:
            return False
        self._state.attempts[attempt_id] = replace(attempt, started_at=started_at, deadline_at=deadline_at)
        return True

    async def withdraw_attempt(self, attempt_id: int) -> bool:
        if self._unanswered(attempt_id) is None:
            return False
        del self._state.attempts[attempt_id]
        return True

    async def finish(
        self,
        attempt_id: int,
        finished_at: datetime,
        duration_ms: int,
        status: AttemptStatus,
        prediction: int | None = None,
    ) -> bool:
        attempt = self._state.attempts.get(attempt_id)
        if attempt is None or attempt.status is not AttemptStatus.in_progress:
            return False
        self._state.attempts[attempt_id] = replace(
            attempt, status=status, finished_at=finished_at, duration_ms=duration_ms, prediction=prediction
        )
        return True

    async def overdue(self, now: datetime, limit: int = 500) -> list[Attempt]:
        late = [
            a for a in self._state.attempts.values() if a.status is AttemptStatus.in_progress and a.deadline_at < now
        ]
        return sorted(late, key=lambda attempt: attempt.id)[:limit]

    async def answers(self, attempt_id: int) -> list[AnswerRow]:
        return sorted(
            (row for (aid, _), row in self._state.answers.items() if aid == attempt_id), key=lambda r: r.position
        )


class FakeReports:
    """The reports' read models over the same state (bot.db.reports keeps them in SQL)."""

    def __init__(self, work: FakeWork) -> None:
        self._work = work

    @property
    def _state(self) -> State:
        return self._work.state

    def _closed(self, contest_id: str) -> list[Attempt]:
        return [
            attempt
            for attempt in self._state.attempts.values()
            if attempt.contest_id == contest_id
            and attempt.mode is AttemptMode.contest
            and attempt.status is not AttemptStatus.in_progress
        ]

    async def entries(self, contest_id: str) -> list[Entry]:
        entries = []
        for attempt in self._closed(contest_id):
            person = self._state.participants.get(attempt.user_id)
            owner = self._state.users.get(attempt.user_id)
            assert attempt.finished_at is not None
            entries.append(
                Entry(
                    user_id=attempt.user_id,
                    attempt_id=attempt.id,
                    score=attempt.correct,
                    duration_ms=attempt.duration_ms or 0,
                    submitted_at=attempt.finished_at,
                    prediction=attempt.prediction,
                    name=person.full_name if person else None,
                    unit_code=owner.unit_code if owner else None,
                )
            )
        return entries

    async def unit_directory(self) -> dict[str, tuple[str, int | None]]:
        return {code: (unit.name, unit.headcount) for code, unit in self._state.units.items()}

    async def units(self) -> list[UnitRecord]:
        return sorted(self._state.units.values(), key=lambda unit: unit.code)

    async def entrant_count(self, contest_id: str) -> int:
        return len({attempt.user_id for attempt in self._closed(contest_id)})

    async def ranked_entrants(self, contest_id: str, entrants: int, batch: int = 2000) -> AsyncIterator[Entrant]:
        entries = await self.entries(contest_id)
        used = Counter(entry.user_id for entry in entries)
        attempts = self._state.attempts
        for entry in sorted(counted_attempts(entries), key=lambda entry: rank_order(entry, entrants)):
            person = self._state.participants.get(entry.user_id)
            yield Entrant(
                entry,
                used[entry.user_id],
                attempts[entry.attempt_id].answered,
                person.full_name if person else None,
                person.phone if person else None,
                person.birth_year if person else None,
                person.group_id if person else None,
                erased=bool(person and person.erased_at),
            )

    async def answer_counts(self, contest_id: str) -> list[AnswerCount]:
        closed = {attempt.id for attempt in self._closed(contest_id)}
        counts: Counter[tuple[str, int]] = Counter()
        right: Counter[tuple[str, int]] = Counter()
        for (attempt_id, _), row in self._state.answers.items():
            if attempt_id in closed:
                counts[(row.question_id, row.chosen)] += 1
                right[(row.question_id, row.chosen)] += int(row.is_correct)
        return [AnswerCount(question, chosen, n, right[(question, chosen)]) for (question, chosen), n in counts.items()]

    async def drawn_questions(self, contest_id: str, batch: int = 2000) -> AsyncIterator[list[str]]:
        for attempt in self._closed(contest_id):
            yield [item.question_id for item in attempt.items]

    async def answer_rows(self, contest_id: str, batch: int = 5000) -> AsyncIterator[tuple[object, ...]]:
        closed = {attempt.id for attempt in self._closed(contest_id)}
        for (attempt_id, position), row in sorted(self._state.answers.items()):
            if attempt_id in closed:
                yield (attempt_id, position, row.question_id, row.chosen, row.is_correct, None)

    async def registrations(self, batch: int = 5000) -> AsyncIterator[tuple[str | None, datetime]]:
        for user in self._state.users.values():
            yield user.unit_code, user.first_seen

    async def first_entries(self, contest_id: str) -> AsyncIterator[tuple[str | None, datetime]]:
        first: dict[int, datetime] = {}
        for attempt in self._closed(contest_id):
            assert attempt.finished_at is not None
            first[attempt.user_id] = min(first.get(attempt.user_id, attempt.finished_at), attempt.finished_at)
        for user_id, at in first.items():
            owner = self._state.users.get(user_id)
            yield (owner.unit_code if owner else None), at

    async def delivery_counts(self, topic: str) -> list[DeliveryCount]:
        counts: Counter[tuple[int, str | None, str]] = Counter()
        for row in self._state.deliveries.values():
            if row.new.topic == topic:
                counts[(row.new.ref_id, row.new.unit_code, row.state.value)] += 1
        return [DeliveryCount(ref, unit, state, n) for (ref, unit, state), n in sorted(counts.items(), key=str)]

    async def reasons(self) -> list[tuple[str, str, int]]:
        counts: Counter[tuple[str, str]] = Counter()
        seen = set()
        for event in self._state.events:
            if (
                event.kind is EventKind.reason
                and event.detail
                and (event.user_id, event.guide_id, event.detail) not in seen
            ):
                seen.add((event.user_id, event.guide_id, event.detail))
                counts[(event.guide_id, event.detail)] += 1
        return [
            (guide, detail, n) for (guide, detail), n in sorted(counts.items(), key=lambda item: (-item[1], item[0][1]))
        ]


class FakeOutbox:
    """The outbox as bot.db.outbox keeps it: one row per (topic, ref_id, user), notices first, holds, mutes."""

    def __init__(self, work: FakeWork) -> None:
        self._work = work

    @property
    def _state(self) -> State:
        return self._work.state

    def _key(self, row: Delivery) -> tuple[str, int, int]:
        return (row.new.topic, row.new.ref_id, row.new.user_id)

    def _find(self, topic: str, ref_id: int, user_id: int) -> Delivery | None:
        return next((r for r in self._state.deliveries.values() if self._key(r) == (topic, ref_id, user_id)), None)

    async def add(self, deliveries: Sequence[NewDelivery], now: datetime) -> int:
        added = 0
        for new in deliveries:
            if self._find(new.topic, new.ref_id, new.user_id) is None:
                row_id = self._state.new_id()
                self._state.deliveries[row_id] = Delivery(row_id, new, not_before=new.not_before)
                added += 1
        return added

    async def claim(self, worker: str, limit: int, now: datetime, loud: bool) -> list[Claimed]:
        due = [
            row
            for row in self._state.deliveries.values()
            if row.state is DeliveryState.pending
            and (row.not_before is None or row.not_before <= now)
            and (row.new.kind is Kind.notice or row.new.urgent or loud)
            and (row.new.topic, row.new.ref_id) not in self._state.holds
        ]
        due.sort(key=lambda row: (0 if row.new.kind is Kind.notice else 10, row.id))
        claimed = []
        for row in due[:limit]:
            row.state, row.claimed_by, row.claimed_at = DeliveryState.sending, worker, now
            user = self._state.users[row.new.user_id]
            claimed.append(
                Claimed(
                    id=row.id,
                    channel=row.new.channel,
                    kind=row.new.kind,
                    topic=row.new.topic,
                    ref_id=row.new.ref_id,
                    user_id=user.id,
                    chat_id=user.platform_user_id if user.platform == "telegram" else user.chat_id,
                    language=user.language,
                    user_status=user.status,
                    muted=user.id in self._state.mutes,
                    urgent=row.new.urgent,
                    attempts=row.attempts,
                    parts_sent=row.parts_sent,
                    target_message_id=row.new.target_message_id,
                )
            )
        return claimed

    async def record(self, results: Sequence[Result], now: datetime) -> None:
        for result in results:
            row = self._state.deliveries[result.id]
            state = result.state
            key = (row.new.topic, row.new.ref_id)
            if state is DeliveryState.pending and self._state.holds.get(key):
                state = DeliveryState.cancelled
            row.state, row.attempts, row.parts_sent = state, result.attempts, result.parts_sent
            row.not_before, row.reason = result.not_before, result.reason
            row.message_id = result.message_id or row.message_id
            row.done_at = now if state in DONE else None
            row.claimed_at = None

    async def renew(self, worker: str, now: datetime) -> int:
        mine = [
            r for r in self._state.deliveries.values() if r.state is DeliveryState.sending and r.claimed_by == worker
        ]
        for row in mine:
            row.claimed_at = now
        return len(mine)

    async def recover(self, stale_before: datetime | None) -> int:
        stale = [
            row
            for row in self._state.deliveries.values()
            if row.state is DeliveryState.sending
            and (stale_before is None or (row.claimed_at is not None and row.claimed_at < stale_before))
        ]
        for row in stale:
            row.state, row.claimed_by, row.claimed_at = DeliveryState.pending, None, None
        return len(stale)

    async def release(self, worker: str, ids: Sequence[int]) -> int:
        released = 0
        for row_id in ids:
            row = self._state.deliveries.get(row_id)
            if row is not None and row.state is DeliveryState.sending and row.claimed_by == worker:
                row.state, row.claimed_by, row.claimed_at = DeliveryState.pending, None, None
                released += 1
        return released

    async def hold(self, topic: str, ref_id: int, now: datetime) -> None:
        self._state.holds.setdefault((topic, ref_id), False)

    async def unhold(self, topic: str, ref_id: int) -> None:
        if self._state.holds.get((topic, ref_id)) is False:
            del self._state.holds[(topic, ref_id)]

    async def holds(self) -> set[tuple[str, int]]:
        return set(self._state.holds)

    async def cancel(self, topic: str, ref_id: int, reason: str, now: datetime) -> int:
        self._state.holds[(topic, ref_id)] = True
        dropped = 0
        for row in self._state.deliveries.values():
            if (row.new.topic, row.new.ref_id) == (topic, ref_id) and row.state is DeliveryState.pending:
                row.state, row.reason, row.done_at = DeliveryState.cancelled, reason, now
                dropped += 1
        return dropped

    async def counts(self, topic: str, ref_id: int) -> dict[DeliveryState, int]:
        counts: dict[DeliveryState, int] = {}
        for row in self._state.deliveries.values():
            if (row.new.topic, row.new.ref_id) == (topic, ref_id):
                counts[row.state] = counts.get(row.state, 0) + 1
        return counts

    async def reasons(self, topic: str, ref_id: int, state: DeliveryState) -> dict[str, int]:
        found: dict[str, int] = {}
        for row in self._state.deliveries.values():
            if (row.new.topic, row.new.ref_id) == (topic, ref_id) and row.state is state:
                found[row.reason or ""] = found.get(row.reason or "", 0) + 1
        return found

    async def counts_by_unit(self, topic: str, ref_id: int) -> dict[str | None, dict[DeliveryState, int]]:
        units: dict[str | None, dict[DeliveryState, int]] = {}
        for row in self._state.deliveries.values():
            if (row.new.topic, row.new.ref_id) == (topic, ref_id):
                states = units.setdefault(row.new.unit_code, {})
                states[row.state] = states.get(row.state, 0) + 1
        return units

    async def count_by_state(self) -> dict[DeliveryState, int]:
        counts: dict[DeliveryState, int] = {}
        for row in self._state.deliveries.values():
            counts[row.state] = counts.get(row.state, 0) + 1
        return counts

    async def rearm(self, delivery: NewDelivery, now: datetime) -> bool:
        row = self._find(delivery.topic, delivery.ref_id, delivery.user_id)
        if row is None:
            return bool(await self.add([delivery], now))
        if row.state not in DONE:
            return False
        row.new, row.state, row.attempts, row.parts_sent = delivery, DeliveryState.pending, 0, 0
        row.not_before, row.reason, row.done_at = delivery.not_before, None, None
        return True

    async def mute(self, user_id: int, now: datetime) -> bool:
        if user_id in self._state.mutes:
            return False
        self._state.mutes[user_id] = now
        return True

    async def unmute(self, user_id: int) -> bool:
        return self._state.mutes.pop(user_id, None) is not None

    async def is_muted(self, user_id: int) -> bool:
        return user_id in self._state.mutes

    async def last_done_at(self, topic: str, ref_id: int, user_id: int) -> datetime | None:
        row = self._find(topic, ref_id, user_id)
        return row.done_at if row else None

    async def latest(self, user_id: int, topic: str, limit: int) -> list[tuple[int, datetime]]:
        sent = [
            row
            for row in self._state.deliveries.values()
            if row.new.user_id == user_id and row.new.topic == topic and row.state is DeliveryState.sent
        ]
        sent.sort(key=lambda row: (row.done_at or datetime.min, row.id), reverse=True)
        return [(row.new.ref_id, row.done_at) for row in sent[:limit] if row.done_at is not None]


class FakeBroadcasts:
    """Broadcasts and their audiences, computed over the fake's users, units, quiz and guide records with the
    rules bot.db.broadcasts writes in SQL."""

    def __init__(self, work: FakeWork) -> None:
        self._work = work

    @property
    def _state(self) -> State:
        return self._work.state

    def _with_languages(self, broadcast: Broadcast) -> Broadcast:
        languages = sorted(language for (bid, language) in self._state.versions if bid == broadcast.id)
        return replace(broadcast, languages=tuple(languages))

    async def create(self, created_by: str, creator_user_id: int | None, now: datetime) -> Broadcast:
        broadcast = Broadcast(
            id=self._state.new_id(),
            state=BroadcastState.draft,
            created_by=created_by,
            creator_user_id=creator_user_id,
            audience=Audience(),
            urgent=False,
            created_at=now,
        )
        self._state.broadcasts[broadcast.id] = broadcast
        return broadcast

    async def get(self, broadcast_id: int, lock: bool = False) -> Broadcast | None:
        found = self._state.broadcasts.get(broadcast_id)
        return self._with_languages(found) if found else None

    async def update(self, broadcast_id: int, now: datetime, **changes: Unpack[BroadcastChanges]) -> None:
        found = self._state.broadcasts.get(broadcast_id)
        if found is not None:
            self._state.broadcasts[broadcast_id] = replace(found, **changes)

    async def transition(
        self,
        broadcast_id: int,
        from_states: Iterable[BroadcastState],
        now: datetime,
        **changes: Unpack[BroadcastChanges],
    ) -> bool:
        found = self._state.broadcasts.get(broadcast_id)
        if found is None or found.state not in set(from_states):
            return False
        self._state.broadcasts[broadcast_id] = replace(found, **changes)
        return True

    async def set_version(self, broadcast_id: int, version: Version) -> None:
        self._state.versions[(broadcast_id, version.language)] = version

    async def versions(self, broadcast_id: int, with_files: bool = True) -> list[Version]:
        found = [v for (bid, _), v in self._state.versions.items() if bid == broadcast_id]
        return found if with_files else [replace(v, file_data=None) for v in found]

    async def recent(self, limit: int, states: Iterable[BroadcastState] | None = None) -> list[Broadcast]:
        wanted = set(states) if states is not None else None
        found = [b for b in self._state.broadcasts.values() if wanted is None or b.state in wanted]
        return [self._with_languages(b) for b in sorted(found, key=lambda b: -b.id)[:limit]]

    async def in_states(self, states: Iterable[BroadcastState]) -> list[Broadcast]:
        wanted = set(states)
        found = sorted((b for b in self._state.broadcasts.values() if b.state in wanted), key=lambda b: b.id)
        return [self._with_languages(b) for b in found]

    async def due(self, now: datetime) -> list[int]:
        return [
            b.id
            for b in self._state.broadcasts.values()
            if b.state is BroadcastState.scheduled and b.scheduled_at is not None and b.scheduled_at <= now
        ]

    async def last_user_id(self) -> int:
        return max(self._state.users, default=0)

    def _unit_of(self, user: UserRecord) -> str | None:
        return user.unit_code  # the one place a citizen's unit is kept

    def _under(self, codes: tuple[str, ...]) -> set[str]:
        found, frontier = set(codes) & set(self._state.units), set(codes) & set(self._state.units)
        while frontier:
            frontier = {u.code for u in self._state.units.values() if u.parent_code in frontier} - found
            found |= frontier
        return found

    def _matches(self, user: UserRecord, audience: Audience, scope: AudienceScope) -> bool:
        state = self._state
        if user.status == "blocked" or user.platform not in scope["channels"] or user.id in state.mutes:
            return False
        if audience.units and self._unit_of(user) not in self._under(audience.units):
            return False
        if audience.languages and (user.language or scope["default_locale"]) not in audience.languages:
            return False
        if audience.quiz is not None:
            attempted = any(
                a.user_id == user.id and a.contest_id == audience.contest_id and a.mode is AttemptMode.contest
                for a in state.attempts.values()
            )
            if audience.quiz is QuizFilter.entrants and not attempted:
                return False
            if audience.quiz is QuizFilter.not_attempted:
                person = state.participants.get(user.id)
                registered = (
                    person is not None
                    and person.erased_at is None
                    and all(
                        value is not None
                        for value in (
                            person.consent_at,
                            person.full_name,
                            person.phone,
                            person.birth_year,
                            person.group_id,
                        )
                    )
                )
                if not registered or attempted:
                    return False
        if audience.guide_id:
            row = state.progress.get((user.id, audience.guide_id))
            if row is None or row[1].status is ProgressStatus.done:
                return False
        return True

    async def count_audience(self, audience: Audience, scope: AudienceScope, up_to_user_id: int | None) -> int:
        return sum(
            1
            for user in self._state.users.values()
            if (up_to_user_id is None or user.id <= up_to_user_id) and self._matches(user, audience, scope)
        )

    async def queue_slice(
        self, broadcast: Broadcast, scope: AudienceScope, size: int, now: datetime
    ) -> tuple[int, int]:
        last = broadcast.last_user_id or 0
        ids = sorted(uid for uid in self._state.users if broadcast.cursor < uid <= last)[:size]
        upper = ids[-1] if len(ids) == size else last
        chosen = [
            self._state.users[uid]
            for uid in ids
            if uid <= upper and self._matches(self._state.users[uid], broadcast.audience, scope)
        ]
        queued = await FakeOutbox(self._work).add(
            [
                NewDelivery(
                    user_id=user.id,
                    channel=user.platform,
                    kind=Kind.broadcast,
                    topic="broadcast",
                    ref_id=broadcast.id,
                    unit_code=self._unit_of(user),
                    urgent=broadcast.urgent,
                )
                for user in chosen
            ],
            now,
        )
        return queued, upper

    async def unit_names(self, codes: Iterable[str]) -> dict[str, str]:
        return {code: self._state.units[code].name for code in codes if code in self._state.units}


_STORES: dict[StoreKey[Any], type[Any]] = {
    GUIDES: FakeGuides,
    QUIZ: FakeQuiz,
    REPORTS: FakeReports,
    OUTBOX: FakeOutbox,
    BROADCASTS: FakeBroadcasts,
}


class FakeWork:
    """A unit of work over `state`; `commits` counts the transactions committed (for tests that care)."""

    def __init__(self, state: State | None = None) -> None:
        self.state = state or State()
        self.commits = 0
        self.changed_user_ids: set[int] = set()
        self._depth = 0
        self._committed = copy.deepcopy(self.state)
        self._stores: dict[StoreKey[Any], object] = {}
        self.users = FakeUsers(self)
        self.units = FakeUnits(self)
        self.roles = FakeRoles(self)
        self.audit = FakeAudit(self)

    def __getitem__(self, key: StoreKey[S]) -> S:
        if key not in self._stores:
            self._stores[key] = _STORES[key](self)
        return cast(S, self._stores[key])

    async def __aenter__(self) -> Self:
        if self._depth == 0:
            self._committed = copy.deepcopy(self.state)
        self._depth += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            await self.rollback()  # what was not committed is thrown away

    async def commit(self) -> None:
        self._committed = copy.deepcopy(self.state)
        self.commits += 1

    async def rollback(self) -> None:
        self.state.__dict__.update(copy.deepcopy(self._committed).__dict__)

    async def close(self) -> None:
        await self.rollback()


def _conforms(work: FakeWork) -> None:
    """Never called: mypy checks here that the fakes satisfy the ports they stand for."""
    from bot.delivery.ports import OutboxStore
    from bot.domain.broadcasts.ports import BroadcastStore
    from bot.domain.guides.ports import GuideStore
    from bot.domain.ports import Work
    from bot.domain.quiz.ports import QuizStore
    from bot.reports.ports import ReportsStore

    as_work: Work = work
    as_quiz: QuizStore = FakeQuiz(work)
    as_guides: GuideStore = FakeGuides(work)
    as_outbox: OutboxStore = FakeOutbox(work)
    as_broadcasts: BroadcastStore = FakeBroadcasts(work)
    as_reports: ReportsStore = FakeReports(work)
    del as_work, as_quiz, as_guides, as_outbox, as_broadcasts, as_reports
