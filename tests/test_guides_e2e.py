"""Guides end to end: the real bot polling the Bot API emulator over HTTP."""

from __future__ import annotations

from bot.config import ROOT
from bot.domain.guides.catalogue import load_catalogue
from bot.domain.guides.ports import GUIDES
from bot.domain.guides.records import ProgressStatus
from bot.domain.units import import_units
from bot.features import stores

BIRTH = "birth-residence-insurance"
GUIDE = load_catalogue(ROOT / "procedures")[0].guides[BIRTH]
TOTAL = len(GUIDE.steps)


def _data_starting(message, prefix: str) -> str:
    for button in message.buttons:
        if button.get("callback_data", "").startswith(prefix):
            return button["callback_data"]
    raise AssertionError(f"no button {prefix!r} on {message.describe()}")


async def tap(citizen, prefix: str):
    """Press the button whose payload starts with prefix, on the newest message that has one."""
    for message in reversed(citizen.messages):
        if any(button.get("callback_data", "").startswith(prefix) for button in message.buttons):
            return await citizen.press_data(_data_starting(message, prefix), message)
    raise AssertionError(f"no message offers {prefix!r}: {[m.describe() for m in citizen.messages]}")


def step_payload(shown: int, action: str, version: str = GUIDE.version, guide: str = BIRTH) -> str:
    return f"gs:{guide}:{version}:{shown}:{action}"


async def _uow(sandbox):
    from bot.db.uow import UnitOfWork

    return UnitOfWork(sandbox.app.dispatcher["session_factory"], stores())


async def _progress(sandbox, citizen, guide_id: str = BIRTH):
    uow = await _uow(sandbox)
    async with uow:
        user = await uow.users.get("telegram", str(citizen.id))
        progress = await uow[GUIDES].progress(user.id, guide_id)
    await uow.close()
    return progress


async def _events(sandbox, citizen) -> list[tuple[str, int | None, str | None, str | None, str | None]]:
    from sqlalchemy import select

    from bot.db.guides import GuideEventRow

    uow = await _uow(sandbox)
    async with uow:
        user = await uow.users.get("telegram", str(citizen.id))
        rows = await uow.session.execute(
            select(
                GuideEventRow.kind,
                GuideEventRow.step,
                GuideEventRow.detail,
                GuideEventRow.unit_code,
                GuideEventRow.language,
            )
            .where(GuideEventRow.user_id == user.id)
            .order_by(GuideEventRow.id)
        )
        events = [tuple(row) for row in rows]
    await uow.close()
    return events


async def _import_units(sandbox) -> None:
    uow = await _uow(sandbox)
    await import_units(uow, (ROOT / "data" / "units" / "backan-2023.csv").read_text(encoding="utf-8"))
    await uow.close()


async def _open_birth_guide(citizen):
    await citizen.send("📋 Public services")
    await tap(citizen, "gk:family")
    return await tap(citizen, f"go:{BIRTH}")


