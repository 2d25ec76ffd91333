"""A seeded contest for the reports' tests: ties at every level of the ranking's chain, written straight to
the tables (the quiz's own tests prove how attempts get there)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from bot.db.quiz import QuizAnswer, QuizAttempt, QuizParticipant
from bot.db.uow import UnitOfWork
from bot.domain.units import import_units

UNITS = (
    "code,name,kind,parent_code,headcount,help_name,help_phone,help_hours\n"
    "p,Thái Nguyên,province,,,,,\n"
    "p-a,Đức Xuân,ward,p,100,,,\n"
    "p-b,Phan Đình Phùng,ward,p,50,,,\n"
)
T0 = datetime(2026, 9, 5, 2, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    name: str | None
    phone: str | None
    unit: str | None
    # (correct, duration in s, minutes after T0, prediction offset from the entrants or None)
    attempts: tuple[tuple[int, float, float, int | None], ...]
    erased: bool = False
    group: str = "citizens"


ENTRANTS = 10
PEOPLE = (
    Person("Nguyễn Văn An", "+84911000001", "p-a", ((3, 10, 0, 0),)),
    Person("Trần Thị Bình", "0911000002", "p-a", ((3, 10, 0, 0),)),  # tied with An on all four
    Person("Lê Văn Cường", "0911000003", "p-b", ((3, 10, 1, 0),)),  # later
    Person("Phạm Thị Dung", "0911000004", "p-b", ((3, 12, 0, 0),)),  # slower
    Person("Hoàng Văn Em", "0911000005", "p-a", ((3, 9, 0, 5),)),  # prediction further
    Person("Vũ Thị Giang", "0911000006", "p-a", ((3, 5, 0, -5),)),  # as far, the other side: faster
    Person("Đỗ Văn Hùng", "0911000007", "p-b", ((3, 1, 0, None),)),  # no prediction, after every prediction
    # best of three: most correct (2 over 1), then shortest among the 2s
    Person("Bùi Thị Lan", "0911000008", None, ((1, 3, 0, 0), (2, 20, 2, 1), (2, 15, 3, 1))),
    Person(None, None, "p-a", ((2, 15, 3, 1),), erased=True),  # used /forget; otherwise tied with Lan
    Person("Ngô Văn Minh", "0911000010", "p-b", ((0, 30, 0, 0),), group="officials"),
)


async def seed(uow: UnitOfWork, contest_id: str, questions: list[str]) -> dict[str, int]:
    """The people above (their user ids by name), an open attempt that must not count, answers."""
    await import_units(uow, UNITS)
    ids: dict[str, int] = {}
    async with uow:
        session = uow.session
        for number, person in enumerate(PEOPLE, start=1):
            user = await uow.users.add("telegram", str(7000 + number), str(7000 + number), T0, None)
            await uow.users.update(user.id, unit_code=person.unit)
            ids[person.name or "erased"] = user.id
            await session.execute(
                insert(QuizParticipant).values(
                    user_id=user.id,
                    full_name=person.name,
                    phone=person.phone,
                    birth_year=None if person.erased else 1990,
                    group_id=person.group,
                    erased_at=T0 if person.erased else None,
                    updated_at=T0,
                )
            )
            for index, (correct, seconds, minutes, offset) in enumerate(person.attempts, start=1):
                started = T0 + timedelta(minutes=minutes) - timedelta(seconds=seconds)
                items = [[question, [0, 1, 2, 3]] for question in questions]
                attempt_id = await session.scalar(
                    insert(QuizAttempt)
                    .values(
                        contest_id=contest_id,
                        user_id=user.id,
                        number=index,
                        mode="contest",
                        items=json.dumps(items),
                        started_at=started,
                        deadline_at=started + timedelta(minutes=10),
                        finished_at=T0 + timedelta(minutes=minutes),
                        status="finished",
                        correct=correct,
                        answered=len(questions),
                        duration_ms=int(seconds * 1000),
                        prediction=None if offset is None else ENTRANTS + offset,
                    )
                    .returning(QuizAttempt.id)  # the database's own ids: its sequence stays ahead (PostgreSQL)
                )
                for position, question in enumerate(questions):
                    right = position < correct
                    await session.execute(
                        insert(QuizAnswer).values(
                            attempt_id=attempt_id,
                            position=position,
                            question_id=question,
                            chosen=0 if right else 1,
                            is_correct=right,
                            answered_at=started + timedelta(seconds=position + 1),
                        )
                    )
        # someone still answering: not an entrant yet
        extra = await uow.users.add("telegram", "7999", "7999", T0, None)
        await session.execute(
            insert(QuizAttempt).values(
                contest_id=contest_id,
                user_id=extra.id,
                number=1,
                mode="contest",
                items="[]",
                started_at=T0,
                deadline_at=T0 + timedelta(minutes=10),
                status="in_progress",
                correct=3,
                answered=3,
            )
        )
        await uow.commit()
    return ids


async def bulk_seed(uow: UnitOfWork, contest_id: str, count: int, questions: list[str]) -> None:
    """`count` entrants with one finished attempt each, inserted in a few statements."""
    from bot.db.models import User

    await import_units(uow, UNITS)
    items = json.dumps([[question, [0, 1, 2, 3]] for question in questions])
    async with uow:
        session = uow.session
        await session.execute(
            insert(User),
            [
                {
                    "platform": "telegram",
                    "platform_user_id": str(100_000 + number),
                    "chat_id": str(100_000 + number),
                    "unit_code": ("p-a", "p-b", None)[number % 3],
                    "status": "active",
                    "first_seen": T0 + timedelta(hours=number % 48),
                    "last_seen": T0,
                }
                for number in range(count)
            ],
        )
        ids = [row[0] for row in (await session.execute(text_("SELECT id FROM users ORDER BY id"))).all()]
        await session.execute(
            insert(QuizParticipant),
            [
                {"user_id": user_id, "full_name": f"Người dự thi {n}", "phone": f"09{n:08d}", "updated_at": T0}
                for n, user_id in enumerate(ids)
            ],
        )
        await session.execute(
            insert(QuizAttempt),
            [
                {
                    "contest_id": contest_id,
                    "user_id": user_id,
                    "number": 1,
                    "mode": "contest",
                    "items": items,
                    "started_at": T0,
                    "deadline_at": T0 + timedelta(minutes=10),
                    "finished_at": T0 + timedelta(seconds=30 + n % 500),
                    "status": "finished",
                    "correct": n % (len(questions) + 1),
                    "answered": len(questions),
                    "duration_ms": 30_000 + (n * 7919) % 500_000,
                    "prediction": (n * 31) % (2 * count),
                }
                for n, user_id in enumerate(ids)
            ],
        )
        await uow.commit()


def text_(statement: str):
    from sqlalchemy import text

    return text(statement)
