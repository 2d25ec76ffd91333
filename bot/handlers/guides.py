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
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.config import Settings
from bot.db.guides import GuideRepository
from bot.db.uow import UnitOfWork, bind
from bot.domain import smalltalk, units, users
from bot.domain.guides import service
from bot.domain.guides.catalogue import Catalogue, load_catalogue
from bot.domain.guides.ports import GUIDES
from bot.domain.guides.records import ProgressStatus
from bot.domain.guides.service import Move
from bot.domain.records import UserRecord
from bot.features import Feature
from bot.handlers.filters import MenuText, Pressed, from_menu, is_navigation
from bot.i18n import current_locale
from bot.transport.reply import Reply
from bot.ui.callbacks import UnitChooseCb, UnitPurpose
from bot.ui.callbacks_guides import (
    MENU_ENTRY,
    GuideListCb,
    GuideOpenCb,
    GuideRateCb,
    GuideShowCb,
    GuideStepCb,
    GuideTickCb,
    GuideUnitCb,
    Vote,
)
from bot.ui.screens import guides as screens
from bot.ui.screens.common import help_view, no_units, stale_button, unit_chosen, unit_picker
from bot.ui.view import View

MAX_QUERY = 200


class GuideStates(StatesGroup):
    browsing = State()  # free text is a search
    reason = State()  # the next line of text is why a guide did not help


async def _not_menu_or_command(message: Message) -> bool:
    text = (message.text or "").strip()
    return bool(text) and not is_navigation(text)


async def _home(uow: UnitOfWork, user: UserRecord, guides: Catalogue) -> View:
    progress = await service.latest_unfinished(uow, user.id, set(guides.guides))
    resume = (guides.guides[progress.guide_id], progress) if progress else None
    return screens.home(guides.categories, resume)


async def home(
    _: TelegramObject, reply: Reply, uow: UnitOfWork, user: UserRecord, guides: Catalogue, state: FSMContext
) -> None:
    await state.set_state(GuideStates.browsing)
    await reply.show(await _home(uow, user, guides))


async def show_list(_: CallbackQuery, callback_data: GuideListCb, reply: Reply, guides: Catalogue) -> None:
    category = guides.category(callback_data.category)
    members = guides.in_category(callback_data.category)
    if category is None or not members or not 0 <= callback_data.page * screens.PAGE_SIZE < len(members):
        await reply.toast(stale_button())
        return
    await reply.show(screens.guide_list(category, members, callback_data.page))


async def open_guide(
    _: CallbackQuery,
    callback_data: GuideOpenCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    guides: Catalogue,
    state: FSMContext,
) -> None:
    guide = guides.guides.get(callback_data.guide)
    if guide is None:
        await reply.toast(screens.guide_gone())
        return
    await state.set_state(GuideStates.browsing)
    progress = await service.open_guide(uow, user, current_locale(), guide)
    await reply.show(screens.overview(guide, progress))


async def show_guide(
    _: CallbackQuery,
    callback_data: GuideShowCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    guides: Catalogue,
    state: FSMContext,
) -> None:
    """A guide opened from another screen (a quiz explanation): in a new message, so that screen stays."""
    guide = guides.guides.get(callback_data.guide)
    if guide is None:
        await reply.toast(screens.guide_gone())
        return
    await reply.toast()
    await state.set_state(GuideStates.browsing)
    progress = await service.open_guide(uow, user, current_locale(), guide)
    await reply.send(screens.overview(guide, progress))


async def tick(
    _: CallbackQuery, callback_data: GuideTickCb, reply: Reply, uow: UnitOfWork, user: UserRecord, guides: Catalogue
) -> None:
    guide = guides.guides.get(callback_data.guide)
    if guide is None:
        await reply.toast(screens.guide_gone())
        return
    progress = await service.toggle_item(uow, user, guide, callback_data.version, callback_data.item)
    if progress is None:
        await reply.toast(stale_button())
        return
    await reply.show(screens.overview(guide, progress))


async def step(
    _: CallbackQuery,
    callback_data: GuideStepCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    guides: Catalogue,
    settings: Settings,
) -> None:
    guide = guides.guides.get(callback_data.guide)
    if guide is None:
        await reply.toast(screens.guide_gone())
        return
    action = callback_data.action
    progress = await service.move(
        uow, user, current_locale(), guide, callback_data.version, callback_data.shown, action
    )
    if progress is None:
        await reply.toast(stale_button())
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
    await reply.show(view)


STUCK_AT = "stuck_at"  # FSM data while the unit picker is open from "I'm stuck": [guide id, step]


async def pick_unit(
    _: CallbackQuery, callback_data: GuideUnitCb, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext
) -> None:
    """From "I'm stuck": choose or change the commune (a new message), then back to that step's help."""
    screen = await units.picker(uow)
    await reply.toast()
    if screen is None:
        await reply.send(no_units())
        return
    await state.update_data({STUCK_AT: [callback_data.guide, callback_data.step]})
    await reply.send(unit_picker(UnitPurpose.guide, screen, await units.get(uow, user.unit_code)))


