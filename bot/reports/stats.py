"""The campaign at a glance for officials: who registers where and when, contest entrants against headcount,
where citizens give up a procedure, how announcements reached each unit. Counts only: no names, no phones.

`gather` reads (streaming what grows with the audience); the rest are pure: the text for the chat and the
command line, and the sheets of the export.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.broadcasts.records import TOPIC as BROADCAST_TOPIC
from bot.domain.guides.ports import GUIDES
from bot.domain.guides.service import mark_abandoned
from bot.domain.guides.stats import GuideFunnel, build_funnels
from bot.domain.ports import Work
from bot.domain.quiz.schema import Contest
from bot.i18n import _, format_number
from bot.reports.ports import REPORTS
from bot.reports.table import Column, Kind, Row, SheetSpec

TOP = 5  # units, guides, reasons shown in the chat; the export has them all


@dataclass
class ContestFigures:
    contest_id: str
    title: str
    by_day: Counter[date] = field(default_factory=Counter)
    by_unit: Counter[str | None] = field(default_factory=Counter)

    @property
    def entrants(self) -> int:
        return sum(self.by_unit.values())


@dataclass
class Statistics:
    units: dict[str, tuple[str, int | None]]
    registrations: Counter[tuple[str | None, date]] = field(default_factory=Counter)
    contest: ContestFigures | None = None
    funnels: list[GuideFunnel] = field(default_factory=list)
    guide_titles: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    # broadcast id → unit code → state → deliveries
    deliveries: dict[int, dict[str | None, Counter[str]]] = field(default_factory=dict)

    def registrations_by_day(self) -> Counter[date]:
        days: Counter[date] = Counter()
        for (_unit, day), count in self.registrations.items():
            days[day] += count
        return days

    def registrations_by_unit(self) -> Counter[str | None]:
        units: Counter[str | None] = Counter()
        for (unit, _day), count in self.registrations.items():
            units[unit] += count
        return units

    def delivery_by_unit(self) -> dict[str | None, Counter[str]]:
        merged: dict[str | None, Counter[str]] = {}
        for per_unit in self.deliveries.values():
            for unit, states in per_unit.items():
                merged.setdefault(unit, Counter()).update(states)
        return merged

    def unit_name(self, code: str | None) -> str:
        if code is None:
            return _("(unit not known)")
        return self.units.get(code, (code, None))[0]


async def gather(
    read: Work,
    write: Work,
    timezone: str,
    guide_steps: dict[str, int],
    abandon_after: timedelta,
    contest: Contest | None = None,
    language: str = "vi",
    guide_titles: dict[str, str] | None = None,
) -> Statistics:
    """`read` may be a read-only unit of work (bot.db.readonly); `write` marks stale guide walks as abandoned
    first, in a short transaction of its own, so that 'left here' is current."""
    zone = ZoneInfo(timezone)
    await mark_abandoned(write, abandon_after)
    async with read:
        store = read[REPORTS]
        counts = await read[GUIDES].event_counts()
        stats = Statistics(
            units=await store.unit_directory(),
            funnels=build_funnels(counts, guide_steps),
            guide_titles=guide_titles or {},
        )
        async for unit, first_seen in store.registrations():
            stats.registrations[(unit, _day(first_seen, zone))] += 1
        if contest is not None:
            figures = ContestFigures(contest.id, contest.title.get(language))
            async for unit, at in store.first_entries(contest.id):
                figures.by_day[_day(at, zone)] += 1
                figures.by_unit[unit] += 1
            stats.contest = figures
        for guide_id, reason, count in await store.reasons():
            stats.reasons.setdefault(guide_id, []).append((reason, count))
        for row in await store.delivery_counts(BROADCAST_TOPIC):
            per_unit = stats.deliveries.setdefault(row.broadcast_id, {})
            per_unit.setdefault(row.unit_code, Counter())[row.state] += row.deliveries
    return stats


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


# ---------------------------------------------------------------- text


def funnel_lines(funnel: GuideFunnel, title: str | None = None) -> list[str]:
    """One guide: opened, done, ratings, then one line per step (reached, stuck, left there)."""
    lines = [
        title or funnel.guide_id,
        "  "
        + _("opened {opened} · done {done} · 👍 {up} · 👎 {down}").format(
            opened=funnel.opened, done=funnel.done, up=funnel.helpful, down=funnel.not_helpful
        ),
    ]
    last = max([funnel.steps, *funnel.reached, *funnel.stuck, *funnel.abandoned], default=0)
    for step in range(1, last + 1):
        lines.append(
            "  "
            + _("step {step}: reached {reached} · stuck {stuck} · left here {left}").format(
                step=step,
                reached=funnel.reached.get(step, 0),
                stuck=funnel.stuck.get(step, 0),
                left=funnel.abandoned.get(step, 0),
            )
        )
    if funnel.abandoned.get(0):
        lines.append("  " + _("left at the overview: {count}").format(count=funnel.abandoned[0]))
    return lines


def format_funnels(funnels: list[GuideFunnel], titles: dict[str, str] | None = None) -> str:
    """Every guide's funnel as plain text (the command line's `guides stats`)."""
    return "\n\n".join("\n".join(funnel_lines(funnel, (titles or {}).get(funnel.guide_id))) for funnel in funnels)


def _delivered(states: Counter[str]) -> tuple[int, int]:
    return states.get("sent", 0), sum(states.values())


def summary_text(stats: Statistics, markup: bool = True) -> str:
    """A short text: the big numbers and the top units; `markup` for the chat (Telegram HTML)."""

    def esc(text: str) -> str:
        return html.escape(text) if markup else text

    def bold(text: str) -> str:
        return f"<b>{esc(text)}</b>" if markup else text

    registered = stats.registrations_by_unit()
    lines = [bold(_("Campaign statistics"))]
    lines.append(_("Citizens registered: {count}").format(count=format_number(sum(registered.values()))))
    days = stats.registrations_by_day()
    if days:
        latest = max(days)
        lines.append(_("Latest day ({day}): {count}").format(day=latest.isoformat(), count=format_number(days[latest])))
    for unit, count in registered.most_common(TOP):
        lines.append(f"  • {esc(stats.unit_name(unit))}: {format_number(count)}")
    if stats.contest is not None:
        figures = stats.contest
        lines += ["", bold(_("Contest: {title}").format(title=figures.title))]
        lines.append(_("Entrants: {count}").format(count=format_number(figures.entrants)))
        for unit, count in figures.by_unit.most_common(TOP):
            headcount = stats.units.get(unit, ("", None))[1] if unit else None
            rate = f" ({count / headcount:.1%})" if headcount else ""
            lines.append(f"  • {esc(stats.unit_name(unit))}: {format_number(count)}{rate}")
    if stats.funnels:
        lines += ["", bold(_("Procedure guides (opened → done)"))]
        for funnel in sorted(stats.funnels, key=lambda funnel: -funnel.opened)[:TOP]:
            title = stats.guide_titles.get(funnel.guide_id, funnel.guide_id)
            stuck = max(funnel.stuck.items(), key=lambda item: item[1], default=None)
            worst = _(", most stuck at step {step} ({count})").format(step=stuck[0], count=stuck[1]) if stuck else ""
            lines.append(
                f"  • {esc(title)}: {funnel.opened} → {funnel.done} · 👍 {funnel.helpful} · 👎 {funnel.not_helpful}"
                f"{esc(worst)}"
            )
            for reason, count in stats.reasons.get(funnel.guide_id, [])[:2]:
                lines.append(f"      “{esc(reason)}” × {count}")
    if stats.deliveries:
        lines += ["", bold(_("Announcements delivered"))]
        for unit, states in sorted(stats.delivery_by_unit().items(), key=lambda item: -sum(item[1].values()))[:TOP]:
            sent, total = _delivered(states)
            lines.append(f"  • {esc(stats.unit_name(unit))}: {format_number(sent)} / {format_number(total)}")
    return "\n".join(lines)


# ---------------------------------------------------------------- sheets


def registrations_sheet(stats: Statistics) -> tuple[SheetSpec, list[Row]]:
    spec = SheetSpec(
        "registrations",
        _("Registrations"),
        (
            Column(_("Day"), Kind.day, 12),
            Column(_("Unit code"), Kind.text, 12),
            Column(_("Unit"), Kind.text, 26),
            Column(_("Citizens registered"), Kind.integer, 12),
        ),
    )
    rows: list[Row] = [
        (day, unit, stats.unit_name(unit), count)
        for (unit, day), count in sorted(stats.registrations.items(), key=lambda item: (item[0][1], item[0][0] or ""))
    ]
    return spec, rows


def entrants_sheets(stats: Statistics) -> list[tuple[SheetSpec, list[Row]]]:
    figures = stats.contest
    if figures is None:
        return []
    per_day = SheetSpec(
        "entrants-per-day",
        _("Entrants per day"),
        (Column(_("Day"), Kind.day, 12), Column(_("New entrants"), Kind.integer, 12)),
    )
    per_unit = SheetSpec(
        "entrants-per-unit",
        _("Entrants per unit"),
        (
            Column(_("Unit code"), Kind.text, 12),
            Column(_("Unit"), Kind.text, 26),
            Column(_("Headcount"), Kind.integer, 11),
            Column(_("Entrants"), Kind.integer, 10),
            Column(_("Participation rate"), Kind.percent, 12),
        ),
    )
    unit_rows: list[Row] = []
    for unit, count in sorted(figures.by_unit.items(), key=lambda item: (-item[1], item[0] or "")):
        headcount = stats.units.get(unit, ("", None))[1] if unit else None
        unit_rows.append((unit, stats.unit_name(unit), headcount, count, count / headcount if headcount else None))
    return [(per_day, [(day, count) for day, count in sorted(figures.by_day.items())]), (per_unit, unit_rows)]


def funnel_sheet(stats: Statistics) -> tuple[SheetSpec, list[Row]]:
    spec = SheetSpec(
        "guides",
        _("Guides funnel"),
        (
            Column(_("Guide"), Kind.text, 30),
            Column(_("Step"), Kind.text, 14),
            Column(_("Citizens"), Kind.integer, 10),
            Column(_("Stuck here"), Kind.integer, 10),
            Column(_("Left here"), Kind.integer, 10),
        ),
    )
    rows: list[Row] = []
    for funnel in stats.funnels:
        title = stats.guide_titles.get(funnel.guide_id, funnel.guide_id)
        rows.append((title, _("opened"), funnel.opened, None, funnel.abandoned.get(0) or None))
        last = max([funnel.steps, *funnel.reached, *funnel.stuck, *funnel.abandoned], default=0)
        for step in range(1, last + 1):
            rows.append(
                (
                    title,
                    _("step {step}").format(step=step),
                    funnel.reached.get(step, 0),
                    funnel.stuck.get(step, 0),
                    funnel.abandoned.get(step, 0),
                )
            )
        rows.append((title, _("done"), funnel.done, None, None))
        rows.append((title, "👍", funnel.helpful, None, None))
        rows.append((title, "👎", funnel.not_helpful, None, None))
        for reason, count in stats.reasons.get(funnel.guide_id, []):
            rows.append((title, "👎 " + reason, count, None, None))
    return spec, rows


DELIVERY_STATES = ("sent", "pending", "sending", "failed", "blocked", "skipped", "cancelled")


def deliveries_sheet(stats: Statistics) -> tuple[SheetSpec, list[Row]]:
    titles = {
        "sent": _("Delivered"),
        "pending": _("Waiting"),
        "sending": _("Being sent"),
        "failed": _("Failed"),
        "blocked": _("Blocked the bot"),
        "skipped": _("Muted"),
        "cancelled": _("Cancelled"),
    }
    spec = SheetSpec(
        "announcements",
        _("Announcements"),
        (
            Column(_("Announcement"), Kind.integer, 12),
            Column(_("Unit code"), Kind.text, 12),
            Column(_("Unit"), Kind.text, 26),
            *(Column(titles[state], Kind.integer, 10) for state in DELIVERY_STATES),
            Column(_("Delivered share"), Kind.percent, 10),
        ),
    )
    rows: list[Row] = []
    for broadcast_id, per_unit in sorted(stats.deliveries.items()):
        for unit, states in sorted(per_unit.items(), key=lambda item: item[0] or ""):
            sent, total = _delivered(states)
            rows.append(
                (
                    broadcast_id,
                    unit,
                    stats.unit_name(unit),
                    *(states.get(state, 0) for state in DELIVERY_STATES),
                    sent / total if total else None,
                )
            )
    return spec, rows


def sheets(stats: Statistics) -> list[tuple[SheetSpec, list[Row]]]:
    return [registrations_sheet(stats), *entrants_sheets(stats), funnel_sheet(stats), deliveries_sheet(stats)]
