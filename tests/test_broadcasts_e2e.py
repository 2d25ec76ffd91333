"""Announcements end to end: the real bot polling the emulator, an official composing by buttons, citizens
receiving, refusals for everyone else, muting, quiet hours."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db.broadcasts import BroadcastRow
from bot.db.models import AuditEntry, Role
from bot.db.outbox import DeliveryRow
from bot.sandbox.emulator import TINY_PNG
from tests.broadcast_support import count_in_state, deliver, fast, staff, wait_for_db
from tests.e2e import Sandbox


@pytest.fixture
def settings(settings):
    return fast(settings)


async def _scalar(sandbox: Sandbox, query):
    async with sandbox.app.dispatcher["session_factory"]() as session:
        return await session.scalar(query)


def _shown(sandbox: Sandbox, official, after: int) -> str:
    """Every text the bot showed the official since event `after`, as shown then (the worker's own edits of
    the progress message may come before or after the handler's)."""
    events = sandbox.emulator.events(official.id, after_event=after)
    return "\n".join((event.message or {}).get("text", "") for event in events if event.kind in ("sent", "edited"))


async def _compose(official, html: str) -> None:
    """/broadcast and the main message, as a formatted text."""
    await official.send("/broadcast")
    replies = await deliver(official, official.emulator.send_formatted(official.id, html))
    # (the worker may edit an earlier progress message meanwhile: look among the replies)
    assert any(m.text.startswith("✅ Saved.") for m in replies), [m.text for m in replies]


async def test_compose_preview_and_confirm_by_buttons_reaches_each_citizen_in_their_language(sandbox, uow):
    official = await staff(sandbox, uow)
    vi, en, th = (sandbox.citizen(language_code=code) for code in ("vi", "en", "th"))
    for citizen in (vi, en, th):
        await citizen.start()
    replies = await official.send("/broadcast")
    assert "New announcement" in replies[-1].text
    await deliver(official, sandbox.emulator.send_formatted(official.id, "<b>Hội thi</b> mở từ hôm nay"))
    await official.press("➕ Version in English")
    replies = await deliver(official, sandbox.emulator.send_formatted(official.id, "<b>The contest</b> opens today"))
    assert "the main message for everyone, English" in replies[-1].text

    replies = await official.press("👥 Choose who gets it ➡️")
    assert "Recipients now: 4" in replies[-1].text
    await official.press("🌐 Languages…")
    await official.press("English")  # official and `en`
    replies = await official.press("⬅️ Back to the audience")
    assert "Recipients now: 2" in replies[-1].text and "Reading: English" in replies[-1].text
    replies = await official.press("Everyone")
    assert "Recipients now: 4" in replies[-1].text

    replies = await official.press("👀 Preview ➡️")
    texts = [message.text for message in replies]
    assert any("Preview" in text for text in texts)
    previews = [m for m in replies if m.text in ("Hội thi mở từ hôm nay", "The contest opens today")]
    assert {m.text for m in previews} == {"Hội thi mở từ hôm nay", "The contest opens today"}
    assert all(m.entities and m.entities[0]["type"] == "bold" for m in previews)  # exactly as citizens see it
    assert any("It goes to 4 citizens." in m.text for m in replies)
    replies = await official.press("▶️ Send now")
    assert "Ready to send" in replies[-1].text and "When: now" in replies[-1].text
    replies = await official.press("✅ Confirm and send")
    progress = next(m for m in replies if "Announcement #" in m.text)  # the official is a recipient too

    for citizen, expected in (
        (vi, "Hội thi mở từ hôm nay"),
        (en, "The contest opens today"),
        (th, "Hội thi mở từ hôm nay"),
    ):
        message = await sandbox.emulator.wait_for_message(citizen.id, lambda m, e=expected: m.text == e, timeout=10)
        assert message.entities[0]["type"] == "bold"
        assert len(message.buttons) == 1  # the way to mute them
    report = await sandbox.emulator.wait_for_message(official.id, lambda m: "Report" in m.text, timeout=15)
    assert "Delivered: 4" in report.text
    edited = await sandbox.emulator.wait_for_message(
        official.id, lambda m: m.message_id == progress.message_id and "finished" in m.text, timeout=15
    )
    assert "Sent: 4" in edited.text and not edited.buttons
    async with uow:
        actions = [row[2] for row in await uow.audit.recent()]
    for action in ("broadcast.created", "broadcast.started", "broadcast.finished"):
        assert action in actions
    # every recipient exactly one copy
    assert await _scalar(sandbox, count_in_state("sent").where(DeliveryRow.topic == "broadcast")) == 4
    assert all(len([m for m in c.messages if m.text == "Hội thi mở từ hôm nay"]) == 1 for c in (vi, th))


async def test_a_photo_with_a_caption_is_sent_as_a_photo_and_over_long_texts_are_refused(sandbox, uow):
    official = await staff(sandbox, uow)
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await official.send("/broadcast")
    replies = await deliver(official, sandbox.emulator.send_formatted(official.id, "x" * 4097))
    assert "4,097 characters" in replies[-1].text and "4,096" in replies[-1].text
    spoiler = sandbox.emulator.send_entities(official.id, "secret", [{"type": "spoiler", "offset": 0, "length": 6}])
    replies = await deliver(official, spoiler)
    assert "cannot be used in announcements: spoiler" in replies[-1].text
    replies = await deliver(official, sandbox.emulator.send_sticker(official.id))
    assert "stickers" in replies[-1].text
    assert await _scalar(sandbox, select(func.count()).select_from(BroadcastRow)) == 1  # still just the draft
    photo = sandbox.emulator.send_photo_from_user(official.id, TINY_PNG, "<i>Lịch</i> thi", caption_html=True)
    replies = await deliver(official, photo)
    assert replies[-1].text.startswith("✅ Saved.")
    await official.press("👥 Choose who gets it ➡️")
    await official.press("👀 Preview ➡️")
    await official.press("▶️ Send now")
    await official.press("✅ Confirm and send")
    message = await sandbox.emulator.wait_for_message(citizen.id, lambda m: "photo" in m.data, timeout=10)
    assert message.text == "Lịch thi" and message.entities[0]["type"] == "italic"
    stored = sandbox.emulator.get_file(message.data["photo"][-1]["file_id"])
    assert stored is not None and stored.data == TINY_PNG


async def test_anyone_else_is_refused_politely_for_the_command_the_buttons_and_forged_presses(sandbox, uow):
    official = await staff(sandbox, uow)
    await official.send("/broadcast")
    draft_id = await _scalar(sandbox, select(BroadcastRow.id))
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    replies = await citizen.send("/broadcast")
    assert replies[-1].text.startswith("Sorry, this command is only for campaign staff")
    replies = await citizen.send("/admin")
    assert replies[-1].text.startswith("Sorry, this command is only for campaign staff")
    replies = await citizen.send(f"/admin grant {citizen.id} admin")
    assert replies[-1].text.startswith("Sorry")
    for forged in (
        f"bc:c:{draft_id}",
        f"bc:x:{draft_id}",
        f"bc:P:{draft_id}",
        f"ar:{citizen.id}:admin:1",
        "ad:g:admin",
    ):
        await citizen.press_data(forged)
        assert citizen.toasts[-1].startswith("Sorry, this is only for campaign staff"), forged
    # the same presses from the right chat but a different official: the draft is not theirs
    other = await staff(sandbox, uow)
    await other.press_data(f"bc:c:{draft_id}", other.last)
    assert "no longer open" in other.last.text
    assert await _scalar(sandbox, select(BroadcastRow.state)) == "draft"
    assert await _scalar(sandbox, select(func.count()).select_from(DeliveryRow)) == 0
    assert await _scalar(sandbox, select(func.count()).select_from(Role).where(Role.role == "admin")) == 0
    assert (
        await _scalar(
            sandbox, select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("broadcast.%"))
        )
        == 0
    )


