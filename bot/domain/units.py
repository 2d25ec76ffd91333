"""Administrative units as data: CSV import with all-or-nothing validation."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from bot.domain.records import UnitRecord

KINDS = {"province", "city", "district", "town", "ward", "commune"}
COLUMNS = ["code", "name", "kind", "parent_code", "headcount", "help_name", "help_phone", "help_hours"]
REQUIRED = ["code", "name", "kind"]
# Codes travel in deep links (/start unit_<code>), which allow only these characters.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class UnitsCsvError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    imported: int


def parse_units_csv(text: str, known_codes: set[str] = frozenset()) -> list[UnitRecord]:
    """Parse and validate every row; raise UnitsCsvError listing `line N: reason` for each bad one."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise UnitsCsvError([f"line 1: missing column(s): {', '.join(missing)}"])
    unknown = [column for column in header if column not in COLUMNS]
    if unknown:
        raise UnitsCsvError([f"line 1: unknown column(s): {', '.join(unknown)}; expected {', '.join(COLUMNS)}"])

    problems: list[str] = []
    records: dict[str, UnitRecord] = {}
    lines: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        record, reasons = _parse_row(row)
        if record and record.code in records:
            reasons.append(f"code {record.code!r} already used on line {lines[record.code]}")
        if reasons:
            problems.extend(f"line {line}: {reason}" for reason in reasons)
        elif record:
            records[record.code] = record
            lines[record.code] = line

    for code, record in records.items():
        if record.parent_code and record.parent_code not in records and record.parent_code not in known_codes:
            problems.append(f"line {lines[code]}: parent_code {record.parent_code!r} is neither in this file nor imported before")
    problems.extend(_cycles(records, lines))
    if not records and not problems:
        problems.append("the file has no rows")
    if problems:
        raise UnitsCsvError(problems)
    return _parents_first(records)


def _parse_row(row: dict[str, Any]) -> tuple[UnitRecord | None, list[str]]:
    if None in row:  # more cells than header columns
        return None, ["more values than columns"]
    values = {key: (value or "").strip() for key, value in row.items()}
    reasons = [f"{column} is empty" for column in REQUIRED if not values.get(column)]
    code = values.get("code", "")
    if code and not CODE_PATTERN.match(code):
        reasons.append(f"code {code!r} may use only letters, digits, '-' and '_' (at most 32)")
    kind = values.get("kind", "")
    if kind and kind not in KINDS:
        reasons.append(f"kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
    headcount: int | None = None
    if values.get("headcount"):
        try:
            headcount = int(values["headcount"].replace(",", "").replace(".", "").replace(" ", ""))
            if headcount < 0:
                raise ValueError
        except ValueError:
            reasons.append(f"headcount {values['headcount']!r} is not a whole number ≥ 0")
    if values.get("parent_code") == code and code:
        reasons.append("a unit cannot be its own parent")
    if reasons:
        return None, reasons
    return UnitRecord(
        code=code, name=values["name"], kind=kind, parent_code=values.get("parent_code") or None,
        headcount=headcount, help_name=values.get("help_name") or None,
        help_phone=values.get("help_phone") or None, help_hours=values.get("help_hours") or None,
    ), []


def _cycles(records: dict[str, UnitRecord], lines: dict[str, int]) -> list[str]:
    problems = []
    for code in records:
        seen, current = set(), code
        while current in records and records[current].parent_code:
            if current in seen:
                problems.append(f"line {lines[code]}: parent chain loops back to {code!r}")
                break
            seen.add(current)
            current = records[current].parent_code  # type: ignore[assignment]
    return problems


def _parents_first(records: dict[str, UnitRecord]) -> list[UnitRecord]:
    ordered: list[UnitRecord] = []
    placed: set[str] = set()

    def place(code: str) -> None:
        if code in placed or code not in records:
            return
        parent = records[code].parent_code
        if parent:
            place(parent)
        placed.add(code)
        ordered.append(records[code])

    for code in records:
        place(code)
    return ordered


async def import_units(uow: Any, text: str) -> ImportResult:
    """Validate the whole file first, then write it in one transaction."""
    async with uow:
        records = parse_units_csv(text, known_codes=await uow.units.all_codes())
        count = await uow.units.upsert_many(records)
        await uow.commit()
    return ImportResult(imported=count)


async def help_contact(uow: Any, unit_code: str | None) -> tuple[UnitRecord | None, UnitRecord | None]:
    """The unit and the nearest unit (itself or an ancestor) that has a help contact."""
    if not unit_code:
        return None, None
    async with uow:
        unit = await uow.units.get(unit_code)
        current = unit
        for _ in range(6):  # province → district → commune is at most a few levels deep
            if current is None or current.help_name or current.help_phone:
                break
            current = await uow.units.get(current.parent_code) if current.parent_code else None
    return unit, current
