"""Screens for officials and organizers."""

from __future__ import annotations

from html import escape

from bot.domain.audience import AudienceSummary
from bot.i18n import _, catalogs, format_number
from bot.ui.view import View


def not_allowed() -> View:
    return View(text=_("Sorry, this command is only for campaign staff. Type /menu to see what you can do."))


def audience_view(summary: AudienceSummary) -> View:
    shipped = catalogs()
    not_chosen = _("not chosen")
    languages = ", ".join(
        f"{escape(shipped.display_name(code) if code else not_chosen)}: {format_number(count)}"
        for code, count in sorted(summary.by_language.items(), key=lambda item: -item[1])
    )
    lines = [
        _("<b>People using the assistant</b>"),
        _("Total: {count}").format(count=format_number(summary.total)),
        _("By language: {languages}").format(languages=languages or "—"),
        _("With a known commune: {count}").format(count=format_number(summary.with_unit)),
        _("Blocked the bot: {count}").format(count=format_number(summary.by_status.get("blocked", 0))),
    ]
    return View(text="\n".join(lines))
