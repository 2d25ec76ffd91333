"""Administrative units as data: CSV import with all-or-nothing validation."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from bot.domain.ports import Work
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


def parse_units_csv(text: str, known_codes: AbstractSet[str] = frozenset()) -> list[UnitRecord]:
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
            problems.append(
                f"line {lines[code]}: parent_code {record.parent_code!r} is neither in this file nor imported before"
            )
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
        code=code,
        name=values["name"],
        kind=kind,
        parent_code=values.get("parent_code") or None,
        headcount=headcount,
        help_name=values.get("help_name") or None,
        help_phone=values.get("help_phone") or None,
        help_hours=values.get("help_hours") or None,
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


async def import_units(uow: Work, text: str) -> ImportResult:
    """Validate the whole file first, then write it in one transaction."""
    async with uow:
        records = parse_units_csv(text, known_codes=await uow.units.all_codes())
        count = await uow.units.upsert_many(records)
        await uow.commit()
    return ImportResult(imported=count)


async def help_contact(uow: Work, unit_code: str | None) -> tuple[UnitRecord | None, UnitRecord | None]:
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


async def any_known(uow: Work) -> bool:
    """Whether units are imported at all (registration asks for one only then)."""
    async with uow:
        return await uow.units.count() > 0


async def get(uow: Work, code: str | None) -> UnitRecord | None:
    if not code:
        return None
    async with uow:
        return await uow.units.get(code)


# The unit picker lists this many units per message: more buttons than this do not fit a phone's screen.
PICKER_PAGE = 8


def initial(name: str) -> str:
    """The letter a unit is looked up by: the first letter of its name without tone or vowel marks ("Ấp" → "A");
    Đ stays Đ, a letter of its own in Vietnamese."""
    first = name.strip()[:1].upper()
    if first == "Đ":
        return first
    return unicodedata.normalize("NFD", first)[:1]


def sort_key(name: str) -> tuple[str, str]:
    """Alphabetical order close to the Vietnamese one: marks folded, Đ after D. Hand-written because the
    standard library has no Vietnamese collation and an ICU binding is a heavy dependency for sorting a list
    of 100 names; ties keep the marks' order."""
    folded = "".join(
        char for char in unicodedata.normalize("NFD", name.casefold().replace("đ", "d\uffff")) if not _mark(char)
    )
    return folded, name


def _mark(char: str) -> bool:
    return unicodedata.category(char) == "Mn"


@dataclass(frozen=True)
class PickerPage:
    """One screen of the unit picker.

    `parent` is the unit whose units are listed (None only when nothing is imported), `up` the level to go back
    to (its code; "" for the top) or None when there is none; `letters` the first letters to choose from when a
    level has too many units to list and no letter is chosen yet; `units` the units shown, each with whether it
    has units of its own to open.
    """

    parent: UnitRecord | None
    up: str | None
    letters: tuple[str, ...]
    letter: str
    units: list[tuple[UnitRecord, bool]]
    page: int
    pages: int


def _letter_order(letter: str) -> tuple[str, int]:
    return ("D", 1) if letter == "Đ" else (letter, 0)


async def picker(uow: Work, parent_code: str = "", letter: str = "", page: int = 0) -> PickerPage | None:
    """The units inside `parent_code` ("" = the top; a single province opens at once), those whose name begins
    with `letter` when one is chosen, `PICKER_PAGE` at a time. None when the request does not fit what is
    imported (a unit, letter or page that is not there: an old or forged button)."""
    async with uow:
        parent = await uow.units.get(parent_code) if parent_code else None
        if parent_code and parent is None:
            return None
        children = await uow.units.children(parent_code or None)
        roots_skipped = False
        if parent is None and len(children) == 1:  # a single province: start at what is inside it
            parent, children, roots_skipped = children[0], await uow.units.children(children[0].code), True
        elif parent is not None and parent.parent_code is None:
            roots_skipped = len(await uow.units.children(None)) == 1
        children = sorted(children, key=lambda unit: sort_key(unit.name))
        letters: tuple[str, ...] = ()
        if len(children) > PICKER_PAGE:
            letters = tuple(sorted({initial(unit.name) for unit in children}, key=_letter_order))
        if letter:
            if letter not in letters:
                return None
            children = [unit for unit in children if initial(unit.name) == letter]
        elif letters:
            children = []
        pages = max(1, -(-len(children) // PICKER_PAGE))
        if not 0 <= page < pages:
            return None
        shown = children[page * PICKER_PAGE : (page + 1) * PICKER_PAGE]
        listed = [(child, bool(await uow.units.children(child.code))) for child in shown]
    if parent is None or roots_skipped:
        up = None
    else:
        up = parent.parent_code or ""
    return PickerPage(parent, up, letters, letter, listed, page, pages)
