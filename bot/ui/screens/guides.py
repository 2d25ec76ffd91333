"""Screens of the step-by-step guides: topics, lists, search results, overview + checklist, steps."""
from __future__ import annotations

from html import escape

from bot.domain.guides.records import GuideProgress
from bot.domain.guides.schema import Category, Guide
from bot.domain.guides.service import Move
from bot.domain.records import UnitRecord
from bot.i18n import _, current_locale, format_date
from bot.ui.callbacks import MenuCb, MenuItem
from bot.ui.callbacks_guides import GuideListCb, GuideOpenCb, GuideRateCb, GuideStepCb, GuideTickCb
from bot.ui.screens.common import menu_label
from bot.ui.view import Button, Choice, Link, View, rows

PAGE_SIZE = 5
BUTTON_CHARS = 48
MESSAGE_CHARS = 4000  # Telegram allows 4096; keep a margin for markup


def _short(text: str, limit: int = BUTTON_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _language() -> str:
    return current_locale()


def _home_button() -> Choice:
    return Choice(menu_label(MenuItem.menu), MenuCb(item=MenuItem.menu))


def _topics_button() -> Choice:
    return Choice(_("⬅️ All topics"), MenuCb(item=MenuItem.guides))


def _step_button(label: str, guide: Guide, shown: int, action: Move) -> Choice:
    return Choice(label, GuideStepCb(guide=guide.id, version=guide.version, shown=shown, action=action.value))


def _search_hint() -> str:
    return _("You can also type what you need, for example: <i>khai sinh</i> or <i>VNeID</i>.")


def home(categories: tuple[Category, ...], resume: tuple[Guide, GuideProgress] | None) -> View:
    language = _language()
    text = "\n\n".join([
        _("<b>📋 Public services online</b>\nStep-by-step guides: what to prepare, each step in plain words, and who can help."),
        _("Choose a topic."),
        _search_hint(),
    ])
    buttons: list[Button] = []
    if resume is not None:
        guide, progress = resume
        title = _short(guide.title.get(language), 32)
        if progress.step >= 1:
            label = _("▶️ Continue: {title} (step {step})").format(title=title, step=progress.step)
            buttons.append(_step_button(label, guide, progress.step, Move.resume))
        else:
            buttons.append(Choice(_("▶️ Continue: {title}").format(title=title), GuideOpenCb(guide=guide.id)))
    buttons += [Choice(f"{category.icon} {category.title.get(language)}", GuideListCb(category=category.id))
                for category in categories]
    buttons.append(_home_button())
    return View(text=text, buttons=rows(*buttons))


def guide_list(category: Category, guides: list[Guide], page: int) -> View:
    language = _language()
    pages = max(1, -(-len(guides) // PAGE_SIZE))
    shown = guides[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    text = _("<b>{icon} {topic}</b>\nChoose a guide:").format(icon=category.icon, topic=escape(category.title.get(language)))
    if pages > 1:
        text += "\n" + _("Page {page} of {pages}").format(page=page + 1, pages=pages)
    buttons: list[tuple[Button, ...]] = [(Choice(_short(guide.title.get(language)), GuideOpenCb(guide=guide.id)),)
                                         for guide in shown]
    paging: list[Button] = []
    if page > 0:
        paging.append(Choice(_("◀️ Previous"), GuideListCb(category=category.id, page=page - 1)))
    if page + 1 < pages:
        paging.append(Choice(_("Next ▶️"), GuideListCb(category=category.id, page=page + 1)))
    if paging:
        buttons.append(tuple(paging))
    buttons.append((_topics_button(),))
    return View(text=text, buttons=tuple(buttons))


def search_results(query: str, guides: list[Guide]) -> View:
    language = _language()
    text = _("Guides for “{query}”:").format(query=escape(_short(query, 60)))
    buttons = [Choice(_short(guide.title.get(language)), GuideOpenCb(guide=guide.id)) for guide in guides]
    return View(text=text, buttons=rows(*buttons, _topics_button()))


def no_results(query: str) -> View:
    text = _("I found no guide for “{query}”. Try other words, or choose a topic.").format(
        query=escape(_short(query, 60)))
    return View(text=text, buttons=rows(_topics_button(), _home_button()))


def overview(guide: Guide, progress: GuideProgress) -> View:
    language = _language()
    facts = [
        f"<b>{escape(guide.title.get(language))}</b>",
        _("👤 <b>For:</b> {audience}").format(audience=escape(guide.audience.get(language))),
        _("💰 <b>Fees:</b> {fees}").format(fees=escape(guide.fees.get(language))),
        _("⏱ <b>Processing time:</b> {time}").format(time=escape(guide.processing_time.get(language))),
    ]
    if guide.code:
        facts.append(_("🔢 <b>Procedure code:</b> {code}").format(code=escape(guide.code)))
    if guide.legal_basis:
        facts.append(_("⚖️ <b>Legal basis:</b> {laws}").format(laws=escape("; ".join(guide.legal_basis))))
    sources = ", ".join(f'<a href="{escape(source.url)}">{escape(source.title)}</a>' for source in guide.sources)
    facts.append(_("📚 <b>Source:</b> {sources}").format(sources=sources))
    facts.append(_("🗓 <b>Last checked:</b> {date}").format(date=format_date(guide.last_checked)))
    checklist = [_("<b>What to prepare</b> — tap each thing you already have:")]
    for index, document in enumerate(guide.documents):
        mark = "☑️" if index in progress.ticked else "⬜"
        checklist.append(f"{mark} {index + 1}. {escape(document.get(language))}")
    checklist.append(_("Ready: {ticked} of {total}").format(ticked=len(progress.ticked), total=len(guide.documents)))
    parts = ["\n".join(facts), "\n".join(checklist)]
    if guide.notes:
        parts.append("ℹ️ " + escape(guide.notes.get(language)))
    text = "\n\n".join(parts)
    if len(text) > MESSAGE_CHARS:
        text = "\n\n".join(parts[:2])
    return View(text=text, buttons=rows(*_overview_buttons(guide, progress)))


def _overview_buttons(guide: Guide, progress: GuideProgress) -> list[Button]:
    language = _language()
    buttons: list[Button] = []
    for index, document in enumerate(guide.documents):
        mark = "☑️" if index in progress.ticked else "⬜"
        label = _short(f"{mark} {index + 1}. {document.get(language)}")
        buttons.append(Choice(label, GuideTickCb(guide=guide.id, version=guide.version, item=index)))
    if progress.step >= 1:
        label = _("▶️ Continue at step {step} of {total}").format(step=progress.step, total=len(guide.steps))
        buttons.append(_step_button(label, guide, progress.step, Move.resume))
        buttons.append(_step_button(_("🔄 Start again from step 1"), guide, progress.step, Move.restart))
    else:
        buttons.append(_step_button(_("▶️ Start step by step"), guide, 0, Move.next))
    buttons.append(Link(_short("🌐 " + guide.official_link.label.get(language)), guide.official_link.url))
    buttons.append(Choice(_("⬅️ Back to the list"), GuideListCb(category=guide.category)))
    return buttons


def step(guide: Guide, number: int) -> View:
    language = _language()
    total = len(guide.steps)
    current = guide.steps[number - 1]
    parts = [
        f"<b>{escape(guide.title.get(language))}</b>\n" + _("<b>Step {n} of {total}</b>").format(n=number, total=total),
        escape(current.text.get(language)),
    ]
    if current.tip:
        parts.append("💡 " + escape(current.tip.get(language)))
    if current.image:
        parts.append(_('🖼 <a href="{url}">Picture of this step</a>').format(url=escape(current.image)))
    buttons: list[tuple[Button, ...]] = []
    if current.link:
        buttons.append((Link(_short("🌐 " + current.link.label.get(language)), current.link.url),))
    back = _step_button(_("⬅️ Back"), guide, number, Move.back)
    forward = (_step_button(_("✅ Done"), guide, number, Move.done) if number == total
               else _step_button(_("Next ➡️"), guide, number, Move.next))
    buttons.append((back, forward))
    buttons.append((_step_button(_("🆘 I'm stuck here"), guide, number, Move.stuck),))
    return View(text="\n\n".join(parts), buttons=tuple(buttons))


def stuck(guide: Guide, number: int, unit: UnitRecord | None, contact: UnitRecord | None, hotline: str) -> View:
    language = _language()
    parts = [_("No problem — many people get stuck here. Someone can help you in person or by phone.")]
    if contact is not None:
        lines = [f"🏢 {escape(contact.help_name or contact.name)}"]
        if contact.help_phone:
            lines.append(_("📞 Phone: {phone}").format(phone=escape(contact.help_phone)))
        if contact.help_hours:
            lines.append(_("🕘 Office hours: {hours}").format(hours=escape(contact.help_hours)))
        parts.append("\n".join(lines))
    elif hotline:
        parts.append(_("📞 Province hotline: {phone}").format(phone=escape(hotline)))
    else:
        parts.append(_("Ask the community digital technology team at your commune office."))
    parts.append(_("Tell them: “{title}”, step {n}.").format(title=escape(guide.title.get(language)), n=number))
    label = _("▶️ Continue at step {step} of {total}").format(step=number, total=len(guide.steps))
    return View(text="\n\n".join(parts), buttons=rows(_step_button(label, guide, number, Move.resume), _home_button()))


def finished(guide: Guide) -> View:
    text = _("🎉 <b>Well done!</b> You went through all the steps of “{title}”.\n\nWas this guide helpful?").format(
        title=escape(guide.title.get(_language())))
    return View(text=text, buttons=((Choice("👍", GuideRateCb(guide=guide.id, vote="up")),
                                     Choice("👎", GuideRateCb(guide=guide.id, vote="down"))),))


def ask_reason(guide: Guide) -> View:
    text = _("Thank you. In one line: what was missing or hard to follow? Your answer helps us improve the guide.")
    return View(text=text, buttons=rows(Choice(_("Skip"), GuideRateCb(guide=guide.id, vote="skip"))))


def thanks() -> View:
    return View(text=_("Thank you for your feedback! 🙏"), buttons=rows(_topics_button(), _home_button()))


def guide_gone() -> str:
    return _("This guide is no longer available. Please open Public services again.")
