"""A sheet as data: the writers (bot.reports.xlsx, bot.reports.csvfiles) decide how each kind of cell looks.

Rows are sequences of plain values in column order: str, int, float, datetime (aware; shown in the
organizer's time zone), or None for an empty cell. A row builder never formats: the writer does, in the
organizer's locale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Kind(StrEnum):
    text = "text"
    integer = "integer"
    decimal = "decimal"  # three decimals at most
    percent = "percent"  # a share from 0 to 1, shown as a percentage
    moment = "moment"  # an aware datetime, shown to the millisecond in the organizer's time zone
    day = "day"  # a date


@dataclass(frozen=True, slots=True)
class Column:
    title: str  # already translated
    kind: Kind = Kind.text
    width: float = 12  # characters


@dataclass(frozen=True, slots=True)
class SheetSpec:
    key: str  # stable, ASCII: names the CSV file ("individuals")
    title: str  # the sheet's name in the organizer's language
    columns: tuple[Column, ...]


Row = Sequence[object]


class SheetSink(Protocol):
    def row(self, values: Row) -> None: ...


class WorkbookSink(Protocol):
    """Sheets are written one after the other, rows only forwards (what a streamed file allows)."""

    def sheet(self, spec: SheetSpec) -> SheetSink: ...
    def close(self) -> list[str]:
        """Finish the file(s); their paths."""


class ExportError(RuntimeError):
    """A file could not be written as asked (a row dropped, too many rows for the format)."""
