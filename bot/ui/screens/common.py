"""Screens every citizen sees: language choice, welcome, main menu, help, hints."""
from __future__ import annotations

from html import escape

from bot.domain.records import UnitRecord
from bot.i18n import _, catalogs
from bot.ui.callbacks import LanguageCb, MenuCb, MenuItem
from bot.ui.view import Choice, View, rows

ICONS = {
    MenuItem.guides: "📋",
    MenuItem.quiz: "🏆",
    MenuItem.news: "📢",
    MenuItem.help: "❓",
    MenuItem.language: "🌐",
    MenuItem.menu: "🏠",
}


def menu_label(item: MenuItem) -> str:
    labels = {
        MenuItem.guides: _("Public services"),
        MenuItem.quiz: _("Digital-transformation quiz"),
        MenuItem.news: _("Announcements"),
        MenuItem.help: _("Help"),
        MenuItem.language: _("Language"),
        MenuItem.menu: _("Main menu"),
    }
    return f"{ICONS[item]} {labels[item]}"


KEYBOARD_ITEMS = (MenuItem.guides, MenuItem.quiz, MenuItem.news, MenuItem.help)


def main_keyboard() -> tuple[tuple[str, ...], ...]:
    labels = [menu_label(item) for item in KEYBOARD_ITEMS]
    return (tuple(labels[:2]), tuple(labels[2:]))


def language_picker(suggested: str) -> View:
    shipped = catalogs()
    codes = [suggested, *[code for code in shipped.available if code != suggested]]
    text = _("Please choose your language.")
    return View(text=text, buttons=rows(*[Choice(shipped.display_name(code), LanguageCb(code=code)) for code in codes]))


def welcome() -> View:
    text = "\n\n".join([
        _("👋 <b>Hello!</b> I am the citizen assistant of the digital-transformation campaign."),
        _("I can guide you through online public services step by step, run the digital-transformation quiz and bring you announcements."),
        _("Tap a big button below at any time. You can always type /menu or /help."),
    ])
    return View(text=text, keyboard=main_keyboard())


def main_menu() -> View:
    items = (MenuItem.guides, MenuItem.quiz, MenuItem.news, MenuItem.help, MenuItem.language)
    return View(
        text=_("<b>Main menu</b>\nWhat would you like to do?"),
        buttons=rows(*[Choice(menu_label(item), MenuCb(item=item)) for item in items]),
    )


def language_changed() -> View:
    return View(text=_("Done: I will speak English with you."), keyboard=main_keyboard())


def help_view(unit: UnitRecord | None, contact: UnitRecord | None, hotline: str) -> View:
    parts = [
        _("<b>How to use this assistant</b>"),
        _("• Tap the big buttons under the chat, or the buttons under my messages.\n"
          "• /menu shows the main menu, /language changes the language, /help shows this message."),
    ]
    if contact is not None:
        parts.append(_("<b>People who can help you in person</b>"))
        parts.append(_contact_lines(contact))
    elif unit is not None:
        parts.append(_("Your area: {unit}. Its help contact is not recorded yet.").format(unit=escape(unit.name)))
    else:
        parts.append(_("Tell us your commune (for example by scanning the QR code at the commune office) and I will show who can help you there."))
    if contact is None and hotline:
        parts.append(_("Province hotline: {phone}").format(phone=escape(hotline)))
    return View(text="\n\n".join(parts), buttons=rows(Choice(menu_label(MenuItem.menu), MenuCb(item=MenuItem.menu))))


def _contact_lines(contact: UnitRecord) -> str:
    lines = [f"🏢 {escape(contact.help_name or contact.name)}"]
    if contact.help_phone:
        lines.append(_("📞 Phone: {phone}").format(phone=escape(contact.help_phone)))
    if contact.help_hours:
        lines.append(_("🕘 Office hours: {hours}").format(hours=escape(contact.help_hours)))
    return "\n".join(lines)


def unknown_input() -> View:
    return View(
        text=_("Sorry, I did not understand that. 🙂 Please use the buttons below, or type /help."),
        buttons=main_menu().buttons,
    )


def coming_soon(item: MenuItem) -> View:
    return View(
        text=_("<b>{feature}</b>\nThis part is coming soon. Thank you for your patience!").format(
            feature=escape(menu_label(item))),
        buttons=rows(Choice(menu_label(MenuItem.menu), MenuCb(item=MenuItem.menu))),
    )


def stale_button() -> str:
    return _("This button is out of date. Please use the latest message or /menu.")


def something_went_wrong() -> View:
    return View(text=_("Sorry, something went wrong on our side. Please try again, or type /menu."))
