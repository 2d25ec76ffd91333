"""Screens of the step-by-step guides: topics, lists, search results, overview + checklist, steps."""

from __future__ import annotations

from html import escape

from bot.domain.guides.records import GuideProgress
from bot.domain.guides.schema import Category, Guide
from bot.domain.guides.service import Move
from bot.domain.records import UnitRecord
from bot.i18n import _, current_locale, format_date
from bot.ui.callbacks import MenuCb
from bot.ui.callbacks_guides import (
    MENU_ENTRY,
    GuideListCb,
    GuideOpenCb,
    GuideRateCb,
    GuideStepCb,
    GuideTickCb,
    GuideUnitCb,
    Vote,
)
from bot.ui.labels import MAX_LABEL, fits
from bot.ui.screens.common import answered, help_contact, menu_button
from bot.ui.view import Button, Choice, Link, View, rows

PAGE_SIZE = 5
BUTTON_CHARS = MAX_LABEL
MESSAGE_CHARS = 4000  # Telegram allows 4096; keep a margin for markup
TICKS_PER_ROW = 4


def _link(label: str, url: str) -> tuple[Link, str | None]:
    """A link button under its own label when that fits a button; else under a short generic one, with the full
    label returned to be written in the message."""
    full = "🌐 " + label
    if fits(full):
        return Link(full, url), None
    return Link(_("🌐 Open the website"), url), full


