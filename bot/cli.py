"""Command line: `python -m bot …`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ROOT, Settings

if TYPE_CHECKING:
    from bot.db.uow import UnitOfWork

SAMPLE_UNITS = ROOT / "data" / "units" / "thai-nguyen-2025.csv"
# Exit status when the database or Redis cannot be reached at start (sysexits' EX_UNAVAILABLE), so that a
# supervisor tells it from bad content (2) and retries.
EXIT_UNAVAILABLE = 69

BROADCAST_TERMS = (
    "everyone | unit:CODE | lang:CODE | entrants[:CONTEST] | registered[:CONTEST] | guide:ID, joined by commas"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Citizen assistant chat bot.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("run", help="run the bot (long polling); with no BOT_TOKEN, starts the sandbox")
    commands.add_parser(
        "webhook", help="serve Telegram's webhook (WEBHOOK_*); several processes may share one PostgreSQL + Redis"
    )
    sandbox = commands.add_parser("sandbox", help="run the bot against a local Bot API emulator with a web chat page")
    sandbox.add_argument("--host", help="address of the web chat (default: SANDBOX_HOST, 127.0.0.1)")
    sandbox.add_argument("--port", type=int, help="port of the web chat (default: SANDBOX_PORT, 8080)")

    db = commands.add_parser("db", help="database migrations").add_subparsers(dest="db_command", metavar="ACTION")
    db.add_parser("upgrade", help="migrate the database to the newest version")
    down = db.add_parser("downgrade", help="migrate the database back to REVISION")
    down.add_argument("revision")

    content = commands.add_parser("content", help="content files").add_subparsers(
        dest="content_command", metavar="ACTION"
    )
    content.add_parser("check", help="validate every content file; exit non-zero on errors")

    units = commands.add_parser("units", help="administrative units").add_subparsers(
        dest="units_command", metavar="ACTION"
    )
    units_import = units.add_parser("import", help="import units from a CSV file (all rows or none)")
    units_import.add_argument("file", type=Path)

    quiz = commands.add_parser("quiz", help="quiz contests").add_subparsers(dest="quiz_command", metavar="ACTION")
    quiz_import = quiz.add_parser("import", help="import questions from a .xlsx or .csv file (all rows or none)")
    quiz_import.add_argument("file", type=Path)
    quiz_results = quiz.add_parser(
        "results", help="the contest workbook as .xlsx, phones masked (the same as `export results`)"
    )
    quiz_results.add_argument("contest_id")
    quiz_results.add_argument("--out", type=Path, required=True)
    quiz_results.add_argument("--full-phones", action="store_true", help="phone numbers in full (audited)")

    guides = commands.add_parser("guides", help="step-by-step guides").add_subparsers(
        dest="guides_command", metavar="ACTION"
    )
    guides.add_parser("stats", help="per guide: opened, reached and stuck per step, done, 👍 and 👎")

    from bot.cli_reports import add_parsers

    add_parsers(commands)

    broadcast = commands.add_parser(
        "broadcast",
        help="send an announcement (the running bot sends it), or list, follow, pause, resume, cancel one",
        description="Without ACTION: create and confirm an announcement, then follow it with a progress bar. "
        "The running bot sends it; this command only queues and watches.",
    )
    broadcast.add_argument("action", nargs="?", choices=("list", "status", "pause", "resume", "cancel"))
    broadcast.add_argument("id", nargs="?", type=int, help="the announcement's number (for status, pause…)")
    broadcast.add_argument("--text", help="the message, Telegram HTML (<b>, <i>, <a href>…); the caption of --file")
    broadcast.add_argument("--file", type=Path, help="a photo (.jpg, .png) or a document to send")
    broadcast.add_argument(
        "--version",
        action="append",
        default=[],
        metavar="LANG=TEXT",
        help="the text for citizens who read LANG (repeatable); others get --text",
    )
    broadcast.add_argument("--audience", default="everyone", help=f"who gets it: {BROADCAST_TERMS}")
    broadcast.add_argument("--at", help="when, in TIMEZONE: 'YYYY-MM-DD HH:MM' (default: now)")
    broadcast.add_argument("--urgent", action="store_true", help="send during quiet hours too")
    broadcast.add_argument("--yes", action="store_true", help="do not ask before sending")
    broadcast.add_argument("--detach", action="store_true", help="queue it and return, without the progress bar")

    admin = commands.add_parser("admin", help="staff roles").add_subparsers(dest="admin_command", metavar="ACTION")
    for action in ("grant", "revoke"):
        sub = admin.add_parser(action, help=f"{action} a role (admin, official, organizer) to a Telegram user id")
        sub.add_argument("user_id")
        sub.add_argument("role")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings()
    from bot.ops import logs

    logs.configure(logging.DEBUG if args.verbose else logging.INFO, settings.log_format)
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    handlers = {
        "run": _run,
        "webhook": _webhook,
        "sandbox": _sandbox,
        "db": _db,
        "content": _content,
        "units": _units,
        "guides": _guides,
        "admin": _admin,
        "broadcast": _broadcast,
        "quiz": _quiz,
        "export": _export,
        "stats": _stats,
    }
    if args.command is None:
        args.command = "run"
    try:
        return handlers[args.command](settings, args, parser)
    except KeyboardInterrupt:
        return 130


def _run(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if not settings.bot_token:
        print("BOT_TOKEN is not set: starting the local sandbox instead.", flush=True)
        return _sandbox(settings, argparse.Namespace(host=None, port=None), parser)
    from bot.app import build_application, run_until_stopped
    from bot.content.problems import ContentError
    from bot.db.migrate import upgrade

    if settings.is_sqlite:
        upgrade(settings.database_url)  # the embedded database has no one else to migrate it
    if not _reachable(settings):
        return EXIT_UNAVAILABLE
    try:
        app = build_application(settings)
    except ContentError as error:
        print(f"Content is invalid; not starting:\n{error}", file=sys.stderr)
        return 2

    async def serve() -> None:
        from bot.ops.signals import stop_on_signals

        await run_until_stopped(app, stop_on_signals())

    asyncio.run(serve())
    return 0


def _reachable(settings: Settings) -> bool:
    """The database and Redis answer; otherwise say which does not, on stderr."""
    from bot.ops.health import unreachable_at_start

    problems = asyncio.run(unreachable_at_start(settings.database_url, settings.redis_url))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("Not starting.", file=sys.stderr)
    return not problems


def _webhook(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.app import build_application
    from bot.content.problems import ContentError
    from bot.db.migrate import upgrade

    if not settings.bot_token:
        print("BOT_TOKEN is not set: webhook mode needs a real bot.", file=sys.stderr)
        return 2
    if settings.is_sqlite:
        upgrade(settings.database_url)
    if not _reachable(settings):
        return EXIT_UNAVAILABLE
    try:
        app = build_application(settings)
    except ContentError as error:
        print(f"Content is invalid; not starting:\n{error}", file=sys.stderr)
        return 2

    async def serve() -> None:
        from bot.ops.signals import stop_on_signals

        try:
            await app.run_webhook(stop_on_signals())
        finally:
            await app.close()

    asyncio.run(serve())
    return 0


def _sandbox(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.content.problems import ContentError
    from bot.sandbox.run import run_sandbox

    host = args.host or settings.sandbox_host
    port = args.port if args.port is not None else settings.sandbox_port
    try:
        asyncio.run(run_sandbox(settings, host, port, sample_units=SAMPLE_UNITS))
    except ContentError as error:
        print(f"Content is invalid; not starting:\n{error}", file=sys.stderr)
        return 2
    return 0


def _db(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.db.migrate import downgrade, upgrade

    if args.db_command == "upgrade":
        upgrade(settings.database_url)
        print("Database is up to date.")
        return 0
    if args.db_command == "downgrade":
        downgrade(settings.database_url, args.revision)
        print(f"Database is at {args.revision}.")
        return 0
    parser.parse_args(["db", "--help"])
    return 2


def _content(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.content.registry import check_all
    from bot.features import checkers

    if args.content_command != "check":
        parser.parse_args(["content", "--help"])
        return 2
    problems = check_all(settings, checkers())
    for problem in problems:
        print(problem)
    errors = sum(1 for problem in problems if not problem.warning)
    warnings = len(problems) - errors
    print(f"{errors} error(s), {warnings} warning(s).")
    return 1 if errors else 0


def _units(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.domain.units import UnitsCsvError, import_units

    if args.units_command != "import":
        parser.parse_args(["units", "--help"])
        return 2
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{args.file}: cannot read: {error}", file=sys.stderr)
        return 1

    async def work() -> int:
        async with _uow(settings) as uow:
            return (await import_units(uow, text)).imported

    try:
        count = asyncio.run(work())
    except UnitsCsvError as error:
        return _rejected(args.file, error.problems)
    print(f"Imported {count} unit(s).")
    return 0


def _rejected(file: Path, problems: list[str]) -> int:
    """An import refused as a whole: every problem, then the reassurance that nothing changed."""
    for problem in problems:
        print(f"{file}: {problem}", file=sys.stderr)
    print("Nothing was imported.", file=sys.stderr)
    return 1


def _guides(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from datetime import timedelta

    from bot.domain.guides.catalogue import load_catalogue
    from bot.domain.guides.stats import GuideFunnel, guide_funnels
    from bot.reports.stats import format_funnels

    if args.guides_command != "stats":
        parser.parse_args(["guides", "--help"])
        return 2
    catalogue = load_catalogue(settings.procedures_dir)[0]
    steps = {guide_id: len(guide.steps) for guide_id, guide in catalogue.guides.items()}

    async def work() -> list[GuideFunnel]:
        async with _uow(settings) as uow:
            return await guide_funnels(uow, steps, timedelta(minutes=settings.guide_abandon_after_minutes))

    _install_translations(settings)
    print(format_funnels(asyncio.run(work())))
    return 0


def _install_translations(settings: Settings) -> None:
    from bot import i18n

    i18n.install(i18n.Catalogs(settings.locales_dir, settings.default_locale, settings.timezone))


def _export(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.cli_reports import export_results

    if args.export_command != "results":
        parser.parse_args(["export", "--help"])
        return 2
    return export_results(settings, args)


def _stats(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.cli_reports import stats

    return stats(settings, args)


def _admin(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.domain import roles
    from bot.domain.platforms import TELEGRAM as PLATFORM

    if args.admin_command not in ("grant", "revoke"):
        parser.parse_args(["admin", "--help"])
        return 2
    if not (args.user_id.isascii() and args.user_id.isdigit()):
        print(f"user id {args.user_id!r} must be a Telegram user id (digits)", file=sys.stderr)
        return 2

    async def work() -> bool:
        async with _uow(settings) as uow:
            action = roles.grant if args.admin_command == "grant" else roles.revoke
            return await action(uow, PLATFORM, args.user_id, args.role, actor="cli")

    try:
        changed = asyncio.run(work())
    except roles.RoleError as error:
        print(error, file=sys.stderr)
        return 2
    verb = "granted to" if args.admin_command == "grant" else "revoked from"
    print(f"Role {args.role} {verb} {args.user_id}." if changed else "Nothing to change.")
    return 0


def _broadcast(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.cli_broadcasts import run

    return run(settings, args, _uow)


class _uow:
    """A unit of work on a fresh engine, for one CLI command."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def __aenter__(self) -> UnitOfWork:
        from bot.db.engine import create_engine, create_session_factory
        from bot.db.migrate import upgrade_async
        from bot.db.uow import UnitOfWork
        from bot.features import stores

        if self._settings.is_sqlite:
            await upgrade_async(self._settings.database_url)
        self._engine = create_engine(self._settings.database_url, self._settings.database_pool_size)
        self._uow = UnitOfWork(create_session_factory(self._engine), stores())
        return self._uow

    async def __aexit__(self, *exc: object) -> None:
        await self._uow.close()
        await self._engine.dispose()


def _quiz(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.quiz_command == "import":
        from bot.domain.quiz.spreadsheet import SpreadsheetError, import_file

        try:
            target = import_file(args.file, settings.quiz_bank_dir)
        except (OSError, UnicodeDecodeError) as error:
            print(f"{args.file}: cannot read: {error}", file=sys.stderr)
            return 1
        except SpreadsheetError as error:
            return _rejected(args.file, error.problems)
        print(f"Imported into {target}. Run `python -m bot content check`, then restart the bot.")
        return 0
    if args.quiz_command == "results":
        from bot.cli_reports import export_results

        args.contest = args.contest_id
        return export_results(settings, args)
    parser.parse_args(["quiz", "--help"])
    return 2
