"""Attempts: start, answer, predict, finish, close at the deadline; results and the leaderboard.

Every service takes a unit of work, plain values and `now` (server time; tests inject it). All timing is
decided here from the stored deadline, never from the client.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from bot.domain.clock import utcnow
from bot.domain.quiz.ranking import GroupStat, Ranked, RankedGroup, counted_attempts, group_stats, rank_groups, \
    rank_individuals
from bot.domain.quiz.records import Attempt
from bot.domain.quiz.sampling import draw
from bot.domain.quiz.schema import Contest, Question, QuizBank

FINISHED, EXPIRED = "finished", "expired"


class Refusal(str, Enum):
    not_registered = "not_registered"
    not_open = "not_open"
    too_young = "too_young"
    no_attempts_left = "no_attempts_left"


@dataclass(frozen=True)
class Started:
    attempt: Attempt | None
    resumed: bool = False
    refusal: Refusal | None = None


class Outcome(str, Enum):
    accepted = "accepted"
    duplicate = "duplicate"      # this question was already answered (double tap, re-sent callback)
    stale = "stale"              # the attempt is over, or the button belongs to another question
    foreign = "foreign"          # somebody else's attempt
    expired = "expired"          # pressed after the deadline; the attempt is closed with what was answered


@dataclass(frozen=True)
class Answered:
    outcome: Outcome
    attempt: Attempt | None = None
    question: Question | None = None
    chosen: int | None = None        # index of the chosen option in the bank
    correct: bool | None = None


def remaining(attempt: Attempt, now: datetime) -> timedelta:
    return max(attempt.deadline_at - now, timedelta(0))


def awaiting_prediction(attempt: Attempt, contest: Contest | None) -> bool:
    return (attempt.status == "in_progress" and attempt.all_answered and contest is not None
            and attempt.mode == "contest" and contest.prediction.enabled)


async def start(uow: Any, bank: QuizBank, contest: Contest, user_id: int, now: datetime | None = None,
                rng: random.Random | None = None) -> Started:
    """Start an attempt, or hand back the one in progress (with its real time left)."""
    now = now or utcnow()
    async with uow:
        await _close_overdue_of(uow, user_id, now)
        current = await uow.quiz.open_attempt(user_id, contest.id)
        if current is not None:
            return Started(current, resumed=True)
        if contest.mode == "contest":
            refusal = await _refusal(uow, contest, user_id, now)
            if refusal:
                return Started(None, refusal=refusal)
        number = await uow.quiz.attempts_made(user_id, contest.id) + 1
        deadline = now + timedelta(seconds=contest.time_limit_seconds)
        if contest.window is not None and contest.mode == "contest":
            deadline = min(deadline, contest.window.end)
        attempt = await uow.quiz.add_attempt(contest.id, user_id, number, contest.mode, draw(contest, bank, rng),
                                             now, deadline)
        if attempt is None:  # a concurrent start won; use its attempt
            await uow.rollback()
            return Started(await uow.quiz.open_attempt(user_id, contest.id), resumed=True)
        await uow.commit()
        return Started(attempt)


async def _refusal(uow: Any, contest: Contest, user_id: int, now: datetime) -> Refusal | None:
    participant = await uow.quiz.participant(user_id)
    if participant is None or participant.consent_at is None or not participant.complete:
        return Refusal.not_registered
    if not contest.is_open(now):
        return Refusal.not_open
    if now.year - (participant.birth_year or now.year) < contest.eligibility.min_age:
        return Refusal.too_young
    if contest.attempts_allowed and await uow.quiz.attempts_made(user_id, contest.id) >= contest.attempts_allowed:
        return Refusal.no_attempts_left
    return None


async def answer(uow: Any, bank: QuizBank, user_id: int, attempt_id: int, position: int, shown: int,
                 now: datetime | None = None) -> Answered:
    """Record the answer to one question exactly once; everything else is refused and changes nothing."""
    now = now or utcnow()
    # The common case in one step: the attempt's questions are known here and the press is current.
    items = uow.quiz.known_items(attempt_id)
    if items is not None and 0 <= position < len(items) and 0 <= shown < len(items[position].order):
        item = items[position]
        question = bank.questions.get(item.question_id)
        if question is not None:
            chosen = item.order[shown]
            correct = chosen == question.correct_index
            async with uow:
                attempt = await uow.quiz.count_answer_if_current(attempt_id, user_id, position, item.question_id,
                                                                 chosen, correct, now)
                if attempt is not None:
                    if attempt.all_answered and not awaiting_prediction(attempt, bank.contests.get(attempt.contest_id)):
                        attempt = await _finish(uow, attempt, now, None)
                    await uow.commit()
                    return Answered(Outcome.accepted, attempt, question, chosen, correct)
    # Otherwise read the attempt and say exactly why the press is refused (or count it, after a restart).
    async with uow:
        attempt = await uow.quiz.attempt(attempt_id)
        if attempt is None or attempt.user_id != user_id:
            return Answered(Outcome.foreign if attempt else Outcome.stale)
        if attempt.status != "in_progress":
            return Answered(Outcome.stale, attempt)
        if now >= attempt.deadline_at:
            closed = await _close(uow, attempt) or await uow.quiz.attempt(attempt_id)
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
        counters = await uow.quiz.record_answer(attempt_id, position, item.question_id, chosen, correct, now)
        if counters is None:
            return Answered(Outcome.duplicate, attempt)
        attempt = replace(attempt, answered=counters[0], correct=counters[1])
        if attempt.all_answered and not awaiting_prediction(attempt, bank.contests.get(attempt.contest_id)):
            attempt = await _finish(uow, attempt, now, None)
        await uow.commit()
        return Answered(Outcome.accepted, attempt, question, chosen, correct)


async def predict(uow: Any, bank: QuizBank, user_id: int, value: int, now: datetime | None = None) -> Attempt | None:
    """Record the prediction and finish the attempt waiting for it; None if there is none."""
    now = now or utcnow()
    async with uow:
        for attempt in await uow.quiz.open_attempts_of(user_id):
            if awaiting_prediction(attempt, bank.contests.get(attempt.contest_id)):
                if now >= attempt.deadline_at:
                    closed = await _close(uow, attempt) or await uow.quiz.attempt(attempt.id)
                    await uow.commit()
                    return closed
                finished = await _finish(uow, attempt, now, value)
                await uow.commit()
                return finished
    return None


async def pending(uow: Any, user_id: int, now: datetime | None = None, attempt_id: int | None = None) -> Attempt | None:
    """The attempt in progress (a contest attempt before practice), or the one with `attempt_id`; overdue
    attempts are closed first."""
    now = now or utcnow()
    async with uow:
        closed = await _close_overdue_of(uow, user_id, now)
        if closed:
            await uow.commit()
        attempts = sorted(await uow.quiz.open_attempts_of(user_id), key=lambda attempt: attempt.mode != "contest")
    if attempt_id is not None:
        attempts = [attempt for attempt in attempts if attempt.id == attempt_id]
    return attempts[0] if attempts else None


async def awaiting(uow: Any, bank: QuizBank, user_id: int, now: datetime | None = None) -> Attempt | None:
    """The attempt whose questions are all answered and which waits for the prediction."""
    now = now or utcnow()
    async with uow:
        attempts = await uow.quiz.open_attempts_of(user_id)
    return next((attempt for attempt in attempts if now < attempt.deadline_at
                 and awaiting_prediction(attempt, bank.contests.get(attempt.contest_id))), None)


async def close_expired(uow: Any, now: datetime | None = None) -> list[Attempt]:
    """Close every attempt past its deadline with what was answered. Safe to run in several processes:
    an attempt is closed by whoever's UPDATE matches first, and reported by that one only."""
    now = now or utcnow()
    async with uow:
        closed = [attempt for attempt in [await _close(uow, a) for a in await uow.quiz.overdue(now)] if attempt]
        await uow.commit()
    return closed


