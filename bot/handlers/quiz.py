"""The quiz in the chat: registration, attempts, prediction, results, /top, /privacy, /forget.

Thin: every decision is in bot.domain.quiz; this module reads updates, calls services and renders views.
Registration steps that need typed text use FSM states, but the next step is always derived from the
database, so a restart loses nothing. See quiz_flow.md for the conversation.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.uow import UnitOfWork
from bot.domain.clock import utcnow
from bot.domain.quiz import registration, service
from bot.domain.quiz.certificate import CertificateText, render
from bot.domain.quiz.registration import RegistrationLocked, Step
from bot.domain.quiz.records import Attempt, Participant
from bot.domain.quiz.schema import QuizBank, load_quiz_bank
from bot.domain.quiz.service import Outcome
from bot.domain.records import UserRecord
from bot.handlers.background import run_while_dispatching
from bot.handlers.filters import MenuText, _labels
from bot.i18n import _, format_date, use_locale
from bot.transport.telegram import edit_view, send_view
from bot.ui.callbacks import MenuCb, MenuItem
from bot.ui.callbacks_quiz import (
    AnswerCb,
    NextQuestionCb,
    QuizAction,
    QuizCb,
    QuizEditCb,
    QuizGroupCb,
    QuizUnitCb,
    RegistrationField,
)
from bot.ui.screens import quiz as screens
from bot.ui.screens.common import stale_button

log = logging.getLogger(__name__)


class QuizForm(StatesGroup):
    name = State()
    phone = State()
    birth_year = State()
    prediction = State()


# ---------------------------------------------------------------- home and registration


async def _units_known(uow: UnitOfWork) -> bool:
    async with uow:
        return await uow.units.count() > 0


async def show_home(chat_id: int, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                    quiz_bank: QuizBank) -> None:
    attempt = await service.pending(uow, user.id)
    if attempt is not None:
        await send_view(bot, chat_id, screens.in_progress_notice())
        await send_current(chat_id, bot, attempt, state, quiz_bank)
        return
    participant = await registration.participant(uow, user.id)
    step = registration.next_step(participant, await _units_known(uow))
    contest = quiz_bank.active_contest(utcnow())
    if step is Step.consent and contest is not None:
        await send_view(bot, chat_id, screens.View(text=screens.contest_intro(contest)))
    await ask(step, chat_id, bot, uow, user, state, quiz_bank, participant)


async def ask(step: Step, chat_id: int, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
              quiz_bank: QuizBank, participant: Participant | None) -> None:
    """Send the question for one registration step (or the summary once everything is known)."""
    states = {Step.name: QuizForm.name, Step.phone: QuizForm.phone, Step.birth_year: QuizForm.birth_year}
    await state.set_state(states.get(step))
    view = screens.step_view(step)
    if view is not None:
        await send_view(bot, chat_id, view)
    elif step is Step.group and not quiz_bank.groups():  # no contest defines groups: nothing to choose
        participant = await registration.save(uow, user.id, group_id="everyone")
        await ask_next(chat_id, bot, uow, user, state, quiz_bank, participant)
    elif step is Step.group:
        await send_view(bot, chat_id, screens.ask_group(quiz_bank.groups()))
    elif step is Step.unit:
        await send_view(bot, chat_id, await _unit_picker(uow, None))
    else:
        await send_view(bot, chat_id, await _summary(uow, user, quiz_bank, participant))


async def ask_next(chat_id: int, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                   quiz_bank: QuizBank, participant: Participant) -> None:
    await ask(registration.next_step(participant, await _units_known(uow)), chat_id, bot, uow, user, state,
              quiz_bank, participant)


async def _summary(uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank,
                   participant: Participant | None) -> screens.View:
    participant = participant or await registration.participant(uow, user.id)
    unit, group = await _unit_and_group(uow, quiz_bank, participant)
    locked = await registration.is_locked(uow, user.id)
    if participant is not None and participant.consent_at is not None:
        return screens.registration_summary(participant, unit, group, locked, quiz_bank.active_contest(utcnow()))
    return screens.consent()


async def _unit_and_group(uow: UnitOfWork, quiz_bank: QuizBank, participant: Participant | None):  # type: ignore[no-untyped-def]
    unit = None
    if participant and participant.unit_code:
        async with uow:
            unit = await uow.units.get(participant.unit_code)
    group = next((g for g in quiz_bank.groups() if participant and g.id == participant.group_id), None)
    return unit, group


async def _unit_picker(uow: UnitOfWork, parent_code: str | None) -> screens.View:
    async with uow:
        parent = await uow.units.get(parent_code) if parent_code else None
        children = await uow.units.children(parent_code)
        if parent is None and len(children) == 1:  # a single province: start at its districts
            parent, children = children[0], await uow.units.children(children[0].code)
        listed = [(child, bool(await uow.units.children(child.code))) for child in children]
    return screens.ask_unit(parent, listed)


async def open_quiz(message: Message, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                    quiz_bank: QuizBank) -> None:
    await show_home(message.chat.id, bot, uow, user, state, quiz_bank)


async def open_quiz_from_button(query: CallbackQuery, bot: Bot, uow: UnitOfWork, user: UserRecord,
                                state: FSMContext, quiz_bank: QuizBank) -> None:
    await query.answer()
    await show_home(query.message.chat.id, bot, uow, user, state, quiz_bank)


async def on_consent(query: CallbackQuery, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                     quiz_bank: QuizBank) -> None:
    await query.answer()
    participant = await registration.consent(uow, user.id, unit_code=user.unit_code)
    await ask_next(query.message.chat.id, bot, uow, user, state, quiz_bank, participant)


async def on_decline(query: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    await query.answer()
    await state.clear()
    await send_view(bot, query.message.chat.id, screens.declined())


def _is_navigation(text: str) -> bool:
    return text.startswith("/") or any(text.strip() in _labels(item) for item in MenuItem)


async def _typed(message: Message, state: FSMContext) -> str:
    """The text of a typed answer; commands and menu buttons leave the form and go to their handlers."""
    text = message.text or ""
    if _is_navigation(text):
        await state.clear()
        raise SkipHandler()
    return text


async def _save(message: Message, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                quiz_bank: QuizBank, **values: Any) -> None:
    try:
        participant = await registration.save(uow, user.id, **values)
    except RegistrationLocked:
        await state.clear()
        await send_view(bot, message.chat.id, screens.View(text=screens.details_locked()))
        return
    await ask_next(message.chat.id, bot, uow, user, state, quiz_bank, participant)


async def on_name(message: Message, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                  quiz_bank: QuizBank) -> None:
    name = registration.clean_name(await _typed(message, state))
    if name is None:
        await send_view(bot, message.chat.id, screens.bad_name())
        return
    await _save(message, bot, uow, user, state, quiz_bank, full_name=name)


async def on_contact(message: Message, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                     quiz_bank: QuizBank) -> None:
    contact = message.contact
    # Only the share-contact button sends the person's own card, with their own user id.
    if contact is None or message.from_user is None or contact.user_id != message.from_user.id:
        await send_view(bot, message.chat.id, screens.phone_not_own())
        return
    phone = registration.clean_phone(contact.phone_number)
    if phone is None:
        await send_view(bot, message.chat.id, screens.phone_not_own())
        return
    await _save(message, bot, uow, user, state, quiz_bank, phone=phone)


async def on_phone_text(message: Message, bot: Bot, state: FSMContext) -> None:
    await _typed(message, state)
    await send_view(bot, message.chat.id, screens.ask_phone())


async def on_birth_year(message: Message, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                        quiz_bank: QuizBank) -> None:
    year = registration.parse_birth_year(await _typed(message, state), utcnow())
    if year is None:
        await send_view(bot, message.chat.id, screens.bad_birth_year())
        return
    await _save(message, bot, uow, user, state, quiz_bank, birth_year=year)


async def on_group(query: CallbackQuery, callback_data: QuizGroupCb, bot: Bot, uow: UnitOfWork, user: UserRecord,
                   state: FSMContext, quiz_bank: QuizBank) -> None:
    if callback_data.id not in {group.id for group in quiz_bank.groups()}:
        await query.answer(stale_button())
        return
    await _save_from_button(query, bot, uow, user, state, quiz_bank, group_id=callback_data.id)


async def on_unit(query: CallbackQuery, callback_data: QuizUnitCb, bot: Bot, uow: UnitOfWork, user: UserRecord,
                  state: FSMContext, quiz_bank: QuizBank) -> None:
    async with uow:
        unit = await uow.units.get(callback_data.code)
    if unit is None:
        await query.answer(stale_button())
        return
    if callback_data.open:
        await query.answer()
        await edit_view(bot, query.message.chat.id, query.message.message_id,
                        await _unit_picker(uow, unit.code))
        return
    await _save_from_button(query, bot, uow, user, state, quiz_bank, unit_code=unit.code)


async def _save_from_button(query: CallbackQuery, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                            quiz_bank: QuizBank, **values: Any) -> None:
    try:
        participant = await registration.save(uow, user.id, **values)
    except RegistrationLocked:
        await query.answer(screens.details_locked(), show_alert=True)
        return
    await query.answer("✅")
    await edit_view(bot, query.message.chat.id, query.message.message_id, screens.View(text="✅"))
    await ask_next(query.message.chat.id, bot, uow, user, state, quiz_bank, participant)


async def on_edit_menu(query: CallbackQuery, bot: Bot, uow: UnitOfWork, user: UserRecord) -> None:
    if await registration.is_locked(uow, user.id):
        await query.answer(screens.details_locked(), show_alert=True)
        return
    await query.answer()
    await send_view(bot, query.message.chat.id, screens.edit_menu())


async def on_edit_field(query: CallbackQuery, callback_data: QuizEditCb, bot: Bot, uow: UnitOfWork,
                        user: UserRecord, state: FSMContext, quiz_bank: QuizBank) -> None:
    participant = await registration.participant(uow, user.id)
    if participant is None or participant.consent_at is None or await registration.is_locked(uow, user.id):
        await query.answer(screens.details_locked() if participant else stale_button(), show_alert=bool(participant))
        return
    await query.answer()
    steps = {RegistrationField.name: Step.name, RegistrationField.phone: Step.phone,
             RegistrationField.birth_year: Step.birth_year, RegistrationField.group: Step.group,
             RegistrationField.unit: Step.unit}
    await ask(steps[callback_data.field], query.message.chat.id, bot, uow, user, state, quiz_bank, participant)


# ---------------------------------------------------------------- attempts


async def send_current(chat_id: int, bot: Bot, attempt: Attempt, state: FSMContext, quiz_bank: QuizBank) -> None:
    """The question the attempt is at, or the prediction question; timer from the stored deadline."""
    contest = quiz_bank.contests.get(attempt.contest_id)
    if service.awaiting_prediction(attempt, contest):
        await state.set_state(QuizForm.prediction)
        await send_view(bot, chat_id, screens.ask_prediction(contest))  # type: ignore[arg-type]
    else:
        await send_view(bot, chat_id, screens.question(attempt, quiz_bank, utcnow()))


async def on_start_contest(query: CallbackQuery, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                           quiz_bank: QuizBank) -> None:
    contest = quiz_bank.active_contest(utcnow())
    if contest is None:
        await query.answer(screens.refusal(service.Refusal.not_open, quiz_bank.practice()).text  # type: ignore[arg-type]
                           if quiz_bank.practice() else stale_button())
        return
    await _start(query, bot, uow, user, state, quiz_bank, contest)


async def on_start_practice(query: CallbackQuery, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                            quiz_bank: QuizBank) -> None:
    contest = quiz_bank.practice()
    if contest is None:
        await query.answer()
        await send_view(bot, query.message.chat.id, screens.practice_unavailable())
        return
    await _start(query, bot, uow, user, state, quiz_bank, contest)


async def _start(query: CallbackQuery, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                 quiz_bank: QuizBank, contest: Any) -> None:
    await query.answer()
    chat_id = query.message.chat.id
    started = await service.start(uow, quiz_bank, contest, user.id)
    if started.refusal is service.Refusal.not_registered:
        await show_home(chat_id, bot, uow, user, state, quiz_bank)
        return
    if started.attempt is None:
        await send_view(bot, chat_id, screens.refusal(started.refusal, contest))  # type: ignore[arg-type]
        return
    if started.resumed:
        await send_view(bot, chat_id, screens.in_progress_notice())
    await send_current(chat_id, bot, started.attempt, state, quiz_bank)


async def _acknowledge(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a press. When the bot was too busy and the press is too old to answer, the stored answer must
    still move the conversation on, so that error is not fatal here."""
    try:
        await query.answer(text)
    except TelegramBadRequest as error:
        if "query is too old" not in error.message:
            raise
        log.info("press from user %s answered too late", query.from_user.id)


