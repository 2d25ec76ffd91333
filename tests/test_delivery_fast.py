"""The delivery room on the in-memory store, with a messenger that stands for Telegram's servers: what the
worker sends, in which order, how it paces, pauses, retries, gives up, skips and recovers; the gate; quiet
hours; announcement contents and audiences as text; the broadcast lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.gate import LocalGate
from bot.delivery.ports import OUTBOX
from bot.delivery.quiet import QuietHours
from bot.delivery.records import (
    Blocked,
    ChannelLimits,
    Delivered,
    Failed,
    Kind,
    NewDelivery,
    Outcome,
    RetryAfter,
    State,
)
from bot.delivery.topics import ComposeContext, Topic
from bot.delivery.worker import DeliveryWorker, WorkerSettings
from bot.domain.broadcasts import audience as audiences
from bot.domain.broadcasts import content, service
from bot.domain.broadcasts.records import (
    PROGRESS_TOPIC,
    REPORT_TOPIC,
    TOPIC,
    Audience,
    BroadcastState,
    ContentKind,
    QuizFilter,
    Version,
)
from bot.ui.view import View
from tests.fakes import FakeWork

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SCOPE = service.scope("vi")


class FakeTelegram:
    """Telegram's servers as the worker sees them through the Messenger port: answers by script, sends logged."""

    channel = "telegram"

    def __init__(self, rate: float = 200.0, answer: Callable[[str, int], Outcome | None] | None = None) -> None:
        self.limits = ChannelLimits(rate=rate, chat_interval=0.01)
        self.answer = answer or (lambda chat_id, n: None)
        self.calls: list[tuple[float, str, str]] = []  # (time, chat, text) of every call
        self.delivered: list[tuple[str, str]] = []

    async def send(self, chat_id: str, view: View) -> Outcome:
        self.calls.append((time.monotonic(), chat_id, view.text))
        scripted = self.answer(chat_id, len(self.calls))
        if scripted is not None:
            return scripted
        self.delivered.append((chat_id, view.text))
        return Delivered(str(len(self.calls)))

    async def edit(self, chat_id: str, message_id: str, view: View) -> Outcome:
        return await self.send(chat_id, view)

    async def close(self) -> None:
        self.closed = True


async def _text(context: ComposeContext) -> Sequence[View]:
    return [View(text=f"{context.delivery.topic}:{context.delivery.ref_id}")]


async def _three_parts(context: ComposeContext) -> Sequence[View]:
    return [View(text=f"part {n}") for n in range(3)]


TOPICS = [Topic("news", _text), Topic("quiz.result", _text), Topic("parts", _three_parts)]


async def _people(work: FakeWork, count: int, **changes: object) -> list[int]:
    ids = []
    for _ in range(count):
        own = f"7{len(work.state.users):05d}"  # a private chat's id on Telegram is the citizen's own id
        user = await work.users.add("telegram", own, own, NOW, None)
        if changes:
            await work.users.update(user.id, **changes)  # type: ignore[arg-type]
        ids.append(user.id)
    await work.commit()
    return ids


async def _queue(work: FakeWork, user_ids: list[int], topic: str = "news", kind: Kind = Kind.broadcast) -> None:
    async with work:
        await work[OUTBOX].add(
            [NewDelivery(user_id=uid, channel="telegram", kind=kind, topic=topic, ref_id=1) for uid in user_ids], NOW
        )
        await work.commit()


def _worker(work: FakeWork, telegram: FakeTelegram, **settings: object) -> DeliveryWorker:
    options: dict[str, object] = {"poll_seconds": 0.02, "backoff_seconds": 0.01, "single_process": True}
    options.update(settings)
    return DeliveryWorker(lambda: work, {"telegram": telegram}, LocalGate(), TOPICS, {}, WorkerSettings(**options))  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running(worker: DeliveryWorker):  # type: ignore[no-untyped-def]
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def _states(work: FakeWork) -> list[State]:
    return [row.state for row in work.state.deliveries.values()]


