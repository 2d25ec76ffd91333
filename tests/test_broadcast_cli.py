"""`python -m bot broadcast …` as a real process: the same checks as the chat, list, status, pause, resume,
cancel; and the progress bar's loop on the in-memory store."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stdout
from datetime import UTC, datetime

from sqlalchemy import select

from bot.cli_broadcasts import _follow
from bot.config import ROOT
from bot.db.broadcasts import BroadcastRow
from bot.db.models import AuditEntry
from bot.db.outbox import DeliveryRow
from bot.delivery.records import State
from bot.domain.broadcasts import service
from bot.domain.broadcasts.records import ContentKind, Version
from tests.fakes import FakeWork


def in_process(monkeypatch, capsys, settings, *args: str) -> tuple[int, str, str]:
    """The same command in this process (a real process costs seconds of imports): code, stdout, stderr."""
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BOT_TOKEN", "")
    monkeypatch.setenv("QUIET_HOURS", "off")
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # not a terminal: nobody to ask
    code = main(["broadcast", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def run(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BOT_TOKEN": "", "QUIET_HOURS": "off"}
    return subprocess.run(
        [sys.executable, "-m", "bot", "broadcast", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def _citizens(uow, languages: list[str | None]) -> None:
    now = datetime.now(UTC)
    async with uow:
        for number, language in enumerate(languages):
            user = await uow.users.add("telegram", f"80{number}", f"80{number}", now, None)
            await uow.users.update(user.id, language=language)
        await uow.commit()


def test_a_broadcast_from_the_command_line_and_its_life(settings, monkeypatch, capsys, tmp_path) -> None:
    import asyncio

    from bot.db.engine import create_engine, create_session_factory
    from bot.db.uow import UnitOfWork
    from bot.features import stores

    async def scalar(query):  # type: ignore[no-untyped-def]
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                return await session.scalar(query)
        finally:
            await engine.dispose()

    async def seed() -> None:
        engine = create_engine(settings.database_url)
        uow = UnitOfWork(create_session_factory(engine), stores())
        await _citizens(uow, ["vi", "vi", "en", None])
        await uow.close()
        await engine.dispose()

    asyncio.run(seed())
    # once as a real process: the entry point itself
    args = ("--text", "<b>Hội thi</b> mở", "--version", "en=<b>Contest</b> opens", "--audience", "lang:vi")
    result = run(settings, *args, "--yes", "--detach")
    assert result.returncode == 0, result.stderr
    assert "To 3 citizen(s) (lang:vi), now." in result.stdout  # the one who never chose reads the default
    assert "Announcement #1 is running; the running bot sends it." in result.stdout
    assert asyncio.run(scalar(select(BroadcastRow.total))) == 3
    created = select(AuditEntry.actor).where(AuditEntry.action == "broadcast.created")
    assert asyncio.run(scalar(created)) == "cli"

    def cli(*args: str) -> tuple[int, str, str]:
        return in_process(monkeypatch, capsys, settings, *args)

    code, out, _ = cli("list")
    assert code == 0 and "#1  running" in out and "lang:vi" in out
    assert "paused." in cli("pause", "1")[1]
    code, _, err = cli("pause", "1")
    assert code == 2 and "is paused: it cannot be paused now" in err
    assert "resumed." in cli("resume", "1")[1]
    assert "cancelled." in cli("cancel", "1")[1]
    code, out, _ = cli("status", "1")
    assert "Announcement #1: cancelled, to lang:vi" in out and "remaining 0" in out

    from bot.sandbox.emulator import TINY_PNG

    photo = tmp_path / "poster.png"
    photo.write_bytes(TINY_PNG)
    code, out, err = cli("--file", str(photo), "--text", "Lịch thi", "--at", "2099-12-01 08:00", "--yes")
    assert code == 0, err
    assert "at 2099-12-01 08:00" in out and "#2 is scheduled" in out

    async def versions() -> list:
        engine = create_engine(settings.database_url)
        uow = UnitOfWork(create_session_factory(engine), stores())
        try:
            return await service.versions(uow, 2)
        finally:
            await uow.close()
            await engine.dispose()

    stored = asyncio.run(versions())
    assert stored[0].kind is ContentKind.photo and stored[0].file_data == TINY_PNG


def test_the_command_line_refuses_what_the_chat_refuses_and_changes_nothing(settings, monkeypatch, capsys) -> None:
    import asyncio

    from bot.db.engine import create_engine, create_session_factory

    for args, why in (
        (("--text", "<script>alert(1)</script>", "--yes"), "<script> cannot be used in announcements"),
        (("--text", "x" * 4097, "--yes"), "4097 characters; Telegram allows 4096"),
        (("--text", "ok", "--audience", "planet:mars", "--yes"), "is not an audience term"),
        (("--text", "ok", "--audience", "unit:nowhere", "--yes"), "not known here: nowhere"),
        (("--text", "ok", "--audience", "guide:no-such-guide", "--yes"), "no guide 'no-such-guide'"),
        (("--text", "ok", "--at", "tomorrow", "--yes"), "write it as YYYY-MM-DD HH:MM"),
        (("--text", "ok", "--at", "2001-01-01 08:00", "--yes"), "has passed"),
        (("--text", "ok", "--version", "xx=hello", "--yes"), "LANG one of vi, en, th"),
        (("--text", "ok"), "add --yes"),
        ((), "give --text, --file, or both"),
    ):
        code, _, err = in_process(monkeypatch, capsys, settings, *args)
        assert code == 2 and why in err and "Nothing was sent." in err, (args, err)
    code, _, err = in_process(monkeypatch, capsys, settings, "status", "9")
    assert code == 2 and "there is no announcement #9" in err

    async def nothing_stored() -> tuple[object, object]:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session:
                return await session.scalar(select(BroadcastRow.id)), await session.scalar(select(DeliveryRow.id))
        finally:
            await engine.dispose()

    assert asyncio.run(nothing_stored()) == (None, None)


async def test_the_progress_bar_follows_until_the_end_then_prints_the_report() -> None:
    work = FakeWork()
    await work.users.add("telegram", "1", "1", datetime.now(UTC), None)
    await work.commit()
    draft = await service.new_draft(work, "cli", None)
    await service.save_version(work, draft.id, Version("", ContentKind.text, "x"))
    await service.confirm(work, draft.id, "cli", service.scope("vi"))
    await service.refill(work, service.scope("vi"), datetime.now(UTC), loud=True)
    for row in work.state.deliveries.values():
        row.state = State.sent
    await service.finish_done(work, datetime.now(UTC))
    out = io.StringIO()
    with redirect_stdout(out):
        assert await _follow(work, draft.id, 25) == 0  # type: ignore[arg-type]
    assert f"Announcement #{draft.id}: finished" in out.getvalue() and "sent 1, failed 0" in out.getvalue()