async def _close_overdue_of(uow: Any, user_id: int, now: datetime) -> list[Attempt]:
    return [await _close(uow, attempt) for attempt in await uow.quiz.open_attempts_of(user_id)
            if now >= attempt.deadline_at]


async def _close(uow: Any, attempt: Attempt) -> Attempt | None:
    duration = int((attempt.deadline_at - attempt.started_at).total_seconds() * 1000)
    if not await uow.quiz.finish(attempt.id, attempt.deadline_at, duration, EXPIRED):
        return None
    return replace(attempt, status=EXPIRED, finished_at=attempt.deadline_at, duration_ms=duration)


async def _finish(uow: Any, attempt: Attempt, now: datetime, prediction: int | None) -> Attempt:
    duration = int((now - attempt.started_at).total_seconds() * 1000)
    await uow.quiz.finish(attempt.id, now, duration, FINISHED, prediction)
    return replace(attempt, status=FINISHED, finished_at=now, duration_ms=duration, prediction=prediction)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Result:
    attempt: Attempt
    contest: Contest | None
    rank: Ranked | None
    entrants: int
    wrong: list[tuple[Question, int | None]] = field(default_factory=list)  # (question, chosen bank index)


async def result(uow: Any, bank: QuizBank, attempt_id: int) -> Result:
    async with uow:
        attempt = await uow.quiz.attempt(attempt_id)
        answers = {row.position: row for row in await uow.quiz.answers(attempt_id)}
        ranked = rank_individuals(await uow.quiz.entries(attempt.contest_id)) if attempt.mode == "contest" else []
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


async def leaderboard(uow: Any, contest: Contest, user_id: int | None, size: int = 10) -> Leaderboard:
    async with uow:
        entries = await uow.quiz.entries(contest.id)
        units = await uow.quiz.unit_directory()
    tiers = [(tier.id, tier.count) for tier in contest.prizes.individual]
    ranked = rank_individuals(entries, tiers=tiers)
    mine = next((entry for entry in ranked if entry.entry.user_id == user_id), None)
    group_prizes = contest.prizes.group
    stats: list[GroupStat] = group_stats(counted_attempts(entries), units)
    groups = rank_groups(stats, group_prizes.criterion if group_prizes else "participation_rate",
                         group_prizes.count if group_prizes else 0)
    return Leaderboard(contest, ranked[:size], mine, len(ranked), groups[:size])
