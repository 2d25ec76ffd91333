"""Announcements: the official's composer (/broadcast), progress and report; the citizen's 📢 Announcements.

Thin: rules, audiences and storage are in bot.domain.broadcasts, sending is the delivery room's (bot.delivery).
A draft lives in the database, so a restart loses nothing; FSM state only says which message the official is
about to send (a version, or the time). Every press checks the caller's role and the draft against the database:
anyone else's press, or a forged one, gets a polite refusal and changes nothing.
"""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import cast

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, TelegramObject

from bot.config import Settings
from bot.db.broadcasts import BroadcastRepository
from bot.db.outbox import OutboxRepository
from bot.db.uow import UnitOfWork, bind
from bot.delivery.ports import OUTBOX
from bot.delivery.quiet import QuietHours
from bot.delivery.topics import ComposeContext, HookContext, Topic
from bot.delivery.worker import DeliveryWorker
from bot.domain import units, users
from bot.domain.broadcasts import content, service
from bot.domain.broadcasts.audience import toggled
from bot.domain.broadcasts.ports import BROADCASTS, AudienceScope
from bot.domain.broadcasts.records import (
    DEFAULT_VERSION,
    LIVE,
    PROGRESS_TOPIC,
    REPORT_TOPIC,
    TOPIC,
    Audience,
    Broadcast,
    BroadcastState,
    ContentKind,
    QuizFilter,
    Version,
)
from bot.domain.broadcasts.schedule import example, parse_when
from bot.domain.clock import utcnow
from bot.domain.guides.catalogue import Catalogue
from bot.domain.ports import Work
from bot.domain.quiz.schema import QuizBank
from bot.domain.records import UserRecord
from bot.features import Feature
from bot.handlers.filters import MenuText, Pressed, from_menu, is_navigation
from bot.handlers.staff import caller_roles
from bot.i18n import catalogs, current_locale
from bot.transport.reply import Reply
from bot.ui.callbacks_broadcasts import (
    MENU_ENTRY,
    AudienceField,
    BcAction,
    BcAudienceCb,
    BcCb,
    BcUnitCb,
    BcVersionCb,
    NewsAction,
    NewsCb,
)
from bot.ui.screens import broadcasts as screens
from bot.ui.screens.common import stale_button
from bot.ui.screens.staff import not_allowed
from bot.ui.view import View

log = logging.getLogger(__name__)


class Compose(StatesGroup):
    message = State()  # data: draft, language — the next message is that version
    time = State()  # data: draft — the next text is when it goes out


async def _not_navigation(message: Message) -> bool:
    """A command or a big menu button is never taken for the announcement (or its time)."""
    return not (message.text and is_navigation(message.text.strip()))


def actor(user: UserRecord) -> str:
    return f"{user.platform}:{user.platform_user_id}"


async def _may_broadcast(uow: UnitOfWork, user: UserRecord, settings: Settings) -> bool:
    return service.may_broadcast(await caller_roles(uow, user, settings))


async def _refuse(reply: Reply) -> None:
    """A press by someone who may not broadcast (or a forged one): say so, change nothing."""
    await reply.toast(screens.not_for_you().text, alert=True)


def _scope(settings: Settings) -> AudienceScope:
    return service.scope(settings.default_locale, settings.delivery_channels)


def _rate(settings: Settings) -> float:
    return float(settings.delivery_paid_rate) if settings.delivery_paid_rate else settings.delivery_rate


def _quiet(settings: Settings) -> QuietHours | None:
    return QuietHours.parse(settings.quiet_hours, settings.timezone)


# ---------------------------------------------------------------- the composer


async def open_composer(
    _: TelegramObject, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings, state: FSMContext
) -> None:
    if not await _may_broadcast(uow, user, settings):
        await reply.send(not_allowed())
        return
    draft = await service.new_draft(uow, actor(user), user.id)
    live = [broadcast for broadcast in await service.recent(uow, 10) if broadcast.state in LIVE]
    await state.set_state(Compose.message)
    await state.update_data(draft=draft.id, language=DEFAULT_VERSION)
    await reply.send(screens.compose_prompt(draft.id, live))


