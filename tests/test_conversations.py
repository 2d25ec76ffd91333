"""The same conversations on every channel (tests/conversation_drivers.py: Telegram, Zalo, and any channel whose
driver is listed there): onboarding, language, a guide walked to the end with stuck and resume, registration with
a shared contact, practice, a contest attempt with a double tap and a forged press, help, mute.

Each channel runs the real bot against its emulator over HTTP; only what the channel cannot do differently is
allowed to differ (a toast is a message on Zalo), and every test asserts the same stored outcome."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.config import ROOT
from bot.db.outbox import AnnouncementMuteRow
from bot.db.quiz import QuizAnswer, QuizAttempt, QuizParticipant
from bot.db.uow import UnitOfWork
from bot.domain.guides.catalogue import load_catalogue
from bot.domain.guides.ports import GUIDES
from bot.domain.guides.records import ProgressStatus
from bot.domain.units import import_units
from bot.features import stores
from tests.conversation_drivers import DRIVERS, ChatCitizen, Driver, open_driver, said
from tests.quiz_support import contest_yaml, make_bank

BIRTH = "birth-residence-insurance"
GUIDE = load_catalogue(ROOT / "procedures")[0].guides[BIRTH]
TOTAL = len(GUIDE.steps)


@pytest.fixture
def settings(settings, tmp_path):
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml(minutes=10)])
    return settings.model_copy(update={"quiz_bank_dir": bank, "quiz_sweep_seconds": 0.2})


@pytest.fixture(params=sorted(DRIVERS))
async def driver(request, settings):
    async with await open_driver(request.param, settings) as opened:
        yield opened


async def _scalar(driver: Driver, query):
    async with driver.app.dispatcher["session_factory"]() as session:
        return await session.scalar(query)


async def _english(citizen: ChatCitizen) -> None:
    """/start, the suggested language (Vietnamese: no channel here says another), then English."""
    await citizen.send("/start")
    await citizen.press("Tiếng Việt")
    await citizen.send("/language")
    await citizen.press("English")


async def test_onboarding_and_language(driver: Driver):
    citizen = driver.citizen()
    replies = await citizen.send("/start")
    assert replies[-1].buttons[:3] == ["Tiếng Việt", "English", "ไทย"]  # the default suggested first
    replies = await citizen.press("Tiếng Việt")
    assert "Xin chào" in said(replies) and "Trình đơn chính" in said(replies)
    replies = await citizen.send("/language")
    replies = await citizen.press("English")
    assert "Done" in said(replies)
    replies = await citizen.send("/menu")
    assert "Main menu" in said(replies) and "🏆 Digital-transformation quiz" in " ".join(
        b for r in replies for b in r.buttons
    )
    user_id = await citizen.user_id()
    async with driver.app.dispatcher["session_factory"]() as session:
        from bot.db.repositories import UserRepository

        user = await UserRepository(session).get_by_id(user_id)
    assert user is not None and user.language == "en" and user.platform == driver.name


async def test_help(driver: Driver):
    citizen = driver.citizen()
    await _english(citizen)
    replies = await citizen.send("/help")
    assert "How to use this assistant" in said(replies)


async def test_a_guide_walked_to_the_end_with_stuck_and_resume(driver: Driver):
    uow = UnitOfWork(driver.app.dispatcher["session_factory"], stores())
    await import_units(uow, (ROOT / "data" / "units" / "backan-2023.csv").read_text(encoding="utf-8"))
    citizen = driver.citizen()
    await _english(citizen)
    replies = await citizen.send("📋 Public services")
    assert "Public services online" in said(replies)
    await citizen.tap("gk:family")
    replies = await citizen.tap(f"go:{BIRTH}")
    assert GUIDE.title.en in said(replies)
    await citizen.tap(f"gs:{BIRTH}:{GUIDE.version}:0:n")
    replies = await citizen.tap(f"gs:{BIRTH}:{GUIDE.version}:1:k")  # stuck at step 1
    assert "0209 3 000 000" in said(replies) or "step 1" in said(replies)
    replies = await citizen.tap(f"gs:{BIRTH}:{GUIDE.version}:1:c")  # and on again
    assert f"Step 1 of {TOTAL}" in said(replies)
    # Resume later: the guide opened again continues where it was left.
    await citizen.send("/menu")
    await citizen.send("📋 Public services")
    await citizen.tap("gk:family")
    replies = await citizen.tap(f"go:{BIRTH}")
    for shown in range(1, TOTAL):
        replies = await citizen.tap(f"gs:{BIRTH}:{GUIDE.version}:{shown}:n")
    assert f"Step {TOTAL} of {TOTAL}" in said(replies)
    replies = await citizen.tap(f"gs:{BIRTH}:{GUIDE.version}:{TOTAL}:d")
    assert "Was this guide helpful?" in said(replies)
    uow = UnitOfWork(driver.app.dispatcher["session_factory"], stores())
    async with uow:
        progress = await uow[GUIDES].progress(await citizen.user_id(), BIRTH)
    await uow.close()
    assert progress is not None and progress.status is ProgressStatus.done


async def _register(citizen: ChatCitizen) -> None:
    await _english(citizen)
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    await citizen.send("1990")
    replies = await citizen.send("Nguyễn Thị Lan")
    assert "phone" in said(replies).lower()
    replies = await citizen.share_contact("+84912345678")
    assert "group" in said(replies)
    replies = await citizen.press("Residents")
    assert "Nguyễn Thị Lan" in said(replies)


async def test_registration_with_a_shared_contact(driver: Driver):
    citizen = driver.citizen()
    await _register(citizen)
    participant = await _scalar(driver, select(QuizParticipant))
    assert participant.phone == "+84912345678" and participant.full_name == "Nguyễn Thị Lan"


async def test_practice_needs_no_registration(driver: Driver):
    citizen = driver.citizen()
    await _english(citizen)
    await citizen.send("/quiz")
    replies = await citizen.tap("qz:p")
    assert "Question 1/10" in said(replies)
    replies = await citizen.tap("qa:")
    assert "💡" in said(replies)
    assert (await _scalar(driver, select(QuizAttempt.mode))) == "practice"
    assert await _scalar(driver, select(QuizParticipant.id)) is None


async def test_a_contest_attempt_with_a_double_tap_and_a_forged_press(driver: Driver):
    citizen = driver.citizen()
    await _register(citizen)
    await citizen.press("▶️ Start the contest")
    replies = await citizen.press("▶️ Start now")
    assert "Question 1/3" in said(replies)
    await citizen.tap("qa:")
    replies = await citizen.press_again()  # a double tap
    assert "already answered" in said(replies) or "out of date" in said(replies)
    attempt_id = await _scalar(driver, select(QuizAttempt.id))
    replies = await citizen.forge(f"qa:{attempt_id}:2:9")  # an option no button offered
    assert "out of date" in said(replies) or "closed" in said(replies)
    replies = await citizen.forge("qa:1:x:0")  # does not even parse
    assert "out of date" in said(replies)
    assert await _scalar(driver, select(func.count()).select_from(QuizAnswer)) == 1
    assert (await _scalar(driver, select(QuizAttempt.answered))) == 1


async def test_mute_and_unmute_announcements(driver: Driver):
    citizen = driver.citizen()
    await _english(citizen)
    replies = await citizen.send("📢 Announcements")
    assert "No announcements have been sent to you yet." in said(replies)
    replies = await citizen.press("🔕 Mute announcements")
    assert "you will get no more announcements" in said(replies)
    assert await _scalar(driver, select(func.count()).select_from(AnnouncementMuteRow)) == 1
    await citizen.send("📢 Announcements")
    replies = await citizen.press("🔔 Unmute announcements")
    assert "again" in said(replies)
    assert await _scalar(driver, select(func.count()).select_from(AnnouncementMuteRow)) == 0


async def test_forget_erases_the_registration_and_what_the_channel_kept(driver: Driver):
    from bot.channels.web.store import WebEventRow

    citizen = driver.citizen()
    await _register(citizen)
    await citizen.send("/forget")
    replies = await citizen.press("🗑 Yes, erase them")
    assert "erased" in said(replies)
    participant = await _scalar(driver, select(QuizParticipant))
    assert (participant.full_name, participant.phone) == (None, None)
    # The web chat keeps a log of the conversation; nothing the citizen typed or was shown of it survives /forget.
    logged = await _scalar(
        driver,
        select(func.count())
        .select_from(WebEventRow)
        .where(WebEventRow.user_id == await citizen.user_id(), WebEventRow.body.contains("Lan")),
    )
    assert logged == 0
