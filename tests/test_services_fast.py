"""Services on the in-memory store (tests/fakes.py): the rules of each service, in microseconds.

What only a database can prove (unique keys under concurrent writers, the SQL, migrations) stays in the
database tests (test_quiz_service.py, test_guides_funnel.py, test_units.py…).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ROOT
from bot.domain import roles, units, users
from bot.domain.guides import service as guides
from bot.domain.guides.catalogue import load_catalogue
from bot.domain.guides.ports import GUIDES
from bot.domain.guides.records import EventKind, ProgressStatus
from bot.domain.guides.service import Move
from bot.domain.quiz import registration, service
from bot.domain.quiz.ports import QUIZ
from bot.domain.quiz.records import AttemptStatus
from bot.domain.quiz.registration import RegistrationLocked, Step
from bot.domain.quiz.schema import QuizBank, load_quiz_bank
from bot.domain.quiz.service import Outcome, Refusal
from bot.domain.records import UnitRecord, UserRecord
from tests.fakes import FakeWork
from tests.quiz_support import contest_yaml, make_bank

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> QuizBank:
    folder = tmp_path_factory.mktemp("bank")
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=1)
    loaded, problems = load_quiz_bank(make_bank(folder, [contest_yaml(attempts=2, start=start, end=end)]))
    assert not [problem for problem in problems if not problem.warning]
    return loaded


@pytest.fixture(scope="module")
def guide():  # type: ignore[no-untyped-def]
    return load_catalogue(ROOT / "procedures")[0].guides["birth-residence-insurance"]


async def _citizen(work: FakeWork, number: int = 1, birth_year: int = 1990) -> int:
    user = await work.users.add("telegram", str(number), str(number), NOW, None)
    await registration.consent(work, user.id, now=NOW)
    await registration.save(
        work,
        user.id,
        now=NOW,
        full_name="Lò Văn Cường",
        phone="+84911111111",
        birth_year=birth_year,
        group_id="citizens",
    )
    return user.id


def _right(bank: QuizBank, attempt, position: int) -> int:  # type: ignore[no-untyped-def]
    """The shown option that is correct at this position."""
    item = attempt.items[position]
    return item.order.index(bank.questions[item.question_id].correct_index)


# ---------------------------------------------------------------- quiz


async def test_a_contest_attempt_from_start_to_result(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = await _citizen(work)
    contest = bank.contests["open-now"]
    started = await service.start(work, bank, contest, user_id, now=NOW, rng=random.Random(3))
    attempt = started.attempt
    assert attempt is not None and not started.resumed and attempt.total == contest.questions_per_attempt
    for position in range(attempt.total):
        answered = await service.answer(
            work,
            bank,
            user_id,
            attempt.id,
            position,
            _right(bank, attempt, position),
            now=NOW + timedelta(seconds=10 * (position + 1)),
        )
        assert answered.outcome is Outcome.accepted and answered.correct
    waiting = await service.awaiting(work, bank, user_id, now=NOW + timedelta(minutes=1))
    assert waiting is not None and waiting.id == attempt.id  # the prediction is still to come
    finished = await service.predict(work, bank, user_id, 120, now=NOW + timedelta(minutes=1))
    assert finished is not None and finished.status is AttemptStatus.finished and finished.prediction == 120
    result = await service.result(work, bank, attempt.id)
    assert result.rank is not None and result.rank.position == 1 and result.wrong == []


async def test_double_taps_stale_and_foreign_presses_change_nothing(bank: QuizBank) -> None:
    work = FakeWork()
    owner, stranger = await _citizen(work, 1), await _citizen(work, 2)
    attempt = (await service.start(work, bank, bank.contests["open-now"], owner, now=NOW)).attempt
    assert attempt is not None
    first = await service.answer(work, bank, owner, attempt.id, 0, 0, now=NOW)
    again = await service.answer(work, bank, owner, attempt.id, 0, 1, now=NOW)
    ahead = await service.answer(work, bank, owner, attempt.id, 2, 0, now=NOW)
    foreign = await service.answer(work, bank, stranger, attempt.id, 1, 0, now=NOW)
    beyond = await service.answer(work, bank, owner, attempt.id, 1, 99, now=NOW)
    assert [a.outcome for a in (first, again, ahead, foreign, beyond)] == [
        Outcome.accepted,
        Outcome.duplicate,
        Outcome.stale,
        Outcome.foreign,
        Outcome.stale,
    ]
    stored = await work[QUIZ].attempt(attempt.id)
    assert stored is not None and stored.answered == 1 and len(await work[QUIZ].answers(attempt.id)) == 1


async def test_a_press_after_the_deadline_closes_the_attempt_with_what_was_answered(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = await _citizen(work)
    attempt = (await service.start(work, bank, bank.contests["open-now"], user_id, now=NOW)).attempt
    assert attempt is not None
    await service.answer(work, bank, user_id, attempt.id, 0, 0, now=NOW)
    late = await service.answer(work, bank, user_id, attempt.id, 1, 0, now=attempt.deadline_at)
    assert late.outcome is Outcome.expired and late.attempt is not None
    assert late.attempt.status is AttemptStatus.expired and late.attempt.answered == 1


@pytest.mark.parametrize(
    ("setup", "refusal"),
    [("unregistered", Refusal.not_registered), ("young", Refusal.too_young), ("used", Refusal.no_attempts_left)],
)
async def test_who_may_not_start_a_contest(bank: QuizBank, setup: str, refusal: Refusal) -> None:
    work = FakeWork()
    contest = bank.contests["open-now"]
    if setup == "unregistered":
        user_id = (await work.users.add("telegram", "9", "9", NOW, None)).id
    else:
        user_id = await _citizen(work, birth_year=NOW.year - 10 if setup == "young" else 1990)
    if setup == "used":
        for round_ in range(contest.attempts_allowed):
            attempt = (await service.start(work, bank, contest, user_id, now=NOW + timedelta(hours=round_))).attempt
            assert attempt is not None
            await service.close_expired(work, now=attempt.deadline_at + timedelta(seconds=1))
    started = await service.start(work, bank, contest, user_id, now=NOW + timedelta(hours=5))
    assert started.attempt is None and started.refusal is refusal


async def test_starting_again_hands_back_the_open_attempt(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = await _citizen(work)
    first = await service.start(work, bank, bank.contests["open-now"], user_id, now=NOW)
    again = await service.start(work, bank, bank.contests["open-now"], user_id, now=NOW + timedelta(minutes=1))
    assert again.resumed and again.attempt == first.attempt


async def test_pending_does_not_count_an_attempt_another_process_closed(bank: QuizBank) -> None:
    """An overdue attempt closed elsewhere first: nothing was closed here, so nothing is committed here."""
    work = FakeWork()
    user_id = await _citizen(work)
    attempt = (await service.start(work, bank, bank.contests["open-now"], user_id, now=NOW)).attempt
    assert attempt is not None
    quiz = work[QUIZ]
    later = attempt.deadline_at + timedelta(seconds=1)
    finish = quiz.finish

    async def closed_by_someone_else(*args, **kwargs):  # type: ignore[no-untyped-def]
        await finish(*args, **kwargs)  # the other process's UPDATE wins…
        return False  # …so this one matched nothing

    quiz.finish = closed_by_someone_else  # type: ignore[method-assign]
    commits = work.commits
    assert await service.pending(work, user_id, now=later) is None
    assert work.commits == commits


async def test_the_sweeper_closes_each_overdue_attempt_once(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = await _citizen(work)
    attempt = (await service.start(work, bank, bank.contests["open-now"], user_id, now=NOW)).attempt
    assert attempt is not None
    late = attempt.deadline_at + timedelta(seconds=1)
    closed = await service.close_expired(work, now=late)
    assert [a.id for a in closed] == [attempt.id] and await service.close_expired(work, now=late) == []


# ---------------------------------------------------------------- registration


async def test_registration_asks_each_field_in_turn_and_locks_after_a_contest_attempt(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = (await work.users.add("telegram", "1", "1", NOW, None)).id
    assert registration.next_step(None) is Step.consent
    person = await registration.consent(work, user_id, now=NOW)
    assert registration.next_step(person) is Step.birth_year  # first: nobody too young gives name or phone
    person = await registration.save(work, user_id, now=NOW, birth_year=1990)
    assert registration.next_step(person) is Step.name
    person = await registration.save(work, user_id, now=NOW, full_name="Hoa", phone="0912345678")
    assert registration.next_step(person) is Step.group
    person = await registration.save(work, user_id, now=NOW, group_id="citizens")
    assert registration.next_step(person, units_known=False) is Step.done
    assert registration.next_step(person) is Step.unit  # units imported, none on record
    assert registration.next_step(person, unit_code="x1") is Step.done  # the citizen's unit (QR code, Help)
    await service.start(work, bank, bank.contests["open-now"], user_id, now=NOW)
    with pytest.raises(RegistrationLocked):
        await registration.save(work, user_id, now=NOW, full_name="Someone Else")
    stored = await work[QUIZ].participant(user_id)
    assert stored is not None and stored.full_name == "Hoa"


async def test_forget_erases_name_and_phone_and_keeps_the_scores(bank: QuizBank) -> None:
    work = FakeWork()
    user_id = await _citizen(work)
    assert await registration.forget(work, user_id, now=NOW)
    person = await work[QUIZ].participant(user_id)
    assert person is not None and (person.full_name, person.phone, person.consent_at) == (None, None, None)
    assert person.erased_at == NOW and person.birth_year == 1990


async def test_saving_without_consent_is_refused() -> None:
    work = FakeWork()
    user_id = (await work.users.add("telegram", "1", "1", NOW, None)).id
    with pytest.raises(RegistrationLocked):
        await registration.save(work, user_id, now=NOW, full_name="Hoa")
    assert await work[QUIZ].participant(user_id) is None


# ---------------------------------------------------------------- guides


async def _guide_user(work: FakeWork) -> UserRecord:
    return await work.users.add("telegram", "7", "7", NOW, None)


async def test_a_walk_through_a_guide_records_its_funnel(guide) -> None:  # type: ignore[no-untyped-def]
    work = FakeWork()
    user = await _guide_user(work)
    progress = await guides.open_guide(work, user, "vi", guide)
    assert progress.step == 0
    for shown in range(len(guide.steps)):
        progress = await guides.move(work, user, "vi", guide, guide.version, shown, Move.next)
        assert progress is not None and progress.step == shown + 1
    stuck = await guides.move(work, user, "vi", guide, guide.version, len(guide.steps), Move.stuck)
    assert stuck is not None and stuck.step == len(guide.steps)
    done = await guides.move(work, user, "vi", guide, guide.version, len(guide.steps), Move.done)
    assert done is not None and done.status is ProgressStatus.done
    assert await guides.give_feedback(work, user, "vi", guide, helpful=False)
    assert not await guides.give_feedback(work, user, "vi", guide, helpful=True)  # once per walk
    kinds = [event.kind for event in work.state.events]
    assert kinds.count(EventKind.step) == len(guide.steps) and EventKind.stuck in kinds
    assert kinds[-2:] == [EventKind.done, EventKind.feedback]


async def test_stale_guide_buttons_change_nothing(guide) -> None:  # type: ignore[no-untyped-def]
    work = FakeWork()
    user = await _guide_user(work)
    await guides.open_guide(work, user, "vi", guide)
    before = await work[GUIDES].progress(user.id, guide.id)
    assert await guides.move(work, user, "vi", guide, "old-version", 0, Move.next) is None
    assert await guides.move(work, user, "vi", guide, guide.version, 3, Move.next) is None  # not on step 3
    assert await guides.toggle_item(work, user, guide, guide.version, 99) is None
    assert await work[GUIDES].progress(user.id, guide.id) == before


async def test_walks_left_alone_become_abandoned_once(guide) -> None:  # type: ignore[no-untyped-def]
    work = FakeWork()
    user = await _guide_user(work)
    await guides.open_guide(work, user, "vi", guide)
    assert await guides.mark_abandoned(work, timedelta(minutes=60), now=NOW + timedelta(days=30)) == 1
    assert await guides.mark_abandoned(work, timedelta(minutes=60), now=NOW + timedelta(days=31)) == 0
    assert [e.kind for e in work.state.events].count(EventKind.abandoned) == 1


# ---------------------------------------------------------------- citizens, units, roles


async def test_a_citizen_is_created_once_and_their_chat_kept_current() -> None:
    work = FakeWork()
    user, created = await users.touch(work, "telegram", "5", "5")
    again, created_again = await users.touch(work, "telegram", "5", "5")
    assert created and not created_again and again.id == user.id
    moved, _ = await users.touch(work, "telegram", "5", "55")
    assert moved.chat_id == "55" and len(work.state.users) == 1


async def test_a_qr_deep_link_records_source_and_unit() -> None:
    work = FakeWork()
    work.state.units["x1"] = UnitRecord("x1", "Xã Một", "commune")
    user, _ = await users.touch(work, "telegram", "5", "5")
    updated = await users.apply_start_payload(work, user, "unit_x1")
    assert (updated.unit_code, updated.source) == ("x1", "unit_x1")
    unknown = await users.apply_start_payload(work, updated, "unit_nowhere")
    assert unknown.unit_code == "x1"  # an unknown unit changes nothing


async def test_units_import_all_or_nothing_and_help_comes_from_the_nearest_unit_above() -> None:
    work = FakeWork()
    csv = "code,name,kind,parent_code,help_name,help_phone\np,Tỉnh,province,,Tổ tỉnh,0209\nc,Xã,commune,p,,\n"
    assert (await units.import_units(work, csv)).imported == 2
    unit, contact = await units.help_contact(work, "c")
    assert unit is not None and unit.code == "c" and contact is not None and contact.code == "p"
    with pytest.raises(units.UnitsCsvError):
        await units.import_units(work, "code,name,kind,parent_code\nd,Xã,commune,missing\n")
    assert await work.units.count() == 2


async def test_roles_are_granted_once_revoked_and_audited() -> None:
    work = FakeWork()
    assert await roles.grant(work, "telegram", "42", "official", actor="cli")
    assert not await roles.grant(work, "telegram", "42", "official", actor="cli")
    assert await roles.roles_of(work, "telegram", "42") == {"official"}
    assert await roles.roles_of(work, "telegram", "7", admin_ids=frozenset({"7"})) == {"admin"}
    assert await roles.revoke(work, "telegram", "42", "official", actor="cli")
    assert [action for _, _, action, _, _ in work.state.audit] == ["role.grant", "role.revoke"]
    with pytest.raises(roles.RoleError):
        await roles.grant(work, "telegram", "42", "king", actor="cli")
