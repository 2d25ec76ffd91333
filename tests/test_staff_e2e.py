"""Staff commands: roles decide, and a refusal changes nothing."""

from __future__ import annotations

from bot.domain import roles


async def test_non_staff_is_refused_politely(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    replies = await citizen.send("/stats")
    assert replies[0].text.startswith("Sorry, this command is only for campaign staff")
    assert "Total" not in replies[0].text


async def test_granted_official_sees_counts_and_revoked_one_does_not(sandbox, uow):
    official = sandbox.citizen(language_code="vi")
    await official.start()
    other = sandbox.citizen(language_code="th")
    await other.start()
    assert await roles.grant(uow, "telegram", str(official.id), "official", actor="test")
    replies = await official.send("/stats")
    assert "Tổng số: 2" in replies[0].text
    assert "ไทย: 1" in replies[0].text
    assert await roles.revoke(uow, "telegram", str(official.id), "official", actor="test")
    replies = await official.send("/stats")
    assert "chỉ dành cho cán bộ" in replies[0].text
    async with uow:
        actions = [row[2] for row in await uow.audit.recent()]
    assert actions[:2] == ["role.revoke", "role.grant"]


async def test_admin_ids_from_settings_are_admins(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await sandbox.stop_bot()
    sandbox.settings = sandbox.settings.model_copy(update={"admin_ids": [citizen.id]})
    await sandbox.start_bot()
    replies = await citizen.send("/stats")
    assert "Total: 1" in replies[0].text