async def test_muted_citizens_are_skipped_and_see_the_latest_announcements_when_they_come_back(sandbox, uow):
    official = await staff(sandbox, uow)
    listener, quiet = sandbox.citizen(language_code="en"), sandbox.citizen(language_code="en")
    for citizen in (listener, quiet):
        await citizen.start()
    replies = await quiet.send("📢 Announcements")
    assert "No announcements have been sent to you yet." in replies[-1].text
    replies = await quiet.press("🔕 Mute announcements")
    assert "you will get no more announcements" in replies[-1].text
    await _compose(official, "First news")
    await official.press("👥 Choose who gets it ➡️")
    replies = await official.press("👀 Preview ➡️")
    assert any("It goes to 2 citizens." in m.text for m in replies)  # official and listener
    await official.press("▶️ Send now")
    await official.press("✅ Confirm and send")
    await sandbox.emulator.wait_for_message(listener.id, lambda m: m.text == "First news", timeout=10)
    await sandbox.emulator.wait_for_message(official.id, lambda m: "Report" in m.text, timeout=15)
    assert "First news" not in [m.text for m in quiet.messages]
    replies = await listener.send("📢 Announcements")
    latest = replies[-1]
    assert any("First news" in button["text"] for button in latest.buttons)
    replies = await listener.press(next(b["text"] for b in latest.buttons if "First news" in b["text"]))
    assert replies[-1].text == "First news"
    # a forged "open" of an announcement never sent to this citizen shows nothing
    await quiet.press_data(f"nw:o:{await _scalar(sandbox, select(BroadcastRow.id))}")
    assert quiet.toasts[-1].startswith("This button is out of date.")
    replies = await quiet.send("📢 Announcements")
    replies = await quiet.press("🔔 Unmute announcements")
    assert "again" in replies[-1].text