async def _own_draft(
    reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings, draft_id: int
) -> Broadcast | None:
    """The caller's own open draft; otherwise the caller is told why not and None is returned."""
    if not await _may_broadcast(uow, user, settings):
        await _refuse(reply)
        return None
    draft = await service.draft_of(uow, draft_id, actor(user))
    if draft is None:
        await reply.show(screens.draft_gone())
    return draft


async def _typed_for_draft(
    reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings, state: FSMContext, draft_id: int
) -> Broadcast | None:
    """As `_own_draft`, for a step the official answers by typing: a refusal also ends the step."""
    if not await _may_broadcast(uow, user, settings):
        await state.clear()
        await reply.send(not_allowed())
        return None
    draft = await service.draft_of(uow, draft_id, actor(user))
    if draft is None:
        await state.clear()
        await reply.send(screens.draft_gone())
    return draft


async def _read_version(bot: Bot, message: Message, language: str) -> Version | content.ContentProblem:
    """The message the official sent, as a version of the announcement, or why it cannot be one."""
    entities = message.entities or message.caption_entities or []
    problem = content.check_formatting(entity.type for entity in entities)
    if problem is not None:
        return problem
    markup = message.html_text
    mime: str | None
    if message.photo:
        kind, file_id, size = ContentKind.photo, message.photo[-1].file_id, message.photo[-1].file_size
        file_name, mime = "photo.jpg", "image/jpeg"
    elif message.document is not None:
        document = message.document
        kind, file_id, size = ContentKind.document, document.file_id, document.file_size
        file_name, mime = document.file_name or "document", document.mime_type
    elif message.text is not None:
        problem = content.check_text(markup, ContentKind.text)
        return problem or Version(language, ContentKind.text, markup)
    else:
        return content.ContentProblem(content.Problem.unsupported)
    problem = content.check_text(markup, kind) or content.check_file(kind, size)
    if problem is not None:
        return problem
    buffer = io.BytesIO()
    await bot.download(file_id, destination=buffer)
    raw = buffer.getvalue()
    problem = content.check_file(kind, len(raw))
    return problem or Version(language, kind, markup, file_name, raw, mime)


async def on_content(
    message: Message,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
) -> None:
    data = await state.get_data()
    draft = await _typed_for_draft(reply, uow, user, settings, state, int(data.get("draft", 0)))
    if draft is None:
        return
    read = await _read_version(bot, message, str(data.get("language", DEFAULT_VERSION)))
    if isinstance(read, content.ContentProblem):
        await reply.send(screens.content_refused(read))
        return
    await service.save_version(uow, draft.id, read)
    await state.set_state(None)
    await reply.send(screens.versions_view(await _draft(uow, draft.id), catalogs().available))


async def _draft(uow: UnitOfWork, draft_id: int) -> Broadcast:
    found = await service.get(uow, draft_id)
    if found is None:
        raise LookupError(f"draft {draft_id} is not stored")
    return found