async def on_answer(query: CallbackQuery, callback_data: AnswerCb, bot: Bot, uow: UnitOfWork, user: UserRecord,
                    state: FSMContext, quiz_bank: QuizBank) -> None:
    answered = await service.answer(uow, quiz_bank, user.id, callback_data.attempt, callback_data.position,
                                    callback_data.option)
    outcome = answered.outcome
    if outcome is Outcome.foreign:
        await _acknowledge(query, stale_button())
        return
    if outcome is Outcome.stale:
        await _acknowledge(query, screens.toast_stale())
        return
    if outcome is Outcome.duplicate:
        await _acknowledge(query, screens.toast_duplicate())
        return
    chat_id, message_id = query.message.chat.id, query.message.message_id
    attempt = answered.attempt
    if outcome is Outcome.expired:
        await _acknowledge(query, screens.toast_expired())
        await state.clear()
        await send_results(bot, chat_id, uow, user, quiz_bank, attempt)  # type: ignore[arg-type]
        return
    await _acknowledge(query)
    assert attempt is not None and answered.question is not None
    if attempt.mode == "practice":
        await edit_view(bot, chat_id, message_id, screens.practice_feedback(
            attempt, answered.question, answered.chosen, bool(answered.correct)))  # type: ignore[arg-type]
    elif attempt.status != "in_progress":
        await edit_view(bot, chat_id, message_id, screens.answer_saved(attempt))
    elif service.awaiting_prediction(attempt, quiz_bank.contests.get(attempt.contest_id)):
        await state.set_state(QuizForm.prediction)
        await edit_view(bot, chat_id, message_id, screens.ask_prediction(quiz_bank.contests[attempt.contest_id]))
        return
    else:
        await edit_view(bot, chat_id, message_id, screens.question(attempt, quiz_bank, utcnow()))
    if attempt.status != "in_progress":
        await send_results(bot, chat_id, uow, user, quiz_bank, attempt)


