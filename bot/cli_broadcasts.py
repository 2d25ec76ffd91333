"""`python -m bot broadcast …`: announcements from the command line, with the same rules as the chat.

    python -m bot broadcast --text "<b>Hội thi</b> mở từ hôm nay" --audience unit:tn-ducxuan,lang:vi --yes
    python -m bot broadcast --file poster.jpg --text "Lịch thi" --version en="Contest dates" --at "2026-12-01 08:00"
    python -m bot broadcast list | status ID | pause ID | resume ID | cancel ID

The running bot sends; this command queues, confirms and follows with a progress bar (rich). Ctrl+C stops
following, not sending.
"""

from __future__ import annotations

import argparse
import asyncio
import mimetypes
import sys
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.domain.broadcasts import audience as audiences
from bot.domain.broadcasts import content, service
from bot.domain.broadcasts.records import DEFAULT_VERSION, LIVE, Audience, BroadcastState, ContentKind, Version
from bot.domain.broadcasts.schedule import parse_when
from bot.domain.clock import utcnow

if TYPE_CHECKING:
    from bot.db.uow import UnitOfWork

Opener = Callable[[Settings], AbstractAsyncContextManager["UnitOfWork"]]
ACTOR = "cli"
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
FOLLOW_SECONDS = 24 * 3600  # the progress bar gives up after a day (the bot goes on sending)


class Refused(Exception):
    """Why the command did nothing, for stderr."""


def _rate(settings: Settings) -> float:
    return float(settings.delivery_paid_rate) if settings.delivery_paid_rate else settings.delivery_rate


def run(settings: Settings, args: argparse.Namespace, opener: Opener) -> int:
    try:
        if args.action is None:
            return asyncio.run(_create(settings, args, opener))
        if args.action == "list":
            return asyncio.run(_list(settings, opener))
        if args.id is None:
            raise Refused(f"broadcast {args.action} needs the announcement's number: broadcast {args.action} ID")
        if args.action == "status":
            return asyncio.run(_status(settings, opener, args.id))
        return asyncio.run(_change(settings, opener, args.action, args.id))
    except Refused as refusal:
        print(refusal, file=sys.stderr)
        if args.action is None:
            print("Nothing was sent.", file=sys.stderr)
        return 2


def _versions(settings: Settings, args: argparse.Namespace) -> list[Version]:
    from bot.i18n import Catalogs

    if not args.text and not args.file:
        raise Refused("give --text, --file, or both")
    kind, data, name, mime = ContentKind.text, None, None, None
    if args.file is not None:
        try:
            data = args.file.read_bytes()
        except OSError as error:
            raise Refused(f"{args.file}: cannot read: {error}") from None
        kind = ContentKind.photo if args.file.suffix.lower() in PHOTO_SUFFIXES else ContentKind.document
        name, mime = args.file.name, mimetypes.guess_type(args.file.name)[0]
        problem = content.check_file(kind, len(data))
        if problem is not None:
            raise Refused(f"{args.file}: {len(data)} bytes; announcements take up to {problem.limit} bytes")
    shipped = Catalogs(settings.locales_dir, settings.default_locale, settings.timezone).available
    texts = [(DEFAULT_VERSION, args.text or "")]
    for given in args.version:
        language, separator, text = given.partition("=")
        if not separator or language not in shipped:
            raise Refused(f"--version {given!r}: write LANG=TEXT with LANG one of {', '.join(shipped)}")
        texts.append((language, text))
    versions = []
    for language, text in texts:
        problem = content.check_text(text, kind)
        if problem is not None:
            where = f"--version {language}" if language else "--text"
            raise Refused(f"{where}: {_problem_text(problem)}")
        versions.append(Version(language, kind, text, name, data, mime))
    return versions


def _problem_text(problem: content.ContentProblem) -> str:
    if problem.problem in (content.Problem.too_long, content.Problem.caption_too_long):
        return f"{problem.length} characters; Telegram allows {problem.limit}"
    if problem.problem is content.Problem.markup:
        return f"{problem.detail} cannot be used in announcements (allowed: {', '.join(sorted(content.ALLOWED_TAGS))})"
    return "the message is empty"


def _audience(settings: Settings, text: str) -> Audience:
    from bot.domain.quiz.schema import load_quiz_bank

    bank = load_quiz_bank(settings.quiz_bank_dir, demo_contests=settings.demo_contests)[0]
    latest = bank.latest_contest(utcnow())
    try:
        audience = audiences.parse(text, latest.id if latest else None)
    except audiences.AudienceError as error:
        raise Refused(f"--audience: {error}") from None
    if audience.contest_id is not None and audience.contest_id not in bank.contests:
        raise Refused(f"--audience: no contest {audience.contest_id!r} in {settings.quiz_bank_dir}")
    if audience.guide_id is not None:
        from bot.domain.guides.catalogue import load_catalogue

        if audience.guide_id not in load_catalogue(settings.procedures_dir)[0].guides:
            raise Refused(f"--audience: no guide {audience.guide_id!r} in {settings.procedures_dir}")
    return audience


