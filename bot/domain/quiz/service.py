"""Attempts: start, answer, predict, finish, close at the deadline; results and the leaderboard.

Every service takes a unit of work, plain values and `now` (server time; tests inject it). All timing is
decided here from the stored deadline, never from the client.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.clock import utcnow
from bot.domain.ports import Work
from bot.domain.quiz.ports import QUIZ
from bot.domain.quiz.ranking import (
    GroupStat,
    Ranked,
    RankedGroup,
    counted_attempts,
    group_stats,
    rank_groups,
    rank_individuals,
)
from bot.domain.quiz.records import Attempt, AttemptMode, AttemptStatus
from bot.domain.quiz.sampling import draw
from bot.domain.quiz.schema import Contest, Question, QuizBank
from bot.reports.ports import REPORTS

FINISHED, EXPIRED = AttemptStatus.finished, AttemptStatus.expired


class Refusal(StrEnum):
    not_registered = "not_registered"
    not_open = "not_open"
    too_young = "too_young"
    no_attempts_left = "no_attempts_left"


@dataclass(frozen=True)
class Started:
    attempt: Attempt | None
    resumed: bool = False
    refusal: Refusal | None = None


class Outcome(StrEnum):
    accepted = "accepted"
    duplicate = "duplicate"  # this question was already answered (double tap, re-sent callback)
    stale = "stale"  # the attempt is over, or the button belongs to another question
    foreign = "foreign"  # somebody else's attempt
    expired = "expired"  # pressed after the deadline; the attempt is closed with what was answered


@dataclass(frozen=True)
class Answered:
    outcome: Outcome
    attempt: Attempt | None = None
    question: Question | None = None
    chosen: int | None = None  # index of the chosen option in the bank
    correct: bool | None = None


def remaining(attempt: Attempt, now: datetime) -> timedelta:
    return max(attempt.deadline_at - now, timedelta(0))


def awaiting_prediction(attempt: Attempt, contest: Contest | None) -> bool:
    return (
        attempt.status is AttemptStatus.in_progress
        and attempt.all_answered
        and contest is not None
        and attempt.mode is AttemptMode.contest
        and contest.prediction.enabled
    )


async def start(
    uow: Work,
    bank: QuizBank,
    contest: Contest,
    user_id: int,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Started:
    """Start an attempt, or hand back the one in progress (with its real time left)."""
    now = now or utcnow()
    async with uow:
        await _close_overdue_of(uow, user_id, now)
        current = await uow[QUIZ].open_attempt(user_id, contest.id)
        if current is not None:
            return Started(current, resumed=True)
        if contest.mode == "contest":
            refusal = await _refusal(uow, contest, user_id, now)
            if refusal:
                return Started(None, refusal=refusal)
        number = await uow[QUIZ].attempts_made(user_id, contest.id) + 1
        deadline = _deadline(contest, now)
        attempt = await uow[QUIZ].add_attempt(
            contest.id, user_id, number, AttemptMode(contest.mode), draw(contest, bank, rng), now, deadline
        )
        if attempt is None:  # a concurrent start won; use its attempt
            await uow.rollback()
            return Started(await uow[QUIZ].open_attempt(user_id, contest.id), resumed=True)
        await uow.commit()
        return Started(attempt)


def _deadline(contest: Contest, started_at: datetime) -> datetime:
    deadline = started_at + timedelta(seconds=contest.time_limit_seconds)
    if contest.window is not None and contest.mode == "contest":
        deadline = min(deadline, contest.window.end)
    return deadline


@asynccontextmanager
async def first_question(
    uow: Work, bank: QuizBank, started: Started, clock: Callable[[], datetime] = utcnow
) -> AsyncIterator[None]:
    """Around the sending of a new attempt's first question: nobody is timed on a question they did not get.

    A send may wait out the messenger's flood limits for seconds, so the attempt's clock starts (its start and
    deadline move) once the block has delivered the question; if the block fails, the question never arrived,
    and the attempt, still unanswered, is withdrawn as if never started (it uses up no attempt). A resumed
    attempt keeps its clock.
    """
    attempt = started.attempt
    if attempt is None or started.resumed:
        yield
        return
    try:
        yield
    except Exception:
        await withdraw(uow, attempt)
        raise
    await start_clock(uow, bank, attempt, clock())


async def start_clock(uow: Work, bank: QuizBank, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Start an unanswered attempt's clock now: the attempt as it then stands."""
    now = now or utcnow()
    contest = bank.contests.get(attempt.contest_id)
    if contest is None or now <= attempt.started_at:
        return attempt
    deadline = _deadline(contest, now)
    async with uow:
        if not await uow[QUIZ].restart_clock(attempt.id, now, deadline):
            return attempt  # answered or closed meanwhile: its clock stays
        await uow.commit()
    return replace(attempt, started_at=now, deadline_at=deadline)