def _short(text: str, limit: int = BUTTON_CHARS) -> str:
    """Text that fits `limit` characters, shortened only between words (a word is never cut); for texts that are
    also shown in full in the message (a search query), never for a button's only label."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:–-") + "…"


def _language() -> str:
    return current_locale()


def _home_button() -> Choice:
    return menu_button()


def _topics_button() -> Choice:
    return Choice(_("⬅️ All topics"), MenuCb(item=MENU_ENTRY.key))


def _step_button(label: str, guide: Guide, shown: int, action: Move) -> Choice:
    return Choice(label, GuideStepCb(guide=guide.id, version=guide.version, shown=shown, action=action))


def _search_hint() -> str:
    return _("You can also type what you need, for example: <i>khai sinh</i> or <i>VNeID</i>.")


def home(categories: tuple[Category, ...], resume: tuple[Guide, GuideProgress] | None) -> View:
    language = _language()
    text = "\n\n".join(
        [
            _(
                "<b>📋 Public services online</b>\nStep-by-step guides: what to prepare, each step in plain words, "
                "and who can help."
            ),
            _("Choose a topic."),
            _search_hint(),
        ]
    )
    buttons: list[Button] = []
    if resume is not None:
        guide, progress = resume
        title = escape(guide.title.get(language))
        if progress.step >= 1:
            text += "\n\n" + _("You were at step {step} of “{title}”.").format(step=progress.step, title=title)
            label = _("▶️ Continue at step {step}").format(step=progress.step)
            buttons.append(_step_button(label, guide, progress.step, Move.resume))
        else:
            text += "\n\n" + _("You were reading “{title}”.").format(title=title)
            buttons.append(Choice(_("▶️ Continue reading"), GuideOpenCb(guide=guide.id)))
    buttons += [
        Choice(f"{category.icon} {category.button(language)}", GuideListCb(category=category.id))
        for category in categories
    ]
    buttons.append(_home_button())
    return View(text=text, buttons=rows(*buttons))


def guide_list(category: Category, guides: list[Guide], page: int) -> View:
    language = _language()
    pages = max(1, -(-len(guides) // PAGE_SIZE))
    shown = guides[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    text = _("<b>{icon} {topic}</b>\nChoose a guide:").format(
        icon=category.icon, topic=escape(category.title.get(language))
    )
    if pages > 1:
        text += "\n" + _("Page {page} of {pages}").format(page=page + 1, pages=pages)
    buttons: list[tuple[Button, ...]] = [
        (Choice(guide.button(language), GuideOpenCb(guide=guide.id)),) for guide in shown
    ]
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
    buttons = [Choice(guide.button(language), GuideOpenCb(guide=guide.id)) for guide in guides]
    return View(text=text, buttons=rows(*buttons, _topics_button()))


def no_results(query: str, categories: tuple[Category, ...]) -> View:
    """Nothing relevant found: say so, and offer the topics at once."""
    language = _language()
    text = "\n\n".join(
        [
            _("I found no guide for “{query}”.").format(query=escape(_short(query, 60))),
            _("Please choose a topic below, or try other words, for example: <i>khai sinh</i> or <i>VNeID</i>."),
        ]
    )
    buttons = [
        Choice(f"{category.icon} {category.button(language)}", GuideListCb(category=category.id))
        for category in categories
    ]
    return View(text=text, buttons=rows(*buttons, _home_button()))


def _ask_at_office() -> dict[str, str]:
    return {
        "fee": _("fee?"),
        "processing_time": _("processing time?"),
        "deadline": _("deadline?"),
        "documents": _("which papers?"),
        "where_to_file": _("which office?"),
        "benefits": _("amounts of the benefits?"),
    }


def overview(guide: Guide, progress: GuideProgress) -> View:
    """What to do, in a few lines: who it is for, cost, time, deadline, what to ask, what to prepare."""
    language = _language()
    facts = [
        f"<b>{escape(guide.title.get(language))}</b>",
        _("👤 <b>For:</b> {audience}").format(audience=escape(guide.audience.get(language))),
    ]
    if guide.fees:
        facts.append(_("💰 <b>Fees:</b> {fees}").format(fees=escape(guide.fees.get(language))))
    if guide.processing_time:
        facts.append(_("⏱ <b>Processing time:</b> {time}").format(time=escape(guide.processing_time.get(language))))
    if guide.deadline:
        facts.append(_("⏳ <b>Deadline:</b> {deadline}").format(deadline=escape(guide.deadline.get(language))))
    if guide.unverified:
        questions = _ask_at_office()
        asked = " ".join(questions[item] for item in guide.unverified)
        facts.append(_("❓ <b>Ask at the office:</b> {questions}").format(questions=escape(asked)))
    if guide.good_to_know:
        facts.append("ℹ️ " + escape(guide.good_to_know.get(language)))
    checklist = [_("<b>What to prepare</b> — tap the number of each thing you already have:")]
    for index, document in enumerate(guide.documents):
        mark = "☑️" if index in progress.ticked else "⬜"
        checklist.append(f"{mark} {index + 1}. {escape(document.get(language))}")
    checklist.append(_("Ready: {ticked} of {total}").format(ticked=len(progress.ticked), total=len(guide.documents)))
    sources = ", ".join(f'<a href="{escape(source.url)}">{escape(source.title)}</a>' for source in guide.sources)
    checked = (
        _("🗓 <b>Last checked:</b> {date}").format(date=format_date(guide.review.checked))
        if guide.review.checked
        else _("🗓 Not yet checked against these sources.")
    )
    link, link_text = _link(guide.official_link.label.get(language), guide.official_link.url)
    footer = [escape(link_text)] if link_text else []
    if guide.legal_basis:
        footer.append(_("⚖️ <b>Legal basis:</b> {laws}").format(laws=escape("; ".join(guide.legal_names))))
    footer += [_("📚 <b>Source:</b> {sources}").format(sources=sources), checked]
    parts = ["\n".join(facts), "\n".join(checklist), "\n".join(footer)]
    text = "\n\n".join(parts)
    if len(text) > MESSAGE_CHARS:
        text = "\n\n".join([*parts[:2], *([escape(link_text)] if link_text else []), checked])
    return View(text=text, buttons=_overview_buttons(guide, progress, link))


def _overview_buttons(guide: Guide, progress: GuideProgress, link: Link) -> tuple[tuple[Button, ...], ...]:
    """The checklist as numbered toggles (its text is in the message), then start, the official site and back."""
    ticks: list[Button] = []
    for index in range(len(guide.documents)):
        mark = "☑️" if index in progress.ticked else "⬜"
        ticks.append(Choice(f"{mark} {index + 1}", GuideTickCb(guide=guide.id, version=guide.version, item=index)))
    buttons: list[Button] = []
    if progress.step >= 1:
        label = _("▶️ Continue at step {step}").format(step=progress.step)
        buttons.append(_step_button(label, guide, progress.step, Move.resume))
        buttons.append(_step_button(_("🔄 Start again"), guide, progress.step, Move.restart))
    else:
        buttons.append(_step_button(_("▶️ Start step by step"), guide, 0, Move.next))
    buttons.append(link)
    buttons.append(Choice(_("⬅️ Back to the list"), GuideListCb(category=guide.category)))
    tick_rows = tuple(tuple(ticks[start : start + TICKS_PER_ROW]) for start in range(0, len(ticks), TICKS_PER_ROW))
    return tick_rows + rows(*buttons)


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
        link, link_text = _link(current.link.label.get(language), current.link.url)
        if link_text:
            parts.append(escape(link_text))
        buttons.append((link,))
    back = _step_button(_("⬅️ Back"), guide, number, Move.back)
    forward = (
        _step_button(_("✅ Done"), guide, number, Move.done)
        if number == total
        else _step_button(_("Next ➡️"), guide, number, Move.next)
    )
    buttons.append((back, forward))
    buttons.append((_step_button(_("🆘 I'm stuck here"), guide, number, Move.stuck),))
    return View(text="\n\n".join(parts), buttons=tuple(buttons))


def stuck(guide: Guide, number: int, unit: UnitRecord | None, contact: UnitRecord | None, hotline: str) -> View:
    """Help at a step: the commune on record (to choose or change), who helps there and, last, a number to call
    — or, when none is known, where to go in person. Never promises a call without a number."""
    language = _language()
    parts = [
        _("No problem — many people get stuck here."),
        _("When you ask for help, say: “{title}”, step {n}.").format(title=escape(guide.title.get(language)), n=number),
        help_contact(unit, contact, hotline),
    ]
    label = _("▶️ Continue at step {step}").format(step=number)
    change = _("📍 Change my commune") if unit is not None else _("📍 Choose my commune")
    return View(
        text="\n\n".join(parts),
        buttons=rows(
            _step_button(label, guide, number, Move.resume),
            Choice(change, GuideUnitCb(guide=guide.id, step=number)),
            _home_button(),
        ),
    )


def _finished_text(guide: Guide) -> str:
    return _("🎉 <b>Well done!</b> You went through all the steps of “{title}”.\n\nWas this guide helpful?").format(
        title=escape(guide.title.get(_language()))
    )


def finished(guide: Guide) -> View:
    return View(
        text=_finished_text(guide),
        buttons=(
            (
                Choice("👍", GuideRateCb(guide=guide.id, vote=Vote.up)),
                Choice("👎", GuideRateCb(guide=guide.id, vote=Vote.down)),
            ),
        ),
    )


def rated(guide: Guide, helpful: bool) -> View:
    """The question "was it helpful?" with the answer given, kept in the chat's history."""
    return answered(_finished_text(guide), "👍" if helpful else "👎")


def _reason_text() -> str:
    return _("Thank you. In one line: what was missing or hard to follow? Your answer helps us improve the guide.")


def ask_reason(guide: Guide) -> View:
    return View(text=_reason_text(), buttons=rows(Choice(_("Skip"), GuideRateCb(guide=guide.id, vote=Vote.skip))))


def reason_skipped() -> View:
    return answered(_reason_text(), _("Skip"))


def thanks() -> View:
    return View(text=_("Thank you for your feedback! 🙏"), buttons=rows(_topics_button(), _home_button()))


def guide_gone() -> str:
    return _("This guide is no longer available. Please open Public services again.")