def _all_done(work: FakeWork) -> Callable[[], bool]:
    return lambda: all(state not in (State.pending, State.sending) for state in _states(work))


# ---------------------------------------------------------------- the worker


async def test_every_delivery_is_sent_once_and_notices_go_first() -> None:
    work = FakeWork()
    people = await _people(work, 6)
    await _queue(work, people[:5])
    await _queue(work, people[5:], topic="quiz.result", kind=Kind.notice)
    telegram = FakeTelegram()
    async with running(_worker(work, telegram, concurrency=1)):
        await _until(_all_done(work))
    assert _states(work) == [State.sent] * 6
    assert telegram.delivered[0][1] == "quiz.result:1"  # the notice, queued last, went first
    assert sorted(chat for chat, _ in telegram.delivered) == sorted({chat for chat, _ in telegram.delivered})


async def test_a_429_pauses_every_sender_for_retry_after_then_all_are_sent() -> None:
    work = FakeWork()
    await _queue(work, await _people(work, 12))
    flooded: list[float] = []

    def answer(chat_id: str, n: int) -> Outcome | None:
        if n == 3:
            flooded.append(time.monotonic())
            return RetryAfter(0.6)
        return None

    telegram = FakeTelegram(rate=100, answer=answer)
    worker = _worker(work, telegram, concurrency=4)
    async with running(worker):
        await _until(_all_done(work))
    assert _states(work) == [State.sent] * 12
    assert len(telegram.delivered) == 12 and len({chat for chat, _ in telegram.delivered}) == 12
    during = [at for at, _, _ in telegram.calls if flooded[0] + 0.05 < at < flooded[0] + 0.55]
    assert during == []  # no sender sent while paused
    assert worker.stats.flood_pauses["telegram"] == 1


async def test_server_errors_are_tried_again_with_backoff_then_failed_with_the_reason() -> None:
    work = FakeWork()
    stuck, fine, flaky = await _people(work, 3)
    await _queue(work, [stuck, fine, flaky])
    chats = {uid: work.state.users[uid].chat_id for uid in (stuck, fine, flaky)}
    flaky_calls: list[int] = []

    def answer(chat_id: str, n: int) -> Outcome | None:
        if chat_id == chats[stuck]:
            return Failed("server error: Bad Gateway", transient=True)
        if chat_id == chats[flaky] and not flaky_calls:
            flaky_calls.append(n)
            return Failed("network: connection reset", transient=True)
        return None

    telegram = FakeTelegram(answer=answer)
    async with running(_worker(work, telegram, max_attempts=3)):
        await _until(_all_done(work))
    rows = {row.new.user_id: row for row in work.state.deliveries.values()}
    assert rows[stuck].state is State.failed and rows[stuck].attempts == 3
    assert rows[stuck].reason == "server error: Bad Gateway (after 3 tries)"
    assert rows[flaky].state is State.sent and rows[flaky].attempts == 2
    assert rows[fine].state is State.sent and rows[fine].attempts == 1
    assert [chat for _, chat, _ in telegram.calls].count(chats[stuck]) == 3


async def test_a_refusal_fails_at_once_and_a_403_marks_the_citizen_blocked() -> None:
    work = FakeWork()
    gone, wrong = await _people(work, 2)
    await _queue(work, [gone, wrong])
    chats = {work.state.users[gone].chat_id: Blocked("bot was blocked by the user")}
    chats[work.state.users[wrong].chat_id] = Failed("Bad Request: chat not found", transient=False)
    telegram = FakeTelegram(answer=lambda chat_id, n: chats[chat_id])
    async with running(_worker(work, telegram)):
        await _until(_all_done(work))
    rows = {row.new.user_id: row for row in work.state.deliveries.values()}
    assert (rows[gone].state, rows[gone].reason) == (State.blocked, "bot was blocked by the user")
    assert work.state.users[gone].status == "blocked"
    assert (rows[wrong].state, rows[wrong].attempts) == (State.failed, 1)
    assert len(telegram.calls) == 2


