"""Audiences against a seeded population, in the real database (SQLite, or PostgreSQL when DATABASE_URL says
so) and in the in-memory fake with the same expectations; the outbox's claims, including two workers claiming
at once on PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.db.engine import create_engine, create_session_factory
from bot.db.uow import UnitOfWork
from bot.delivery.ports import OUTBOX, Result
from bot.delivery.records import Kind, NewDelivery, State
from bot.domain.broadcasts import service
from bot.domain.broadcasts.ports import BROADCASTS
from bot.domain.broadcasts.records import Audience, ContentKind, QuizFilter, Version
from bot.domain.guides.ports import GUIDES
from bot.domain.guides.records import GuideProgress, ProgressStatus
from bot.domain.ports import Work
from bot.domain.quiz.ports import QUIZ
from bot.domain.quiz.records import AttemptMode
from bot.domain.quiz.sampling import Drawn
from bot.domain.records import UnitRecord
from bot.features import stores
from tests.conftest import ON_POSTGRES
from tests.fakes import FakeWork

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SCOPE = service.scope("vi")
UNITS = [
    UnitRecord("tn", "Thái Nguyên", "province"),
    UnitRecord("tn-a", "Phường A", "ward", "tn"),
    UnitRecord("tn-a1", "Tổ A1", "commune", "tn-a"),
    UnitRecord("tn-b", "Xã B", "commune", "tn"),
]


async def _seed(uow: Work) -> dict[str, int]:
    """Eight citizens; each line says what makes them differ."""
    people: dict[str, int] = {}
    async with uow:
        await uow.units.upsert_many(UNITS)
        for name, unit, language, status in (
            ("lan", "tn-a1", "vi", "active"),  # deep in A; entrant; guide half done
            ("minh", "tn-b", "en", "active"),  # registered, not attempted; guide done
            ("hoa", "tn-a", None, "active"),  # chose unit A when she registered; default language
            ("som", None, "th", "active"),  # practice only; registered but incomplete
            ("blocked", "tn-a", "vi", "blocked"),  # entrant, but blocked the bot
            ("muted", "tn-a", "vi", "active"),  # entrant, but muted announcements
            ("tuan", "tn", "vi", "active"),  # the province itself
            ("zalo", "tn-a", "vi", "active"),  # on a messenger the bot cannot send to
        ):
            platform = "zalo" if name == "zalo" else "telegram"
            user = await uow.users.add(platform, f"id-{name}", f"chat-{name}", NOW, None)
            await uow.users.update(user.id, language=language, unit_code=unit, status=status)
            people[name] = user.id
        quiz = uow[QUIZ]
        complete = {"full_name": "Nguyễn Văn A", "phone": "+84900000000", "birth_year": 1990, "group_id": "citizens"}
        for name, values in (
            ("lan", complete),
            ("minh", complete),
            ("hoa", complete),
            ("som", {"full_name": "Som"}),
            ("blocked", complete),
            ("muted", complete),
        ):
            await quiz.ensure_participant(people[name], NOW, consent_at=NOW, **values)  # type: ignore[arg-type]
        items = [Drawn("q1", (0, 1))]
        for name, mode in (("lan", "contest"), ("blocked", "contest"), ("muted", "contest"), ("som", "practice")):
            await quiz.add_attempt("c1", people[name], 1, AttemptMode(mode), items, NOW, NOW + timedelta(minutes=5))
        await quiz.add_attempt("c0", people["minh"], 1, AttemptMode.contest, items, NOW, NOW)  # another contest
        for name, status in (
            ("lan", ProgressStatus.active),
            ("minh", ProgressStatus.done),
            ("hoa", ProgressStatus.abandoned),
        ):
            await uow[GUIDES].save(GuideProgress(people[name], "g1", 2, frozenset(), "v1", status, NOW), NOW)
        await uow[OUTBOX].mute(people["muted"], NOW)
        await uow.commit()
    return people


CASES = [
    (Audience(), {"lan", "minh", "hoa", "som", "tuan"}),
    (Audience(units=("tn-a",)), {"lan", "hoa"}),
    (Audience(units=("tn-a1", "tn-b")), {"lan", "minh"}),
    (Audience(units=("tn",)), {"lan", "minh", "hoa", "tuan"}),
    (Audience(languages=("vi",)), {"lan", "hoa", "tuan"}),
    (Audience(languages=("en", "th")), {"minh", "som"}),
    (Audience(quiz=QuizFilter.entrants, contest_id="c1"), {"lan"}),
    (Audience(quiz=QuizFilter.not_attempted, contest_id="c1"), {"minh", "hoa"}),
    (Audience(quiz=QuizFilter.not_attempted, contest_id="c0"), {"lan", "hoa"}),
    (Audience(guide_id="g1"), {"lan", "hoa"}),
    (Audience(units=("tn-a",), languages=("vi",), guide_id="g1"), {"lan", "hoa"}),
    (Audience(units=("tn-b",), quiz=QuizFilter.entrants, contest_id="c1"), set()),
]


async def _check_audiences(uow: Work, people: dict[str, int]) -> None:
    names = {user_id: name for name, user_id in people.items()}
    for audience, expected in CASES:
        async with uow:
            assert await uow[BROADCASTS].count_audience(audience, SCOPE, None) == len(expected), audience
        draft = await service.new_draft(uow, "test", None)
        await service.set_audience(uow, draft.id, audience)
        async with uow:
            broadcast = await uow[BROADCASTS].get(draft.id)
            assert broadcast is not None
            last = await uow[BROADCASTS].last_user_id()
            broadcast = replace(broadcast, last_user_id=last)
            queued, cursor = 0, 0
            for _ in range(10):  # slices of 3 citizens, each once
                added, cursor = await uow[BROADCASTS].queue_slice(replace(broadcast, cursor=cursor), SCOPE, 3, NOW)
                queued += added
                if cursor >= last:
                    break
            assert cursor == last
            counts = await uow[OUTBOX].counts("broadcast", draft.id)
            await uow.commit()
        assert queued == len(expected) == counts.get(State.pending, 0), audience
        got = {names[row] for row in await _queued_users(uow, draft.id)}
        assert got == expected, audience


async def _queued_users(uow: Work, broadcast_id: int) -> list[int]:
    if isinstance(uow, FakeWork):
        return [r.new.user_id for r in uow.state.deliveries.values() if r.new.ref_id == broadcast_id]
    from sqlalchemy import select

    from bot.db.outbox import DeliveryRow

    async with uow:
        rows = await uow.session.scalars(  # type: ignore[attr-defined]
            select(DeliveryRow.user_id).where(DeliveryRow.topic == "broadcast", DeliveryRow.ref_id == broadcast_id)
        )
        return list(rows)


async def test_audiences_in_the_database(uow) -> None:
    await _check_audiences(uow, await _seed(uow))


async def test_audiences_in_the_fake_store_agree() -> None:
    work = FakeWork()
    await _check_audiences(work, await _seed(work))


async def test_a_unit_report_counts_per_unit_of_the_citizen(uow) -> None:
    people = await _seed(uow)
    broadcast = await service.new_draft(uow, "test", None)
    await service.save_version(uow, broadcast.id, Version("", ContentKind.text, "x"))
    started = await service.confirm(uow, broadcast.id, "test", SCOPE)
    assert started.total == 5
    assert await service.refill(uow, SCOPE, NOW, loud=True) == 5
    report = await service.report(uow, broadcast.id, 25)
    assert report is not None
    by_unit = {line.unit_code: line for line in report.units}
    assert set(by_unit) == {"tn-a1", "tn-b", "tn-a", None, "tn"}  # hoa counts in her contest unit
    assert by_unit["tn-a"].name == "Phường A" and by_unit[None].delivered == 0
    assert len(people) == 8


async def test_claims_go_notices_first_then_by_id_and_results_are_written(uow) -> None:
    people = await _seed(uow)
    ids = [people[name] for name in ("lan", "minh", "hoa")]
    async with uow:
        outbox = uow[OUTBOX]
        await outbox.add(
            [NewDelivery(user_id=uid, channel="telegram", kind=Kind.broadcast, topic="t", ref_id=1) for uid in ids], NOW
        )
        await outbox.add(
            [NewDelivery(user_id=ids[2], channel="telegram", kind=Kind.notice, topic="n", ref_id=1, urgent=True)], NOW
        )
        assert (
            await outbox.add(
                [NewDelivery(user_id=ids[0], channel="telegram", kind=Kind.broadcast, topic="t", ref_id=1)], NOW
            )
            == 0
        )
        quiet = await outbox.claim("w1", 10, NOW, loud=False)
        assert [(c.topic, c.user_id) for c in quiet] == [("n", ids[2])]
        claimed = await outbox.claim("w1", 2, NOW, loud=True)
        # On Telegram a citizen's private chat is their own id, whatever chat was stored.
        assert [(c.topic, c.user_id, c.chat_id, c.language) for c in claimed] == [
            ("t", ids[0], "id-lan", "vi"),
            ("t", ids[1], "id-minh", "en"),
        ]
        await outbox.record(
            [
                Result(claimed[0].id, State.sent, 1, 1, message_id="42"),
                Result(claimed[1].id, State.pending, 1, 0, NOW + timedelta(minutes=1), "server error"),
            ],
            NOW,
        )
        assert [c.user_id for c in await outbox.claim("w1", 10, NOW, loud=True)] == [ids[2]]
        assert await outbox.claim("w1", 10, NOW, loud=True) == []  # the retry is not due yet
        assert [c.user_id for c in await outbox.claim("w1", 10, NOW + timedelta(minutes=2), loud=True)] == [ids[1]]
        assert await outbox.recover(NOW - timedelta(seconds=1)) == 0
        assert await outbox.recover(None) == 3
        await outbox.hold("t", 1, NOW)
        assert [c.topic for c in await outbox.claim("w2", 10, NOW + timedelta(minutes=2), loud=True)] == ["n"]
        assert await outbox.cancel("t", 1, "cancelled", NOW) == 2
        counts = await outbox.counts("t", 1)
        await uow.commit()
    assert counts == {State.sent: 1, State.cancelled: 2}


@pytest.mark.skipif(not ON_POSTGRES, reason="SKIP LOCKED is PostgreSQL's; SQLite serves one process")
async def test_two_workers_claiming_at_once_never_get_the_same_delivery(settings, uow) -> None:
    people = await _seed(uow)
    async with uow:
        await uow[OUTBOX].add(
            [
                NewDelivery(user_id=people["lan"], channel="telegram", kind=Kind.broadcast, topic="t", ref_id=n)
                for n in range(400)
            ],
            NOW,
        )
        await uow.commit()
    engine = create_engine(settings.database_url)
    factory = create_session_factory(engine)

    async def worker(name: str) -> list[int]:
        got: list[int] = []
        work = UnitOfWork(factory, stores())
        try:
            for _ in range(40):
                async with work:
                    claimed = await work[OUTBOX].claim(name, 7, NOW, loud=True)
                    await asyncio.sleep(0.005)  # hold the locks a moment, as a real batch does
                    await work.commit()
                got.extend(c.id for c in claimed)
                if not claimed:
                    break
        finally:
            await work.close()
        return got

    first, second = await asyncio.gather(worker("a"), worker("b"))
    await engine.dispose()
    assert first and second
    assert not set(first) & set(second)
    assert len(first) + len(second) == 400
