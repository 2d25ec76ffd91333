"""Contest results as a spreadsheet for the organizers (names and phones included: staff only)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from bot.domain.quiz.ranking import counted_attempts, group_stats, rank_groups, rank_individuals
from bot.domain.quiz.schema import Contest

INDIVIDUAL_COLUMNS = ["rank", "prize", "name", "phone", "birth year", "group", "unit", "correct", "duration (s)",
                      "prediction", "distance", "submitted (UTC)", "user id", "attempt id"]
GROUP_COLUMNS = ["rank", "prize", "unit code", "unit", "headcount", "entrants", "participation rate", "average score"]


async def export_results(uow: Any, contest: Contest, out: Path) -> int:
    async with uow:
        entries = await uow.quiz.entries(contest.id)
        people = {p.user_id: p for p in await uow.quiz.participants_for_export(contest.id)}
        units = await uow.quiz.unit_directory()
    ranked = rank_individuals(entries, tiers=[(tier.id, tier.count) for tier in contest.prizes.individual])
    prizes = contest.prizes.group
    groups = rank_groups(group_stats(counted_attempts(entries), units),
                         prizes.criterion if prizes else "participation_rate", prizes.count if prizes else 0)
    # constant_memory writes row by row; a write to an earlier row would be dropped, so rows only go forward.
    workbook = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    sheet = workbook.add_worksheet("individuals")
    _row(sheet, 0, INDIVIDUAL_COLUMNS)
    for index, item in enumerate(ranked, start=1):
        entry, person = item.entry, people.get(item.entry.user_id)
        _row(sheet, index, [
            item.position, item.prize or "", (person.full_name if person else None) or "Anonymous",
            (person.phone if person else None) or "", (person.birth_year if person else None) or "",
            (person.group_id if person else None) or "", entry.unit_code or "", entry.score,
            round(entry.duration_ms / 1000, 3), "" if entry.prediction is None else entry.prediction,
            "" if item.prediction_distance is None else item.prediction_distance,
            entry.submitted_at.strftime("%Y-%m-%d %H:%M:%S.%f"), entry.user_id, entry.attempt_id])
    sheet = workbook.add_worksheet("units")
    _row(sheet, 0, GROUP_COLUMNS)
    for index, group in enumerate(groups, start=1):
        stat = group.stat
        rate = stat.participation_rate
        _row(sheet, index, [group.position, "yes" if group.prize else "", stat.code, stat.name, stat.headcount or "",
                            stat.entrants, "" if rate is None else round(rate, 6), round(stat.average_score, 3)])
    workbook.close()
    return len(ranked)


def _row(sheet: Any, row: int, values: list[object]) -> None:
    for column, value in enumerate(values):
        if sheet.write(row, column, value) == -1:
            raise RuntimeError(f"xlsx row {row} was not written")