async def test_muted_and_blocked_citizens_are_skipped_but_a_notice_reaches_a_muted_one() -> None:
    work = FakeWork()
    muted, blocked = await _people(work, 2)
    await work.users.update(blocked, status="blocked")
    work.state.mutes[muted] = NOW
    await work.commit()
    await _queue(work, [muted, blocked])
    await _queue(work, [muted], topic="quiz.result", kind=Kind.notice)
    telegram = FakeTelegram()
    async with running(_worker(work, telegram)):
        await _until(_all_done(work))
    rows = {(row.new.user_id, row.new.topic): row for row in work.state.deliveries.values()}
    assert (rows[muted, "news"].state, rows[muted, "news"].reason) == (State.skipped, "muted")
    assert rows[blocked, "news"].state is State.blocked
    assert rows[muted, "quiz.result"].state is State.sent
    assert telegram.delivered == [(work.state.users[muted].chat_id, "quiz.result:1")]


async def test_quiet_hours_hold_announcements_but_not_notices_or_urgent_ones() -> None:
    work = FakeWork()
    a, b, c = await _people(work, 3)
    await _queue(work, [a])
    await _queue(work, [b], topic="quiz.result", kind=Kind.notice)
    async with work:
        urgent = NewDelivery(user_id=c, channel="telegram", kind=Kind.broadcast, topic="news", ref_id=2, urgent=True)
        await work[OUTBOX].add([urgent], NOW)
        await work.commit()
    local = datetime.now(UTC)
    quiet = QuietHours.parse(f"{(local - timedelta(hours=1)):%H:%M}-{(local + timedelta(hours=1)):%H:%M}", "UTC")
    telegram = FakeTelegram()
    async with running(_worker(work, telegram, quiet=quiet)):
        await _until(lambda: len(telegram.delivered) == 2)
        await asyncio.sleep(0.1)
    assert sorted(text for _, text in telegram.delivered) == ["news:2", "quiz.result:1"]
    assert [row.state for row in work.state.deliveries.values() if row.new.user_id == a] == [State.pending]


async def test_what_a_crashed_process_claimed_is_sent_once_after_the_restart() -> None:
    work = FakeWork()
    await _queue(work, await _people(work, 4))
    async with work:
        claimed = await work[OUTBOX].claim("dead-worker", 3, NOW, loud=True)
        await work.commit()
    assert len(claimed) == 3 and _states(work).count(State.sending) == 3
    telegram = FakeTelegram()
    async with running(_worker(work, telegram)):  # single process: what is claimed at start is stale
        await _until(_all_done(work))
    assert _states(work) == [State.sent] * 4 and len(telegram.delivered) == 4


async def test_with_several_processes_only_claims_past_their_lease_are_taken_again() -> None:
    work = FakeWork()
    await _queue(work, await _people(work, 2))
    async with work:
        await work[OUTBOX].claim("live-worker", 1, datetime.now(UTC), loud=True)
        await work.commit()
    telegram = FakeTelegram()
    async with running(_worker(work, telegram, single_process=False, lease_seconds=0.6)):
        await _until(lambda: len(telegram.delivered) == 1)
        await asyncio.sleep(0.1)
        assert len(telegram.delivered) == 1  # the other process's claim is still its own
        await _until(lambda: len(telegram.delivered) == 2, timeout=3)  # its lease ran out: taken over
    assert _states(work) == [State.sent] * 2


async def test_a_message_in_several_parts_resumes_after_the_parts_already_sent() -> None:
    work = FakeWork()
    (person,) = await _people(work, 1)
    await _queue(work, [person], topic="parts", kind=Kind.notice)
    telegram = FakeTelegram(answer=lambda chat_id, n: RetryAfter(0.05) if n == 2 else None)
    async with running(_worker(work, telegram)):
        await _until(_all_done(work))
    assert [text for _, text in telegram.delivered] == ["part 0", "part 1", "part 2"]