async def on_next_question(query: CallbackQuery, callback_data: NextQuestionCb, bot: Bot, uow: UnitOfWork,
                           user: UserRecord, quiz_bank: QuizBank) -> None:
    attempt = await service.pending(uow, user.id, attempt_id=callback_data.attempt)
    if attempt is None or attempt.answered != callback_data.position:
        await _acknowledge(query, screens.toast_stale())
        return
    await _acknowledge(query)
    await edit_view(bot, query.message.chat.id, query.message.message_id,
                    screens.question(attempt, quiz_bank, utcnow()))


async def on_prediction(message: Message, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext,
                        quiz_bank: QuizBank) -> None:
    text = (await _typed(message, state)).strip().replace(".", "").replace(",", "").replace(" ", "")
    attempt = await service.awaiting(uow, quiz_bank, user.id)
    contest = quiz_bank.contests.get(attempt.contest_id) if attempt else None
    if attempt is None or contest is None:
        await state.clear()
        await show_home(message.chat.id, bot, uow, user, state, quiz_bank)
        return
    if not text.isdigit() or int(text) > contest.prediction.max_value:
        await send_view(bot, message.chat.id, screens.bad_prediction(contest.prediction.max_value))
        return
    finished = await service.predict(uow, quiz_bank, user.id, int(text))
    await state.clear()
    if finished is not None:
        await send_results(bot, message.chat.id, uow, user, quiz_bank, finished)