async def test_open_checklist_steps_stuck_continue_done_feedback(sandbox):
    await _import_units(sandbox)
    citizen = sandbox.citizen(language_code="en")
    await citizen.start(payload="unit_bk-tp-ducxuan")

    replies = await citizen.send("📋 Public services")
    assert "Public services online" in replies[0].text
    replies = await tap(citizen, "gk:family")
    assert any(button.get("callback_data") == f"go:{BIRTH}" for button in replies[0].buttons)

    replies = await tap(citizen, f"go:{BIRTH}")
    overview = replies[0]
    assert GUIDE.title.en in overview.text and "Fees" in overview.text and "Last checked" in overview.text
    assert "Ready: 0 of" in overview.text

    replies = await tap(citizen, f"gc:{BIRTH}:{GUIDE.version}:1")
    assert replies[0].message_id == overview.message_id  # edited in place
    assert "Ready: 1 of" in replies[0].text and "☑️ 2." in replies[0].text
    assert (await _progress(sandbox, citizen)).ticked == frozenset({1})

    replies = await tap(citizen, step_payload(0, "n"))
    assert replies[0].message_id == overview.message_id
    assert f"Step 1 of {TOTAL}" in replies[0].text and GUIDE.steps[0].text.en in replies[0].text
    await tap(citizen, step_payload(1, "n"))
    replies = await tap(citizen, step_payload(2, "n"))
    assert f"Step 3 of {TOTAL}" in replies[0].text
    replies = await tap(citizen, step_payload(3, "b"))
    assert f"Step 2 of {TOTAL}" in replies[0].text and GUIDE.steps[1].text.en in replies[0].text
    if GUIDE.steps[1].link:
        assert any(button.get("url") == GUIDE.steps[1].link.url for button in replies[0].buttons)

    replies = await tap(citizen, step_payload(2, "k"))
    assert "Đức Xuân" in replies[0].text and "step 2" in replies[0].text
    replies = await tap(citizen, step_payload(2, "c"))
    assert f"Step 2 of {TOTAL}" in replies[0].text

    for shown in range(2, TOTAL):
        await tap(citizen, step_payload(shown, "n"))
    replies = await tap(citizen, step_payload(TOTAL, "d"))
    assert "Was this guide helpful?" in replies[0].text
    assert [button["text"] for button in replies[0].buttons] == ["👍", "👎"]
    progress = await _progress(sandbox, citizen)
    assert progress.status is ProgressStatus.done

    replies = await tap(citizen, f"gf:{BIRTH}:down")
    assert replies[0].text.endswith("✅ 👎")  # the question keeps the answer
    assert "what was missing" in replies[-1].text
    replies = await citizen.send("Step 3 was hard to follow")
    assert "Thank you for your feedback" in replies[0].text

    events = await _events(sandbox, citizen)
    kinds = [kind for kind, *_ in events]
    assert kinds[0] == "opened" and kinds[-3:] == ["done", "feedback", "reason"]
    assert ("stuck", 2, None, "bk-tp-ducxuan", "en") in events
    assert [step for kind, step, *_ in events if kind == "step"] == [1, 2, 3, 2, 2, *range(3, TOTAL + 1)]
    assert events[-2][2] == "down" and events[-1][2] == "Step 3 was hard to follow"

    # A second 👍 on the same walk is not counted.
    await citizen.press_data(f"gf:{BIRTH}:up", replies[0])
    assert len(await _events(sandbox, citizen)) == len(events)


