"""Quiet hours: announcements wait for the morning; a citizen's own notices do not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, timezone: str) -> QuietHours | None:
        """ "21:00-07:00" (may cross midnight); empty or "off" means none. ValueError when malformed."""
        if not text.strip() or text.strip().lower() == "off":
            return None
        match = _SPAN.match(text)
        if match is None:
            raise ValueError(f"quiet hours {text!r} are not HH:MM-HH:MM")
        hour1, minute1, hour2, minute2 = (int(part) for part in match.groups())
        if hour1 > 23 or hour2 > 23 or minute1 > 59 or minute2 > 59:
            raise ValueError(f"quiet hours {text!r}: no such time of day")
        start, end = time(hour1, minute1), time(hour2, minute2)
        if start == end:
            return None
        return cls(start, end, ZoneInfo(timezone))

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # across midnight

    def ends_after(self, moment: datetime) -> datetime:
        """When the quiet hours that contain `moment` end (`moment` itself when it is not quiet)."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(self.zone)
        end = datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if end <= local:
            end += timedelta(days=1)
        return end

    def describe(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"
