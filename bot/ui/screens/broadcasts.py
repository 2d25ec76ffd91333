"""Screens of announcements: the official's composer, progress and report; the citizen's list; /admin."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from bot.delivery.quiet import QuietHours
from bot.delivery.records import ReusableAttachment
from bot.domain.broadcasts.content import ContentProblem, Problem, plain_excerpt
from bot.domain.broadcasts.records import (
    DEFAULT_VERSION,
    Audience,
    Broadcast,
    BroadcastState,
    ContentKind,
    Progress,
    QuizFilter,
    Report,
    Version,
)
from bot.domain.records import UnitRecord
from bot.i18n import _, catalogs, format_datetime, format_number, ngettext
from bot.ui.callbacks_broadcasts import (
    AdminAction,
    AdminCb,
    AdminRoleCb,
    AudienceField,
    BcAction,
    BcAudienceCb,
    BcCb,
    BcUnitCb,
    BcVersionCb,
    NewsAction,
    NewsCb,
)
from bot.ui.screens.common import menu_button
from bot.ui.view import Button, Choice, View, rows

UNITS_PER_PAGE = 20
REPORT_UNITS = 30  # units listed in the chat; `python -m bot broadcast status ID` lists them all


def _language_name(code: str) -> str:
    return catalogs().display_name(code) if code else _("everyone else")


def _discard(broadcast_id: int) -> Choice:
    return Choice(_("❌ Discard"), BcCb(action=BcAction.discard, id=broadcast_id))


# ---------------------------------------------------------------- composing


def compose_prompt(draft_id: int, live: Sequence[Broadcast]) -> View:
    lines = [
        _("📢 <b>New announcement</b>"),
        _(
            "Send me the message exactly as citizens should see it: a text (bold, italic, underline, links and "
            "quotes are kept), a photo with a caption, or a document with a caption."
        ),
    ]
    buttons: list[Button] = [
        Choice(
            _("📊 #{id}: {state}").format(id=b.id, state=state_name(b.state)), BcCb(action=BcAction.refresh, id=b.id)
        )
        for b in live
    ]
    if live:
        lines.append(_("Announcements under way are listed below."))
    buttons.append(_discard(draft_id))
    return View(text="\n\n".join(lines), buttons=rows(*buttons))


def ask_version(draft_id: int, language: str) -> View:
    return View(
        text=_("Send me the version in {language}: a text, a photo with a caption or a document.").format(
            language=escape(_language_name(language))
        ),
        buttons=rows(Choice(_("⬅️ Back"), BcCb(action=BcAction.versions, id=draft_id))),
    )


def versions_view(draft: Broadcast, shipped: Sequence[str]) -> View:
    given = [code for code in draft.languages if code != DEFAULT_VERSION]
    lines = [_("✅ <b>Saved.</b>")]
    lines.append(
        _("Versions: the main message for everyone{others}.").format(
            others="".join(f", {escape(_language_name(code))}" for code in given)
        )
    )
    lines.append(
        _(
            "You may add a version in another language: citizens who read that language get it, everyone else "
            "gets the main message. Sending a message again replaces that version."
        )
    )
    buttons: list[Button] = [
        Choice(
            _("➕ Version in {language}").format(language=_language_name(code)),
            BcVersionCb(id=draft.id, language=code),
        )
        for code in shipped
        if code not in given
    ]
    buttons.append(Choice(_("✏️ Replace the main message"), BcVersionCb(id=draft.id, language=DEFAULT_VERSION)))
    buttons.append(Choice(_("👥 Choose who gets it ➡️"), BcCb(action=BcAction.audience, id=draft.id)))
    buttons.append(_discard(draft.id))
    return View(text="\n\n".join(lines), buttons=rows(*buttons))


def content_refused(problem: ContentProblem) -> View:
    reasons = {
        Problem.empty: lambda: _("The message is empty."),
        Problem.too_long: lambda: _("The text is {length} characters long; Telegram allows {limit}.").format(
            length=format_number(problem.length), limit=format_number(problem.limit)
        ),
        Problem.caption_too_long: lambda: _(
            "The caption is {length} characters long; Telegram allows {limit} under a photo or document."
        ).format(length=format_number(problem.length), limit=format_number(problem.limit)),
        Problem.formatting: lambda: _("This formatting cannot be used in announcements: {formatting}.").format(
            formatting=escape(problem.detail)
        ),
        Problem.markup: lambda: _("This markup cannot be used in announcements: {markup}.").format(
            markup=escape(problem.detail)
        ),
        Problem.file_too_big: lambda: _("The file is {size} MB; announcements take files up to {limit} MB.").format(
            size=format_number(round(problem.length / 1_048_576, 1)), limit=format_number(problem.limit // 1_048_576)
        ),
        Problem.unsupported: lambda: _(
            "Announcements can be a text, a photo or a document; stickers, voice messages, videos and albums "
            "cannot be sent."
        ),
    }
    return View(
        text="\n".join(
            [
                _("⚠️ <b>I cannot send this as an announcement.</b>"),
                reasons[problem.problem](),
                _("Please send it again."),
            ]
        )
    )


@dataclass(frozen=True, slots=True)
class AudienceNames:
    """Names to show for an audience: units chosen, the guide, the contest."""

    units: dict[str, str]
    guide: str | None = None
    contest: str | None = None


def describe_audience(audience: Audience, names: AudienceNames) -> str:
    if audience.everyone:
        return _("Everyone who uses the assistant.")
    parts = []
    if audience.units:
        units = ", ".join(escape(names.units.get(code, code)) for code in audience.units)
        parts.append(_("In: {units} (with every unit under them)").format(units=units))
    if audience.languages:
        languages = ", ".join(escape(catalogs().display_name(code)) for code in audience.languages)
        parts.append(_("Reading: {languages}").format(languages=languages))
    if audience.quiz is QuizFilter.entrants:
        parts.append(_("Took part in the contest {contest}").format(contest=escape(names.contest or "")))
    elif audience.quiz is QuizFilter.not_attempted:
        parts.append(
            _("Registered for the contest {contest} but not yet attempted").format(contest=escape(names.contest or ""))
        )
    if audience.guide_id:
        parts.append(_("Opened the guide {guide} and did not finish").format(guide=escape(names.guide or "")))
    return "\n".join(f"• {part}" for part in parts)


def _ticked(label: str, on: bool) -> str:
    return f"✅ {label}" if on else label


def audience_view(draft: Broadcast, recipients: int, names: AudienceNames, contest_known: bool) -> View:
    audience = draft.audience
    text = "\n".join(
        [
            _("👥 <b>Who gets it?</b> Choose any of these; a citizen must match each one you choose."),
            "",
            describe_audience(audience, names),
            "",
            _(
                "Recipients now: <b>{count}</b> (citizens who blocked the bot or muted announcements are left out)"
            ).format(count=format_number(recipients)),
        ]
    )
    buttons: list[Button] = [
        Choice(
            _ticked(_("Everyone"), audience.everyone), BcAudienceCb(id=draft.id, field=AudienceField.everyone, value="")
        ),
        Choice(_("🏘 Units…"), BcCb(action=BcAction.units, id=draft.id)),
        Choice(_("🌐 Languages…"), BcCb(action=BcAction.languages, id=draft.id)),
    ]
    if contest_known:
        buttons.append(
            Choice(
                _ticked(_("🏆 Contest entrants"), audience.quiz is QuizFilter.entrants),
                BcAudienceCb(id=draft.id, field=AudienceField.quiz, value=QuizFilter.entrants.value),
            )
        )
        buttons.append(
            Choice(
                _ticked(_("📝 Registered, not yet attempted"), audience.quiz is QuizFilter.not_attempted),
                BcAudienceCb(id=draft.id, field=AudienceField.quiz, value=QuizFilter.not_attempted.value),
            )
        )
    buttons.append(Choice(_("📋 Opened a guide, did not finish…"), BcCb(action=BcAction.guides, id=draft.id)))
    buttons.append(Choice(_("👀 Preview ➡️"), BcCb(action=BcAction.preview, id=draft.id)))
    buttons.append(Choice(_("⬅️ Messages"), BcCb(action=BcAction.versions, id=draft.id)))
    buttons.append(_discard(draft.id))
    return View(text=text, buttons=rows(*buttons))


def languages_view(draft: Broadcast, shipped: Sequence[str]) -> View:
    buttons: list[Button] = [
        Choice(
            _ticked(catalogs().display_name(code), code in draft.audience.languages),
            BcAudienceCb(id=draft.id, field=AudienceField.language, value=code),
        )
        for code in shipped
    ]
    buttons.append(Choice(_("⬅️ Back to the audience"), BcCb(action=BcAction.audience, id=draft.id)))
    return View(text=_("🌐 Citizens who read these languages (none chosen: every language):"), buttons=rows(*buttons))


def guides_view(draft: Broadcast, guides: Sequence[tuple[str, str]]) -> View:
    """guides: (id, label)."""
    buttons: list[Button] = [
        Choice(
            _ticked(label, draft.audience.guide_id == guide_id),
            BcAudienceCb(id=draft.id, field=AudienceField.guide, value=guide_id),
        )
        for guide_id, label in guides
    ]
    buttons.append(Choice(_("⬅️ Back to the audience"), BcCb(action=BcAction.audience, id=draft.id)))
    return View(text=_("📋 Citizens who opened this guide and did not finish it:"), buttons=rows(*buttons))


def units_view(
    draft: Broadcast, parent: UnitRecord | None, children: Sequence[tuple[UnitRecord, bool]], page: int
) -> View:
    """children: (unit, has units inside). Choosing a unit includes every unit under it."""
    chosen = set(draft.audience.units)
    text = (
        _("🏘 Units in {area}. Tap a unit to choose it (with everything under it); › opens it.").format(
            area=escape(parent.name)
        )
        if parent
        else _("🏘 Tap a unit to choose it (with everything under it); › opens it.")
    )
    start = page * UNITS_PER_PAGE
    shown = children[start : start + UNITS_PER_PAGE]
    buttons: list[tuple[Button, ...]] = []
    if parent is not None:
        buttons.append(
            (
                Choice(
                    _ticked(_("{unit} (whole area)").format(unit=parent.name), parent.code in chosen),
                    BcUnitCb(id=draft.id, code=parent.code),
                ),
            )
        )
    for unit, has_children in shown:
        row: list[Button] = [Choice(_ticked(unit.name, unit.code in chosen), BcUnitCb(id=draft.id, code=unit.code))]
        if has_children:
            row.append(Choice("›", BcUnitCb(id=draft.id, code=unit.code, open=True)))
        buttons.append(tuple(row))
    paging: list[Button] = []
    here = parent.code if parent else ""
    if page > 0:
        paging.append(Choice(_("⬅️ Previous"), BcUnitCb(id=draft.id, code=here, open=True, page=page - 1)))
    if start + UNITS_PER_PAGE < len(children):
        paging.append(Choice(_("Next ➡️"), BcUnitCb(id=draft.id, code=here, open=True, page=page + 1)))
    if paging:
        buttons.append(tuple(paging))
    if parent is not None:
        buttons.append((Choice(_("⬆️ Up"), BcUnitCb(id=draft.id, code=parent.parent_code or "", open=True)),))
    buttons.append((Choice(_("⬅️ Back to the audience"), BcCb(action=BcAction.audience, id=draft.id)),))
    return View(text=text, buttons=tuple(buttons))


def preview_heading(language: str, recipients: int | None = None) -> View:
    text = _("👀 <b>Preview</b>, exactly as citizens see it. For: {language}").format(
        language=escape(_language_name(language) if language else _("everyone (main message)"))
    )
    if recipients is not None:
        text += "\n" + ngettext("It goes to {count} citizen.", "It goes to {count} citizens.", recipients).format(
            count=format_number(recipients)
        )
    return View(text=text)


def when_view(draft: Broadcast, recipients: int, quiet: QuietHours | None) -> View:
    lines = [
        _("🕗 <b>When should it go out?</b>"),
        ngettext("It goes to {count} citizen.", "It goes to {count} citizens.", recipients).format(
            count=format_number(recipients)
        ),
    ]
    if quiet is not None:
        lines.append(
            _("During quiet hours ({hours}) announcements wait until the morning, unless marked urgent.").format(
                hours=quiet.describe()
            )
        )
    urgent_label = _("🚨 Urgent: yes (sent during quiet hours)") if draft.urgent else _("🚨 Urgent: no")
    return View(
        text="\n\n".join(lines),
        buttons=rows(
            Choice(_("▶️ Send now"), BcCb(action=BcAction.now, id=draft.id)),
            Choice(_("📅 At a date and time…"), BcCb(action=BcAction.schedule, id=draft.id)),
            Choice(urgent_label, BcCb(action=BcAction.urgent, id=draft.id)),
            Choice(_("⬅️ Change the audience"), BcCb(action=BcAction.audience, id=draft.id)),
            _discard(draft.id),
        ),
    )


def ask_time(draft_id: int, example: str, timezone: str) -> View:
    return View(
        text=_("Type the date and time it should go out, like <code>{example}</code> (time zone {zone}).").format(
            example=escape(example), zone=escape(timezone)
        ),
        buttons=rows(Choice(_("⬅️ Back"), BcCb(action=BcAction.when, id=draft_id))),
    )


def time_refused(example: str, past: bool) -> View:
    if past:
        return View(text=_("That time has passed. Please type a time in the future."))
    return View(
        text=_("I could not read that time. Please type it like <code>{example}</code>.").format(
            example=escape(example)
        )
    )


def confirm_view(draft: Broadcast, recipients: int, at: datetime | None, names: AudienceNames) -> View:
    when = format_datetime(at, "short") if at else _("now")
    lines = [
        _("📢 <b>Ready to send</b>"),
        describe_audience(draft.audience, names),
        ngettext("Recipients: {count} citizen", "Recipients: {count} citizens", recipients).format(
            count=format_number(recipients)
        ),
        _("When: {when}").format(when=when),
    ]
    if draft.urgent:
        lines.append(_("Urgent: sent during quiet hours too."))
    return View(
        text="\n".join(lines),
        buttons=rows(
            Choice(_("✅ Confirm and send"), BcCb(action=BcAction.confirm, id=draft.id)),
            Choice(_("⬅️ Back"), BcCb(action=BcAction.when, id=draft.id)),
            _discard(draft.id),
        ),
    )


def discarded() -> View:
    return View(text=_("The draft is thrown away; nothing was sent."))


def draft_gone() -> View:
    return View(text=_("This draft is no longer open. Type /broadcast to start a new announcement."))


def nothing_to_send() -> View:
    return View(text=_("The announcement has no message yet. Please send it first."))


# ---------------------------------------------------------------- progress and report


def state_name(state: BroadcastState) -> str:
    names = {
        BroadcastState.draft: lambda: _("draft"),
        BroadcastState.scheduled: lambda: _("scheduled"),
        BroadcastState.running: lambda: _("sending"),
        BroadcastState.paused: lambda: _("paused"),
        BroadcastState.finished: lambda: _("finished"),
        BroadcastState.cancelled: lambda: _("cancelled"),
    }
    return names[state]()


def _duration(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return ngettext("{n} minute", "{n} minutes", minutes).format(n=format_number(minutes))
    hours = minutes / 60
    return _("{n} hours").format(n=format_number(round(hours, 1)))


def progress_view(progress: Progress, quiet: QuietHours | None, now: datetime) -> View:
    broadcast = progress.broadcast
    lines = [
        _("📢 <b>Announcement #{id}</b>: {state}").format(id=broadcast.id, state=state_name(broadcast.state)),
        _("✅ Sent: {sent} · ⚠️ Failed: {failed} · 🚫 Blocked: {blocked} · 🔕 Muted: {skipped}").format(
            sent=format_number(progress.sent),
            failed=format_number(progress.failed),
            blocked=format_number(progress.blocked),
            skipped=format_number(progress.skipped),
        ),
    ]
    if broadcast.state is BroadcastState.scheduled and broadcast.scheduled_at:
        lines.append(_("Starts at {when}.").format(when=format_datetime(broadcast.scheduled_at, "short")))
    if broadcast.state in (BroadcastState.running, BroadcastState.paused):
        remaining = _("Remaining: {count}").format(count=format_number(progress.remaining))
        if progress.eta_seconds is not None and progress.remaining:
            remaining += " · " + _("about {time} left").format(time=_duration(progress.eta_seconds))
        lines.append(remaining)
        if quiet is not None and not broadcast.urgent and quiet.contains(now):
            lines.append(
                _("Quiet hours: sending waits until {time}.").format(
                    time=format_datetime(quiet.ends_after(now), "short")
                )
            )
    if broadcast.state is BroadcastState.cancelled and progress.cancelled:
        lines.append(_("Not sent: {count}").format(count=format_number(progress.cancelled)))
    buttons: list[Button] = []
    if broadcast.state is BroadcastState.running:
        buttons.append(Choice(_("⏸ Pause"), BcCb(action=BcAction.pause, id=broadcast.id)))
    if broadcast.state is BroadcastState.paused:
        buttons.append(Choice(_("▶️ Resume"), BcCb(action=BcAction.resume, id=broadcast.id)))
    if broadcast.state in (BroadcastState.running, BroadcastState.paused, BroadcastState.scheduled):
        buttons.append(Choice(_("⛔ Cancel"), BcCb(action=BcAction.cancel, id=broadcast.id)))
    return View(text="\n".join(lines), buttons=rows(*buttons))


def cancel_confirm(broadcast_id: int) -> View:
    return View(
        text=_("Cancel announcement #{id}? What was sent stays sent; nobody else gets it.").format(id=broadcast_id),
        buttons=rows(
            Choice(_("⛔ Yes, cancel it"), BcCb(action=BcAction.cancel_confirmed, id=broadcast_id)),
            Choice(_("⬅️ No, keep it"), BcCb(action=BcAction.refresh, id=broadcast_id)),
        ),
    )


# Reasons a channel's messenger gives for not sending (bot/channels/zalo/channel.py), as the report says them.
SKIP_REASONS: dict[str, Callable[[], str]] = {
    "outside Zalo's 48-hour window": lambda: _("on Zalo, the citizen wrote last more than 48 hours ago"),
    "outside Zalo's 7-day window": lambda: _("on Zalo, the citizen wrote last more than 7 days ago"),
}


def report_view(report: Report) -> View:
    progress = report.progress
    lines = [
        _("📊 <b>Report: announcement #{id}</b>").format(id=progress.broadcast.id),
        _("✅ Delivered: {sent} · 🚫 Blocked: {blocked} · ⚠️ Failed: {failed} · 🔕 Muted: {skipped}").format(
            sent=format_number(progress.sent),
            blocked=format_number(progress.blocked),
            failed=format_number(progress.failed),
            skipped=format_number(progress.skipped),
        ),
    ]
    for reason, count in report.skipped_reasons:
        if reason in SKIP_REASONS:  # skipped for another reason than a citizen's mute: say which
            lines.append(_("↪️ Not sent, {reason}: {n}").format(reason=SKIP_REASONS[reason](), n=format_number(count)))
    if report.units:
        lines.append("")
        lines.append(_("<b>By unit</b> (✅ delivered · 🚫 blocked · ⚠️ failed)"))
        for line in report.units[:REPORT_UNITS]:
            name = line.name or line.unit_code or _("unit not known")
            lines.append(
                f"{escape(name)}: ✅ {format_number(line.delivered)} · 🚫 {format_number(line.blocked)}"
                f" · ⚠️ {format_number(line.failed)}"
            )
        hidden = len(report.units) - REPORT_UNITS
        if hidden > 0:
            lines.append(
                ngettext(
                    "… and {n} more unit (python -m bot broadcast status).",
                    "… and {n} more units (python -m bot broadcast status).",
                    hidden,
                ).format(n=format_number(hidden))
            )
    return View(text="\n".join(lines))


def not_found() -> View:
    return View(text=_("There is no such announcement."))


# ---------------------------------------------------------------- what citizens see


def announcement(broadcast_id: int, version: Version) -> View:
    """An announcement exactly as a citizen gets it, with a way to stop getting them."""
    mute = rows(Choice(_("🔕 Mute announcements"), NewsCb(action=NewsAction.mute)))
    if version.kind is ContentKind.text:
        return View(text=version.text, buttons=mute)
    attachment = ReusableAttachment(
        filename=version.file_name or ("photo.jpg" if version.kind is ContentKind.photo else "document"),
        data=version.file_data or b"",
        kind="photo" if version.kind is ContentKind.photo else "document",
        caption=version.text or None,
        key=f"broadcast:{broadcast_id}:{version.language}",
    )
    return View(text=version.text, buttons=mute, attachment=attachment)


def news_home(items: Sequence[tuple[Broadcast, datetime, str]], muted: bool) -> View:
    """items: (broadcast, sent at, excerpt in the citizen's language)."""
    lines = [_("📢 <b>Announcements</b>")]
    if items:
        lines.append(_("The latest ones sent to you; tap one to read it again."))
    else:
        lines.append(_("No announcements have been sent to you yet."))
    lines.append(
        _("🔕 You have muted announcements. Results of your own contest attempts still come.")
        if muted
        else _("You get announcements of the campaign here. You can mute them at any time.")
    )
    buttons: list[Button] = [
        Choice(f"{format_datetime(at, 'short')} · {excerpt}"[:60], NewsCb(action=NewsAction.open, id=broadcast.id))
        for broadcast, at, excerpt in items
    ]
    buttons.append(
        Choice(_("🔔 Unmute announcements"), NewsCb(action=NewsAction.unmute))
        if muted
        else Choice(_("🔕 Mute announcements"), NewsCb(action=NewsAction.mute))
    )
    buttons.append(menu_button())
    return View(text="\n\n".join(lines), buttons=rows(*buttons))


def excerpt(version: Version | None) -> str:
    if version is None:
        return ""
    text = plain_excerpt(version.text, 40)
    if text:
        return text
    return _("📷 Photo") if version.kind is ContentKind.photo else _("📎 Document")


def muted() -> View:
    return View(
        text=_(
            "🔕 Done: you will get no more announcements. Results of your own contest attempts still come. "
            "Open 📢 Announcements to unmute at any time."
        ),
        buttons=rows(Choice(_("🔔 Unmute announcements"), NewsCb(action=NewsAction.unmute)), menu_button()),
    )


def unmuted() -> View:
    return View(
        text=_("🔔 Done: you will get the campaign's announcements again."),
        buttons=rows(Choice(_("🔕 Mute announcements"), NewsCb(action=NewsAction.mute)), menu_button()),
    )


# ---------------------------------------------------------------- /admin


def role_name(role: str) -> str:
    names = {
        "admin": lambda: _("administrator"),
        "official": lambda: _("official"),
        "organizer": lambda: _("organizer"),
    }
    return names[role]() if role in names else role


def admin_home(staff: Sequence[tuple[str, Sequence[str]]], from_settings: Sequence[str]) -> View:
    """staff: (Telegram user id, roles granted) per person."""
    lines = [_("🛡 <b>Staff roles</b>")]
    lines.append(_("Officials broadcast announcements, organizers export contest results, administrators grant roles."))
    if staff:
        lines.extend(
            f"<code>{escape(user)}</code>: {escape(', '.join(role_name(role) for role in roles))}"
            for user, roles in staff
        )
    else:
        lines.append(_("No roles granted yet."))
    if from_settings:
        lines.append(
            _("Administrators from ADMIN_IDS (change them in the settings): {ids}").format(
                ids=", ".join(f"<code>{escape(user)}</code>" for user in from_settings)
            )
        )
    buttons: list[Button] = [
        Choice(_("➕ Make someone {role}").format(role=role_name(role)), AdminCb(action=AdminAction.grant, role=role))
        for role in ("official", "organizer", "admin")
    ]
    if staff:
        buttons.append(Choice(_("➖ Take a role away"), AdminCb(action=AdminAction.revoke)))
    return View(text="\n".join(lines), buttons=rows(*buttons))


def admin_usage() -> View:
    return View(
        text=_(
            "Type /admin for the staff list, or <code>/admin grant USER_ID ROLE</code> and "
            "<code>/admin revoke USER_ID ROLE</code>; roles: admin, official, organizer."
        )
    )


def admin_ask_person(role: str) -> View:
    return View(
        text=_(
            "Who should become {role}? Send their Telegram user id (digits), forward me a message they wrote, or "
            "share their contact."
        ).format(role=escape(role_name(role))),
        buttons=rows(Choice(_("⬅️ Back"), AdminCb(action=AdminAction.home))),
    )


def admin_person_unknown() -> View:
    return View(
        text=_(
            "I cannot tell who that is: a forwarded message may hide its sender, and a contact must belong to a "
            "Telegram account. Send their user id (digits) instead."
        ),
        buttons=rows(Choice(_("⬅️ Back"), AdminCb(action=AdminAction.home))),
    )


def admin_confirm(user: str, role: str, grant: bool) -> View:
    text = (
        _("Make user <code>{user}</code> {role}?")
        if grant
        else _("Take the role {role} from user <code>{user}</code>?")
    ).format(user=escape(user), role=escape(role_name(role)))
    return View(
        text=text,
        buttons=rows(
            Choice(_("✅ Yes"), AdminRoleCb(user=user, role=role, grant=grant)),
            Choice(_("⬅️ Back"), AdminCb(action=AdminAction.home)),
        ),
    )


def admin_revoke_list(staff: Sequence[tuple[str, Sequence[str]]]) -> View:
    buttons: list[Button] = [
        Choice(f"➖ {user}: {role_name(role)}", AdminRoleCb(user=user, role=role, grant=False))
        for user, roles in staff
        for role in roles
    ]
    buttons.append(Choice(_("⬅️ Back"), AdminCb(action=AdminAction.home)))
    return View(text=_("Whose role should be taken away?"), buttons=rows(*buttons))


def admin_done(user: str, role: str, grant: bool, changed: bool) -> View:
    if not changed:
        text = _("Nothing changed: user <code>{user}</code> already had that.").format(user=escape(user))
    elif grant:
        text = _("Done: user <code>{user}</code> is now {role}.").format(
            user=escape(user), role=escape(role_name(role))
        )
    else:
        text = _("Done: user <code>{user}</code> is no longer {role}.").format(
            user=escape(user), role=escape(role_name(role))
        )
    return View(text=text, buttons=rows(Choice(_("🛡 Staff roles"), AdminCb(action=AdminAction.home))))


def admin_ids_fixed() -> View:
    return View(text=_("This administrator comes from ADMIN_IDS in the settings; change it there."))


def not_for_you() -> View:
    return View(
        text=_("Sorry, this is only for campaign staff. Nothing was changed. Type /menu to see what you can do.")
    )