async def test_stuck_without_a_unit_shows_the_province_hotline(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await _open_birth_guide(citizen)
    await tap(citizen, step_payload(0, "n"))
    replies = await tap(citizen, step_payload(1, "k"))
    assert "0209 3 000 000" in replies[0].text


async def test_search_ignores_marks_and_garbage_still_gets_the_hint(sandbox):
    citizen = sandbox.citizen(language_code="vi")
    await citizen.start()
    for query in ("dang ky khai sinh", "khai sinh", "birth"):
        replies = await citizen.send(query)
        assert _data_starting(replies[0], "go:") == f"go:{BIRTH}", query
        assert len([b for b in replies[0].buttons if b.get("callback_data", "").startswith("go:")]) <= 5
    # Nothing relevant, in the guides section or outside it: "nothing found" and the topics at once.
    for _ in range(2):
        replies = await citizen.send("asdfgh qwerty")
        assert "asdfgh qwerty" in replies[0].text and "chưa hiểu" not in replies[0].text
        assert _data_starting(replies[0], "gk:")
        await citizen.send("📋 Dịch vụ công")


async def test_resume_at_the_same_step_with_ticks_after_a_restart(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await _open_birth_guide(citizen)
    await tap(citizen, f"gc:{BIRTH}:{GUIDE.version}:0")
    await tap(citizen, f"gc:{BIRTH}:{GUIDE.version}:2")
    for shown in range(3):
        await tap(citizen, step_payload(shown, "n"))

    await sandbox.restart_bot()
    replies = await citizen.send("📋 Public services")
    assert _data_starting(replies[0], "gs:") == step_payload(3, "c")
    assert "step 3" in replies[0].buttons[0]["text"] and "step 3" in replies[0].text
    replies = await tap(citizen, step_payload(3, "c"))
    assert f"Step 3 of {TOTAL}" in replies[0].text

    # Reopening the guide shows the ticked checklist and offers to continue.
    replies = await tap(citizen, "m:guides")
    await tap(citizen, "gk:family")
    replies = await tap(citizen, f"go:{BIRTH}")
    assert "☑️ 1." in replies[0].text and "⬜ 2." in replies[0].text and "☑️ 3." in replies[0].text
    assert _data_starting(replies[0], "gs:") == step_payload(3, "c")
    progress = await _progress(sandbox, citizen)
    assert (progress.step, progress.ticked) == (3, frozenset({0, 2}))


async def test_stale_foreign_gone_and_out_of_range_buttons_change_nothing(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await _open_birth_guide(citizen)
    await tap(citizen, step_payload(0, "n"))
    await tap(citizen, step_payload(1, "n"))
    before = await _progress(sandbox, citizen)
    events_before = await _events(sandbox, citizen)
    sent_before = len(citizen.messages)

    forged = [
        step_payload(0, "n"),  # a button from before: we are at step 2
        step_payload(2, "n", version="abcdef"),  # a guide edited since
        step_payload(99, "n"),  # step out of range
        step_payload(2, "x"),  # no such action
        step_payload(2, "d"),  # done is only on the last step
        f"gc:{BIRTH}:abcdef:0",  # checklist of an older version
        f"gc:{BIRTH}:{GUIDE.version}:99",  # no such checklist item
        "gk:family:9",  # no such page
        f"gf:{BIRTH}:up",  # rating before finishing
    ]
    for data in forged:
        await citizen.press_data(data)
    await citizen.press_data("go:no-such-guide")
    await citizen.press_data(step_payload(1, "n", guide="no-such-guide"))

    assert citizen.toasts[-len(forged) - 2 : -2] == [
        "This button is out of date. Please use the latest message or /menu."
    ] * len(forged)
    assert citizen.toasts[-2:] == ["This guide is no longer available. Please open Public services again."] * 2
    assert await _progress(sandbox, citizen) == before
    assert await _events(sandbox, citizen) == events_before
    assert len(citizen.messages) == sent_before

    # Another citizen pressing this citizen's buttons: looked up by their own id, so nothing happens.
    stranger = sandbox.citizen(language_code="en")
    await stranger.start()
    await stranger.press_data(step_payload(2, "n"))
    await stranger.press_data(f"gc:{BIRTH}:{GUIDE.version}:0")
    assert stranger.toasts[-2:] == ["This button is out of date. Please use the latest message or /menu."] * 2
    assert await _progress(sandbox, stranger) is None
    assert await _progress(sandbox, citizen) == before


async def test_a_guide_edited_while_in_progress_resumes_clamped_with_ticks_cleared(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await _open_birth_guide(citizen)
    await tap(citizen, f"gc:{BIRTH}:{GUIDE.version}:0")
    await tap(citizen, step_payload(0, "n"))
    await tap(citizen, step_payload(1, "n"))

    catalogue = sandbox.app.dispatcher["guides"]
    dumped = GUIDE.model_dump()
    edited = type(GUIDE).model_validate({**dumped, "steps": [*dumped["steps"][:3], dumped["steps"][4]]})
    catalogue.guides[BIRTH] = edited
    try:
        old_next = citizen.last
        await citizen.press_data(step_payload(2, "n"), old_next)
        assert citizen.toasts[-1].startswith("This button is out of date")
        replies = await citizen.send("📋 Public services")
        resume = _data_starting(replies[0], "gs:")
        assert resume == step_payload(2, "c", version=edited.version)
        replies = await citizen.press_data(resume, replies[0])
        assert "Step 2 of 4" in replies[0].text
        assert (await _progress(sandbox, citizen)).ticked == frozenset()
    finally:
        catalogue.guides[BIRTH] = GUIDE
