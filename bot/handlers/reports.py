"""The reports in the chat: /export sends the contest workbook to organizers, /statistics (and the buttons
of /stats) shows officials the campaign's figures and a chart.

Thin: the work runs in a child process (bot.reports.job) with its own read-only connection, so a large
export never stalls citizens. Roles are checked on the command, on every button and on forged presses
alike: anyone else gets a polite refusal and nothing is read. Every export is in the audit log (who, what,
when, how many rows); the child writes that record.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.config import Settings
from bot.db.reports import ReportsRepository
from bot.db.uow import UnitOfWork, bind
from bot.domain.clock import utcnow
from bot.domain.quiz.schema import QuizBank
from bot.domain.records import UserRecord
from bot.features import Feature
from bot.handlers.filters import Pressed
from bot.handlers.staff import STATS_ROLES, caller_roles
from bot.i18n import current_locale
from bot.reports import job
from bot.reports.export import TELEGRAM_UPLOAD_LIMIT
from bot.reports.ports import REPORTS
from bot.transport.reply import Reply
from bot.ui.callbacks_reports import ReportAction, ReportCb
from bot.ui.screens import reports as screens
from bot.ui.screens.broadcasts import not_for_you
from bot.ui.screens.staff import not_allowed

log = logging.getLogger(__name__)
EXPORT_ROLES = frozenset({"admin", "organizer"})


def _actor(user: UserRecord) -> str:
    return f"{user.platform}:{user.platform_user_id}"


def _cli(contest_id: str, fmt: str, full: bool) -> str:
    command = f"python -m bot export results --contest {contest_id} --format {fmt} --out results.{fmt}"
    return command + (" --full-phones" if full else "")


async def export(
    reply: Reply,
    user: UserRecord,
    roles: set[str],
    settings: Settings,
    quiz_bank: QuizBank | None,
    fmt: str = "xlsx",
    full: bool = False,
    contest_id: str | None = None,
) -> None:
    if full and "admin" not in roles:
        await reply.send(screens.full_phones_for_admins())
        full = False
    contest = None
    if quiz_bank is not None:
        contest = quiz_bank.contests.get(contest_id) if contest_id else quiz_bank.latest_contest(utcnow())
    if contest is None:
        await reply.send(screens.no_contest())
        return
    await reply.send(screens.working())
    folder = Path(tempfile.mkdtemp(prefix="export-"))
    try:
        out = folder / (f"results-{contest.id}.xlsx" if fmt == "xlsx" else f"results-{contest.id}.zip")
        arguments = ["export", "results", "--contest", contest.id, "--format", fmt, "--out", str(out)]
        arguments += ["--lang", current_locale(), "--actor", _actor(user), "--max-bytes", str(TELEGRAM_UPLOAD_LIMIT)]
        if full:
            arguments.append("--full-phones")
        status, result = await job.run(settings, arguments)
        if status == job.TOO_LARGE:
            size_mb = float(result.get("estimate", 0)) / 1024 / 1024
            await reply.send(screens.too_large(int(result.get("rows", 0)), size_mb, _cli(contest.id, fmt, full)))
            return
        if status != 0 or not out.exists():
            await reply.send(screens.failed())
            return
        if out.stat().st_size > TELEGRAM_UPLOAD_LIMIT:  # the estimate was low: still never try the upload
            size_mb = out.stat().st_size / 1024 / 1024
            await reply.send(screens.too_large(int(result.get("rows", 0)), size_mb, _cli(contest.id, fmt, full)))
            return
        view = screens.export_file(out.name, out.read_bytes(), int(result["rows"]), str(result["fingerprint"]))
        await reply.send(view)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def on_export_command(
    _: Message,
    command: CommandObject,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    quiz_bank: QuizBank | None = None,
) -> None:
    roles = await caller_roles(uow, user, settings)
    if not EXPORT_ROLES & roles:
        await reply.send(screens.not_for_organizers())
        return
    words = (command.args or "").split()
    fmt = "csv" if "csv" in words else "xlsx"
    full = "full" in words
    named = [word for word in words if word not in ("csv", "xlsx", "full")]
    await export(reply, user, roles, settings, quiz_bank, fmt, full, named[0] if named else None)


async def on_export_button(
    _: CallbackQuery,
    callback_data: ReportCb,
    reply: Reply,
    uow: UnitOfWork,
    user: UserRecord,
    settings: Settings,
    quiz_bank: QuizBank | None = None,
) -> None:
    roles = await caller_roles(uow, user, settings)
    if not EXPORT_ROLES & roles:
        await reply.toast(not_for_you().text, alert=True)
        return
    await reply.toast()
    fmt = "csv" if callback_data.action is ReportAction.export_csv else "xlsx"
    await export(reply, user, roles, settings, quiz_bank, fmt)


async def show_statistics(
    event: TelegramObject, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings
) -> None:
    if not STATS_ROLES & await caller_roles(uow, user, settings):
        if isinstance(event, CallbackQuery):
            await reply.toast(not_for_you().text, alert=True)
        else:
            await reply.send(not_allowed())
        return
    if isinstance(event, CallbackQuery):
        await reply.toast()
    await reply.send(screens.working())
    folder = Path(tempfile.mkdtemp(prefix="stats-"))
    try:
        chart = folder / "statistics.png"
        arguments = ["stats", "--lang", current_locale(), "--html", "--chart", str(chart), "--actor", _actor(user)]
        status, result = await job.run(settings, arguments)
        if status != 0 or "text" not in result:
            await reply.send(screens.failed())
            return
        for view in screens.statistics(str(result["text"]), chart.read_bytes() if chart.exists() else None):
            await reply.send(view)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def create_router() -> Router:
    router = Router(name="reports")
    router.message.register(on_export_command, Command("export"))
    router.message.register(show_statistics, Command("statistics"))
    router.callback_query.register(show_statistics, Pressed(ReportCb, action=ReportAction.figures))
    router.callback_query.register(on_export_button, Pressed(ReportCb, action=ReportAction.export_xlsx))
    router.callback_query.register(on_export_button, Pressed(ReportCb, action=ReportAction.export_csv))
    return router


FEATURE = Feature(name="reports", router=create_router, stores=(bind(REPORTS, ReportsRepository),))
