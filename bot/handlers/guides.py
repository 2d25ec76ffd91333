"""Public services: topics, search, a guide's overview and checklist, its steps, stuck, done, feedback.

Progress lives in the database (bot.domain.guides.service); FSM state only marks
"in the guides section" (free text is a search) and "waiting for a 👎 reason".
See guides_flow.md for the conversation as a diagram.
"""
from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Dispatcher, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.domain import units
from bot.domain.guides import service
from bot.db.uow import UnitOfWork
from bot.domain.guides.catalogue import Catalogue, load_catalogue
from bot.domain.guides.records import ProgressStatus
from bot.domain.guides.service import Move
from bot.domain.records import UserRecord
from bot.handlers.background import run_while_dispatching
from bot.handlers.filters import MenuText
from bot.i18n import current_locale
from bot.transport.telegram import edit_view, send_view
from bot.ui.callbacks import MenuCb, MenuItem
from bot.ui.callbacks_guides import GuideListCb, GuideOpenCb, GuideRateCb, GuideStepCb, GuideTickCb
from bot.ui.screens import guides as screens
from bot.ui.screens.common import stale_button
from bot.ui.view import View

MAX_QUERY = 200


class GuideStates(StatesGroup):
    browsing = State()   # free text is a search
    reason = State()     # the next line of text is why a guide did not help


async def _not_menu_or_command(message: Message) -> bool:
    text = (message.text or "").strip()
    if not text or text.startswith("/"):
        return False
    for item in MenuItem:
        if await MenuText(item)(message):
            return False
    return True


async def _edit(query: CallbackQuery, bot: Bot, view: View) -> None:
    await query.answer(view.toast)
    await edit_view(bot, query.message.chat.id, query.message.message_id, view)


async def _home(uow, user: UserRecord, guides: Catalogue) -> View:
    progress = await service.latest_unfinished(uow, user.id, set(guides.guides))
    resume = (guides.guides[progress.guide_id], progress) if progress else None
    return screens.home(guides.categories, resume)


async def home_from_keyboard(message: Message, bot: Bot, uow, user: UserRecord, guides: Catalogue,
                             state: FSMContext) -> None:
    await state.set_state(GuideStates.browsing)
    await send_view(bot, message.chat.id, await _home(uow, user, guides))


async def home_from_button(query: CallbackQuery, bot: Bot, uow, user: UserRecord, guides: Catalogue,
                           state: FSMContext) -> None:
    await state.set_state(GuideStates.browsing)
    await _edit(query, bot, await _home(uow, user, guides))


async def show_list(query: CallbackQuery, callback_data: GuideListCb, bot: Bot, guides: Catalogue) -> None:
    category = guides.category(callback_data.category)
    members = guides.in_category(callback_data.category)
    if category is None or not members or not 0 <= callback_data.page * screens.PAGE_SIZE < len(members):
        await query.answer(stale_button())
        return
    await _edit(query, bot, screens.guide_list(category, members, callback_data.page))


async def open_guide(query: CallbackQuery, callback_data: GuideOpenCb, bot: Bot, uow, user: UserRecord,
                     guides: Catalogue, state: FSMContext) -> None:
    guide = guides.guides.get(callback_data.guide)
    if guide is None:
        await query.answer(screens.guide_gone())
        return
    await state.set_state(GuideStates.browsing)
    progress = await service.open_guide(uow, user, current_locale(), guide)
    await _edit(query, bot, screens.overview(guide, progress))


async def tick(query: CallbackQuery, callback_data: GuideTickCb, bot: Bot, uow, user: UserRecord,
               guides: Catalogue) -> None:
    guide = guides.guides.get(callback_data.guide)
    if guide is None:
        await query.answer(screens.guide_gone())
        return
    progress = await service.toggle_item(uow, user, guide, callback_data.version, callback_data.item)
    if progress is None:
        await query.answer(stale_button())
        return
    await _edit(query, bot, screens.overview(guide, progress))


