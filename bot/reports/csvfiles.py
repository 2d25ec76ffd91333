"""Sheets to CSV, one file per sheet: UTF-8 with a byte-order mark, so that Excel shows Vietnamese and Thai.

`results.csv` becomes `results-individuals.csv`, `results-units.csv`, … (the sheets' stable keys). Numbers
have no grouping and the locale's decimal mark, dates the locale's order, to the millisecond in the
organizer's time zone.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from bot.reports.locale import Formatter
from bot.reports.table import Kind, Row, SheetSpec


def csv_path(out: Path, key: str) -> Path:
    return out.with_name(f"{out.stem}-{key}{out.suffix or '.csv'}")


class CsvSheet:
    def __init__(self, handle: IO[str], spec: SheetSpec, formatter: Formatter) -> None:
        self._handle = handle
        self._writer = csv.writer(handle)
        self._kinds = [column.kind for column in spec.columns]
        self._format = formatter
        self._writer.writerow([column.title for column in spec.columns])

    def row(self, values: Row) -> None:
        self._writer.writerow([self._cell(kind, value) for kind, value in zip(self._kinds, values, strict=False)])

    def _cell(self, kind: Kind, value: Any) -> str:
        if value is None:
            return ""
        if kind is Kind.moment and isinstance(value, datetime):
            return self._format.moment(value)
        if kind is Kind.day and isinstance(value, date):
            return self._format.day(value)
        if kind is Kind.decimal and isinstance(value, float):
            return self._format.decimal(value)
        if kind is Kind.percent and isinstance(value, float):
            return self._format.percent(value)
        return str(value)


class CsvFiles:
    def __init__(self, out: Path, language: str, timezone: str) -> None:
        self._out = out
        self._format = Formatter(language, timezone)
        self._handles: list[IO[str]] = []
        self._paths: list[str] = []

    def sheet(self, spec: SheetSpec) -> CsvSheet:
        path = csv_path(self._out, spec.key)
        # newline="" as the csv module asks; "utf-8-sig" writes the byte-order mark first.
        handle = path.open("w", encoding="utf-8-sig", newline="")
        self._handles.append(handle)
        self._paths.append(str(path))
        return CsvSheet(handle, spec, self._format)

    def close(self) -> list[str]:
        for handle in self._handles:
            handle.close()
        return list(self._paths)
