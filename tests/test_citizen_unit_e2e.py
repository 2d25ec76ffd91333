"""A citizen's commune or ward is kept in one place: chosen in registration, from a QR code, or in Help and
"I'm stuck" with a paged picker. Help and "I'm stuck" name it and end with a number to call — the commune
team's, else the province hotline — or, when no number is known, say where to go in person."""

from __future__ import annotations

import pytest

from bot.domain import roles
from tests.citizen_support import labels, load_units, up_to_phone, user_row
from tests.quiz_support import contest_yaml, make_bank
from tests.test_guides_e2e import _open_birth_guide, step_payload, tap


@pytest.fixture
def settings(settings, tmp_path):
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml()])
    return settings.model_copy(update={"quiz_bank_dir": bank, "province_hotline": ""})


async def _choose_ducxuan(citizen):
    await citizen.press("Đ")
    return await citizen.press("Đức Xuân")


async def test_the_commune_chosen_in_registration_is_the_one_help_and_stats_know(sandbox, uow):
    await load_units(sandbox)
    citizen = sandbox.citizen(language_code="en")
    await up_to_phone(citizen)
    await citizen.share_contact("+84912345678")
    await citizen.press("Residents")
    replies = await _choose_ducxuan(citizen)
    assert "Đức Xuân Ward" in replies[0].text and "✅" in replies[0].text
    assert (await user_row(sandbox, citizen)).unit_code == "tn-ducxuan"
    replies = await citizen.send("/help")
    assert "Your commune or ward: Đức Xuân Ward" in replies[0].text
    official = sandbox.citizen(language_code="en")
    await official.start()
    assert await roles.grant(uow, "telegram", str(official.id), "official", actor="test")
    replies = await official.send("/stats")
    assert "With a known commune: 1" in replies[0].text


async def test_a_commune_from_a_qr_code_is_not_asked_again_in_registration(sandbox):
    await load_units(sandbox)
    citizen = sandbox.citizen(language_code="en")
    await up_to_phone(citizen, payload="unit_tn-ducxuan")
    await citizen.share_contact("+84912345678")
    replies = await citizen.press("Residents")
    assert "Your registration" in replies[-1].text and "Đức Xuân" in replies[-1].text


async def test_help_picks_a_commune_by_letters_and_pages_and_says_to_go_in_person(sandbox):
    await load_units(sandbox)
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    help_message = (await citizen.send("/help"))[0]
    assert "not recorded yet" in help_message.text and "📞" not in help_message.text
    assert "People's Committee" in help_message.text and "call" not in help_message.text.lower()
    replies = await citizen.press("📍 Choose my commune")
    picker = replies[0]
    assert picker.message_id != help_message.message_id  # Help stays as it was
    letters = labels(picker)
    assert "T" in letters and len(picker.buttons) < 25
    replies = await citizen.press("T")
    page = replies[0]
    assert page.message_id == picker.message_id and "Page 1 of 2" in page.text  # 16 names
    names = [b["text"] for b in page.buttons if b["callback_data"].startswith("uc:")]
    assert len(names) == 8
    replies = await citizen.press("Next ▶️")
    assert "Page 2 of 2" in replies[0].text
    assert not set(names) & {b["text"] for b in replies[0].buttons}
    await citizen.press("◀️ Previous")
    await citizen.press("⬅️ All letters")
    replies = await _choose_ducxuan(citizen)
    assert replies[0].message_id == picker.message_id and "✅ Đức Xuân Ward" in replies[0].text
    text = replies[-1].text
    assert "Your commune or ward: Đức Xuân Ward" in text
    assert text.rstrip().endswith("the community digital technology team there can help you.")
    assert "People's Committee of Đức Xuân Ward" in text
    assert (await user_row(sandbox, citizen)).unit_code == "tn-ducxuan"
    replies = await citizen.press("📍 Change my commune", replies[-1])
    assert "On record now: Đức Xuân Ward" in replies[0].text
    # /privacy says so too: "nothing stored for the quiz" alone would hide the commune on record.
    privacy = (await citizen.send("/privacy"))[-1].text
    assert "no personal data about you for the quiz" in privacy and "on record for Help: Đức Xuân Ward" in privacy


async def test_help_ends_with_the_commune_teams_number_else_the_hotline(sandbox, tmp_path):
    units = tmp_path / "units.csv"
    units.write_text(
        "code,name,kind,parent_code,headcount,help_name,help_phone,help_hours\n"
        "p,Demo,province,,,,,\n"
        "p-a,An Bình,commune,p,,Tổ công nghệ số An Bình,0000 000 001 (demo),7:30–17:00\n"
        "p-b,Bình An,commune,p,,,,\n",
        encoding="utf-8",
    )
    await load_units(sandbox, units)
    citizen = sandbox.citizen(language_code="en")
    await citizen.start(payload="unit_p-a")
    text = (await citizen.send("/help"))[0].text
    assert "Tổ công nghệ số An Bình" in text and text.rstrip().endswith("📞 Phone: 0000 000 001 (demo)")
    await sandbox.stop_bot()
    sandbox.settings = sandbox.settings.model_copy(update={"province_hotline": "0000 000 000 (demo)"})
    await sandbox.start_bot()
    await citizen.press("📍 Change my commune")
    replies = await citizen.press("Bình An")  # few units: listed at once, no letters
    assert replies[-1].text.rstrip().endswith("📞 Province hotline: 0000 000 000 (demo)")


async def test_stuck_lets_the_citizen_choose_the_commune_and_continue(sandbox):
    await load_units(sandbox)
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await _open_birth_guide(citizen)
    await tap(citizen, step_payload(0, "n"))
    stuck = (await tap(citizen, step_payload(1, "k")))[0]
    assert "in person or by phone" not in stuck.text and "📞" not in stuck.text  # no number: no call promised
    assert "People's Committee" in stuck.text and "step 1" in stuck.text
    await citizen.press("📍 Choose my commune", stuck)
    replies = await _choose_ducxuan(citizen)
    again = replies[-1]
    assert "Đức Xuân Ward" in again.text and "step 1" in again.text
    assert any(b["callback_data"] == step_payload(1, "c") for b in again.buttons)
    replies = await tap(citizen, step_payload(1, "c"))
    assert "Step 1 of" in replies[0].text
