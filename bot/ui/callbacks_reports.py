"""Button payloads of the reports: the Statistics menu of /stats. Every press checks the caller's role."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.ui.payloads import Payload


class ReportAction(StrEnum):
    figures = "f"  # the statistics: a short text and a chart
    export_xlsx = "x"  # the contest workbook
    export_csv = "c"  # the same as CSV files in a zip


@dataclass(frozen=True, slots=True)
class ReportCb(Payload, prefix="rp"):
    action: ReportAction
