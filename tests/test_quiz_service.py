"""Attempts at the service level: every answer exactly once, one open attempt, deadlines, eligibility."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.db.engine import create_engine, create_session_factory
from bot.db.quiz import DRAWN, QuizAnswer, QuizAttempt
from bot.db.uow import UnitOfWork
from bot.domain.clock import utcnow
from bot.domain.quiz import registration, service
from bot.domain.quiz.schema import load_quiz_bank
from bot.domain.quiz.service import Outcome, Refusal
from bot.features import stores
from tests.quiz_support import contest_yaml, make_bank


@pytest.fixture
async def world(settings, tmp_path):
    bank, problems = load_quiz_bank(make_bank(tmp_path / "bank", [contest_yaml(attempts=2)]))
    assert not [p for p in problems if not p.warning]
    engine = create_engine(settings.database_url)
    factory = create_session_factory(engine)
    yield bank, factory
    await engine.dispose()


async def _citizen(factory, number: int, birth_year: int = 1990) -> int:
    uow = UnitOfWork(factory, stores())
    async with uow:
        user = await uow.users.add("telegram", str(number), str(number), utcnow(), None)
        await uow.commit()
    await registration.consent(uow, user.id)
    await registration.save(
        uow, user.id, full_name="Lò Văn Cường", phone="+84911111111", birth_year=birth_year, group_id="citizens"
    )
    await uow.close()
    return user.id


async def _count(factory, model=QuizAnswer) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_an_answer_counts_once_even_when_pressed_twice(world):
    bank, factory = world
    user_id = await _citizen(factory, 1)
    uow = UnitOfWork(factory, stores())
    started = await service.start(uow, bank, bank.contests["open-now"], user_id, rng=random.Random(1))
    attempt = started.attempt
    first = await service.answer(uow, bank, user_id, attempt.id, 0, 0)
    again = await service.answer(uow, bank, user_id, attempt.id, 0, 1)
    assert (first.outcome, again.outcome) == (Outcome.accepted, Outcome.duplicate)
    assert first.attempt.answered == 1 and first.attempt.correct == int(first.correct)
    assert (await service.answer(uow, bank, user_id + 99, attempt.id, 1, 0)).outcome is Outcome.foreign
    assert (await service.answer(uow, bank, user_id, attempt.id, 2, 0)).outcome is Outcome.stale
    assert await _count(factory) == 1
    await uow.close()


async def test_answers_count_the_same_when_this_process_has_not_seen_the_attempt(world):
    """After a restart the drawn questions are not known in memory: the answer is read, checked and counted."""
    bank, factory = world
    user_id = await _citizen(factory, 3)
    uow = UnitOfWork(factory, stores())
    attempt = (await service.start(uow, bank, bank.contests["open-now"], user_id, rng=random.Random(2))).attempt
    known = await service.answer(uow, bank, user_id, attempt.id, 0, 0)
    DRAWN.clear()  # as in a new process
    unknown = await service.answer(uow, bank, user_id, attempt.id, 1, 1)
    again = await service.answer(uow, bank, user_id, attempt.id, 1, 2)
    await uow.close()

    assert (known.outcome, unknown.outcome, again.outcome) == (Outcome.accepted, Outcome.accepted, Outcome.duplicate)
    assert unknown.attempt.answered == 2
    assert unknown.attempt.correct == int(known.correct) + int(unknown.correct)
    assert unknown.attempt.items == attempt.items
    assert await _count(factory) == 2


async def test_concurrent_presses_of_one_question_store_exactly_one_answer(world):
    bank, factory = world
    user_id = await _citizen(factory, 2)
    uow = UnitOfWork(factory, stores())
    attempt = (await service.start(uow, bank, bank.contests["open-now"], user_id)).attempt
    uows = [UnitOfWork(factory, stores()) for _ in range(8)]
    results = await asyncio.gather(
        *(service.answer(u, bank, user_id, attempt.id, 0, i % 3) for i, u in enumerate(uows))
    )
    for u in uows:
        await u.close()
    outcomes = [r.outcome for r in results]
    assert outcomes.count(Outcome.accepted) == 1 and set(outcomes) <= {Outcome.accepted, Outcome.duplicate}
    assert await _count(factory) == 1
    assert (await service.pending(uow, user_id)).answered == 1
    await uow.close()


async def test_concurrent_starts_give_one_open_attempt(world):
    bank, factory = world
    user_id = await _citizen(factory, 3)
    uows = [UnitOfWork(factory, stores()) for _ in range(5)]
    started = await asyncio.gather(*(service.start(u, bank, bank.contests["open-now"], user_id) for u in uows))
    for u in uows:
        await u.close()
    assert len({s.attempt.id for s in started}) == 1
    assert await _count(factory, QuizAttempt) == 1


async def test_deadline_refuses_late_answers_and_closes_once(world):
    bank, factory = world
    user_id = await _citizen(factory, 4)
    uow = UnitOfWork(factory, stores())
    now = utcnow()
    attempt = (await service.start(uow, bank, bank.contests["open-now"], user_id, now=now)).attempt
    assert (
        await service.answer(uow, bank, user_id, attempt.id, 0, 0, now=now + timedelta(minutes=1))
    ).outcome is Outcome.accepted
    late = now + timedelta(minutes=11)
    assert await service.close_expired(uow, now=now + timedelta(minutes=5)) == []
    closed = await service.close_expired(uow, now=late)
    assert [a.id for a in closed] == [attempt.id] and closed[0].status == "expired"
    assert await service.close_expired(uow, now=late) == []  # idempotent: nobody closes it twice
    assert (await service.answer(uow, bank, user_id, attempt.id, 1, 0, now=late)).outcome is Outcome.stale
    assert await _count(factory) == 1
    result = await service.result(uow, bank, attempt.id)
    assert result.attempt.duration_ms == 10 * 60 * 1000 and len(result.wrong) >= 2
    await uow.close()


async def test_eligibility_attempt_limit_and_window(world):
    bank, factory = world
    contest = bank.contests["open-now"]
    uow = UnitOfWork(factory, stores())
    young = await _citizen(factory, 5, birth_year=utcnow().year - 10)
    assert (await service.start(uow, bank, contest, young)).refusal is Refusal.too_young
    adult = await _citizen(factory, 6)
    for _ in range(2):
        attempt = (await service.start(uow, bank, contest, adult)).attempt
        for position in range(attempt.total):
            await service.answer(uow, bank, adult, attempt.id, position, 0)
        assert (await service.predict(uow, bank, adult, 100)).status == "finished"
    assert (await service.start(uow, bank, contest, adult)).refusal is Refusal.no_attempts_left
    later = contest.window.end + timedelta(seconds=1)
    assert (await service.start(uow, bank, contest, await _citizen(factory, 7), now=later)).refusal is Refusal.not_open
    board = await service.leaderboard(uow, contest, adult)
    assert board.entrants == 1 and board.mine.entry.user_id == adult
    await uow.close()


async def test_details_lock_after_the_first_contest_attempt_and_forget_keeps_scores(world):
    bank, factory = world
    uow = UnitOfWork(factory, stores())
    user_id = await _citizen(factory, 8)
    await registration.save(uow, user_id, full_name="Hoàng Thị Mai")
    attempt = (await service.start(uow, bank, bank.contests["open-now"], user_id)).attempt
    with pytest.raises(registration.RegistrationLocked):
        await registration.save(uow, user_id, full_name="Someone Else")
    await service.answer(uow, bank, user_id, attempt.id, 0, 0)
    await registration.forget(uow, user_id)
    person = await registration.participant(uow, user_id)
    assert person.full_name is None and person.phone is None and person.erased_at is not None
    assert (await service.pending(uow, user_id)).answered == 1
    await uow.close()


def test_registration_input_validation():
    now = utcnow()
    assert registration.clean_name("  nguyễn   văn  an ") == "nguyễn văn an"
    assert registration.clean_name("R2D2") is None and registration.clean_name("x") is None
    assert registration.parse_birth_year("1990", now) == 1990
    assert registration.parse_birth_year("90", now) is None
    assert registration.parse_birth_year(str(now.year + 1), now) is None
    assert registration.clean_phone("+84 912 345 678") == "+84912345678"
