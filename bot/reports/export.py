"""The contest export: one read transaction, rows streamed into the writer, one audit record at the end.

The command line and the chat both end here (the chat through a child process, bot.reports.job). The read
unit of work should be a read-only one (bot.db.readonly): it holds no write lock however long it runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from bot.domain.clock import utcnow
from bot.domain.ports import Work
from bot.domain.quiz.ranking import Entry, GroupTally, positions, rank_groups
from bot.domain.quiz.schema import Contest, Question
from bot.i18n import use_locale
from bot.reports import contest as sheets
from bot.reports.csvfiles import CsvFiles
from bot.reports.locale import Formatter
from bot.reports.ports import REPORTS
from bot.reports.stats import Statistics
from bot.reports.stats import sheets as stats_sheets
from bot.reports.table import WorkbookSink
from bot.reports.xlsx import XlsxBook

Format = Literal["xlsx", "csv"]
Progress = Callable[[int, int], None]  # (rows written, rows in all)
# Bytes per ranked person in the xlsx file, measured on bench/export.py's generated contest (about 75 in a
# zipped sheet, a little more in CSV); the chat refuses up front when the estimate passes Telegram's limit.
BYTES_PER_ROW = {"xlsx": 80, "csv": 170}
TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024


@dataclass(frozen=True)
class ExportRequest:
    contest: Contest
    questions: dict[str, Question]
    out: Path
    format: Format = "xlsx"
    language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    full_phones: bool = False
    actor: str = "cli"


@dataclass(frozen=True)
class ExportResult:
    rows: int
    files: list[str]
    bytes: int
    fingerprint: str


def open_sink(request: ExportRequest) -> WorkbookSink:
    if request.format == "csv":
        return CsvFiles(request.out, request.language, request.timezone)
    return XlsxBook(request.out, request.language, request.timezone)


async def estimate(read: Work, contest_id: str, fmt: Format = "xlsx") -> tuple[int, int]:
    """(people ranked, the file's likely size in bytes) without reading them."""
    async with read:
        entrants = await read[REPORTS].entrant_count(contest_id)
    return entrants, entrants * BYTES_PER_ROW[fmt]


async def export_contest(
    read: Work,
    write: Work,
    request: ExportRequest,
    statistics: Statistics | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    contest = request.contest
    tiers = [(tier.id, tier.count) for tier in contest.prizes.individual]
    sink = open_sink(request)
    exported_at = utcnow()
    with use_locale(request.language):
        async with read:
            store = read[REPORTS]
            entrants = await store.entrant_count(contest.id)
            units = await store.units()
            labels = sheets.Labels.of(contest, units, request.language)
            tally, awards = GroupTally(), sheets.AwardTally()
            sheet = sink.sheet(sheets.individuals_spec(request.timezone))
            written = 0
            # positions() ranks entries already in ranking order, lazily: it is handed each streamed person
            # as it arrives, so that a million of them are never held at once.
            arrived: list[Entry] = []
            ranker = positions(_one_by_one(arrived), entrants, tiers)
            async for entrant in store.ranked_entrants(contest.id, entrants):
                arrived.append(entrant.entry)
                ranked = next(ranker)
                row = sheets.individual_row(ranked, entrant, labels, request.full_phones)
                sheet.row(row)
                tally.add(entrant.entry)
                awards.add(ranked, row)
                written += 1
                if progress is not None and written % 1000 == 0:
                    progress(written, entrants)
            if progress is not None:
                progress(written, entrants)

            group_prizes = contest.prizes.group
            directory = {unit.code: (unit.name, unit.headcount) for unit in units}
            groups = rank_groups(
                tally.stats(directory),
                group_prizes.criterion if group_prizes else "participation_rate",
                group_prizes.count if group_prizes else 0,
            )
            prize_title = group_prizes.title.get(request.language) if group_prizes else ""
            sheet = sink.sheet(sheets.units_spec())
            for group in groups:
                sheet.row(sheets.unit_row(group, prize_title, labels))

            sheet = sink.sheet(sheets.awards_spec())
            for row in sheets.award_rows(contest, awards, groups, request.language):
                sheet.row(row)

            shown: Counter[str] = Counter()
            async for drawn in store.drawn_questions(contest.id):
                shown.update(drawn)
            counts = await store.answer_counts(contest.id)
            sheet = sink.sheet(sheets.questions_spec())
            for row in sheets.question_rows(shown, counts, request.questions, request.language):
                sheet.row(row)

            fingerprint = sheets.Fingerprint()
            async for answer in store.answer_rows(contest.id):
                fingerprint.add(answer)
        facts = sheets.RulesFacts(
            entrants=entrants,
            exported_at=Formatter(request.language, request.timezone).moment(exported_at),
            exported_by=request.actor,
            timezone=request.timezone,
            fingerprint=fingerprint.hexdigest(),
            answer_rows=fingerprint.rows,
            full_phones=request.full_phones,
        )
        sheet = sink.sheet(sheets.rules_spec())
        for row in sheets.rules_rows(contest, facts, request.language):
            sheet.row(row)
        if statistics is not None:
            for spec, rows in stats_sheets(statistics):
                sheet = sink.sheet(spec)
                for row in rows:
                    sheet.row(row)
    files = sink.close()
    size = sum(Path(file).stat().st_size for file in files)  # noqa: ASYNC240 -- runs in the command's own process, never the bot's loop
    await audit(write, request, written, size, exported_at)
    return ExportResult(written, files, size, facts.fingerprint)


def _one_by_one(arrived: list[Entry]) -> Iterator[Entry]:
    """Each entry as it is appended (the ranker asks for the next right after each append)."""
    while arrived:
        yield arrived.pop()


async def audit(write: Work, request: ExportRequest, rows: int, size: int, at: datetime) -> None:
    async with write:
        await write.audit.record(
            request.actor,
            "export.results",
            request.contest.id,
            {
                "format": request.format,
                "rows": rows,
                "bytes": size,
                "full_phones": request.full_phones,
                "language": request.language,
            },
            at,
        )
        await write.commit()


async def audit_statistics(write: Work, actor: str, language: str) -> None:
    async with write:
        await write.audit.record(actor, "export.statistics", None, {"language": language}, utcnow())
        await write.commit()