async def send_results(bot: Bot, chat_id: int | str, uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank,
                       attempt: Attempt) -> None:
    res = await service.result(uow, quiz_bank, attempt.id)
    await send_view(bot, chat_id, screens.result(res))
    for view in screens.wrong_answers(res):
        await send_view(bot, chat_id, view)
    participant = await registration.participant(uow, user.id)
    if attempt.mode == "contest" and res.contest and participant and participant.full_name:
        data = await asyncio.to_thread(render, _certificate_text(res, participant.full_name, user.language))
        await send_view(bot, chat_id, screens.certificate_attachment(data, res.contest))


def _certificate_text(res: service.Result, name: str, language: str | None) -> CertificateText:
    with use_locale(language):
        attempt = res.attempt
        return CertificateText(
            heading=_("Certificate of participation"), awarded_to=_("Awarded to"), name=name,
            contest=screens.t(res.contest.title) if res.contest else "",
            score=_("Score: {correct}/{total}").format(correct=attempt.correct, total=attempt.total),
            date=format_date(attempt.finished_at or utcnow(), "long"))


# ---------------------------------------------------------------- leaderboard, privacy, forget


async def _leaderboard(chat_id: int, bot: Bot, uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank) -> None:
    contest = quiz_bank.latest_contest(utcnow())
    if contest is None:
        await send_view(bot, chat_id, screens.no_contest())
        return
    await send_view(bot, chat_id, screens.leaderboard(await service.leaderboard(uow, contest, user.id)))


