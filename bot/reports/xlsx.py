"""Sheets to one .xlsx file, streamed: xlsxwriter in constant_memory mode keeps one row in memory.

In that mode a write to a row already left behind is dropped without an exception, only a return code;
every write's code is checked here and a dropped cell stops the export. The file looks like something an
office hands over: a bold frozen header row, column widths, an autofilter, dates and numbers as real Excel
values in formats of the organizer's locale.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter

from bot.reports.locale import excel_day_format, excel_moment_format
from bot.reports.table import ExportError, Kind, Row, SheetSpec

# Excel's limits: rows per sheet (the header included) and characters in a sheet's name.
MAX_ROWS = 1_048_576
MAX_TITLE = 31
_NOT_IN_TITLES = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def _checked(code: int, row: int, column: int) -> None:
    # -2 in constant_memory mode: the row was already written; -1: out of the sheet. Both lose data.
    if code not in (0, None):
        raise ExportError(f"xlsx cell ({row}, {column}) was not written (code {code})")


class XlsxSheet:
    """One sheet; each row goes in with one `write_row` call.

    Cells carry no format of their own: each column's format is set once on the column (set_column), and
    xlsxwriter gives a cell without a format its column's. That, and one call per row instead of one per
    cell, writes a row the way a bare constant_memory loop does (bench/export.py compares the two).
    Only moments (to the organizer's wall clock), days and texts are converted on the way; the book
    is opened with every string-guessing option off, so a text is always written as a text.
    """

    def __init__(self, book: XlsxBook, sheet: Any, spec: SheetSpec) -> None:
        self._sheet = sheet
        self._columns = len(spec.columns)
        self._row = 1
        self._converters: tuple[tuple[int, Callable[[Any], object]], ...] = tuple(
            (index, converter)
            for index, column in enumerate(spec.columns)
            if (converter := _converter(column.kind, book.zone)) is not None
        )
        book.open_sheets.append(self)

    def row(self, values: Row) -> None:
        row = self._row
        if row >= MAX_ROWS:
            raise ExportError(f"more than {MAX_ROWS - 1:,} rows do not fit in an xlsx sheet: export as csv")
        cells = list(values)
        for column, convert in self._converters:
            value = cells[column]
            if value is not None:
                cells[column] = convert(value)
        code = self._sheet.write_row(row, 0, cells)
        if code:
            # write_row stops at the first cell it could not write; which one it was is not returned.
            raise ExportError(f"xlsx row {row} was not written in full (code {code})")
        self._row = row + 1

    def finish(self) -> None:
        if self._row > 1:
            self._sheet.autofilter(0, 0, self._row - 1, self._columns - 1)


def _text(value: object) -> str:
    return value if type(value) is str else str(value)


def _converter(kind: Kind, zone: ZoneInfo) -> Callable[[Any], object] | None:
    if kind is Kind.text:
        return _text
    if kind is Kind.moment:

        def moment(value: datetime) -> datetime:
            # Excel has no time zones: the organizer's wall-clock time, without its zone.
            return value.astimezone(zone).replace(tzinfo=None)

        return moment
    if kind is Kind.day:
        return lambda value: datetime(value.year, value.month, value.day)
    return None  # numbers as they are


class XlsxBook:
    def __init__(self, path: Path, language: str, timezone: str) -> None:
        self.path = path
        self.zone = ZoneInfo(timezone)
        self._book = xlsxwriter.Workbook(
            str(path),
            # Texts stay texts: a name such as "=HYPERLINK(...)" or "http://..." is never a formula or a link.
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self._header = self._book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        self.formats: dict[Kind, Any] = {
            Kind.integer: self._book.add_format({"num_format": "0"}),
            Kind.decimal: self._book.add_format({"num_format": "0.000"}),
            Kind.percent: self._book.add_format({"num_format": "0.0%"}),
            Kind.moment: self._book.add_format({"num_format": excel_moment_format(language)}),
            Kind.day: self._book.add_format({"num_format": excel_day_format(language)}),
        }
        self.open_sheets: list[XlsxSheet] = []
        self._titles: set[str] = set()

    def sheet(self, spec: SheetSpec) -> XlsxSheet:
        title = self._title(spec.title)
        sheet = self._book.add_worksheet(title)
        for index, column in enumerate(spec.columns):
            sheet.set_column(index, index, column.width, self.formats.get(column.kind))
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(spec.columns):
            _checked(sheet.write_string(0, index, column.title, self._header), 0, index)
        return XlsxSheet(self, sheet, spec)

    def _title(self, wanted: str) -> str:
        title = wanted.translate(_NOT_IN_TITLES).strip("'")[:MAX_TITLE] or "Sheet"
        base, number = title, 2
        while title.lower() in self._titles:
            suffix = f" ({number})"
            title, number = base[: MAX_TITLE - len(suffix)] + suffix, number + 1
        self._titles.add(title.lower())
        return title

    def close(self) -> list[str]:
        for sheet in self.open_sheets:
            sheet.finish()
        self._book.close()
        return [str(self.path)]