async def test_quiet_hours_hold_an_announcement_but_not_an_urgent_one(settings, uow):
    zone = ZoneInfo(settings.timezone)
    now = datetime.now(zone)
    start, end = (now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=1)).strftime("%H:%M")
    sandbox = await Sandbox(fast(settings, quiet_hours=f"{start}-{end}")).start()
    try:
        official = await staff(sandbox, uow)
        citizen = sandbox.citizen(language_code="en")
        await citizen.start()
        await _compose(official, "Evening news")
        await official.press("👥 Choose who gets it ➡️")
        replies = await official.press("👀 Preview ➡️")
        assert "During quiet hours" in replies[-1].text
        await official.press("▶️ Send now")
        replies = await official.press("✅ Confirm and send")
        assert any("Quiet hours: sending waits until" in m.text for m in replies)
        await _compose(official, "Storm warning")
        await official.press("👥 Choose who gets it ➡️")
        await official.press("👀 Preview ➡️")
        replies = await official.press("🚨 Urgent: no")
        assert any("🚨 Urgent: yes (sent during quiet hours)" in [b["text"] for b in m.buttons] for m in replies)
        replies = await official.press("▶️ Send now")
        assert any("Urgent: sent during quiet hours too." in m.text for m in replies)
        await official.press("✅ Confirm and send")
        await sandbox.emulator.wait_for_message(citizen.id, lambda m: m.text == "Storm warning", timeout=10)
        await asyncio.sleep(1.0)
        assert "Evening news" not in [m.text for m in citizen.messages]
        assert await _scalar(sandbox, select(BroadcastRow.state).where(BroadcastRow.id == 1)) == "running"
        # the morning comes (the same bot restarted without quiet hours): it goes out
        await sandbox.stop_bot()
        sandbox.settings = fast(sandbox.settings, quiet_hours="off")
        await sandbox.start_bot()
        await sandbox.emulator.wait_for_message(citizen.id, lambda m: m.text == "Evening news", timeout=10)
    finally:
        await sandbox.stop()


async def test_pause_holds_the_rest_and_resume_sends_it(settings, uow):
    sandbox = await Sandbox(fast(settings, delivery_rate=2)).start()
    try:
        official = await staff(sandbox, uow)
        citizens = [sandbox.citizen(language_code="en") for _ in range(6)]
        for citizen in citizens:
            await citizen.start()
        await _compose(official, "Slow news")
        await official.press("👥 Choose who gets it ➡️")
        await official.press("👀 Preview ➡️")
        await official.press("▶️ Send now")
        replies = await official.press("✅ Confirm and send")
        progress = next(m for m in replies if "Announcement #" in m.text)
        sent_now = count_in_state("sent").where(DeliveryRow.topic == "broadcast")
        await wait_for_db(sandbox, sent_now, 1)
        before = sandbox.emulator.event_count(official.id)
        await official.press("⏸ Pause", message=official.emulator.message(official.id, progress.message_id))
        assert "paused" in _shown(sandbox, official, before)
        await asyncio.sleep(1.5)  # whatever was under way has ended
        sent = await _scalar(sandbox, sent_now)
        await asyncio.sleep(1.5)
        assert await _scalar(sandbox, sent_now) == sent < 7
        before = sandbox.emulator.event_count(official.id)
        await official.press("▶️ Resume", message=official.emulator.message(official.id, progress.message_id))
        assert "sending" in _shown(sandbox, official, before)
        await wait_for_db(sandbox, sent_now, 7, timeout=15)
        async with uow:
            actions = [row[2] for row in await uow.audit.recent()]
        assert "broadcast.paused" in actions and "broadcast.resumed" in actions
    finally:
        await sandbox.stop()


