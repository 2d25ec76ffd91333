"""A contest attempt's clock starts when its first question reached the citizen (fast, on tests/fakes.py).

Telegram may refuse a send for seconds (429, flood control); the bot then waits and sends again. The citizen
must not lose those seconds, and an attempt whose first question never arrived must not cost them an attempt.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.quiz import registration, service
from bot.domain.quiz.ports import QUIZ
from bot.domain.quiz.schema import QuizBank, load_quiz_bank
from bot.domain.quiz.service import Outcome
from tests.fakes import FakeWork
from tests.quiz_support import contest_yaml, make_bank

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LIMIT = timedelta(minutes=10)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> QuizBank:
    folder = tmp_path_factory.mktemp("bank")
    contests = [
        contest_yaml(attempts=1, start=NOW - timedelta(days=1), end=NOW + timedelta(days=1)),
        # a window that ends 3 minutes after NOW: deadlines are capped at its end
        contest_yaml("closing", attempts=1, start=NOW - timedelta(days=1), end=NOW + timedelta(minutes=3)),
    ]
    loaded, problems = load_quiz_bank(make_bank(folder, contests))
    assert not [problem for problem in problems if not problem.warning]
    return loaded


async def _citizen(work: FakeWork) -> int:
    user = await work.users.add("telegram", "1", "1", NOW, None)
    await registration.consent(work, user.id, now=NOW)
    await registration.save(
        work, user.id, now=NOW, full_name="Lò Văn Cường", phone="+84911111111", birth_year=1990, group_id="citizens"
    )
    return user.id


async def _start(work: FakeWork, bank: QuizBank, user_id: int, contest: str = "open-now") -> service.Started:
    started = await service.start(work, bank, bank.contests[contest], user_id, now=NOW, rng=random.Random(1))
    assert started.attempt is not None and not started.resumed
    return started


async def test_the_clock_starts_when_the_first_question_was_delivered(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = await _citizen(work)
    started = await _start(work, bank, user_id)
    delivered = NOW + timedelta(seconds=7)  # the send waited out a 429
    async with service.first_question(work, bank, started, clock=lambda: delivered):
        pass
    attempt = await work[QUIZ].attempt(started.attempt.id)  # type: ignore[union-attr]
    assert attempt is not None
    assert attempt.started_at == delivered and attempt.deadline_at == delivered + LIMIT
    # The last second of the real time limit still counts: on the old clock it would have been too late.
    answered = await service.answer(work, bank, user_id, attempt.id, 0, 0, now=NOW + LIMIT + timedelta(seconds=5))
    assert answered.outcome is Outcome.accepted


async def test_a_first_question_that_never_arrived_costs_no_attempt(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = await _citizen(work)
    started = await _start(work, bank, user_id)
    with pytest.raises(ConnectionError):
        async with service.first_question(work, bank, started, clock=lambda: NOW):
            raise ConnectionError("the send failed")
    assert await work[QUIZ].attempts_made(user_id, "open-now") == 0
    # The contest allows one attempt: it is still there, with a fresh clock.
    again = await service.start(work, bank, bank.contests["open-now"], user_id, now=NOW + timedelta(minutes=1))
    assert again.attempt is not None and again.attempt.number == 1 and not again.resumed
    assert again.attempt.deadline_at == NOW + timedelta(minutes=1) + LIMIT


async def test_a_resumed_attempt_keeps_its_clock(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = await _citizen(work)
    first = await _start(work, bank, user_id)
    resumed = await service.start(work, bank, bank.contests["open-now"], user_id, now=NOW + timedelta(minutes=4))
    assert resumed.resumed
    async with service.first_question(work, bank, resumed, clock=lambda: NOW + timedelta(minutes=4)):
        pass
    attempt = await work[QUIZ].attempt(first.attempt.id)  # type: ignore[union-attr]
    assert attempt is not None and attempt.started_at == NOW and attempt.deadline_at == NOW + LIMIT
    # Nor is a resumed attempt withdrawn when its question fails to arrive: it may have been seen before.
    with pytest.raises(ConnectionError):
        async with service.first_question(work, bank, resumed):
            raise ConnectionError
    assert await work[QUIZ].attempt(attempt.id) == attempt


async def test_an_answered_attempt_is_never_moved_nor_withdrawn(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = await _citizen(work)
    started = await _start(work, bank, user_id)
    attempt = started.attempt
    assert attempt is not None
    assert (await service.answer(work, bank, user_id, attempt.id, 0, 0, now=NOW)).outcome is Outcome.accepted
    assert await service.start_clock(work, bank, attempt, NOW + timedelta(minutes=2)) == attempt
    assert not await service.withdraw(work, attempt)
    stored = await work[QUIZ].attempt(attempt.id)
    assert stored is not None and stored.started_at == NOW and stored.answered == 1


async def test_a_moved_deadline_stays_within_the_contest_window(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = await _citizen(work)
    started = await _start(work, bank, user_id, contest="closing")
    moved = await service.start_clock(work, bank, started.attempt, NOW + timedelta(seconds=20))  # type: ignore[arg-type]
    assert moved.started_at == NOW + timedelta(seconds=20)
    assert moved.deadline_at == NOW + timedelta(minutes=3)  # the window's end, not 10 minutes on
