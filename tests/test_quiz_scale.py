"""The seed contest's size: 21,217 entrants × 20 answers, stored and ranked (timings belong to the benchmark)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from bot.config import ROOT
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import User
from bot.db.quiz import QuizAnswer, QuizAttempt, QuizParticipant
from bot.db.uow import UnitOfWork
from bot.domain.quiz import service
from bot.domain.quiz.schema import load_quiz_bank
from bot.domain.units import import_units
from bot.features import stores

ENTRANTS = 21_217
QUESTIONS = 20
START = datetime(2023, 9, 10, tzinfo=UTC)
UNITS = ["bk-tp-ducxuan", "bk-tp-songcau", "bk-babe", "bk-nari", None]


async def _bulk(session, model, rows, chunk=5000):
    for index in range(0, len(rows), chunk):
        await session.execute(insert(model), rows[index : index + chunk])


async def test_21217_entrants_with_20_answers_each_are_ranked(settings):
    bank, _ = load_quiz_bank(ROOT / "quiz_bank")
    contest = bank.contests["backan-dx-2023"]
    engine = create_engine(settings.database_url)
    factory = create_session_factory(engine)
    await import_units(
        UnitOfWork(factory, stores()), (ROOT / "data" / "units" / "backan-2023.csv").read_text(encoding="utf-8")
    )
    items = json.dumps([[f"q{n}", [0, 1, 2, 3]] for n in range(QUESTIONS)])
    async with factory() as session:
        await _bulk(
            session,
            User,
            [
                dict(
                    id=n,
                    platform="telegram",
                    platform_user_id=str(n),
                    chat_id=str(n),
                    unit_code=UNITS[n % 5],
                    status="active",
                    first_seen=START,
                    last_seen=START,
                )
                for n in range(1, ENTRANTS + 1)
            ],
        )
        await _bulk(
            session,
            QuizParticipant,
            [
                dict(
                    user_id=n,
                    full_name=None if n % 97 == 0 else f"Người {n}",
                    phone="+8490000000",
                    birth_year=1990,
                    group_id="citizens",
                    consent_at=START,
                    updated_at=START,
                )
                for n in range(1, ENTRANTS + 1)
            ],
        )
        await _bulk(
            session,
            QuizAttempt,
            [
                dict(
                    id=n,
                    contest_id=contest.id,
                    user_id=n,
                    number=1,
                    mode="contest",
                    items=items,
                    started_at=START + timedelta(seconds=n),
                    deadline_at=START + timedelta(seconds=n, minutes=20),
                    finished_at=START + timedelta(seconds=n, minutes=10),
                    status="finished",
                    correct=n % 21,
                    answered=QUESTIONS,
                    duration_ms=600_000 - n % 1000,
                    prediction=20_000 + n % 3000,
                )
                for n in range(1, ENTRANTS + 1)
            ],
        )
        answers = [
            dict(attempt_id=n, position=p, question_id=f"q{p}", chosen=0, is_correct=p < n % 21, answered_at=START)
            for n in range(1, ENTRANTS + 1)
            for p in range(QUESTIONS)
        ]
        await _bulk(session, QuizAnswer, answers, chunk=20_000)
        await session.commit()
        assert await session.scalar(select(func.count()).select_from(QuizAnswer)) == ENTRANTS * QUESTIONS
    uow = UnitOfWork(factory, stores())
    board = await service.leaderboard(uow, contest, user_id=12_345)
    assert board.entrants == ENTRANTS
    assert [r.entry.score for r in board.top] == [20] * 10
    assert board.mine is not None and board.mine.entry.user_id == 12_345
    assert board.top[0].prize == "first"
    assert {g.stat.code for g in board.groups} >= {"bk-tp-ducxuan", "bk-babe"}
    anonymous = [r for r in board.top if r.entry.name is None]
    assert all(r.entry.score == 20 for r in anonymous)
    result = await service.result(
        uow,
        bank.__class__(
            questions={f"q{n}": next(iter(bank.questions.values())) for n in range(QUESTIONS)}, contests=bank.contests
        ),
        attempt_id=12_345,
    )
    assert result.rank.entry.user_id == 12_345 and result.entrants == ENTRANTS
    await uow.close()
    await engine.dispose()