async def _create(settings: Settings, args: argparse.Namespace, opener: Opener) -> int:
    from bot.i18n import Catalogs

    versions = _versions(settings, args)
    audience = _audience(settings, args.audience)
    at: datetime | None = None
    if args.at:
        at = parse_when(args.at, settings.timezone)
        if at is None:
            raise Refused(f"--at {args.at!r}: write it as YYYY-MM-DD HH:MM (time zone {settings.timezone})")
        if at <= utcnow():
            raise Refused(f"--at {args.at!r} has passed")
    where = service.scope(settings.default_locale, settings.delivery_channels)
    shipped = Catalogs(settings.locales_dir, settings.default_locale, settings.timezone).available
    async with opener(settings) as uow:
        check = await service.check_audience(uow, audience, shipped)
        if check.unknown_units or check.unknown_languages:
            unknown = [*check.unknown_units, *check.unknown_languages]
            raise Refused(f"--audience: not known here: {', '.join(unknown)}")
        recipients = await service.count(uow, audience, where)
        when = f"at {args.at} ({settings.timezone})" if at else "now"
        print(f"To {recipients} citizen(s) ({audiences.describe(audience)}), {when}.")
        if not args.yes:
            if not sys.stdin.isatty():
                raise Refused("add --yes to send without being asked")
            answer = await asyncio.to_thread(input, "Send it? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise Refused("Not confirmed.")
        draft = await service.new_draft(uow, ACTOR, None)
        for version in versions:
            await service.save_version(uow, draft.id, version)
        await service.set_audience(uow, draft.id, audience)
        await service.set_urgent(uow, draft.id, args.urgent)
        broadcast = await service.confirm(uow, draft.id, ACTOR, where, at)
        print(f"Announcement #{broadcast.id} is {broadcast.state.value}; the running bot sends it.")
        if args.detach or broadcast.state is not BroadcastState.running:
            return 0
        return await _follow(uow, broadcast.id, _rate(settings))


async def _follow(uow: UnitOfWork, broadcast_id: int, rate: float) -> int:
    """A progress bar until the broadcast ends (bounded); Ctrl+C stops following only."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    deadline = time.monotonic() + FOLLOW_SECONDS
    columns = (TextColumn("#{task.fields[id]}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, TextColumn("{task.fields[note]}")) as bar:
        task = bar.add_task("sending", total=None, id=broadcast_id, note="")
        while time.monotonic() < deadline:
            progress = await service.progress(uow, broadcast_id, rate)
            if progress is None:
                return 1
            done = progress.sent + progress.failed + progress.blocked + progress.skipped + progress.cancelled
            note = f"sent {progress.sent} · failed {progress.failed} · blocked {progress.blocked}"
            bar.update(task, total=done + progress.remaining, completed=done, note=note)
            if progress.broadcast.state not in LIVE:
                break
            try:
                await asyncio.sleep(1.0)
            except asyncio.CancelledError:
                break
    return await _status_of(uow, broadcast_id, rate)


async def _status(settings: Settings, opener: Opener, broadcast_id: int) -> int:
    async with opener(settings) as uow:
        return await _status_of(uow, broadcast_id, _rate(settings))


async def _status_of(uow: UnitOfWork, broadcast_id: int, rate: float) -> int:
    report = await service.report(uow, broadcast_id, rate)
    if report is None:
        raise Refused(f"there is no announcement #{broadcast_id}")
    progress = report.progress
    broadcast = progress.broadcast
    print(f"Announcement #{broadcast.id}: {broadcast.state.value}, to {audiences.describe(broadcast.audience)}")
    print(
        f"sent {progress.sent}, failed {progress.failed}, blocked {progress.blocked}, muted {progress.skipped}, "
        f"cancelled {progress.cancelled}, remaining {progress.remaining}"
        + (f", about {progress.eta_seconds:.0f} s left" if progress.eta_seconds and progress.remaining else "")
    )
    if report.units:
        print("unit: delivered / blocked / failed")
        for line in report.units:
            name = line.name or line.unit_code or "unit not known"
            print(f"  {name}: {line.delivered} / {line.blocked} / {line.failed}")
    return 0


async def _list(settings: Settings, opener: Opener) -> int:
    async with opener(settings) as uow:
        broadcasts = await service.recent(uow, 20)
        if not broadcasts:
            print("No announcements yet.")
        for broadcast in broadcasts:
            progress = await service.progress(uow, broadcast.id, _rate(settings))
            sent = progress.sent if progress else 0
            created = broadcast.created_at.strftime("%Y-%m-%d %H:%M")
            print(
                f"#{broadcast.id}  {broadcast.state.value:<9}  {created} UTC  by {broadcast.created_by}  "
                f"sent {sent}/{broadcast.total if broadcast.total is not None else '-'}  "
                f"{audiences.describe(broadcast.audience)}"
            )
    return 0


async def _change(settings: Settings, opener: Opener, action: str, broadcast_id: int) -> int:
    change = {"pause": service.pause, "resume": service.resume, "cancel": service.cancel}[action]
    done = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[action]
    async with opener(settings) as uow:
        broadcast = await service.get(uow, broadcast_id)
        if broadcast is None:
            raise Refused(f"there is no announcement #{broadcast_id}")
        if not await change(uow, broadcast_id, ACTOR):
            raise Refused(f"announcement #{broadcast_id} is {broadcast.state.value}: it cannot be {done} now")
        print(f"Announcement #{broadcast_id}: {done}.")
    return 0