async def test_a_paused_broadcast_is_not_sent_even_once_claimed() -> None:
    work = FakeWork()
    await _queue(work, await _people(work, 5))
    telegram = FakeTelegram(rate=2)
    worker = _worker(work, telegram, concurrency=2)
    async with running(worker):
        await _until(lambda: len(telegram.delivered) >= 1)
        async with work:
            await work[OUTBOX].hold("news", 1, NOW)
            await work.commit()
        await asyncio.sleep(0.8)  # holds are read again within half a second
        sent = len(telegram.delivered)
        await asyncio.sleep(1.2)
        assert len(telegram.delivered) == sent < 5
        async with work:
            await work[OUTBOX].unhold("news", 1)
            await work.commit()
        await _until(_all_done(work), timeout=10)
    assert len(telegram.delivered) == 5


# ---------------------------------------------------------------- the gate and quiet hours


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_the_gate_spaces_sends_at_the_rate_and_a_pause_pushes_every_slot_after_it() -> None:
    clock = Clock()
    gate = LocalGate(clock)
    limits = ChannelLimits(rate=10)
    waits = [await gate.reserve("telegram", limits) for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    clock.now += 5  # idle: no credit piles up beyond the burst
    assert await gate.reserve("telegram", limits) == 0.0
    assert await gate.reserve("telegram", limits) == pytest.approx(0.1)
    await gate.pause("telegram", 3)
    assert await gate.paused_for("telegram") == pytest.approx(3)
    assert await gate.reserve("telegram", limits) == pytest.approx(3)
    assert await gate.reserve("zalo", limits) == 0.0  # one bucket per channel


def test_quiet_hours_across_midnight_and_within_a_day() -> None:
    night = QuietHours.parse("21:00-07:00", "Asia/Ho_Chi_Minh")
    assert night is not None
    hanoi = lambda h, m=0: datetime(2026, 12, 2, h, m, tzinfo=UTC) - timedelta(hours=7)  # noqa: E731
    assert night.contains(hanoi(22)) and night.contains(hanoi(6, 59)) and not night.contains(hanoi(7))
    assert not night.contains(hanoi(12)) and night.contains(hanoi(21))
    assert night.ends_after(hanoi(23)) == hanoi(7) + timedelta(days=1)
    assert night.ends_after(hanoi(3)) == hanoi(7)
    assert night.ends_after(hanoi(12)) == hanoi(12)
    noon = QuietHours.parse("12:00-13:30", "UTC")
    assert noon is not None and noon.contains(datetime(2026, 1, 1, 13, 0, tzinfo=UTC))
    assert QuietHours.parse("off", "UTC") is None and QuietHours.parse("", "UTC") is None
    for bad in ("21-07", "25:00-07:00", "9pm"):
        with pytest.raises(ValueError):
            QuietHours.parse(bad, "UTC")


# ---------------------------------------------------------------- contents and audiences


def test_contents_are_checked_with_telegram_s_limits_and_the_html_every_channel_can_show() -> None:
    assert content.check_text("<b>Hội thi</b> <a href='https://dx.gov.vn'>mở</a>", ContentKind.text) is None
    long = content.check_text("<b>" + "x" * 4097 + "</b>", ContentKind.text)
    assert long is not None and (long.problem, long.length, long.limit) == (content.Problem.too_long, 4097, 4096)
    assert content.check_text("😀" * 2048, ContentKind.text) is None  # 4,096 UTF-16 units exactly
    assert content.check_text("😀" * 2049, ContentKind.text) is not None
    caption = content.check_text("y" * 1025, ContentKind.photo)
    assert caption is not None and caption.problem is content.Problem.caption_too_long
    assert content.check_text("", ContentKind.photo) is None  # a photo needs no caption
    empty = content.check_text("<b> </b>", ContentKind.text)
    assert empty is not None and empty.problem is content.Problem.empty
    for markup in ("<tg-spoiler>x</tg-spoiler>", '<a href="tg://user?id=1">x</a>', "<b>x", "<script>x</script>"):
        problem = content.check_text(markup, ContentKind.text)
        assert problem is not None and problem.problem is content.Problem.markup, markup
    refused = content.check_formatting(["bold", "custom_emoji", "spoiler", "url"])
    assert refused is not None and refused.detail == "custom_emoji, spoiler"
    assert content.check_formatting(["bold", "text_link", "hashtag"]) is None
    big = content.check_file(ContentKind.photo, 11 * 1024 * 1024)
    assert big is not None and big.problem is content.Problem.file_too_big
    assert content.plain_excerpt("<b>Hội thi</b> tìm hiểu chuyển đổi số năm 2026 bắt đầu", 20) == "Hội thi tìm hiểu…"


def test_audiences_written_as_text() -> None:
    assert audiences.parse("everyone", None) == Audience()
    parsed = audiences.parse("unit:tn-a, unit:tn-b, lang:VI, entrants, guide:vneid", "demo")
    assert parsed == Audience(
        units=("tn-a", "tn-b"), languages=("vi",), quiz=QuizFilter.entrants, contest_id="demo", guide_id="vneid"
    )
    assert audiences.describe(parsed) == "unit:tn-a,unit:tn-b,lang:vi,entrants:demo,guide:vneid"
    assert audiences.parse("registered:bk", None).quiz is QuizFilter.not_attempted
    for bad, why in (
        ("", "no audience"),
        ("everyone,lang:vi", "cannot be combined"),
        ("entrants,registered", "exclude each other"),
        ("entrants", "no contest"),
        ("planet:mars", "not an audience term"),
    ):
        with pytest.raises(audiences.AudienceError, match=why):
            audiences.parse(bad, "demo" if bad != "entrants" else None)
    assert Audience.from_json(parsed.to_json()) == parsed


# ---------------------------------------------------------------- the broadcast lifecycle


async def _draft(work: FakeWork, audience: Audience | None = None, creator: int | None = None) -> int:
    draft = await service.new_draft(work, "telegram:1", creator)
    await service.save_version(work, draft.id, Version("", ContentKind.text, "Tin mới"))
    await service.save_version(work, draft.id, Version("en", ContentKind.text, "News"))
    await service.set_audience(work, draft.id, audience or Audience())
    return draft.id


async def test_a_broadcast_queues_its_audience_slice_by_slice_each_citizen_once_then_finishes() -> None:
    work = FakeWork()
    (official,) = await _people(work, 1)
    people = await _people(work, 9, language="en")
    muted = people[0]
    work.state.mutes[muted] = NOW
    await work.commit()
    broadcast_id = await _draft(work, Audience(languages=("en",)), creator=official)
    started = await service.confirm(work, broadcast_id, "telegram:1", SCOPE)
    assert started.state is BroadcastState.running and started.total == 8  # the muted one is left out
    later = await _people(work, 1, language="en")  # joins after the start: not in this audience
    slices = []
    while (added := await service.refill(work, SCOPE, NOW, loud=True, size=3)) or not slices:
        slices.append(added)
    queued = sorted(row.new.user_id for row in work.state.deliveries.values() if row.new.topic == TOPIC)
    assert queued == sorted(set(people) - {muted}) and later[0] not in queued
    assert sum(slices) == 8 and max(slices) <= 3
    assert await service.refill(work, SCOPE, NOW, loud=True, size=3) == 0
    assert await service.finish_done(work, NOW) == 0  # nothing sent yet
    for row in work.state.deliveries.values():
        row.state = State.sent
    assert await service.finish_done(work, NOW) == 1
    report = [row for row in work.state.deliveries.values() if row.new.topic == REPORT_TOPIC]
    assert [row.new.user_id for row in report] == [official]
    finished = await service.get(work, broadcast_id)
    assert finished is not None and finished.state is BroadcastState.finished
    actions = [entry[2] for entry in work.state.audit]
    assert actions == ["broadcast.created", "broadcast.started", "broadcast.finished"]


async def test_quiet_hours_queue_no_slice_of_an_ordinary_broadcast_and_a_schedule_waits_for_its_time() -> None:
    work = FakeWork()
    await _people(work, 3)
    ordinary = await _draft(work)
    await service.confirm(work, ordinary, "telegram:1", SCOPE)
    assert await service.refill(work, SCOPE, NOW, loud=False) == 0
    scheduled = await _draft(work)
    at = datetime.now(UTC) + timedelta(hours=2)
    assert (await service.confirm(work, scheduled, "telegram:1", SCOPE, at)).state is BroadcastState.scheduled
    assert await service.start_due(work, SCOPE, at - timedelta(minutes=1)) == 0
    assert await service.start_due(work, SCOPE, at) == 1
    assert await service.start_due(work, SCOPE, at) == 0  # once
    assert "broadcast.scheduled" in [entry[2] for entry in work.state.audit]


async def test_pause_resume_and_cancel_are_audited_and_cancel_drops_what_was_not_sent() -> None:
    work = FakeWork()
    await _people(work, 4)
    broadcast_id = await _draft(work)
    await service.confirm(work, broadcast_id, "telegram:1", SCOPE)
    await service.refill(work, SCOPE, NOW, loud=True)
    assert await service.pause(work, broadcast_id, "telegram:2") and not await service.pause(work, broadcast_id, "x")
    assert (TOPIC, broadcast_id) in work.state.holds
    assert await service.resume(work, broadcast_id, "telegram:2")
    assert (TOPIC, broadcast_id) not in work.state.holds
    rows = [row for row in work.state.deliveries.values() if row.new.topic == TOPIC]
    rows[0].state = State.sent
    assert await service.cancel(work, broadcast_id, "cli")
    assert sorted(row.state for row in rows) == sorted([State.sent] + [State.cancelled] * 3)
    progress = await service.progress(work, broadcast_id, 25)
    assert progress is not None and (progress.sent, progress.cancelled, progress.remaining) == (1, 3, 0)
    actions = [(entry[1], entry[2]) for entry in work.state.audit]
    assert ("telegram:2", "broadcast.paused") in actions and ("cli", "broadcast.cancelled") in actions
    assert ("telegram:2", "broadcast.resumed") in actions


async def test_the_progress_message_is_edited_only_when_its_figures_change_and_at_most_every_interval() -> None:
    work = FakeWork()
    (official,) = await _people(work, 1)
    await _people(work, 2)
    broadcast_id = await _draft(work, creator=official)
    await service.confirm(work, broadcast_id, "telegram:1", SCOPE)
    await service.set_progress_message(work, broadcast_id, "77")
    assert await service.rearm_progress(work, NOW) == 1
    assert await service.rearm_progress(work, NOW) == 0  # nothing changed
    edit = next(row for row in work.state.deliveries.values() if row.new.topic == PROGRESS_TOPIC)
    assert edit.new.target_message_id == "77"
    edit.state, edit.done_at = State.sent, NOW
    await service.refill(work, SCOPE, NOW, loud=True)
    assert await service.rearm_progress(work, NOW + timedelta(seconds=1)) == 1
    edit = next(row for row in work.state.deliveries.values() if row.new.topic == PROGRESS_TOPIC)
    assert edit.state is State.pending and edit.not_before == NOW + timedelta(seconds=5)


async def test_the_latest_announcements_of_a_citizen_and_their_language_version() -> None:
    work = FakeWork()
    (person,) = await _people(work, 1)
    broadcast_id = await _draft(work)
    async with work:
        await work[OUTBOX].add(
            [NewDelivery(user_id=person, channel="telegram", kind=Kind.broadcast, topic=TOPIC, ref_id=broadcast_id)],
            NOW,
        )
        await work.commit()
    assert await service.latest_for(work, person) == []
    row = next(iter(work.state.deliveries.values()))
    row.state, row.done_at = State.sent, NOW
    assert [(b.id, at) for b, at in await service.latest_for(work, person)] == [(broadcast_id, NOW)]
    versions = await service.versions(work, broadcast_id)
    assert service.version_for(versions, "en") == Version("en", ContentKind.text, "News")
    assert service.version_for(versions, "th") == Version("", ContentKind.text, "Tin mới")
    assert await service.mute(work, person) and not await service.mute(work, person)
    assert await service.is_muted(work, person) and await service.unmute(work, person)
