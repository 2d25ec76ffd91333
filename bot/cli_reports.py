"""`python -m bot export results …` and `python -m bot stats …`: thin callers of bot.reports.

Reads go through a read-only unit of work (bot.db.readonly: no write lock however long they take), the
audit record through an ordinary one. `--json` prints one JSON line per progress step and one with the
result: that is how the running bot's chat handlers (bot.reports.job) follow a child process; otherwise a
progress bar (rich) goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Settings

TOO_LARGE = 3  # exit status with --max-bytes (bot.reports.job.TOO_LARGE)

if TYPE_CHECKING:
    from bot.db.uow import UnitOfWork
    from bot.domain.quiz.schema import Contest, QuizBank
    from bot.reports.export import ExportResult
    from bot.reports.stats import Statistics


def add_parsers(commands: Any) -> None:
    export = commands.add_parser("export", help="contest results for the awards committee").add_subparsers(
        dest="export_command", metavar="WHAT"
    )
    results = export.add_parser(
        "results",
        help="the contest workbook: Individuals, Units, Awards, Questions, Rules, and the statistics",
        description="Names and phones are personal data: phones are masked unless --full-phones; every export "
        "is written to the audit log with who ran it and how many rows it has.",
    )
    results.add_argument("--contest", required=True, help="the contest's id (quiz_bank/contests/ID.yaml)")
    results.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    results.add_argument("--out", type=Path, required=True, help="FILE.xlsx, or FILE.csv (one FILE-SHEET.csv each)")
    results.add_argument("--full-phones", action="store_true", help="phone numbers in full (audited)")
    results.add_argument("--lang", help="language of the workbook (default: DEFAULT_LOCALE)")
    results.add_argument("--no-stats", action="store_true", help="leave the statistics sheets out")
    results.add_argument(
        "--max-bytes", type=int, help=f"write nothing and exit with {TOO_LARGE} if the file would likely be larger"
    )
    _machine_options(results)

    stats = commands.add_parser("stats", help="campaign statistics: registrations, entrants, guides, announcements")
    stats.add_argument("--lang", help="language (default: DEFAULT_LOCALE)")
    stats.add_argument("--contest", help="the contest's id (default: the open or latest one)")
    stats.add_argument("--chart", type=Path, help="also draw the charts into this .png file")
    stats.add_argument("--out", type=Path, help="also write the figures as sheets into this .xlsx file")
    stats.add_argument("--html", action="store_true", help="the text as Telegram HTML")
    _machine_options(stats)


def _machine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="progress and result as JSON lines on stdout")
    parser.add_argument("--actor", help=argparse.SUPPRESS)  # who asked, when the running bot runs this


def _actor(args: argparse.Namespace) -> str:
    return str(args.actor or f"cli:{getpass.getuser()}")


def _install_translations(settings: Settings) -> None:
    from bot import i18n

    i18n.install(i18n.Catalogs(settings.locales_dir, settings.default_locale, settings.timezone))


@asynccontextmanager
async def _works(settings: Settings) -> AsyncIterator[tuple[UnitOfWork, UnitOfWork]]:
    """(read-only, ordinary) units of work on engines of this command."""
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.migrate import upgrade_async
    from bot.db.readonly import create_read_engine
    from bot.db.uow import UnitOfWork
    from bot.features import stores

    if settings.is_sqlite:
        await upgrade_async(settings.database_url)
    read_engine = create_read_engine(settings.database_url)
    write_engine = create_engine(settings.database_url, 1)
    read = UnitOfWork(create_session_factory(read_engine), stores())
    write = UnitOfWork(create_session_factory(write_engine), stores())
    try:
        yield read, write
    finally:
        await read.close()
        await write.close()
        await read_engine.dispose()
        await write_engine.dispose()


def _bank(settings: Settings) -> QuizBank:
    from bot.domain.quiz.schema import load_quiz_bank

    return load_quiz_bank(settings.quiz_bank_dir, demo_contests=settings.demo_contests)[0]


def _contest(settings: Settings, bank: QuizBank, contest_id: str | None) -> Contest | None:
    from bot.domain.clock import utcnow

    if contest_id:
        return bank.contests.get(contest_id)
    return bank.latest_contest(utcnow())


async def _statistics(
    settings: Settings, read: UnitOfWork, write: UnitOfWork, contest: Contest | None, language: str
) -> Statistics:
    from bot.domain.guides.catalogue import load_catalogue
    from bot.reports.stats import gather

    catalogue = load_catalogue(settings.procedures_dir)[0]
    return await gather(
        read,
        write,
        settings.timezone,
        {guide_id: len(guide.steps) for guide_id, guide in catalogue.guides.items()},
        timedelta(minutes=settings.guide_abandon_after_minutes),
        contest,
        language,
        {guide_id: guide.button(language) for guide_id, guide in catalogue.guides.items()},
    )


def _emit(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, ensure_ascii=False), flush=True)


def export_results(settings: Settings, args: argparse.Namespace) -> int:
    from bot.reports.table import ExportError

    _install_translations(settings)
    machine = bool(getattr(args, "json", False))
    if getattr(args, "max_bytes", None):
        rows, size = asyncio.run(_estimate(settings, args))
        if size > args.max_bytes:
            if machine:
                _emit({"too_large": True, "rows": rows, "estimate": size})
            print(f"The file would be about {size / 1e6:.0f} MB for {rows} entrants; nothing was written.")
            return TOO_LARGE
    try:
        with _progress_bar(machine) as report:
            result = asyncio.run(run_export(settings, args, report))
    except (ExportError, OSError) as error:
        if machine:
            _emit({"error": str(error)})
        print(f"{args.out}: {error}", file=sys.stderr)
        return 1
    if result is None:
        print(f"no contest {args.contest!r} in {settings.quiz_bank_dir}", file=sys.stderr)
        return 2
    if machine:
        _emit({"rows": result.rows, "files": result.files, "bytes": result.bytes, "fingerprint": result.fingerprint})
    else:
        names = ", ".join(result.files)
        print(f"Wrote {result.rows} ranked participant(s) to {names} ({result.bytes:,} bytes).")
        print(f"Fingerprint of the answers: {result.fingerprint}")
    return 0


async def _estimate(settings: Settings, args: argparse.Namespace) -> tuple[int, int]:
    from bot.reports.export import estimate

    async with _works(settings) as (read, _):
        return await estimate(read, args.contest, "csv" if getattr(args, "format", "xlsx") == "csv" else "xlsx")


async def run_export(
    settings: Settings, args: argparse.Namespace, progress: Callable[[int, int], None] | None = None
) -> ExportResult | None:
    """The export as `export results` runs it; None when there is no such contest."""
    from dataclasses import replace

    from bot.reports.export import ExportRequest, Format, export_contest

    bank = _bank(settings)
    contest = bank.contests.get(args.contest)
    if contest is None:
        return None
    language = args.lang or settings.default_locale
    fmt: Format = "csv" if getattr(args, "format", "xlsx") == "csv" else "xlsx"
    request = ExportRequest(
        contest=contest,
        questions=bank.questions,
        out=args.out,
        format=fmt,
        language=language,
        timezone=settings.timezone,
        full_phones=bool(getattr(args, "full_phones", False)),
        actor=_actor(args),
    )
    zipped = fmt == "csv" and Path(args.out).suffix.lower() == ".zip"
    if zipped:  # the chat sends one file: the CSV files, zipped
        request = replace(request, out=Path(args.out).with_suffix(".csv"))
    async with _works(settings) as (read, write):
        statistics = None
        if not getattr(args, "no_stats", False):
            statistics = await _statistics(settings, read, write, contest, language)
        result = await export_contest(read, write, request, statistics, progress)
    if zipped:
        result = _zip(result, Path(args.out))
    return result


def _zip(result: ExportResult, out: Path) -> ExportResult:
    import zipfile
    from dataclasses import replace

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in result.files:
            archive.write(file, Path(file).name)
            Path(file).unlink()
    return replace(result, files=[str(out)], bytes=out.stat().st_size)


def _progress_bar(machine: bool) -> AbstractContextManager[Callable[[int, int], None]]:
    if machine:
        return nullcontext(lambda done, total: _emit({"done": done, "total": total}))
    if not sys.stderr.isatty():
        return nullcontext(lambda done, total: None)
    return _RichBar()


class _RichBar:
    def __enter__(self) -> Callable[[int, int], None]:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._bar = Progress(
            "{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
        )
        self._bar.__enter__()
        self._task = self._bar.add_task("rows", total=None)

        def report(done: int, total: int) -> None:
            self._bar.update(self._task, completed=done, total=total)

        return report

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)


def stats(settings: Settings, args: argparse.Namespace) -> int:
    from bot.i18n import use_locale
    from bot.reports.export import audit_statistics
    from bot.reports.stats import sheets, summary_text

    _install_translations(settings)
    bank = _bank(settings)
    if args.contest and args.contest not in bank.contests:
        print(f"no contest {args.contest!r} in {settings.quiz_bank_dir}", file=sys.stderr)
        return 2
    contest = _contest(settings, bank, args.contest)
    language = args.lang or settings.default_locale

    async def work() -> tuple[str, list[str]]:
        async with _works(settings) as (read, write):
            with use_locale(language):
                statistics = await _statistics(settings, read, write, contest, language)
                text = summary_text(statistics, markup=args.html)
                files = []
                if args.chart:
                    from bot.reports.chart import render

                    args.chart.write_bytes(render(statistics))
                    files.append(str(args.chart))
                if args.out:
                    from bot.reports.xlsx import XlsxBook

                    book = XlsxBook(args.out, language, settings.timezone)
                    for spec, rows in sheets(statistics):
                        sheet = book.sheet(spec)
                        for row in rows:
                            sheet.row(row)
                    files += book.close()
            await audit_statistics(write, _actor(args), language)
            return text, files

    text, files = asyncio.run(work())
    if args.json:
        _emit({"text": text, "files": files})
    else:
        print(text)
        for file in files:
            print(f"Wrote {file}.")
    return 0
