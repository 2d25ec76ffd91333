"""How dates and numbers look in the organizer's locale, from the locale data Babel ships (CLDR)."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent


@lru_cache(maxsize=16)
def date_pattern(language: str) -> str:
    """The locale's short date in its own order, with two-digit days and months and a four-digit year (so that
    a column lines up), in CLDR's letters: vi 'dd/MM/yyyy', en 'MM/dd/yyyy'."""
    pattern = Locale.parse(language).date_formats["short"].pattern
    pattern = re.sub(r"y+", "yyyy", pattern)
    pattern = re.sub(r"(?<!d)d(?!d)", "dd", pattern)
    return re.sub(r"(?<!M)M(?!M)", "MM", pattern)


@lru_cache(maxsize=16)
def excel_day_format(language: str) -> str:
    """The same date in Excel's number-format letters."""
    return date_pattern(language).replace("MM", "mm").replace("M", "m")


@lru_cache(maxsize=16)
def excel_moment_format(language: str) -> str:
    """The date and the time to the millisecond."""
    return f"{excel_day_format(language)} hh:mm:ss.000"


class Formatter:
    """Cells as text for CSV: numbers without grouping (so that they read back), the locale's decimal mark."""

    def __init__(self, language: str, timezone: str) -> None:
        self.language = language
        self.zone = ZoneInfo(timezone)
        self._moment = f"{date_pattern(language)} HH:mm:ss.SSS"

    def decimal(self, value: float) -> str:
        return format_decimal(value, format="0.###", locale=self.language)

    def percent(self, value: float) -> str:
        return format_percent(value, format="0.0%", locale=self.language)

    def moment(self, value: datetime) -> str:
        return format_datetime(value, self._moment, tzinfo=self.zone, locale=self.language)

    def day(self, value: date) -> str:
        return format_date(value, date_pattern(self.language), locale=self.language)