async def test_403_marks_the_citizen_blocked_and_later_audiences_leave_them_out(sandbox, uow):
    official = await staff(sandbox, uow)
    stays, leaves = sandbox.citizen(language_code="en"), sandbox.citizen(language_code="en")
    for citizen in (stays, leaves):
        await citizen.start()
    sandbox.emulator.user(leaves.id).blocked = True  # blocked without telling the bot (no update)
    await _compose(official, "News one")
    await official.press("👥 Choose who gets it ➡️")
    replies = await official.press("👀 Preview ➡️")
    assert any("It goes to 3 citizens." in m.text for m in replies)
    await official.press("▶️ Send now")
    await official.press("✅ Confirm and send")
    report = await sandbox.emulator.wait_for_message(official.id, lambda m: "Report" in m.text, timeout=15)
    assert "Blocked: 1" in report.text
    async with sandbox.app.dispatcher["session_factory"]() as session:
        from bot.db.models import User

        status = await session.scalar(select(User.status).where(User.platform_user_id == str(leaves.id)))
        reason = await session.scalar(select(DeliveryRow.reason).where(DeliveryRow.state == "blocked"))
    assert status == "blocked" and "blocked by the user" in reason
    await _compose(official, "News two")
    await official.press("👥 Choose who gets it ➡️")
    replies = await official.press("👀 Preview ➡️")
    assert any("It goes to 2 citizens." in m.text for m in replies)


async def test_a_citizen_who_blocks_the_bot_is_left_out_at_once(sandbox, uow) -> None:
    official = await staff(sandbox, uow)
    leaving = sandbox.citizen(language_code="en")
    await leaving.start()
    update = sandbox.emulator.block(leaving.id)  # Telegram tells the bot (my_chat_member: kicked)
    await sandbox.processed(update)
    await _compose(official, "After the block")
    await official.press("👥 Choose who gets it ➡️")
    replies = await official.press("👀 Preview ➡️")
    assert any("It goes to 1 citizen." in m.text for m in replies)  # the official alone


async def test_a_muted_citizen_still_gets_the_result_of_their_own_attempt_even_in_quiet_hours(
    settings, tmp_path
) -> None:
    from bot.db.quiz import QuizAttempt
    from tests.quiz_support import contest_yaml, make_bank

    zone = ZoneInfo(settings.timezone)
    now = datetime.now(zone)
    quiet = f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1)):%H:%M}"
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml(minutes=10)])
    sandbox = await Sandbox(fast(settings, quiz_bank_dir=bank, quiz_sweep_seconds=0.2, quiet_hours=quiet)).start()
    try:
        citizen = sandbox.citizen(language_code="en")
        await citizen.start()
        await citizen.send("📢 Announcements")
        await citizen.press("🔕 Mute announcements")
        await citizen.send("/quiz")
        await citizen.press("✅ I agree")
        await citizen.send("1990")
        await citizen.send("Nguyễn Thị Lan")
        await citizen.share_contact("+84912345678")
        await citizen.press("Residents")
        await citizen.press("▶️ Start the contest")  # the rules…
        await citizen.press("▶️ Start now")  # …then the timer
        async with sandbox.app.dispatcher["session_factory"]() as session:
            attempt = await session.scalar(select(QuizAttempt))
            attempt.deadline_at = attempt.started_at + timedelta(seconds=1)
            await session.commit()
        message = await sandbox.emulator.wait_for_message(citizen.id, lambda m: "Time is up" in m.text, timeout=10)
        assert "Score: 0 of 3" in message.text
        notice = await _scalar(sandbox, select(DeliveryRow.kind).where(DeliveryRow.topic == "quiz.result"))
        assert notice == "notice"
        await wait_for_db(sandbox, count_in_state("sent").where(DeliveryRow.topic == "quiz.result"), 1)
    finally:
        await sandbox.stop()
