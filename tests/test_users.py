"""Citizens' records: creation, deep links, and the short-lived cache in front of them."""

from __future__ import annotations

from datetime import UTC

from bot.domain import users
from bot.domain.users import RecentUsers


async def test_touch_creates_once_then_serves_from_the_cache(uow):
    recent = RecentUsers()
    first, created = await users.touch(uow, "telegram", "1", "1", recent)
    assert created
    again, created = await users.touch(uow, "telegram", "1", "1", recent)
    assert not created and again is first  # served without a query


async def test_a_change_through_the_unit_of_work_is_seen_at_once(uow):
    recent = RecentUsers()
    user, _ = await users.touch(uow, "telegram", "2", "2", recent)
    await users.set_language(uow, user.id, "th")
    recent.evict(uow.changed_user_ids)
    fresh, _ = await users.touch(uow, "telegram", "2", "2", recent)
    assert fresh.language == "th"


async def test_entries_expire(uow):
    now = [0.0]
    recent = RecentUsers(ttl=30, clock=lambda: now[0])
    user, _ = await users.touch(uow, "telegram", "3", "3", recent)
    assert recent.get("telegram", "3") is user
    now[0] = 31
    assert recent.get("telegram", "3") is None


def test_the_cache_is_bounded():
    from datetime import datetime

    from bot.domain.records import UserRecord

    recent = RecentUsers(size=2)
    moment = datetime.now(UTC)
    for number in range(3):
        recent.put(UserRecord(number, "telegram", str(number), str(number), None, None, "active", moment, moment, None))
    assert recent.get("telegram", "0") is None and recent.get("telegram", "2") is not None


async def test_deep_link_sets_unit_only_when_it_exists(uow):
    from bot.domain.units import import_units

    await import_units(uow, "code,name,kind,parent_code\np,P,province,\nc,C,commune,p\n")
    user, _ = await users.touch(uow, "telegram", "4", "4")
    user = await users.apply_start_payload(uow, user, "unit_c")
    assert (user.unit_code, user.source) == ("c", "unit_c")
    other, _ = await users.touch(uow, "telegram", "5", "5")
    other = await users.apply_start_payload(uow, other, "unit_zz")
    assert (other.unit_code, other.source) == (None, "unit_zz")
