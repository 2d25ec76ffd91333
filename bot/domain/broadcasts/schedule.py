"""A date and time typed by an official, in the configured time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# ISO order first; then day/month/year as Vietnamese and Thai officials write it.
FORMATS = ("%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M", "%d.%m.%Y %H:%M", "%H:%M %d/%m/%Y")
EXAMPLE_FORMAT = "%Y-%m-%d %H:%M"


def parse_when(text: str, timezone: str) -> datetime | None:
    """The moment (in UTC), or None when the text is no date and time in a known format."""
    cleaned = " ".join(text.replace("T", " ").split())
    for pattern in FORMATS:
        try:
            local = datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    return None


def example(now: datetime, timezone: str) -> str:
    """Tomorrow at 08:00, written the way `parse_when` reads it."""
    local = now.astimezone(ZoneInfo(timezone))
    tomorrow = local.replace(hour=8, minute=0, second=0, microsecond=0)
    return (tomorrow + timedelta(days=1)).strftime(EXAMPLE_FORMAT)
