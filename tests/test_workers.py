"""Several workers: two webhook servers in one test, each with its own Dispatcher, on one PostgreSQL and one
Redis. A citizen's updates are never handled two at once, and quiz and guide state hold across workers."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import ROOT
from bot.db.quiz import QuizParticipant
from bot.db.uow import UnitOfWork
from bot.domain.guides.catalogue import load_catalogue
from bot.domain.guides.ports import GUIDES
from bot.domain.units import import_units
from bot.features import stores
from bot.sandbox.emulator import BotAPIEmulator, BotMessage
from tests.conftest import ON_POSTGRES, REDIS_URL
from tests.ops_support import TOKEN, Poster, Worker, apologised, poster, start_worker, stored_answers
from tests.quiz_support import contest_yaml, make_bank

pytestmark = pytest.mark.skipif(
    not (ON_POSTGRES and REDIS_URL),
    reason="several workers share PostgreSQL and Redis; SQLite and in-memory state serve one process only",
)

BIRTH = "birth-residence-insurance"
GUIDE = load_catalogue(ROOT / "procedures")[0].guides[BIRTH]
HOLD = 0.05  # seconds each update is held inside the dispatcher, so that overlaps would show


@pytest.fixture
def settings(settings, tmp_path):
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml(minutes=10)])
    return settings.model_copy(update={"quiz_bank_dir": bank, "quiz_sweep_seconds": 60})


@pytest.fixture
async def cluster(settings):
    emulator = BotAPIEmulator(token=TOKEN)
    await emulator.start()
    workers = [await start_worker(settings, emulator.base_url) for _ in range(2)]
    try:
        async with poster() as telegram:
            yield emulator, workers, telegram
    finally:
        for worker in workers:
            await worker.stop()
        await emulator.stop()


def _watch(worker: Worker, index: int, seen: list[tuple[int, int, float, float]]) -> None:
    """Note when each update of each citizen is handled by this worker (inside aiogram's event isolation)."""

    async def watch(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        began = time.monotonic()
        await asyncio.sleep(HOLD)
        try:
            return await handler(event, data)
        finally:
            seen.append((user.id if user else 0, index, began, time.monotonic()))

    worker.app.dispatcher.update.outer_middleware.register(watch)


def _overlaps(seen: list[tuple[int, int, float, float]], same_user: bool) -> int:
    count = 0
    for a, b in itertools.combinations(seen, 2):
        if (a[0] == b[0]) == same_user and a[2] < b[3] and b[2] < a[3]:
            count += 1
    return count


async def test_a_citizens_updates_are_never_handled_two_at_once_across_workers(cluster):
    emulator, workers, telegram = cluster
    seen: list[tuple[int, int, float, float]] = []
    for index, worker in enumerate(workers):
        _watch(worker, index, seen)
    citizens = [990_001, 990_002]
    for uid in citizens:
        emulator.add_user(uid, f"Citizen {uid}", language_code="en")
    updates = [(uid, emulator.send_text(uid, "/help")) for _ in range(4) for uid in citizens]
    statuses = await asyncio.gather(
        *(telegram.post(workers[n // 2 % 2].url, update) for n, (_, update) in enumerate(updates))
    )
    assert set(statuses) == {200}
    assert len(seen) == len(updates)
    for uid in citizens:  # each citizen's updates went to both workers…
        assert {index for user, index, _, _ in seen if user == uid} == {0, 1}
    assert _overlaps(seen, same_user=True) == 0  # …but never on one citizen at once
    assert _overlaps(seen, same_user=False) > 0  # while different citizens did run side by side


class Citizen:
    """A citizen whose every update goes to the next worker in turn, as a load balancer would send it."""

    def __init__(self, emulator: BotAPIEmulator, workers: list[Worker], telegram: Poster, user_id: int) -> None:
        self.emulator, self.telegram, self.id = emulator, telegram, user_id
        self._urls = itertools.cycle([worker.url for worker in workers])
        emulator.add_user(user_id, "Lan", language_code="en")

    async def _post(self, update: dict[str, Any]) -> list[BotMessage]:
        before = self.emulator.event_count(self.id)
        assert await self.telegram.post(next(self._urls), update) == 200
        seen: set[int] = set()
        replies = []
        for event in self.emulator.events(self.id, after_event=before):
            if event.kind in ("sent", "edited") and event.message_id not in seen:
                seen.add(event.message_id)
                replies.append(self.emulator.message(self.id, event.message_id))
        return replies

    async def send(self, text: str) -> list[BotMessage]:
        return await self._post(self.emulator.send_text(self.id, text))

    async def share_contact(self, phone: str) -> list[BotMessage]:
        return await self._post(self.emulator.send_contact(self.id, phone, own=True))

    async def press(self, label: str) -> list[BotMessage]:
        for message in reversed(self.emulator.messages(self.id)):
            if any(button.get("text") == label for button in message.buttons):
                return await self._post(self.emulator.press_button(self.id, message.message_id, label))
        raise AssertionError(f"no button {label!r}")

    async def tap(self, prefix: str) -> list[BotMessage]:
        for message in reversed(self.emulator.messages(self.id)):
            for button in message.buttons:
                if button.get("callback_data", "").startswith(prefix):
                    return await self._post(self.emulator.press(self.id, message.message_id, button["callback_data"]))
        raise AssertionError(f"no button {prefix!r}")


async def test_quiz_and_guide_state_hold_when_every_update_goes_to_another_worker(cluster, settings):
    emulator, workers, telegram = cluster
    factory = workers[0].app.dispatcher["session_factory"]
    uow = UnitOfWork(factory, stores())
    await import_units(uow, (ROOT / "data" / "units" / "backan-2023.csv").read_text(encoding="utf-8"))
    await uow.close()
    citizen = Citizen(emulator, workers, telegram, 990_101)

    # Registration is a conversation kept in Redis (FSM state): each answer reaches the other worker.
    replies = await citizen.send("/start unit_bk-tp-ducxuan")
    if replies and replies[-1].buttons and "lang:" in replies[-1].buttons[0].get("callback_data", ""):
        await citizen.press(replies[-1].buttons[0]["text"])
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    await citizen.send("1990")
    await citizen.send("Nguyễn Thị Lan")
    await citizen.share_contact("+84912345678")
    replies = await citizen.press("Residents")
    assert "Nguyễn Thị Lan" in replies[-1].text and "Đức Xuân" in replies[-1].text

    await citizen.press("▶️ Start the contest")
    replies = await citizen.press("▶️ Start now")  # the rules screen, then the clock starts
    assert "Question 1/3" in replies[-1].text
    for number in range(1, 4):
        replies = await citizen.tap("qa:")
        if number < 3:
            assert f"Question {number + 1}/3" in replies[-1].text
    assert "How many people" in emulator.last_message(citizen.id).text
    replies = await citizen.send("1500")  # the prediction: FSM state set by one worker, read by the other
    assert "Score:" in "\n".join(message.text for message in replies)

    # A guide walked step by step, each step on the other worker.
    await citizen.send("📋 Public services")
    await citizen.tap("gk:family")
    await citizen.tap(f"go:{BIRTH}")
    for shown in range(3):
        replies = await citizen.tap(f"gs:{BIRTH}:{GUIDE.version}:{shown}:n")
        assert f"Step {shown + 1} of {len(GUIDE.steps)}" in replies[-1].text
    assert apologised(emulator, [citizen.id]) == []

    async with factory() as session:
        participant = await session.scalar(select(QuizParticipant))
    assert participant is not None
    assert (participant.full_name, participant.phone, participant.birth_year) == (
        "Nguyễn Thị Lan",
        "+84912345678",
        1990,
    )
    assert await stored_answers(settings.database_url) == {"rows": 3, "counted": 3, "mismatched": 0}
    uow = UnitOfWork(factory, stores())
    async with uow:
        user = await uow.users.get("telegram", str(citizen.id))
        assert user is not None
        progress = await uow[GUIDES].progress(user.id, BIRTH)
    await uow.close()
    assert progress is not None and progress.step == 3
