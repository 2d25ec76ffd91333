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
    def __init__(self, book: XlsxBook, sheet: Any, spec: SheetSpec) -> None:
        self._sheet = sheet
        self._columns = len(spec.columns)
        self._row = 1
        formats = book.formats
        writers: list[Callable[[int, int, Any], int]] = []
        zone = book.zone
        for column in spec.columns:
            writers.append(_writer(sheet, column.kind, formats, zone))
        self._writers = writers
        book.open_sheets.append(self)

    def row(self, values: Row) -> None:
        row = self._row
        if row >= MAX_ROWS:
            raise ExportError(f"more than {MAX_ROWS - 1:,} rows do not fit in an xlsx sheet: export as csv")
        for column, value in enumerate(values):
            if value is None or value == "":
                continue
            _checked(self._writers[column](row, column, value), row, column)
        self._row = row + 1

    def finish(self) -> None:
        if self._row > 1:
            self._sheet.autofilter(0, 0, self._row - 1, self._columns - 1)


def _writer(sheet: Any, kind: Kind, formats: dict[Kind, Any], zone: ZoneInfo) -> Callable[[int, int, Any], int]:
    cell_format = formats.get(kind)
    if kind is Kind.text:
        return lambda row, column, value: sheet.write_string(row, column, str(value))
    if kind is Kind.moment:

        def moment(row: int, column: int, value: datetime) -> int:
            # Excel has no time zones: the organizer's wall-clock time, without its zone.
            local = value.astimezone(zone).replace(tzinfo=None)
            return int(sheet.write_datetime(row, column, local, cell_format))

        return moment
    if kind is Kind.day:
        return lambda row, column, value: sheet.write_datetime(
            row, column, datetime(value.year, value.month, value.day), cell_format
        )
    return lambda row, column, value: sheet.write_number(row, column, value, cell_format)


class XlsxBook:
    def __init__(self, path: Path, language: str, timezone: str) -> None:
        self.path = path
        self.zone = ZoneInfo(timezone)
        self._book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
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
            sheet.set_column(index, index, column.width)
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