async def unit_for_stuck(
    _: CallbackQuery,
    callback_data: UnitChooseCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    guides: Catalogue,
    settings: Settings,
    state: FSMContext,
) -> None:
    updated = await users.set_unit(uow, user.id, callback_data.code)
    if updated is None:
        await reply.toast(stale_button())
        return
    unit, contact = await units.help_contact(uow, updated.unit_code)
    if unit is not None:
        await reply.show(unit_chosen(unit))
    where = (await state.get_data()).get(STUCK_AT)
    guide = guides.guides.get(where[0]) if where else None
    if guide is None or not where or not 1 <= int(where[1]) <= len(guide.steps):
        await reply.send(help_view(unit, contact, settings.province_hotline))  # the guide is gone: plain Help
        return
    await reply.send(screens.stuck(guide, int(where[1]), unit, contact, settings.province_hotline))


async def rate(
    _: CallbackQuery,
    callback_data: GuideRateCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    guides: Catalogue,
    state: FSMContext,
) -> None:
    guide = guides.guides.get(callback_data.guide)
    if guide is None:
        await reply.toast(screens.guide_gone())
        return
    if callback_data.vote is Vote.skip:
        waiting = await state.get_state() == GuideStates.reason.state
        if not waiting or (await state.get_data()).get("guide") != guide.id:
            await reply.toast(stale_button())
            return
        await state.set_state(GuideStates.browsing)
        await reply.show(screens.reason_skipped())
        await reply.send(screens.thanks())
        return
    helpful = callback_data.vote is Vote.up
    if not await service.give_feedback(uow, user, current_locale(), guide, helpful=helpful):
        await reply.toast(stale_button())
        return
    await reply.show(screens.rated(guide, helpful))  # the question keeps its answer
    if helpful:
        await reply.send(screens.thanks())
        return
    await state.set_state(GuideStates.reason)
    await state.update_data(guide=guide.id)
    await reply.send(screens.ask_reason(guide))


async def reason(message: Message, reply: Reply, uow: UnitOfWork, user: UserRecord, state: FSMContext) -> None:
    guide_id = (await state.get_data()).get("guide")
    await state.set_state(GuideStates.browsing)
    if guide_id:
        await service.give_reason(uow, user, current_locale(), guide_id, message.text or "")
    await reply.send(screens.thanks())


async def search(message: Message, reply: Reply, guides: Catalogue) -> None:
    query = (message.text or "")[:MAX_QUERY]
    if smalltalk.classify(query) is not None:
        raise SkipHandler  # "xin chào", "cảm ơn": the catch-all answers small talk
    hits = guides.index.search(query)
    if hits:
        await reply.send(screens.search_results(query, [hit.guide for hit in hits]))
    else:
        await reply.send(screens.no_results(query, guides.categories))


async def sweep_abandoned(dispatcher: Dispatcher, _bot: Bot) -> None:
    """Background job: mark walks left for GUIDE_ABANDON_AFTER_MINUTES as abandoned, every few minutes."""
    settings: Settings = dispatcher["settings"]
    factory, stores = dispatcher["session_factory"], dispatcher["stores"]
    older_than = timedelta(minutes=settings.guide_abandon_after_minutes)
    await service.sweep_forever(
        lambda: UnitOfWork(factory, stores), older_than, every=min(older_than, timedelta(minutes=5))
    )


def create_router() -> Router:
    router = Router(name="guides")
    router.message.register(home, MenuText(MENU_ENTRY))
    router.callback_query.register(home, from_menu(MENU_ENTRY))
    router.callback_query.register(show_list, Pressed(GuideListCb))
    router.callback_query.register(open_guide, Pressed(GuideOpenCb))
    router.callback_query.register(show_guide, Pressed(GuideShowCb))
    router.callback_query.register(pick_unit, Pressed(GuideUnitCb))
    router.callback_query.register(unit_for_stuck, Pressed(UnitChooseCb, purpose=UnitPurpose.guide))
    router.callback_query.register(tick, Pressed(GuideTickCb))
    router.callback_query.register(step, Pressed(GuideStepCb))
    router.callback_query.register(rate, Pressed(GuideRateCb))
    router.message.register(reason, GuideStates.reason, F.text, _not_menu_or_command)
    # Only outside other features' conversations, so that their free-text answers stay theirs.
    router.message.register(search, StateFilter(None, GuideStates.browsing), F.text, _not_menu_or_command)
    return router


FEATURE = Feature(
    name="guides",
    router=create_router,
    stores=(bind(GUIDES, GuideRepository),),
    check=lambda settings: load_catalogue(
        settings.procedures_dir, today=settings.today(), review_max_age_days=settings.content_review_max_age_days
    )[1],
    menu=MENU_ENTRY,
    load=lambda settings: {"guides": load_catalogue(settings.procedures_dir)[0]},
    jobs=(("guides_sweeper", sweep_abandoned),),
)
