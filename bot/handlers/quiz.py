"""The quiz in the chat: registration, attempts, prediction, results, /top, /privacy, /forget.

Thin: every decision is in bot.domain.quiz; this module reads updates, calls services and renders views.
Registration steps that need typed text use FSM states, but the next step is always derived from the
database, so a restart loses nothing. See quiz_flow.md for the conversation.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC
from typing import Unpack, cast

from aiogram import Bot, Dispatcher, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.outbox import OutboxRepository
from bot.db.quiz import QuizRepository
from bot.db.uow import StoreBinding, UnitOfWork, bind
from bot.delivery import service as delivery
from bot.delivery.ports import OUTBOX
from bot.delivery.records import Kind, NewDelivery
from bot.delivery.service import Waker
from bot.delivery.topics import ComposeContext, Topic
from bot.domain import units, users
from bot.domain.clock import utcnow
from bot.domain.guides.catalogue import Catalogue
from bot.domain.ports import Work
from bot.domain.quiz import registration, service
from bot.domain.quiz.certificate import CertificateText, render
from bot.domain.quiz.ports import QUIZ, ParticipantChanges
from bot.domain.quiz.records import Attempt, AttemptMode, AttemptStatus, Participant
from bot.domain.quiz.registration import RegistrationLocked, Step
from bot.domain.quiz.schema import Contest, Group, QuizBank, load_quiz_bank
from bot.domain.quiz.service import Outcome
from bot.domain.records import UnitRecord, UserRecord
from bot.features import Command as BotCommand
from bot.features import Feature
from bot.handlers.filters import MenuText, Pressed, from_menu, is_navigation
from bot.handlers.keyboard import replaced, replaces_keyboard, restored
from bot.i18n import _, current_locale, format_date, use_locale
from bot.ops.metrics import Metrics
from bot.transport.reply import Reply
from bot.ui import menu
from bot.ui.callbacks import UnitChooseCb, UnitLevelCb, UnitPurpose
from bot.ui.callbacks_quiz import (
    MENU_ENTRY,
    AnswerCb,
    NextQuestionCb,
    QuizAction,
    QuizCb,
    QuizEditCb,
    QuizForgetCb,
    QuizGroupCb,
    RegistrationField,
)
from bot.ui.payloads import INT_MAX
from bot.ui.screens import quiz as screens
from bot.ui.screens.common import main_menu, no_units, stale_button, unit_chosen, unit_picker
from bot.ui.view import View

log = logging.getLogger(__name__)


class QuizForm(StatesGroup):
    name = State()
    phone = State()
    birth_year = State()
    prediction = State()
    group = State()  # the group question is shown (asked, or being edited)
    unit = State()  # the unit picker is shown for registration


# Asking for the phone puts the share-contact button in place of the big buttons (bot.handlers.keyboard).
replaces_keyboard(QuizForm.phone)

STATE_OF = {
    Step.birth_year: QuizForm.birth_year,
    Step.name: QuizForm.name,
    Step.phone: QuizForm.phone,
    Step.group: QuizForm.group,
    Step.unit: QuizForm.unit,
}
# Steps that need the person to be old enough for the open contest (asked after the birth year).
AFTER_AGE = (Step.name, Step.phone, Step.group, Step.unit)


def _labels(guides: Catalogue | None) -> dict[str, str] | None:
    """Short titles of the published guides, for buttons under explanations (None: guides are not loaded)."""
    if guides is None:
        return None
    language = current_locale()
    return {guide_id: guide.button(language) for guide_id, guide in guides.guides.items()}


# ---------------------------------------------------------------- home and registration


async def show_home(reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank) -> None:
    attempt = await service.pending(uow, user.id)
    if attempt is not None:
        await reply.send(screens.in_progress_notice())
        await send_current(reply, attempt, state, quiz_bank)
        return
    participant = await registration.participant(uow, user.id)
    step = await _next_step(uow, user, participant)
    contest = quiz_bank.active_contest(utcnow())
    if step is Step.consent and contest is not None:
        await reply.send(View(text=screens.contest_intro(contest)))
    await ask(step, reply, uow, user, state, quiz_bank, participant)


async def _next_step(uow: UnitOfWork, user: UserRecord, participant: Participant | None) -> Step:
    return registration.next_step(participant, await units.any_known(uow), unit_code=user.unit_code)


async def _step_is_open(step: Step, state: FSMContext, uow: UnitOfWork, user: UserRecord) -> bool:
    """A button of a registration question acts only while that question is open: it is the next step, or it
    is being edited. A question answered since gets the stale-button answer and changes nothing."""
    if await state.get_state() == STATE_OF[step].state:
        return True
    participant = await registration.participant(uow, user.id)
    return await _next_step(uow, user, participant) is step


async def ask(
    step: Step,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    state: FSMContext,
    quiz_bank: QuizBank,
    participant: Participant | None,
) -> None:
    """Send the question for one registration step (or the summary once everything is known)."""
    state_of = STATE_OF.get(step)
    await state.set_state(state_of)
    now = utcnow()
    contest = quiz_bank.active_contest(now)
    if (
        step in AFTER_AGE
        and contest is not None
        and participant is not None
        and not registration.old_enough(participant.birth_year, contest, now)
    ):
        await state.set_state(None)
        await reply.send(screens.too_young(contest, participant.birth_year))
        return
    view = screens.step_view(step)
    if view is not None:
        await reply.send(view)
        if view.contact_request:
            await replaced(state)
    elif step is Step.group and not quiz_bank.groups():  # no contest defines groups: nothing to choose
        participant = await registration.save(uow, user.id, group_id="everyone")
        await ask_next(reply, uow, user, state, quiz_bank, participant)
    elif step is Step.group:
        await reply.send(screens.ask_group(quiz_bank.groups()))
    elif step is Step.unit:
        screen = await units.picker(uow)
        await reply.send(
            unit_picker(UnitPurpose.registration, screen, await units.get(uow, user.unit_code))
            if screen
            else no_units()
        )
    else:
        await reply.send(await _summary(uow, user, quiz_bank, participant))


async def ask_next(
    reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank, participant: Participant
) -> None:
    await ask(await _next_step(uow, user, participant), reply, uow, user, state, quiz_bank, participant)


async def _summary(uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank, participant: Participant | None) -> View:
    participant = participant or await registration.participant(uow, user.id)
    if participant is None or participant.consent_at is None:
        return screens.consent()
    unit, group = await _unit_and_group(uow, user, quiz_bank, participant)
    locked = await registration.is_locked(uow, user.id)
    now = utcnow()
    contest = quiz_bank.active_contest(now)
    left = await registration.attempts_left(uow, user.id, contest) if contest else None
    eligible = contest is None or registration.old_enough(participant.birth_year, contest, now)
    return screens.registration_summary(participant, unit, group, locked, contest, left, eligible)


async def _unit_and_group(
    uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank, participant: Participant | None
) -> tuple[UnitRecord | None, Group | None]:
    unit = await units.get(uow, user.unit_code)
    group = next((g for g in quiz_bank.groups() if participant and g.id == participant.group_id), None)
    return unit, group


async def open_quiz(
    _: TelegramObject, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    await show_home(reply, uow, user, state, quiz_bank)


async def on_consent(
    _: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    current = await registration.participant(uow, user.id)
    if current is not None and current.consent_at is not None:
        await reply.toast(stale_button())  # agreed already: this consent message is answered
        return
    participant = await registration.consent(uow, user.id)
    await reply.show(screens.consent_answered(agreed=True))
    await ask_next(reply, uow, user, state, quiz_bank, participant)


async def on_decline(_: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext) -> None:
    current = await registration.participant(uow, user.id)
    if current is not None and current.consent_at is not None:
        await reply.toast(stale_button())  # agreed already: "nothing was saved" would be false
        return
    await state.clear()
    await reply.show(screens.consent_answered(agreed=False))
    await reply.send(screens.declined(stored_before=current is not None))


async def _typed(message: Message, state: FSMContext) -> str:
    """The text of a typed answer; commands and menu buttons leave the form and go to their handlers."""
    text = message.text or ""
    if is_navigation(text):
        await state.clear()
        raise SkipHandler()
    return text


async def _save(
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    state: FSMContext,
    quiz_bank: QuizBank,
    answered: View | None = None,
    **values: Unpack[ParticipantChanges],
) -> None:
    """Save a field and ask the next step; `answered` is what the pressed question becomes (question + choice)."""
    try:
        participant = await registration.save(uow, user.id, **values)
    except RegistrationLocked:
        if reply.query is not None:
            await reply.toast(screens.details_locked(), alert=True)
        else:
            await state.clear()
            await reply.send(View(text=screens.details_locked()))
        return
    if reply.query is not None and answered is not None:
        await reply.show(answered)
    await ask_next(reply, uow, user, state, quiz_bank, participant)


async def on_name(
    message: Message, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    name = registration.clean_name(await _typed(message, state))
    if name is None:
        await reply.send(screens.bad_name())
        return
    await _save(reply, uow, user, state, quiz_bank, full_name=name)


async def on_contact(
    message: Message, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    contact = message.contact
    # Only the share-contact button sends the person's own card, with their own user id.
    if contact is None or message.from_user is None or contact.user_id != message.from_user.id:
        await reply.send(screens.phone_not_own())
        await replaced(state)
        return
    phone = registration.clean_phone(contact.phone_number)
    if phone is None:
        await reply.send(screens.phone_not_own())
        await replaced(state)
        return
    try:
        participant = await registration.save(uow, user.id, phone=phone)
    except RegistrationLocked:
        await state.clear()
        await reply.send(View(text=screens.details_locked(), keyboard=menu.keyboard()))
        await restored(state)
        return
    await reply.send(screens.phone_saved(phone))  # the big buttons are back with it
    await restored(state)
    await ask_next(reply, uow, user, state, quiz_bank, participant)


async def on_other_contact(
    message: Message, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    """A contact shared outside the phone step: the answer to it if the registration waits for the phone
    (after a restart, say), otherwise not kept."""
    participant = await registration.participant(uow, user.id)
    if participant is not None and await _next_step(uow, user, participant) is Step.phone:
        await on_contact(message, reply, uow, user, state, quiz_bank)
        return
    await reply.send(screens.contact_not_needed())


async def on_phone_text(message: Message, reply: Reply, state: FSMContext) -> None:
    if message.text is not None:
        await _typed(message, state)
    await reply.send(screens.ask_phone())
    await replaced(state)


async def on_birth_year(
    message: Message, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    now = utcnow()
    checked = registration.check_birth_year(await _typed(message, state), now)
    if checked.problem is not None or checked.year is None:
        await reply.send(screens.bad_birth_year(checked, now))
        return
    await _save(reply, uow, user, state, quiz_bank, birth_year=checked.year)


async def on_text_for_buttons(
    message: Message, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    """Typed text while a question waits for a button: say so, and show the question again."""
    await _typed(message, state)
    step = Step.group if await state.get_state() == QuizForm.group.state else Step.unit
    await reply.send(screens.pick_with_buttons())
    await ask(step, reply, uow, user, state, quiz_bank, await registration.participant(uow, user.id))


async def on_group(
    _: CallbackQuery,
    callback_data: QuizGroupCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    state: FSMContext,
    quiz_bank: QuizBank,
) -> None:
    group = next((group for group in quiz_bank.groups() if group.id == callback_data.id), None)
    if group is None or not await _step_is_open(Step.group, state, uow, user):
        await reply.toast(stale_button())
        return
    await _save(reply, uow, user, state, quiz_bank, answered=screens.group_chosen(group), group_id=group.id)


async def on_unit_level(
    _: CallbackQuery, callback_data: UnitLevelCb, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext
) -> None:
    screen = await units.picker(uow, callback_data.parent, callback_data.letter, callback_data.page)
    if screen is None or not await _step_is_open(Step.unit, state, uow, user):
        await reply.toast(stale_button())
        return
    await reply.show(unit_picker(UnitPurpose.registration, screen, await units.get(uow, user.unit_code)))


async def on_unit_chosen(
    _: CallbackQuery,
    callback_data: UnitChooseCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    state: FSMContext,
    quiz_bank: QuizBank,
) -> None:
    if not await _step_is_open(Step.unit, state, uow, user):
        await reply.toast(stale_button())
        return
    updated = await users.set_unit(uow, user.id, callback_data.code)
    unit = await units.get(uow, callback_data.code)
    participant = await registration.participant(uow, user.id)
    if updated is None or unit is None or participant is None:
        await reply.toast(stale_button())
        return
    await reply.show(unit_chosen(unit))
    await ask_next(reply, uow, updated, state, quiz_bank, participant)


async def on_edit_menu(_: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord) -> None:
    participant = await registration.participant(uow, user.id)
    if participant is None or participant.consent_at is None:
        await reply.toast(stale_button())
        return
    if await registration.is_locked(uow, user.id):
        await reply.toast(screens.details_locked(), alert=True)
        return
    await reply.send(screens.edit_menu())


EDITABLE = {
    RegistrationField.name: Step.name,
    RegistrationField.phone: Step.phone,
    RegistrationField.birth_year: Step.birth_year,
    RegistrationField.group: Step.group,
    RegistrationField.unit: Step.unit,
}


async def on_edit_field(
    _: CallbackQuery,
    callback_data: QuizEditCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    state: FSMContext,
    quiz_bank: QuizBank,
) -> None:
    participant = await registration.participant(uow, user.id)
    if participant is None or participant.consent_at is None:
        await reply.toast(stale_button())
        return
    if await registration.is_locked(uow, user.id):
        await reply.toast(screens.details_locked(), alert=True)
        return
    await reply.show(screens.edit_chosen(callback_data.field))
    await ask(EDITABLE[callback_data.field], reply, uow, user, state, quiz_bank, participant)


async def on_correct_year(_: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext) -> None:
    """From "too young": the birth year asked again (the explanation above stays as it is)."""
    participant = await registration.participant(uow, user.id)
    if participant is None or participant.consent_at is None:
        await reply.toast(stale_button())
        return
    if await registration.is_locked(uow, user.id):
        await reply.toast(screens.details_locked(), alert=True)
        return
    await reply.toast()
    await state.set_state(QuizForm.birth_year)
    await reply.send(screens.ask_birth_year())


# ---------------------------------------------------------------- attempts


def _contest_of(attempt: Attempt, quiz_bank: QuizBank) -> Contest | None:
    return quiz_bank.contests.get(attempt.contest_id)


async def send_current(reply: Reply, attempt: Attempt, state: FSMContext, quiz_bank: QuizBank) -> None:
    """The question the attempt is at, or the prediction question; timer from the stored deadline."""
    contest = _contest_of(attempt, quiz_bank)
    if contest is not None and service.awaiting_prediction(attempt, contest):
        await state.set_state(QuizForm.prediction)
        await reply.send(screens.ask_prediction(contest))
    else:
        await reply.send(screens.question(attempt, quiz_bank, utcnow()))


def _open_contest(quiz_bank: QuizBank) -> Contest | None:
    return quiz_bank.active_contest(utcnow())


async def _not_open(reply: Reply, quiz_bank: QuizBank) -> None:
    practice = quiz_bank.practice()
    await reply.toast(screens.refusal(service.Refusal.not_open, practice).text if practice else stale_button())


async def on_rules(
    _: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    """Before the timer starts: how many questions, how long, attempts left, what counts; Start or Not now."""
    contest = _open_contest(quiz_bank)
    if contest is None:
        await _not_open(reply, quiz_bank)
        return
    participant = await registration.participant(uow, user.id)
    if participant is None or await _next_step(uow, user, participant) is not Step.done:
        await show_home(reply, uow, user, state, quiz_bank)
        return
    if not registration.old_enough(participant.birth_year, contest, utcnow()):
        await reply.send(screens.too_young(contest, participant.birth_year))
        return
    if await service.pending(uow, user.id) is not None:
        await show_home(reply, uow, user, state, quiz_bank)  # resumes the attempt in progress
        return
    left = await registration.attempts_left(uow, user.id, contest)
    if left == 0:
        await reply.send(screens.refusal(service.Refusal.no_attempts_left, contest))
        return
    await reply.send(screens.contest_rules(contest, left, contest.window.end if contest.window else None))


async def on_begin(
    _: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    contest = _open_contest(quiz_bank)
    if contest is None:
        await _not_open(reply, quiz_bank)
        return
    left = await registration.attempts_left(uow, user.id, contest)
    if left != 0 and await service.pending(uow, user.id) is None:
        await reply.show(screens.rules_answered(contest, left, contest.window.end if contest.window else None, True))
    await _start(reply, uow, user, state, quiz_bank, contest)


async def on_not_now(_: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank) -> None:
    contest = _open_contest(quiz_bank)
    if contest is None:
        await reply.toast(stale_button())
        return
    left = await registration.attempts_left(uow, user.id, contest)
    await reply.show(screens.rules_answered(contest, left, contest.window.end if contest.window else None, False))
    await reply.send(main_menu())


async def on_start_contest(
    _: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    contest = _open_contest(quiz_bank)
    if contest is None:
        await _not_open(reply, quiz_bank)
        return
    await _start(reply, uow, user, state, quiz_bank, contest)


async def on_start_practice(
    _: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank
) -> None:
    contest = quiz_bank.practice()
    if contest is None:
        await reply.send(screens.practice_unavailable())
        return
    await _start(reply, uow, user, state, quiz_bank, contest)


async def _start(
    reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext, quiz_bank: QuizBank, contest: Contest
) -> None:
    await reply.toast()
    started = await service.start(uow, quiz_bank, contest, user.id)
    if started.refusal is service.Refusal.not_registered:
        await show_home(reply, uow, user, state, quiz_bank)
        return
    if started.attempt is None:
        await reply.send(screens.refusal(started.refusal or service.Refusal.not_open, contest))
        return
    if started.resumed:
        await reply.send(screens.in_progress_notice())
    async with service.first_question(uow, quiz_bank, started):  # the clock starts once the question arrived
        await send_current(reply, started.attempt, state, quiz_bank)


async def on_answer(
    _: CallbackQuery,
    callback_data: AnswerCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    state: FSMContext,
    quiz_bank: QuizBank,
    metrics: Metrics,
    guides: Catalogue | None = None,
) -> None:
    answered = await service.answer(
        uow, quiz_bank, user.id, callback_data.attempt, callback_data.position, callback_data.option
    )
    outcome = answered.outcome
    if outcome is Outcome.foreign:
        await reply.toast(stale_button())
        return
    if outcome is Outcome.stale:
        await reply.toast(screens.toast_stale())
        return
    if outcome is Outcome.duplicate:
        await reply.toast(screens.toast_duplicate())
        return
    attempt = answered.attempt
    assert attempt is not None  # every outcome below carries the attempt
    if outcome is Outcome.expired:
        await reply.toast(screens.toast_expired())
        await state.clear()
        await send_results(reply, uow, user, quiz_bank, attempt, guides)
        return
    metrics.quiz_answers_stored.inc()
    await reply.toast()
    assert answered.question is not None and answered.chosen is not None
    contest = _contest_of(attempt, quiz_bank)
    if attempt.mode is AttemptMode.practice:
        await reply.show(
            screens.practice_feedback(
                attempt, answered.question, answered.chosen, bool(answered.correct), _labels(guides)
            )
        )
    elif attempt.status is not AttemptStatus.in_progress:
        await reply.show(screens.answer_saved(attempt))
    elif contest is not None and service.awaiting_prediction(attempt, contest):
        await state.set_state(QuizForm.prediction)
        await reply.show(screens.ask_prediction(contest))
        return
    else:
        await reply.show(screens.question(attempt, quiz_bank, utcnow()))
    if attempt.status is not AttemptStatus.in_progress:
        await send_results(reply, uow, user, quiz_bank, attempt, guides)


async def on_next_question(
    _: CallbackQuery,
    callback_data: NextQuestionCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    quiz_bank: QuizBank,
) -> None:
    attempt = await service.pending(uow, user.id, attempt_id=callback_data.attempt)
    if attempt is None or attempt.answered != callback_data.position:
        await reply.toast(screens.toast_stale())
        return
    await reply.show(screens.question(attempt, quiz_bank, utcnow()))


async def on_prediction(
    message: Message,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    state: FSMContext,
    quiz_bank: QuizBank,
    guides: Catalogue | None = None,
) -> None:
    text = (await _typed(message, state)).strip().replace(".", "").replace(",", "").replace(" ", "")
    attempt = await service.awaiting(uow, quiz_bank, user.id)
    contest = _contest_of(attempt, quiz_bank) if attempt else None
    if attempt is None or contest is None:
        await state.clear()
        await show_home(reply, uow, user, state, quiz_bank)
        return
    if not text.isdecimal() or int(text) > contest.prediction.max_value:
        await reply.send(screens.bad_prediction(contest.prediction.max_value))
        return
    finished = await service.predict(uow, quiz_bank, user.id, int(text))
    await state.clear()
    if finished is not None:
        await send_results(reply, uow, user, quiz_bank, finished, guides)


async def send_results(
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    quiz_bank: QuizBank,
    attempt: Attempt,
    guides: Catalogue | None = None,
) -> None:
    """Score, rank, attempts left, explanations of wrong answers and, for a contest, the certificate."""
    res = await service.result(uow, quiz_bank, attempt.id)
    left: int | None = None
    can_start = False
    if attempt.mode is AttemptMode.contest and res.contest is not None:
        left = await registration.attempts_left(uow, user.id, res.contest)
        can_start = res.contest.opened(utcnow()).is_open(utcnow())
    await reply.send(screens.result(res, left, can_start))
    for view in screens.wrong_answers(res, _labels(guides)):
        await reply.send(view)
    participant = await registration.participant(uow, user.id)
    if attempt.mode is AttemptMode.contest and res.contest and participant and participant.full_name:
        data = await asyncio.to_thread(render, _certificate_text(res, participant.full_name, user.language))
        await reply.send(screens.certificate_attachment(data, res.contest))


def _certificate_text(res: service.Result, name: str, language: str | None) -> CertificateText:
    with use_locale(language):
        attempt = res.attempt
        return CertificateText(
            heading=_("Certificate of participation"),
            awarded_to=_("Awarded to"),
            name=name,
            contest=screens.t(res.contest.title) if res.contest else "",
            score=_("Score: {correct}/{total}").format(correct=attempt.correct, total=attempt.total),
            date=format_date(attempt.finished_at or utcnow(), "long"),
        )


# ---------------------------------------------------------------- leaderboard, privacy, forget


async def show_top(_: TelegramObject, reply: Reply, uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank) -> None:
    contest = quiz_bank.latest_contest(utcnow())
    if contest is None:
        await reply.send(screens.no_contest())
        return
    await reply.send(screens.leaderboard(await service.leaderboard(uow, contest, user.id)))


async def show_privacy(_: TelegramObject, reply: Reply, uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank) -> None:
    participant = await registration.participant(uow, user.id)
    unit, group = await _unit_and_group(uow, user, quiz_bank, participant)
    await reply.send(screens.privacy(participant, unit, group))


def _consent_stamp(participant: Participant | None) -> int | None:
    """Names the consent now standing, to the microsecond, in a payload's 31 bits: an erase button asked under
    an earlier consent (erased since, or registered again since, even within the same second) is stale."""
    if participant is None or participant.consent_at is None:
        return None
    return zlib.crc32(participant.consent_at.astimezone(UTC).isoformat().encode()) & INT_MAX


async def ask_forget(_: TelegramObject, reply: Reply, uow: UnitOfWork, user: UserRecord) -> None:
    participant = await registration.participant(uow, user.id)
    stamp = _consent_stamp(participant)
    if participant is None or stamp is None or not (participant.full_name or participant.phone):
        await reply.send(screens.nothing_to_forget())
        return
    await reply.send(screens.forget_confirm(stamp))


async def on_forget(
    _: CallbackQuery,
    callback_data: QuizForgetCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    state: FSMContext,
    erasers: Sequence[Callable[[int], Awaitable[object]]] = (),
) -> None:
    if _consent_stamp(await registration.participant(uow, user.id)) != callback_data.consent:
        await reply.toast(stale_button())  # erased already, or registered again since this question
        return
    await reply.show(screens.forget_answered(callback_data.confirm))
    if not callback_data.confirm:
        await reply.send(screens.kept())
        return
    await state.clear()
    await registration.forget(uow, user.id)
    for erase in erasers:  # what a channel keeps of the conversation (the web chat's log) goes too
        await erase(user.id)
    await reply.send(screens.forgotten())


# ---------------------------------------------------------------- deadlines while nobody presses anything

QUIZ_RESULT = "quiz.result"  # a delivery: the result of an attempt closed at its deadline, to its owner


async def _queue_results(uow: Work, closed: list[Attempt]) -> None:
    """Each attempt closed by the sweeper becomes a notice to its owner, in the transaction that closed it."""
    notices = []
    for attempt in closed:
        owner = await uow.users.get_by_id(attempt.user_id)
        if owner is not None:
            notices.append(
                NewDelivery(
                    user_id=owner.id,
                    channel=owner.platform,
                    kind=Kind.notice,  # their own attempt: never muted, never held by quiet hours
                    topic=QUIZ_RESULT,
                    ref_id=attempt.id,
                    unit_code=owner.unit_code,
                    urgent=True,
                )
            )
    await delivery.enqueue(uow, notices)


async def sweep_once(
    session_factory: async_sessionmaker[AsyncSession], stores: tuple[StoreBinding, ...], wake: Waker | None = None
) -> int:
    """Close overdue attempts and queue their results for the delivery worker. Returns how many were closed here."""
    uow = UnitOfWork(session_factory, stores)
    try:
        closed = await service.close_expired(uow, then=_queue_results)
    finally:
        await uow.close()
    if closed and wake is not None:
        wake()
    return len(closed)


async def compose_result(context: ComposeContext) -> list[View]:
    """The result of an attempt, as its owner gets it: score, the wrong answers explained, the certificate."""
    quiz_bank = cast(QuizBank, context.content["quiz_bank"])
    uow, notice = context.uow, context.delivery
    try:
        res = await service.result(uow, quiz_bank, notice.ref_id)
    except LookupError:
        return []  # the attempt is gone (its owner was erased): nothing to tell
    views = [screens.result(res), *screens.wrong_answers(res)]
    participant = await registration.participant(uow, notice.user_id)
    if res.attempt.mode is AttemptMode.contest and res.contest and participant and participant.full_name:
        data = await asyncio.to_thread(render, _certificate_text(res, participant.full_name, notice.language))
        views.append(screens.certificate_attachment(data, res.contest))
    return views


async def sweep_overdue(dispatcher: Dispatcher, bot: Bot) -> None:
    """Background job: close attempts past their deadline every QUIZ_SWEEP_SECONDS, until cancelled."""
    settings: Settings = dispatcher["settings"]
    worker = dispatcher.workflow_data.get("delivery")
    while True:
        try:
            await sweep_once(dispatcher["session_factory"], dispatcher["stores"], worker.wake if worker else None)
        except Exception:
            log.exception("closing overdue quiz attempts failed; will retry")
        await asyncio.sleep(settings.quiz_sweep_seconds)


def create_router() -> Router:
    router = Router(name="quiz")
    home = QuizAction.home
    router.message.register(open_quiz, Command("quiz"))
    router.message.register(open_quiz, MenuText(MENU_ENTRY))
    router.message.register(show_top, Command("top"))
    router.message.register(show_privacy, Command("privacy"))
    router.message.register(ask_forget, Command("forget"))
    router.message.register(on_contact, StateFilter(QuizForm.phone), F.contact)
    router.message.register(on_other_contact, F.contact)
    router.message.register(on_name, StateFilter(QuizForm.name), F.text)
    router.message.register(on_phone_text, StateFilter(QuizForm.phone))
    router.message.register(on_birth_year, StateFilter(QuizForm.birth_year), F.text)
    router.message.register(on_prediction, StateFilter(QuizForm.prediction), F.text)
    router.message.register(on_text_for_buttons, StateFilter(QuizForm.group, QuizForm.unit), F.text)
    router.callback_query.register(open_quiz, from_menu(MENU_ENTRY))
    router.callback_query.register(on_answer, Pressed(AnswerCb))
    router.callback_query.register(on_next_question, Pressed(NextQuestionCb))
    router.callback_query.register(open_quiz, Pressed(QuizCb, action=home))
    router.callback_query.register(on_consent, Pressed(QuizCb, action=QuizAction.consent))
    router.callback_query.register(on_decline, Pressed(QuizCb, action=QuizAction.decline))
    router.callback_query.register(on_rules, Pressed(QuizCb, action=QuizAction.rules))
    router.callback_query.register(on_begin, Pressed(QuizCb, action=QuizAction.begin))
    router.callback_query.register(on_not_now, Pressed(QuizCb, action=QuizAction.not_now))
    router.callback_query.register(on_start_contest, Pressed(QuizCb, action=QuizAction.contest))
    router.callback_query.register(on_start_practice, Pressed(QuizCb, action=QuizAction.practice))
    router.callback_query.register(show_top, Pressed(QuizCb, action=QuizAction.top))
    router.callback_query.register(show_privacy, Pressed(QuizCb, action=QuizAction.privacy))
    router.callback_query.register(ask_forget, Pressed(QuizCb, action=QuizAction.forget))
    router.callback_query.register(on_forget, Pressed(QuizForgetCb))
    router.callback_query.register(on_edit_menu, Pressed(QuizCb, action=QuizAction.edit))
    router.callback_query.register(on_edit_field, Pressed(QuizEditCb))
    router.callback_query.register(on_correct_year, Pressed(QuizCb, action=QuizAction.correct_year))
    router.callback_query.register(on_group, Pressed(QuizGroupCb))
    registering = UnitPurpose.registration
    router.callback_query.register(on_unit_level, Pressed(UnitLevelCb, purpose=registering))
    router.callback_query.register(on_unit_chosen, Pressed(UnitChooseCb, purpose=registering))
    return router


def _load(settings: Settings) -> dict[str, object]:
    return {"quiz_bank": load_quiz_bank(settings.quiz_bank_dir, demo_contests=settings.demo_contests)[0]}


FEATURE = Feature(
    name="quiz",
    router=create_router,
    stores=(bind(QUIZ, QuizRepository), bind(OUTBOX, OutboxRepository)),
    check=lambda settings: load_quiz_bank(
        settings.quiz_bank_dir, today=settings.today(), review_max_age_days=settings.content_review_max_age_days
    )[1],
    commands=(
        BotCommand("quiz", lambda: _("Digital-transformation quiz")),
        BotCommand("top", lambda: _("Quiz ranking")),
        BotCommand("privacy", lambda: _("What data is stored about me")),
        BotCommand("forget", lambda: _("Erase my name and phone number")),
    ),
    menu=MENU_ENTRY,
    load=_load,
    jobs=(("quiz_sweeper", sweep_overdue),),
    topics=(Topic(QUIZ_RESULT, compose_result),),
)