async def withdraw(uow: Work, attempt: Attempt) -> bool:
    """Remove an attempt in progress that has no answer yet; False when it has one, or is closed or gone."""
    async with uow:
        removed = await uow[QUIZ].withdraw_attempt(attempt.id)
        await uow.commit()
    return removed


async def _refusal(uow: Work, contest: Contest, user_id: int, now: datetime) -> Refusal | None:
    participant = await uow[QUIZ].participant(user_id)
    if participant is None or participant.consent_at is None or not participant.complete:
        return Refusal.not_registered
    if not contest.is_open(now):
        return Refusal.not_open
    if now.year - (participant.birth_year or now.year) < contest.eligibility.min_age:
        return Refusal.too_young
    if contest.attempts_allowed and await uow[QUIZ].attempts_made(user_id, contest.id) >= contest.attempts_allowed:
        return Refusal.no_attempts_left
    return None


async def answer(
    uow: Work, bank: QuizBank, user_id: int, attempt_id: int, position: int, shown: int, now: datetime | None = None
) -> Answered:
    """Record the answer to one question exactly once; everything else is refused and changes nothing."""
    now = now or utcnow()
    # The common case in one step: the attempt's questions are known here and the press is current.
    items = uow[QUIZ].known_items(attempt_id)
    if items is not None and 0 <= position < len(items) and 0 <= shown < len(items[position].order):
        item = items[position]
        question = bank.questions.get(item.question_id)
        if question is not None:
            chosen = item.order[shown]
            correct = chosen == question.correct_index
            async with uow:
                attempt = await uow[QUIZ].count_answer_if_current(
                    attempt_id, user_id, position, item.question_id, chosen, correct, now
                )
                if attempt is not None:
                    if attempt.all_answered and not awaiting_prediction(attempt, bank.contests.get(attempt.contest_id)):
                        attempt = await _finish(uow, attempt, now, None)
                    await uow.commit()
                    return Answered(Outcome.accepted, attempt, question, chosen, correct)
    # Otherwise read the attempt and say exactly why the press is refused (or count it, after a restart).
    async with uow:
        attempt = await uow[QUIZ].attempt(attempt_id)
        if attempt is None or attempt.user_id != user_id:
            return Answered(Outcome.foreign if attempt else Outcome.stale)
        if attempt.status is not AttemptStatus.in_progress:
            return Answered(Outcome.stale, attempt)
        if now >= attempt.deadline_at:
            closed = await _close(uow, attempt) or await uow[QUIZ].attempt(attempt_id)
            await uow.commit()
            return Answered(Outcome.expired, closed)
        if position < attempt.answered:
            return Answered(Outcome.duplicate, attempt)
        if position != attempt.answered or not 0 <= shown < len(attempt.items[position].order):
            return Answered(Outcome.stale, attempt)
        item = attempt.items[position]
        question = bank.questions[item.question_id]
        chosen = item.order[shown]
        correct = chosen == question.correct_index
        counters = await uow[QUIZ].record_answer(attempt_id, position, item.question_id, chosen, correct, now)
        if counters is None:
            return Answered(Outcome.duplicate, attempt)
        attempt = replace(attempt, answered=counters[0], correct=counters[1])
        if attempt.all_answered and not awaiting_prediction(attempt, bank.contests.get(attempt.contest_id)):
            attempt = await _finish(uow, attempt, now, None)
        await uow.commit()
        return Answered(Outcome.accepted, attempt, question, chosen, correct)


async def predict(uow: Work, bank: QuizBank, user_id: int, value: int, now: datetime | None = None) -> Attempt | None:
    """Record the prediction and finish the attempt waiting for it; None if there is none."""
    now = now or utcnow()
    async with uow:
        for attempt in await uow[QUIZ].open_attempts_of(user_id):
            if awaiting_prediction(attempt, bank.contests.get(attempt.contest_id)):
                if now >= attempt.deadline_at:
                    closed = await _close(uow, attempt) or await uow[QUIZ].attempt(attempt.id)
                    await uow.commit()
                    return closed
                finished = await _finish(uow, attempt, now, value)
                await uow.commit()
                return finished
    return None


async def pending(
    uow: Work, user_id: int, now: datetime | None = None, attempt_id: int | None = None
) -> Attempt | None:
    """The attempt in progress (a contest attempt before practice), or the one with `attempt_id`; overdue
    attempts are closed first."""
    now = now or utcnow()
    async with uow:
        closed = await _close_overdue_of(uow, user_id, now)
        if closed:
            await uow.commit()
        attempts = sorted(
            await uow[QUIZ].open_attempts_of(user_id), key=lambda attempt: attempt.mode is not AttemptMode.contest
        )
    if attempt_id is not None:
        attempts = [attempt for attempt in attempts if attempt.id == attempt_id]
    return attempts[0] if attempts else None


