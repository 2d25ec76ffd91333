"""Command line: `python -m bot …`."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Sequence

from bot.config import ROOT, Settings

SAMPLE_UNITS = ROOT / "data" / "units" / "backan-2023.csv"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Citizen assistant chat bot.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("run", help="run the bot (long polling); with no BOT_TOKEN, starts the sandbox")
    commands.add_parser("webhook", help="serve Telegram's webhook (WEBHOOK_*); several processes may share one "
                                        "PostgreSQL + Redis")
    sandbox = commands.add_parser("sandbox", help="run the bot against a local Bot API emulator with a web chat page")
    sandbox.add_argument("--host", help="address of the web chat (default: SANDBOX_HOST, 127.0.0.1)")
    sandbox.add_argument("--port", type=int, help="port of the web chat (default: SANDBOX_PORT, 8080)")

    db = commands.add_parser("db", help="database migrations").add_subparsers(dest="db_command", metavar="ACTION")
    db.add_parser("upgrade", help="migrate the database to the newest version")
    down = db.add_parser("downgrade", help="migrate the database back to REVISION")
    down.add_argument("revision")

    content = commands.add_parser("content", help="content files").add_subparsers(dest="content_command",
                                                                                  metavar="ACTION")
    content.add_parser("check", help="validate every content file; exit non-zero on errors")

    units = commands.add_parser("units", help="administrative units").add_subparsers(dest="units_command",
                                                                                      metavar="ACTION")
    units_import = units.add_parser("import", help="import units from a CSV file (all rows or none)")
    units_import.add_argument("file", type=Path)

    quiz = commands.add_parser("quiz", help="quiz contests").add_subparsers(dest="quiz_command", metavar="ACTION")
    quiz_import = quiz.add_parser("import", help="import questions from a .xlsx or .csv file (all rows or none)")
    quiz_import.add_argument("file", type=Path)
    quiz_results = quiz.add_parser("results", help="export the ranking of a contest to a .xlsx file")
    quiz_results.add_argument("contest_id")
    quiz_results.add_argument("--out", type=Path, required=True)

    guides = commands.add_parser("guides", help="step-by-step guides").add_subparsers(dest="guides_command",
                                                                                      metavar="ACTION")
    guides.add_parser("stats", help="per guide: opened, reached and stuck per step, done, 👍 and 👎")

    admin = commands.add_parser("admin", help="staff roles").add_subparsers(dest="admin_command", metavar="ACTION")
    for action in ("grant", "revoke"):
        sub = admin.add_parser(action, help=f"{action} a role (admin, official, organizer) to a Telegram user id")
        sub.add_argument("user_id")
        sub.add_argument("role")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = Settings()
    handlers = {
        "run": _run, "webhook": _webhook, "sandbox": _sandbox, "db": _db, "content": _content, "units": _units, "guides": _guides,
        "admin": _admin, "quiz": _quiz,
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
    try:
        app = build_application(settings)
    except ContentError as error:
        print(f"Content is invalid; not starting:\n{error}", file=sys.stderr)
        return 2
    asyncio.run(run_until_stopped(app))
    return 0


def _webhook(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.app import build_application
    from bot.content.problems import ContentError
    from bot.db.migrate import upgrade

    if not settings.bot_token:
        print("BOT_TOKEN is not set: webhook mode needs a real bot.", file=sys.stderr)
        return 2
    if settings.is_sqlite:
        upgrade(settings.database_url)
    try:
        app = build_application(settings)
    except ContentError as error:
        print(f"Content is invalid; not starting:\n{error}", file=sys.stderr)
        return 2

    async def serve() -> None:
        try:
            await app.run_webhook()
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

    if args.content_command != "check":
        parser.parse_args(["content", "--help"])
        return 2
    problems = check_all(settings)
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
    from bot.domain.guides.stats import format_funnels, guide_funnels

    if args.guides_command != "stats":
        parser.parse_args(["guides", "--help"])
        return 2
    catalogue = load_catalogue(settings.procedures_dir)[0]
    steps = {guide_id: len(guide.steps) for guide_id, guide in catalogue.guides.items()}

    async def work():  # type: ignore[no-untyped-def]
        async with _uow(settings) as uow:
            return await guide_funnels(uow, steps, timedelta(minutes=settings.guide_abandon_after_minutes))

    print(format_funnels(asyncio.run(work())))
    return 0


def _admin(settings: Settings, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from bot.domain import roles
    from bot.domain.platforms import TELEGRAM as PLATFORM

    if args.admin_command not in ("grant", "revoke"):
        parser.parse_args(["admin", "--help"])
        return 2
    if not args.user_id.isdigit():
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


class _uow:
    """A unit of work on a fresh engine, for one CLI command."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        from bot.db.engine import create_engine, create_session_factory
        from bot.db.migrate import upgrade_async
        from bot.db.uow import UnitOfWork

        if self._settings.is_sqlite:
            await upgrade_async(self._settings.database_url)
        self._engine = create_engine(self._settings.database_url, self._settings.database_pool_size)
        self._uow = UnitOfWork(create_session_factory(self._engine))
        return self._uow

    async def __aexit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
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
        from bot.domain.quiz.export import export_results
        from bot.domain.quiz.schema import load_quiz_bank

        contest = load_quiz_bank(settings.quiz_bank_dir)[0].contests.get(args.contest_id)
        if contest is None:
            print(f"no contest {args.contest_id!r} in {settings.quiz_bank_dir}", file=sys.stderr)
            return 2

        async def work() -> int:
            async with _uow(settings) as uow:
                return await export_results(uow, contest, args.out)

        rows = asyncio.run(work())
        print(f"Wrote {rows} ranked participant(s) to {args.out}.")
        return 0
    parser.parse_args(["quiz", "--help"])
    return 2