async def show_top(message: Message, bot: Bot, uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank) -> None:
    await _leaderboard(message.chat.id, bot, uow, user, quiz_bank)


async def show_top_from_button(query: CallbackQuery, bot: Bot, uow: UnitOfWork, user: UserRecord,
                               quiz_bank: QuizBank) -> None:
    await query.answer()
    await _leaderboard(query.message.chat.id, bot, uow, user, quiz_bank)


async def _privacy(chat_id: int, bot: Bot, uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank) -> None:
    participant = await registration.participant(uow, user.id)
    unit, group = await _unit_and_group(uow, quiz_bank, participant)
    await send_view(bot, chat_id, screens.privacy(participant, unit, group))


async def show_privacy(message: Message, bot: Bot, uow: UnitOfWork, user: UserRecord, quiz_bank: QuizBank) -> None:
    await _privacy(message.chat.id, bot, uow, user, quiz_bank)


async def show_privacy_from_button(query: CallbackQuery, bot: Bot, uow: UnitOfWork, user: UserRecord,
                                   quiz_bank: QuizBank) -> None:
    await query.answer()
    await _privacy(query.message.chat.id, bot, uow, user, quiz_bank)


async def ask_forget(message: Message, bot: Bot) -> None:
    await send_view(bot, message.chat.id, screens.forget_confirm())


async def ask_forget_from_button(query: CallbackQuery, bot: Bot) -> None:
    await query.answer()
    await send_view(bot, query.message.chat.id, screens.forget_confirm())


async def on_forget(query: CallbackQuery, bot: Bot, uow: UnitOfWork, user: UserRecord, state: FSMContext) -> None:
    await query.answer()
    await state.clear()
    await registration.forget(uow, user.id)
    await edit_view(bot, query.message.chat.id, query.message.message_id, screens.forgotten())


