"""The demo contest end to end: open only with DEMO_CONTESTS, marked DEMO, attempt → prediction → certificate → ranking
→ export; registration picks a commune or ward of the current units (no district)."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.config import ROOT
from bot.db.quiz import QuizAttempt
from bot.domain.units import import_units
from bot.reports.export import ExportRequest, export_contest

CURRENT_UNITS = ROOT / "data" / "units" / "thai-nguyen-2025.csv"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"quiz_bank_dir": ROOT / "quiz_bank", "demo_contests": True})


async def _uow(sandbox):
    from bot.db.uow import UnitOfWork

    return UnitOfWork(sandbox.app.dispatcher["session_factory"], sandbox.app.dispatcher["stores"])


async def _register(sandbox, citizen, payload: str | None):
    uow = await _uow(sandbox)
    await import_units(uow, CURRENT_UNITS.read_text(encoding="utf-8"))
    await uow.close()
    await citizen.start(payload=payload)
    replies = await citizen.send("/quiz")
    intro, consent = replies[0].text, replies[-1].text
    assert "DEMO – Trial contest, not a real contest" in intro and "Results do not count" in intro
    assert "91/2025/QH15" in consent and "13/2023" not in consent
    await citizen.press("✅ I agree")
    await citizen.send("1985")
    await citizen.send("Lò Thị Mai")
    await citizen.share_contact("+84912000111")
    return await citizen.press("Group 2: Residents")


async def test_the_demo_contest_can_be_taken_and_is_marked_as_a_demo(sandbox, tmp_path):
    citizen = sandbox.citizen(language_code="en")
    replies = await _register(sandbox, citizen, payload="unit_tn-ducxuan")
    summary = replies[-1].text
    assert "Đức Xuân" in summary and "No contest is open" not in summary
    assert "Open now: DEMO – Trial contest" in summary and "demo contest" in summary

    replies = await citizen.press("▶️ Start the contest")
    rules = replies[-1].text
    assert "5 questions, 5 minutes" in rules and "as many times as you like" in rules and "best attempt" in rules
    await citizen.press("▶️ Start now")
    for number in range(1, 6):
        buttons = [b for b in citizen.last.buttons if b.get("callback_data", "").startswith("qa:")]
        assert buttons, citizen.last.describe()
        assert f"Question {number}/5" in citizen.last.text
        await citizen.press(buttons[0]["text"], citizen.last)
    assert "Trial contest" in citizen.last.text  # the prediction question says it is a trial
    replies = await citizen.send("42")
    certificate = [message for message in replies if "document" in message.data]
    assert certificate, [message.describe() for message in replies]
    assert "DEMO" in certificate[0].text

    replies = await citizen.send("/top")
    assert "DEMO" in replies[-1].text and "Your rank: 1" in replies[-1].text

    async with sandbox.app.dispatcher["session_factory"]() as session:
        attempt = await session.scalar(select(QuizAttempt))
    assert attempt.contest_id == "demo" and attempt.prediction == 42 and attempt.answered == 5

    bank = sandbox.app.dispatcher["quiz_bank"]
    read, write = await _uow(sandbox), await _uow(sandbox)
    out = tmp_path / "demo.xlsx"
    result = await export_contest(
        read, write, ExportRequest(contest=bank.contests["demo"], questions=bank.questions, out=out)
    )
    assert result.rows == 1
    await read.close()
    await write.close()
    sheet = load_workbook(out).worksheets[0]
    assert any("Lò Thị Mai" in str(cell.value) for row in sheet.iter_rows() for cell in row)


async def test_registration_asks_for_a_commune_or_ward_not_a_district(sandbox):
    citizen = sandbox.citizen(language_code="en")
    uow = await _uow(sandbox)
    await import_units(uow, CURRENT_UNITS.read_text(encoding="utf-8"))
    await uow.close()
    await citizen.start()
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    await citizen.send("1979")
    await citizen.send("Hà Văn Sơn")
    await citizen.share_contact("+84912000222")
    replies = await citizen.press("Group 1: Public staff")
    question = replies[-1]
    assert "district" not in question.text.lower()
    assert "Which commune or ward in Thái Nguyên Province?" in question.text
    # 92 communes and wards: first letters, then at most 8 names a page.
    letters = [button["text"] for button in question.buttons if button["callback_data"].startswith("ul:")]
    assert letters[:4] == ["A", "B", "C", "D"] and "Đ" in letters and len(letters) < 20
    labels = [button["text"] for button in (await citizen.press("B"))[-1].buttons]
    assert "Bằng Thành" in labels
    labels = [button["text"] for button in (await citizen.press("⬅️ All letters"))[-1].buttons]
    labels = [button["text"] for button in (await citizen.press("P"))[-1].buttons]
    assert "Phan Đình Phùng" in labels and "Next ▶️" in labels and "Phượng Tiến" not in labels  # 13: two pages
    labels = [button["text"] for button in (await citizen.press("Next ▶️"))[-1].buttons]
    assert "Phượng Tiến" in labels and "◀️ Previous" in labels
    replies = await citizen.press("Phượng Tiến")
    assert "Phượng Tiến" in replies[0].text and "✅" in replies[0].text  # the question keeps the answer