async def on_versions(
    _: CallbackQuery,
    callback_data: BcCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    state: FSMContext,
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    await state.set_state(None)
    if DEFAULT_VERSION not in draft.languages:
        await state.set_state(Compose.message)
        await state.update_data(draft=draft.id, language=DEFAULT_VERSION)
        await reply.show(screens.compose_prompt(draft.id, ()))
        return
    await reply.show(screens.versions_view(draft, catalogs().available))


async def on_add_version(
    _: CallbackQuery,
    callback_data: BcVersionCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    state: FSMContext,
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    if callback_data.language not in (DEFAULT_VERSION, *catalogs().available):
        await reply.toast(stale_button())
        return
    await state.set_state(Compose.message)
    await state.update_data(draft=draft.id, language=callback_data.language)
    await reply.show(screens.ask_version(draft.id, callback_data.language))


# ---------------------------------------------------------------- the audience


def _contest_id(quiz_bank: QuizBank | None) -> str | None:
    if quiz_bank is None:
        return None
    contest = quiz_bank.latest_contest(utcnow())
    return contest.id if contest is not None else None


async def _names(
    uow: UnitOfWork, audience: Audience, guides: Catalogue | None, quiz_bank: QuizBank | None
) -> screens.AudienceNames:
    unit_names = {}
    for code in audience.units:
        unit = await units.get(uow, code)
        if unit is not None:
            unit_names[code] = unit.name
    language = current_locale()
    guide = guides.guides.get(audience.guide_id) if guides and audience.guide_id else None
    contest = quiz_bank.contests.get(audience.contest_id) if quiz_bank and audience.contest_id else None
    return screens.AudienceNames(
        units=unit_names,
        guide=guide.button(language) if guide else None,
        contest=contest.title.get(language) if contest else None,
    )


async def _show_audience(
    reply: Reply,
    uow: UnitOfWork,
    draft: Broadcast,
    settings: Settings,
    guides: Catalogue | None,
    quiz_bank: QuizBank | None,
) -> None:
    recipients = await service.count(uow, draft.audience, _scope(settings))
    names = await _names(uow, draft.audience, guides, quiz_bank)
    await reply.show(screens.audience_view(draft, recipients, names, _contest_id(quiz_bank) is not None))


async def on_audience(
    _: CallbackQuery,
    callback_data: BcCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    state: FSMContext,
    guides: Catalogue | None = None,
    quiz_bank: QuizBank | None = None,
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    await state.set_state(None)
    if DEFAULT_VERSION not in draft.languages:
        await reply.toast(screens.nothing_to_send().text)
        return
    await _show_audience(reply, uow, draft, settings, guides, quiz_bank)


async def on_audience_choice(
    _: CallbackQuery,
    callback_data: BcAudienceCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    guides: Catalogue | None = None,
    quiz_bank: QuizBank | None = None,
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    audience, value = draft.audience, callback_data.value
    if callback_data.field is AudienceField.everyone:
        audience = Audience()
    elif callback_data.field is AudienceField.language:
        if value not in catalogs().available:
            await reply.toast(stale_button())
            return
        audience = replace(audience, languages=toggled(audience.languages, value))
    elif callback_data.field is AudienceField.quiz:
        contest = _contest_id(quiz_bank)
        if value not in [item.value for item in QuizFilter] or contest is None:
            await reply.toast(stale_button())
            return
        wanted = QuizFilter(value)
        same = audience.quiz is wanted
        audience = replace(audience, quiz=None if same else wanted, contest_id=None if same else contest)
    elif callback_data.field is AudienceField.guide:
        if guides is None or value not in guides.guides:
            await reply.toast(stale_button())
            return
        audience = replace(audience, guide_id=None if audience.guide_id == value else value)
    await service.set_audience(uow, draft.id, audience)
    draft = await _draft(uow, draft.id)
    if callback_data.field is AudienceField.language:
        await reply.show(screens.languages_view(draft, catalogs().available))
    elif callback_data.field is AudienceField.guide and guides is not None:
        await reply.show(screens.guides_view(draft, _guide_labels(guides)))
    else:
        await _show_audience(reply, uow, draft, settings, guides, quiz_bank)


def _guide_labels(guides: Catalogue | None) -> list[tuple[str, str]]:
    language = current_locale()
    return [(guide_id, guide.button(language)) for guide_id, guide in guides.guides.items()] if guides else []


async def on_languages(
    _: CallbackQuery, callback_data: BcCb, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is not None:
        await reply.show(screens.languages_view(draft, catalogs().available))


async def on_guides(
    _: CallbackQuery,
    callback_data: BcCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    guides: Catalogue | None = None,
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is not None:
        await reply.show(screens.guides_view(draft, _guide_labels(guides)))


async def _units_screen(uow: UnitOfWork, draft: Broadcast, code: str, page: int) -> View | None:
    parent = await units.get(uow, code) if code else None
    if code and parent is None:
        return None
    async with uow:
        children = await uow.units.children(parent.code if parent else None)
        with_children = [(child, bool(await uow.units.children(child.code))) for child in children]
    return screens.units_view(draft, parent, with_children, page)


async def on_units(
    _: CallbackQuery, callback_data: BcCb, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    view = await _units_screen(uow, draft, "", 0)
    await reply.show(view or screens.draft_gone())


async def on_unit(
    _: CallbackQuery, callback_data: BcUnitCb, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    if callback_data.open:
        view = await _units_screen(uow, draft, callback_data.code, callback_data.page)
        if view is None:
            await reply.toast(stale_button())
            return
        await reply.show(view)
        return
    unit = await units.get(uow, callback_data.code)
    if unit is None:
        await reply.toast(stale_button())
        return
    audience = replace(draft.audience, units=toggled(draft.audience.units, unit.code))
    await service.set_audience(uow, draft.id, audience)
    draft = await _draft(uow, draft.id)
    view = await _units_screen(uow, draft, unit.parent_code or "", 0)
    await reply.show(view or screens.draft_gone())


# ---------------------------------------------------------------- preview, time, confirm


async def on_preview(
    _: CallbackQuery, callback_data: BcCb, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    recipients = await service.count(uow, draft.audience, _scope(settings))
    await reply.toast()
    for version in sorted(
        await service.versions(uow, draft.id), key=lambda v: (v.language != DEFAULT_VERSION, v.language)
    ):
        await reply.send(screens.preview_heading(version.language))
        await reply.send(screens.announcement(draft.id, version))
    await reply.send(screens.when_view(draft, recipients, _quiet(settings)))


async def on_when(
    _: CallbackQuery,
    callback_data: BcCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    state: FSMContext,
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    await state.set_state(None)
    recipients = await service.count(uow, draft.audience, _scope(settings))
    await reply.show(screens.when_view(draft, recipients, _quiet(settings)))


async def on_urgent(
    _: CallbackQuery, callback_data: BcCb, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    await service.set_urgent(uow, draft.id, not draft.urgent)
    draft = await _draft(uow, draft.id)
    recipients = await service.count(uow, draft.audience, _scope(settings))
    await reply.show(screens.when_view(draft, recipients, _quiet(settings)))


async def _show_confirm(
    reply: Reply,
    uow: UnitOfWork,
    draft: Broadcast,
    settings: Settings,
    guides: Catalogue | None,
    quiz_bank: QuizBank | None,
    edit: bool,
) -> None:
    recipients = await service.count(uow, draft.audience, _scope(settings))
    names = await _names(uow, draft.audience, guides, quiz_bank)
    view = screens.confirm_view(draft, recipients, draft.scheduled_at, names)
    await (reply.show(view) if edit else reply.send(view))


async def on_now(
    _: CallbackQuery,
    callback_data: BcCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    guides: Catalogue | None = None,
    quiz_bank: QuizBank | None = None,
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    await service.set_time(uow, draft.id, None)
    await _show_confirm(reply, uow, await _draft(uow, draft.id), settings, guides, quiz_bank, edit=True)


async def on_schedule(
    _: CallbackQuery,
    callback_data: BcCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    state: FSMContext,
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    await state.set_state(Compose.time)
    await state.update_data(draft=draft.id)
    await reply.show(screens.ask_time(draft.id, example(utcnow(), settings.timezone), settings.timezone))


async def on_time(
    message: Message,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    state: FSMContext,
    guides: Catalogue | None = None,
    quiz_bank: QuizBank | None = None,
) -> None:
    data = await state.get_data()
    draft = await _typed_for_draft(reply, uow, user, settings, state, int(data.get("draft", 0)))
    if draft is None:
        return
    at = parse_when(message.text or "", settings.timezone)
    sample = example(utcnow(), settings.timezone)
    if at is None or at <= utcnow():
        await reply.send(screens.time_refused(sample, past=at is not None))
        return
    await state.set_state(None)
    await service.set_time(uow, draft.id, at)
    await _show_confirm(reply, uow, await _draft(uow, draft.id), settings, guides, quiz_bank, edit=False)


async def on_confirm(
    _: CallbackQuery,
    callback_data: BcCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    delivery: DeliveryWorker | None = None,
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    try:
        broadcast = await service.confirm(uow, draft.id, actor(user), _scope(settings), draft.scheduled_at)
    except service.BroadcastError:
        await reply.show(screens.nothing_to_send())
        return
    if delivery is not None:
        delivery.wake()
    progress = await service.progress(uow, broadcast.id, _rate(settings))
    if progress is None:
        return
    await reply.toast()
    sent = await reply.send(screens.progress_view(progress, _quiet(settings), utcnow()))
    await service.set_progress_message(uow, broadcast.id, str(sent.message_id))


async def on_discard(
    _: CallbackQuery,
    callback_data: BcCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    state: FSMContext,
) -> None:
    draft = await _own_draft(reply, uow, user, settings, callback_data.id)
    if draft is None:
        return
    await state.clear()
    await service.cancel(uow, draft.id, actor(user))
    await reply.show(screens.discarded())


# ---------------------------------------------------------------- progress: pause, resume, cancel


async def _managed(
    reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings, broadcast_id: int
) -> Broadcast | None:
    """A broadcast the caller may manage: any official or admin may pause, resume or cancel any broadcast."""
    if not await _may_broadcast(uow, user, settings):
        await _refuse(reply)
        return None
    broadcast = await service.get(uow, broadcast_id)
    if broadcast is None or broadcast.state is BroadcastState.draft:
        await reply.toast(screens.not_found().text)
        return None
    return broadcast


async def _show_progress(reply: Reply, uow: UnitOfWork, broadcast_id: int, settings: Settings) -> None:
    progress = await service.progress(uow, broadcast_id, _rate(settings))
    if progress is not None:
        await reply.show(screens.progress_view(progress, _quiet(settings), utcnow()))


async def on_refresh(
    _: CallbackQuery, callback_data: BcCb, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    if await _managed(reply, uow, user, settings, callback_data.id) is not None:
        await _show_progress(reply, uow, callback_data.id, settings)


async def on_pause(
    _: CallbackQuery, callback_data: BcCb, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    if await _managed(reply, uow, user, settings, callback_data.id) is None:
        return
    await service.pause(uow, callback_data.id, actor(user))
    await _show_progress(reply, uow, callback_data.id, settings)


async def on_resume(
    _: CallbackQuery,
    callback_data: BcCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    delivery: DeliveryWorker | None = None,
) -> None:
    if await _managed(reply, uow, user, settings, callback_data.id) is None:
        return
    if await service.resume(uow, callback_data.id, actor(user)) and delivery is not None:
        delivery.wake()
    await _show_progress(reply, uow, callback_data.id, settings)


async def on_cancel(
    _: CallbackQuery, callback_data: BcCb, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    broadcast = await _managed(reply, uow, user, settings, callback_data.id)
    if broadcast is None:
        return
    if broadcast.state not in LIVE:
        await _show_progress(reply, uow, broadcast.id, settings)
        return
    await reply.show(screens.cancel_confirm(broadcast.id))


async def on_cancel_confirmed(
    _: CallbackQuery, callback_data: BcCb, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    if await _managed(reply, uow, user, settings, callback_data.id) is None:
        return
    await service.cancel(uow, callback_data.id, actor(user))
    await _show_progress(reply, uow, callback_data.id, settings)


# ---------------------------------------------------------------- citizens: 📢 Announcements


async def show_news(_: TelegramObject, reply: Reply, uow: UnitOfWork, user: UserRecord) -> None:
    items = []
    for broadcast, at in await service.latest_for(uow, user.id):
        version = service.version_for(await service.versions(uow, broadcast.id, with_files=False), user.language)
        items.append((broadcast, at, screens.excerpt(version)))
    await reply.show(screens.news_home(items, await service.is_muted(uow, user.id)))


async def open_news(_: CallbackQuery, callback_data: NewsCb, reply: Reply, uow: UnitOfWork, user: UserRecord) -> None:
    if not await service.was_sent_to(uow, callback_data.id, user.id):
        await reply.toast(stale_button())  # not one of theirs: forged, or someone else's
        return
    version = service.version_for(await service.versions(uow, callback_data.id), user.language)
    if version is None:
        await reply.toast(stale_button())
        return
    await reply.toast()
    await reply.send(screens.announcement(callback_data.id, version))


async def mute(_: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord) -> None:
    await service.mute(uow, user.id)
    await reply.show(screens.muted())


async def unmute(_: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord) -> None:
    await service.unmute(uow, user.id)
    await reply.show(screens.unmuted())


async def on_membership(event: ChatMemberUpdated, uow: UnitOfWork, user: UserRecord) -> None:
    """The citizen blocked the bot: leave them out of audiences from now on (writing to them would get a 403).
    Unblocking needs nothing here: any update from someone marked blocked makes them active again."""
    if event.chat.type == "private" and event.new_chat_member.status == "kicked":
        await users.mark_blocked(uow, user.id)


# ---------------------------------------------------------------- what the delivery room sends


class VersionCache:
    """The versions of the broadcasts being sent, read once per process: they never change once confirmed."""

    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._items: OrderedDict[int, list[Version]] = OrderedDict()

    async def get(self, uow: Work, broadcast_id: int) -> list[Version]:
        found = self._items.get(broadcast_id)
        if found is None:
            found = self._items[broadcast_id] = await service.versions(uow, broadcast_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return found


async def compose_announcement(context: ComposeContext) -> Sequence[View]:
    cache = cast(VersionCache, context.content["announcement_versions"])
    notice = context.delivery
    version = service.version_for(await cache.get(context.uow, notice.ref_id), notice.language)
    return [screens.announcement(notice.ref_id, version)] if version is not None else []


async def compose_progress(context: ComposeContext) -> Sequence[View]:
    settings = cast(Settings, context.content["settings"])
    progress = await service.progress(context.uow, context.delivery.ref_id, _rate(settings))
    return [screens.progress_view(progress, _quiet(settings), utcnow())] if progress is not None else []


async def compose_report(context: ComposeContext) -> Sequence[View]:
    settings = cast(Settings, context.content["settings"])
    report = await service.report(context.uow, context.delivery.ref_id, _rate(settings))
    return [screens.report_view(report)] if report is not None else []


async def refill(context: HookContext) -> int:
    settings = cast(Settings, context.content["settings"])
    return await service.refill(context.uow, _scope(settings), context.now, context.loud)


async def tick(context: HookContext) -> int:
    settings = cast(Settings, context.content["settings"])
    started = await service.start_due(context.uow, _scope(settings), context.now)
    finished = await service.finish_done(context.uow, context.now)
    every = timedelta(seconds=settings.broadcast_progress_seconds)
    edits = await service.rearm_progress(context.uow, context.now, every)
    return started + finished + edits


def create_router() -> Router:
    router = Router(name="broadcasts")
    router.my_chat_member.register(on_membership)
    router.message.register(open_composer, Command("broadcast"))
    router.message.register(show_news, MenuText(MENU_ENTRY))
    router.message.register(on_time, StateFilter(Compose.time), F.text, _not_navigation)
    router.message.register(on_content, StateFilter(Compose.message), _not_navigation)
    router.callback_query.register(show_news, from_menu(MENU_ENTRY))
    router.callback_query.register(show_news, Pressed(NewsCb, action=NewsAction.home))
    router.callback_query.register(open_news, Pressed(NewsCb, action=NewsAction.open))
    router.callback_query.register(mute, Pressed(NewsCb, action=NewsAction.mute))
    router.callback_query.register(unmute, Pressed(NewsCb, action=NewsAction.unmute))
    router.callback_query.register(on_add_version, Pressed(BcVersionCb))
    router.callback_query.register(on_audience_choice, Pressed(BcAudienceCb))
    router.callback_query.register(on_unit, Pressed(BcUnitCb))
    actions: dict[BcAction, Callable[..., Awaitable[None]]] = {
        BcAction.versions: on_versions,
        BcAction.audience: on_audience,
        BcAction.units: on_units,
        BcAction.languages: on_languages,
        BcAction.guides: on_guides,
        BcAction.preview: on_preview,
        BcAction.when: on_when,
        BcAction.urgent: on_urgent,
        BcAction.now: on_now,
        BcAction.schedule: on_schedule,
        BcAction.confirm: on_confirm,
        BcAction.discard: on_discard,
        BcAction.refresh: on_refresh,
        BcAction.pause: on_pause,
        BcAction.resume: on_resume,
        BcAction.cancel: on_cancel,
        BcAction.cancel_confirmed: on_cancel_confirmed,
    }
    for action, handler in actions.items():
        router.callback_query.register(handler, Pressed(BcCb, action=action))
    return router


FEATURE = Feature(
    name="broadcasts",
    router=create_router,
    stores=(bind(OUTBOX, OutboxRepository), bind(BROADCASTS, BroadcastRepository)),
    menu=MENU_ENTRY,
    load=lambda settings: {"announcement_versions": VersionCache()},
    topics=(
        Topic(TOPIC, compose_announcement, refill=refill, tick=tick),
        Topic(PROGRESS_TOPIC, compose_progress),
        Topic(REPORT_TOPIC, compose_report),
    ),
)
