"""/admin in the chat: an administrator grants and revokes roles by user id, a forwarded message or a shared
contact; every change is in the audit log with who did it; nobody else can."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import AuditEntry, Role
from tests.broadcast_support import deliver, fast, staff
from tests.e2e import Sandbox

ADMIN = 990001


@pytest.fixture
async def sandbox(settings):
    running = await Sandbox(fast(settings, admin_ids=[ADMIN])).start()
    try:
        yield running
    finally:
        await running.stop()


async def _roles(sandbox: Sandbox) -> set[tuple[str, str]]:
    async with sandbox.app.dispatcher["session_factory"]() as session:
        return {tuple(row) for row in await session.execute(select(Role.platform_user_id, Role.role))}  # type: ignore[misc]


async def test_an_admin_grants_by_id_forward_and_contact_and_revokes_from_the_list(sandbox) -> None:
    admin = sandbox.citizen(language_code="en", user_id=ADMIN)
    await admin.start()
    mai, tuan, lan = (sandbox.citizen(language_code="vi") for _ in range(3))
    replies = await admin.send("/admin")
    assert (
        "Staff roles" in replies[-1].text
        and f"Administrators from ADMIN_IDS (change them in the settings): {ADMIN}" in replies[-1].text
    )

    await admin.press("➕ Make someone official")
    replies = await admin.send(str(mai.id))
    assert f"Make user {mai.id} official?" in replies[-1].text
    replies = await admin.press("✅ Yes")
    assert f"Done: user {mai.id} is now official." in replies[-1].text

    await admin.press("🛡 Staff roles")
    await admin.press("➕ Make someone organizer")
    replies = await deliver(admin, sandbox.emulator.forward_from(admin.id, tuan.id, "xin chào"))
    assert f"Make user {tuan.id} organizer?" in replies[-1].text
    await admin.press("✅ Yes")

    await admin.press("🛡 Staff roles")
    await admin.press("➕ Make someone administrator")
    card = sandbox.emulator.send_contact_card(admin.id, "+84912000000", "Lan", contact_user_id=lan.id)
    replies = await deliver(admin, card)
    assert f"Make user {lan.id} administrator?" in replies[-1].text
    await admin.press("✅ Yes")
    assert await _roles(sandbox) == {(str(mai.id), "official"), (str(tuan.id), "organizer"), (str(lan.id), "admin")}

    # someone whose forwards hide their account, and a contact with no Telegram account, cannot be named
    await admin.press("🛡 Staff roles")
    await admin.press("➕ Make someone official")
    replies = await deliver(admin, sandbox.emulator.forward_from(admin.id, tuan.id, "hi", hidden=True))
    assert "I cannot tell who that is" in replies[-1].text
    replies = await deliver(admin, sandbox.emulator.send_contact_card(admin.id, "+84912000001", "Ba"))
    assert "I cannot tell who that is" in replies[-1].text

    replies = await admin.send("/admin")
    assert f"{mai.id}: official" in replies[-1].text
    await admin.press("➖ Take a role away")
    replies = await admin.press(f"➖ {mai.id}: official")
    assert f"Done: user {mai.id} is no longer official." in replies[-1].text
    assert (str(mai.id), "official") not in await _roles(sandbox)

    async with sandbox.app.dispatcher["session_factory"]() as session:
        audit = list(await session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)))
    assert [tuple(row) for row in audit] == [
        (f"telegram:{ADMIN}", "role.grant", f"telegram:{mai.id}"),
        (f"telegram:{ADMIN}", "role.grant", f"telegram:{tuan.id}"),
        (f"telegram:{ADMIN}", "role.grant", f"telegram:{lan.id}"),
        (f"telegram:{ADMIN}", "role.revoke", f"telegram:{mai.id}"),
    ]


async def test_the_text_form_and_a_granted_admin(sandbox, uow) -> None:
    admin = await staff(sandbox, uow, role="admin")
    replies = await admin.send("/admin grant 4242 organizer")
    assert "Done: user 4242 is now organizer." in replies[-1].text
    replies = await admin.send("/admin grant 4242 organizer")
    assert "Nothing changed" in replies[-1].text
    replies = await admin.send("/admin grant 4242 emperor")
    assert "roles: admin, official, organizer" in replies[-1].text
    replies = await admin.send("/admin revoke 4242 organizer")
    assert "no longer organizer" in replies[-1].text
    assert (("4242", "organizer") in await _roles(sandbox)) is False


async def test_an_official_is_not_an_admin(sandbox, uow) -> None:
    official = await staff(sandbox, uow, role="official")
    replies = await official.send("/admin")
    assert replies[-1].text.startswith("Sorry, this command is only for campaign staff")
    await official.press_data(f"ar:{official.id}:admin:1")
    assert official.toasts[-1].startswith("Sorry")
    assert (str(official.id), "admin") not in await _roles(sandbox)