async def step(query: CallbackQuery, callback_data: GuideStepCb, bot: Bot, uow, user: UserRecord,
               guides: Catalogue, settings: Settings) -> None:
    guide = guides.guides.get(callback_data.guide)
    if guide is None:
        await query.answer(screens.guide_gone())
        return
    try:
        action = Move(callback_data.action)
    except ValueError:
        await query.answer(stale_button())
        return
    progress = await service.move(uow, user, current_locale(), guide, callback_data.version, callback_data.shown,
                                  action)
    if progress is None:
        await query.answer(stale_button())
        return
    if action is Move.stuck:
        unit, contact = await units.help_contact(uow, user.unit_code)
        view = screens.stuck(guide, progress.step, unit, contact, settings.province_hotline)
    elif progress.status is ProgressStatus.done:
        view = screens.finished(guide)
    elif progress.step == 0:
        view = screens.overview(guide, progress)
    else:
        view = screens.step(guide, progress.step)
    await _edit(query, bot, view)


async def rate(query: CallbackQuery, callback_data: GuideRateCb, bot: Bot, uow, user: UserRecord,
               guides: Catalogue, state: FSMContext) -> None:
    guide = guides.guides.get(callback_data.guide)
    if guide is None:
        await query.answer(screens.guide_gone())
        return
    if callback_data.vote == "skip":
        waiting = await state.get_state() == GuideStates.reason.state
        if not waiting or (await state.get_data()).get("guide") != guide.id:
            await query.answer(stale_button())
            return
        await state.set_state(GuideStates.browsing)
        await _edit(query, bot, screens.thanks())
        return
    if callback_data.vote not in ("up", "down") or not await service.give_feedback(
            uow, user, current_locale(), guide, helpful=callback_data.vote == "up"):
        await query.answer(stale_button())
        return
    if callback_data.vote == "up":
        await _edit(query, bot, screens.thanks())
        return
    await state.set_state(GuideStates.reason)
    await state.update_data(guide=guide.id)
    await _edit(query, bot, screens.ask_reason(guide))


async def reason(message: Message, bot: Bot, uow, user: UserRecord, state: FSMContext) -> None:
    guide_id = (await state.get_data()).get("guide")
    await state.set_state(GuideStates.browsing)
    if guide_id:
        await service.give_reason(uow, user, current_locale(), guide_id, message.text or "")
    await send_view(bot, message.chat.id, screens.thanks())


async def search(message: Message, bot: Bot, guides: Catalogue, state: FSMContext) -> None:
    query = (message.text or "")[:MAX_QUERY]
    hits = guides.index.search(query)
    if hits:
        await send_view(bot, message.chat.id, screens.search_results(query, [hit.guide for hit in hits]))
    elif await state.get_state() == GuideStates.browsing.state:
        await send_view(bot, message.chat.id, screens.no_results(query))
    else:
        raise SkipHandler  # not a search after all: the catch-all answers it


def _sweep_abandoned(dispatcher: Dispatcher, _bot: Bot):  # type: ignore[no-untyped-def]
    settings: Settings = dispatcher["settings"]
    factory = dispatcher["session_factory"]
    older_than = timedelta(minutes=settings.guide_abandon_after_minutes)
    return service.sweep_forever(lambda: UnitOfWork(factory), older_than, every=min(older_than, timedelta(minutes=5)))


def install(dp: Dispatcher, settings: Settings) -> None:
    """Load the guides once (handlers get them as `guides`) and mark abandoned walks while the bot runs,
    whether it polls or serves a webhook."""
    dp["guides"] = load_catalogue(settings.procedures_dir)[0]
    run_while_dispatching(dp, "guides_sweeper", _sweep_abandoned)


def create_router() -> Router:
    router = Router(name="guides")
    router.message.register(home_from_keyboard, MenuText(MenuItem.guides))
    router.callback_query.register(home_from_button, MenuCb.filter(F.item == MenuItem.guides))
    router.callback_query.register(show_list, GuideListCb.filter())
    router.callback_query.register(open_guide, GuideOpenCb.filter())
    router.callback_query.register(tick, GuideTickCb.filter())
    router.callback_query.register(step, GuideStepCb.filter())
    router.callback_query.register(rate, GuideRateCb.filter())
    router.message.register(reason, GuideStates.reason, F.text, _not_menu_or_command)
    # Only outside other features' conversations, so that their free-text answers stay theirs.
    router.message.register(search, StateFilter(None, GuideStates.browsing), F.text, _not_menu_or_command)
    return router