async def awaiting(uow: Work, bank: QuizBank, user_id: int, now: datetime | None = None) -> Attempt | None:
    """The attempt whose questions are all answered and which waits for the prediction."""
    now = now or utcnow()
    async with uow:
        attempts = await uow[QUIZ].open_attempts_of(user_id)
    return next(
        (
            attempt
            for attempt in attempts
            if now < attempt.deadline_at and awaiting_prediction(attempt, bank.contests.get(attempt.contest_id))
        ),
        None,
    )


async def close_expired(
    uow: Work, now: datetime | None = None, then: Callable[[Work, list[Attempt]], Awaitable[None]] | None = None
) -> list[Attempt]:
    """Close every attempt past its deadline with what was answered. Safe to run in several processes:
    an attempt is closed by whoever's UPDATE matches first, and reported by that one only. `then` runs in the
    same transaction with the attempts closed here (to queue their results): both are committed, or neither."""
    now = now or utcnow()
    async with uow:
        closed = [done for attempt in await uow[QUIZ].overdue(now) if (done := await _close(uow, attempt))]
        if closed and then is not None:
            await then(uow, closed)
        await uow.commit()
    return closed


async def _close_overdue_of(uow: Work, user_id: int, now: datetime) -> list[Attempt]:
    """The citizen's attempts past their deadline, closed here (not those another process closed first)."""
    closed = []
    for attempt in await uow[QUIZ].open_attempts_of(user_id):
        if now >= attempt.deadline_at and (done := await _close(uow, attempt)) is not None:
            closed.append(done)
    return closed


async def _close(uow: Work, attempt: Attempt) -> Attempt | None:
    duration = int((attempt.deadline_at - attempt.started_at).total_seconds() * 1000)
    if not await uow[QUIZ].finish(attempt.id, attempt.deadline_at, duration, EXPIRED):
        return None
    return replace(attempt, status=EXPIRED, finished_at=attempt.deadline_at, duration_ms=duration)


async def _finish(uow: Work, attempt: Attempt, now: datetime, prediction: int | None) -> Attempt:
    duration = int((now - attempt.started_at).total_seconds() * 1000)
    await uow[QUIZ].finish(attempt.id, now, duration, FINISHED, prediction)
    return replace(attempt, status=FINISHED, finished_at=now, duration_ms=duration, prediction=prediction)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Result:
    attempt: Attempt
    contest: Contest | None
    rank: Ranked | None
    entrants: int
    wrong: list[tuple[Question, int | None]] = field(default_factory=list)  # (question, chosen bank index)


async def result(uow: Work, bank: QuizBank, attempt_id: int) -> Result:
    async with uow:
        attempt = await uow[QUIZ].attempt(attempt_id)
        if attempt is None:
            raise LookupError(f"no attempt {attempt_id}")
        answers = {row.position: row for row in await uow[QUIZ].answers(attempt_id)}
        ranked = (
            rank_individuals(await uow[REPORTS].entries(attempt.contest_id))
            if attempt.mode is AttemptMode.contest
            else []
        )
    wrong = []
    for position, item in enumerate(attempt.items):
        row = answers.get(position)
        if row is None or not row.is_correct:
            wrong.append((bank.questions[item.question_id], row.chosen if row else None))
    mine = next((entry for entry in ranked if entry.entry.user_id == attempt.user_id), None)
    return Result(attempt, bank.contests.get(attempt.contest_id), mine, len(ranked), wrong)


@dataclass(frozen=True)
class Leaderboard:
    contest: Contest
    top: list[Ranked]
    mine: Ranked | None
    entrants: int
    groups: list[RankedGroup]


async def leaderboard(uow: Work, contest: Contest, user_id: int | None, size: int = 10) -> Leaderboard:
    async with uow:
        entries = await uow[REPORTS].entries(contest.id)
        units = await uow[REPORTS].unit_directory()
    tiers = [(tier.id, tier.count) for tier in contest.prizes.individual]
    ranked = rank_individuals(entries, tiers=tiers)
    mine = next((entry for entry in ranked if entry.entry.user_id == user_id), None)
    group_prizes = contest.prizes.group
    stats: list[GroupStat] = group_stats(counted_attempts(entries), units)
    groups = rank_groups(
        stats,
        group_prizes.criterion if group_prizes else "participation_rate",
        group_prizes.count if group_prizes else 0,
    )
    return Leaderboard(contest, ranked[:size], mine, len(ranked), groups[:size])
