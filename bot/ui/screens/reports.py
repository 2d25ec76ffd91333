"""Screens of the reports: the Statistics menu, the export's messages, refusals."""

from __future__ import annotations

from html import escape

from bot.i18n import _, format_number
from bot.ui.callbacks_reports import ReportAction, ReportCb
from bot.ui.view import Attachment, Choice, View, rows


def statistics_menu(view: View, may_export: bool) -> View:
    """The /stats summary with the Statistics menu under it (the export only for organizers and admins)."""
    buttons = [Choice(_("📊 Statistics and chart"), ReportCb(ReportAction.figures))]
    if may_export:
        buttons += [
            Choice(_("📥 Contest results (.xlsx)"), ReportCb(ReportAction.export_xlsx)),
            Choice(_("📥 Contest results (.csv)"), ReportCb(ReportAction.export_csv)),
        ]
    return View(text=view.text, buttons=rows(*buttons))


def working() -> View:
    return View(text=_("⏳ Preparing it. This can take a minute for a large contest; the bot keeps answering."))


def not_for_organizers() -> View:
    return View(text=_("Sorry, the contest results are only for organizers and administrators. Nothing was exported."))


def full_phones_for_admins() -> View:
    return View(text=_("Full phone numbers are for administrators only: the phones in this file are masked."))


def no_contest() -> View:
    return View(text=_("There is no contest to export yet. Type /export CONTEST_ID to name one."))


def too_large(rows: int, size_mb: float, command: str) -> View:
    return View(
        text=_(
            "This file would be about {size} MB for {rows} entrants: more than the 50 MB Telegram accepts. "
            "Run this on the server instead:\n<code>{command}</code>"
        ).format(size=format_number(round(size_mb, 1)), rows=format_number(rows), command=escape(command))
    )


def failed() -> View:
    return View(text=_("Sorry, the export failed. Nothing was sent; the server log says why."))


def export_file(filename: str, data: bytes, rows: int, fingerprint: str) -> View:
    caption = _("Contest results: {rows} entrants. Fingerprint of the answers: {fingerprint}").format(
        rows=format_number(rows), fingerprint=fingerprint[:16]
    )
    return View(text=caption, attachment=Attachment(filename, data, "document", caption))


def statistics(text: str, chart: bytes | None) -> list[View]:
    views = [View(text=text)]
    if chart is not None:
        views.append(View(text="", attachment=Attachment("statistics.png", chart, "photo", _("Campaign statistics"))))
    return views
