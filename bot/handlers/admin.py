"""/admin: administrators grant and revoke staff roles, by user id, a forwarded message or a shared contact.

    /admin                          the staff and their roles, with buttons to grant and take away
    /admin grant USER_ID ROLE       the same as text, for those who prefer typing
    /admin revoke USER_ID ROLE

Every change goes to the audit log (bot.domain.roles). Anyone who is not an administrator gets a polite
refusal, for the command, the buttons and forged presses alike, and nothing changes.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, MessageOriginUser

from bot.config import Settings
from bot.db.uow import UnitOfWork
from bot.domain import roles
from bot.domain.records import UserRecord
from bot.features import Feature
from bot.handlers.filters import Pressed, is_navigation
from bot.handlers.staff import caller_roles
from bot.transport.reply import Reply
from bot.transport.telegram import PLATFORM
from bot.ui.callbacks_broadcasts import AdminAction, AdminCb, AdminRoleCb
from bot.ui.screens import broadcasts as screens
from bot.ui.screens.common import stale_button
from bot.ui.screens.staff import not_allowed


class AdminForm(StatesGroup):
    person = State()  # data: role — the next message names who gets it


def _actor(user: UserRecord) -> str:
    return f"{user.platform}:{user.platform_user_id}"


async def _is_admin(uow: UnitOfWork, user: UserRecord, settings: Settings) -> bool:
    return "admin" in await caller_roles(uow, user, settings)


async def _home(reply: Reply, uow: UnitOfWork, settings: Settings, edit: bool) -> None:
    staff = await roles.staff(uow, PLATFORM)
    view = screens.admin_home(staff, [str(user_id) for user_id in settings.admin_ids])
    await (reply.show(view) if edit else reply.send(view))


async def open_admin(
    message: Message,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    state: FSMContext,
    command: CommandObject,
) -> None:
    if not await _is_admin(uow, user, settings):
        await reply.send(not_allowed())
        return
    await state.clear()
    parts = (command.args or "").split()
    if not parts:
        await _home(reply, uow, settings, edit=False)
        return
    if len(parts) != 3 or parts[0] not in ("grant", "revoke"):
        await reply.send(screens.admin_usage())
        return
    action, target, role = parts
    user_id = roles.user_id_of(target)
    if user_id is None or role not in roles.ROLES:
        await reply.send(screens.admin_usage())
        return
    await _apply(reply, uow, user, user_id, role, grant=action == "grant", edit=False)


async def _apply(
    reply: Reply, uow: UnitOfWork, user: UserRecord, target: str, role: str, grant: bool, edit: bool
) -> None:
    change = roles.grant if grant else roles.revoke
    changed = await change(uow, PLATFORM, target, role, actor=_actor(user))
    view = screens.admin_done(target, role, grant, changed)
    await (reply.show(view) if edit else reply.send(view))


async def on_home(
    _: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings, state: FSMContext
) -> None:
    if not await _is_admin(uow, user, settings):
        await reply.toast(screens.not_for_you().text, alert=True)
        return
    await state.clear()
    await _home(reply, uow, settings, edit=True)


async def on_grant(
    _: CallbackQuery,
    callback_data: AdminCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    state: FSMContext,
) -> None:
    if not await _is_admin(uow, user, settings):
        await reply.toast(screens.not_for_you().text, alert=True)
        return
    if callback_data.role not in roles.ROLES:
        await reply.toast(stale_button())
        return
    await state.set_state(AdminForm.person)
    await state.update_data(role=callback_data.role)
    await reply.show(screens.admin_ask_person(callback_data.role))


async def on_revoke_list(_: CallbackQuery, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings) -> None:
    if not await _is_admin(uow, user, settings):
        await reply.toast(screens.not_for_you().text, alert=True)
        return
    await reply.show(screens.admin_revoke_list(await roles.staff(uow, PLATFORM)))


def _person(message: Message) -> str | None:
    """Who the admin means: a typed user id, the author of a forwarded message, or a shared contact's account."""
    if isinstance(message.forward_origin, MessageOriginUser):
        return str(message.forward_origin.sender_user.id)
    if message.contact is not None:
        return str(message.contact.user_id) if message.contact.user_id else None
    if message.text is not None:
        return roles.user_id_of(message.text)
    return None


async def on_person(
    message: Message, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings, state: FSMContext
) -> None:
    if not await _is_admin(uow, user, settings):
        await state.clear()
        await reply.send(not_allowed())
        return
    role = str((await state.get_data()).get("role", ""))
    if role not in roles.ROLES:
        await state.clear()
        await _home(reply, uow, settings, edit=False)
        return
    person = _person(message)
    if person is None:
        await reply.send(screens.admin_person_unknown())
        return
    await state.clear()
    await reply.send(screens.admin_confirm(person, role, grant=True))


async def on_role(
    _: CallbackQuery,
    callback_data: AdminRoleCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
) -> None:
    if not await _is_admin(uow, user, settings):
        await reply.toast(screens.not_for_you().text, alert=True)
        return
    target = roles.user_id_of(callback_data.user)
    if target is None or callback_data.role not in roles.ROLES:
        await reply.toast(stale_button())
        return
    await _apply(reply, uow, user, target, callback_data.role, callback_data.grant, edit=True)


async def _not_navigation(message: Message) -> bool:
    return not (message.text and is_navigation(message.text.strip()))


def create_router() -> Router:
    router = Router(name="admin")
    router.message.register(open_admin, Command("admin"))
    router.message.register(on_person, StateFilter(AdminForm.person), _not_navigation)
    router.callback_query.register(on_home, Pressed(AdminCb, action=AdminAction.home))
    router.callback_query.register(on_grant, Pressed(AdminCb, action=AdminAction.grant))
    router.callback_query.register(on_revoke_list, Pressed(AdminCb, action=AdminAction.revoke))
    router.callback_query.register(on_role, Pressed(AdminRoleCb))
    return router


FEATURE = Feature(name="admin", router=create_router)