# ---------------------------------------------------------------- deadlines while nobody presses anything


async def sweep_once(bot: Bot, session_factory: async_sessionmaker[AsyncSession], quiz_bank: QuizBank) -> int:
    """Close overdue attempts and tell their owners (best effort). Returns how many were closed here."""
    uow = UnitOfWork(session_factory)
    try:
        closed = await service.close_expired(uow)
        for attempt in closed:
            async with uow:
                owner = await uow.users.get_by_id(attempt.user_id)
            if owner is None:
                continue
            try:
                with use_locale(owner.language):
                    await send_results(bot, owner.chat_id, uow, owner, quiz_bank, attempt)
            except Exception:  # blocked, network: the result is stored either way
                log.warning("could not tell user %s their attempt %s expired", owner.id, attempt.id, exc_info=True)
        return len(closed)
    finally:
        await uow.close()


async def _sweep_forever(bot: Bot, session_factory: async_sessionmaker[AsyncSession], quiz_bank: QuizBank,
                         interval: float) -> None:
    while True:
        try:
            await sweep_once(bot, session_factory, quiz_bank)
        except Exception:
            log.exception("closing overdue quiz attempts failed; will retry")
        await asyncio.sleep(interval)


def _sweep_overdue(dispatcher: Dispatcher, bot: Bot):  # type: ignore[no-untyped-def]
    return _sweep_forever(bot, dispatcher["session_factory"], dispatcher["quiz_bank"],
                          dispatcher["settings"].quiz_sweep_seconds)


def install(dp: Dispatcher, settings: Settings) -> None:
    """Load the quiz content once and run the deadline sweeper while the dispatcher polls."""
    dp["quiz_bank"] = load_quiz_bank(settings.quiz_bank_dir)[0]
    run_while_dispatching(dp, "quiz_sweeper", _sweep_overdue)


def create_router() -> Router:
    router = Router(name="quiz")
    action = QuizCb.filter
    router.message.register(open_quiz, Command("quiz"))
    router.message.register(open_quiz, MenuText(MenuItem.quiz))
    router.message.register(show_top, Command("top"))
    router.message.register(show_privacy, Command("privacy"))
    router.message.register(ask_forget, Command("forget"))
    router.message.register(on_contact, StateFilter(QuizForm.phone), F.contact)
    router.message.register(on_name, StateFilter(QuizForm.name), F.text)
    router.message.register(on_phone_text, StateFilter(QuizForm.phone), F.text)
    router.message.register(on_birth_year, StateFilter(QuizForm.birth_year), F.text)
    router.message.register(on_prediction, StateFilter(QuizForm.prediction), F.text)
    router.callback_query.register(open_quiz_from_button, MenuCb.filter(F.item == MenuItem.quiz))
    router.callback_query.register(on_answer, AnswerCb.filter())
    router.callback_query.register(on_next_question, NextQuestionCb.filter())
    router.callback_query.register(open_quiz_from_button, action(F.action == QuizAction.home))
    router.callback_query.register(on_consent, action(F.action == QuizAction.consent))
    router.callback_query.register(on_decline, action(F.action == QuizAction.decline))
    router.callback_query.register(on_start_contest, action(F.action == QuizAction.contest))
    router.callback_query.register(on_start_practice, action(F.action == QuizAction.practice))
    router.callback_query.register(show_top_from_button, action(F.action == QuizAction.top))
    router.callback_query.register(show_privacy_from_button, action(F.action == QuizAction.privacy))
    router.callback_query.register(ask_forget_from_button, action(F.action == QuizAction.forget))
    router.callback_query.register(on_forget, action(F.action == QuizAction.forget_confirmed))
    router.callback_query.register(on_edit_menu, action(F.action == QuizAction.edit))
    router.callback_query.register(on_edit_field, QuizEditCb.filter())
    router.callback_query.register(on_group, QuizGroupCb.filter())
    router.callback_query.register(on_unit, QuizUnitCb.filter())
    return router
