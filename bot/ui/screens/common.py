"""Screens every citizen sees: language choice, welcome, main menu, help and the unit picker, small talk, hints."""

from __future__ import annotations

from html import escape

from bot.domain.records import UnitRecord
from bot.domain.smalltalk import Talk
from bot.domain.units import PickerPage
from bot.i18n import _, catalogs
from bot.ui import menu
from bot.ui.callbacks import LanguageCb, MenuCb, UnitChooseCb, UnitLevelCb, UnitOpenCb, UnitPurpose
from bot.ui.labels import HALF_ROW, fits
from bot.ui.view import Button, Choice, View, rows

LETTERS_PER_ROW = 5


def menu_button() -> Choice:
    return Choice(menu.HOME.label(), MenuCb(item=menu.HOME.key))


def answered(question: str, answer: str) -> View:
    """What a question answered by a button becomes: the question and the answer stay in the chat's history
    (the answer is plain text; the question is already markup)."""
    return View(text=f"{question}\n\n✅ {escape(answer)}")


def language_picker(suggested: str) -> View:
    shipped = catalogs()
    codes = [suggested, *[code for code in shipped.available if code != suggested]]
    text = _("Please choose your language.")
    return View(text=text, buttons=rows(*[Choice(shipped.display_name(code), LanguageCb(code=code)) for code in codes]))


def welcome() -> View:
    text = "\n\n".join(
        [
            _("👋 <b>Hello!</b> I am the citizen assistant of the digital-transformation campaign."),
            _(
                "I can guide you through online public services step by step, run the digital-transformation quiz "
                "and bring you announcements."
            ),
            _("Tap a big button below at any time. You can always type /menu or /help."),
        ]
    )
    return View(text=text, keyboard=menu.keyboard())


def main_menu() -> View:
    return View(
        text=_("<b>Main menu</b>\nWhat would you like to do?"),
        buttons=rows(*[Choice(entry.label(), MenuCb(item=entry.key)) for entry in menu.entries()]),
    )


def language_chosen(code: str) -> View:
    """What the language question becomes once answered: the choice stays in the chat's history."""
    return View(text=f"✅ {escape(catalogs().display_name(code))}")


def language_changed(first_time: bool = False) -> View:
    if first_time:
        return welcome()
    return View(text=_("Done: I will speak English with you."), keyboard=menu.keyboard())


def keyboard_back() -> View:
    """Sent when a step that replaced the big buttons (sharing a phone number) was left another way."""
    return View(text=_("The big buttons are back under the chat."), keyboard=menu.keyboard())


# ---------------------------------------------------------------- units and who can help


def unit_name(unit: UnitRecord) -> str:
    """A unit as said inside a sentence: "phường Đức Xuân", "Đức Xuân Ward", "แขวง Đức Xuân" (not escaped)."""
    kinds = {
        "commune": _("{name} Commune"),
        "ward": _("{name} Ward"),
        "town": _("{name} Town"),
        "district": _("{name} District"),
        "city": _("{name} City"),
        "province": _("{name} Province"),
    }
    return kinds.get(unit.kind, "{name}").format(name=unit.name)


def help_contact(unit: UnitRecord | None, contact: UnitRecord | None, hotline: str) -> str:
    """Who can help: the citizen's unit on record, its team, and last a number to call — the team's, else the
    province hotline. With no number known, it says where to go in person and promises no call."""
    lines = []
    if unit is not None:
        lines.append(_("📍 Your commune or ward: <b>{unit}</b>").format(unit=escape(unit_name(unit))))
    else:
        lines.append(_("📍 Your commune or ward is not recorded yet. Choose it below to see who can help you there."))
    if contact is not None and (contact.help_name or contact.help_phone):
        lines.append(f"🏢 {escape(contact.help_name or unit_name(contact))}")
        if contact.help_hours:
            lines.append(_("🕘 Office hours: {hours}").format(hours=escape(contact.help_hours)))
    if contact is not None and contact.help_phone:
        lines.append(_("📞 Phone: {phone}").format(phone=escape(contact.help_phone)))
    elif hotline:
        lines.append(_("📞 Province hotline: {phone}").format(phone=escape(hotline)))
    elif unit is not None and unit.kind in ("commune", "ward", "town"):
        lines.append(
            _(
                "No phone number for help is recorded yet. Please go in person to the People's Committee of "
                "{unit}: the community digital technology team there can help you."
            ).format(unit=escape(unit_name(unit)))
        )
    else:
        lines.append(
            _(
                "No phone number for help is recorded yet. Please go in person to the People's Committee of your "
                "commune or ward: the community digital technology team there can help you."
            )
        )
    return "\n".join(lines)


def change_unit_button(unit: UnitRecord | None, purpose: UnitPurpose) -> Choice:
    label = _("📍 Change my commune") if unit is not None else _("📍 Choose my commune")
    return Choice(label, UnitOpenCb(purpose=purpose))


def help_view(unit: UnitRecord | None, contact: UnitRecord | None, hotline: str) -> View:
    parts = [
        _("<b>How to use this assistant</b>"),
        _(
            "• Tap the big buttons under the chat, or the buttons under my messages.\n"
            "• /menu shows the main menu, /language changes the language, /help shows this message."
        ),
        _("<b>People who can help you in person</b>"),
        help_contact(unit, contact, hotline),
    ]
    return View(text="\n\n".join(parts), buttons=rows(change_unit_button(unit, UnitPurpose.help), menu_button()))


def unit_question() -> str:
    return _("📍 Your commune or ward")


def unit_picker(purpose: UnitPurpose, screen: PickerPage, current: UnitRecord | None = None) -> View:
    """Choose a unit by buttons: first letters when a level has too many units to list, then pages of them."""
    parent = screen.parent
    if parent is not None:
        lines = [_("Which commune or ward in {area}?").format(area=escape(unit_name(parent)))]
    else:
        lines = [_("Where do you live or work? Choose your commune or ward.")]
    if current is not None:
        lines.append(_("On record now: {unit}").format(unit=escape(unit_name(current))))
    if screen.letters and not screen.letter:
        lines.append(_("Tap the first letter of its name."))
    elif screen.letter:
        lines.append(_("Names beginning with {letter}:").format(letter=escape(screen.letter)))
    if screen.pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=screen.page + 1, pages=screen.pages))
    parent_code = parent.code if parent else ""
    buttons: list[tuple[Button, ...]] = []
    if screen.letters and not screen.letter:
        letters = [
            Choice(letter, UnitLevelCb(purpose=purpose, parent=parent_code, letter=letter)) for letter in screen.letters
        ]
        buttons += [
            tuple(letters[index : index + LETTERS_PER_ROW]) for index in range(0, len(letters), LETTERS_PER_ROW)
        ]
    choices: list[Button] = []
    for unit, has_children in screen.units:
        if has_children:
            choices.append(Choice(f"{unit.name} ›", UnitLevelCb(purpose=purpose, parent=unit.code)))
        else:
            choices.append(Choice(unit.name, UnitChooseCb(purpose=purpose, code=unit.code)))
    per_row = 2 if all(fits(choice.label, HALF_ROW) for choice in choices if isinstance(choice, Choice)) else 1
    buttons += [tuple(choices[index : index + per_row]) for index in range(0, len(choices), per_row)]
    paging: list[Button] = []
    if screen.page > 0:
        paging.append(
            Choice(
                _("◀️ Previous"),
                UnitLevelCb(purpose=purpose, parent=parent_code, letter=screen.letter, page=screen.page - 1),
            )
        )
    if screen.page + 1 < screen.pages:
        paging.append(
            Choice(
                _("Next ▶️"),
                UnitLevelCb(purpose=purpose, parent=parent_code, letter=screen.letter, page=screen.page + 1),
            )
        )
    if paging:
        buttons.append(tuple(paging))
    if parent is not None and not screen.letter:
        whole = _("✅ All of {unit}").format(unit=parent.name)
        buttons.append(
            (Choice(whole if fits(whole) else _("✅ The whole area"), UnitChooseCb(purpose=purpose, code=parent.code)),)
        )
    if screen.letter:
        buttons.append((Choice(_("⬅️ All letters"), UnitLevelCb(purpose=purpose, parent=parent_code)),))
    elif screen.up is not None:
        buttons.append((Choice(_("⬅️ Back"), UnitLevelCb(purpose=purpose, parent=screen.up)),))
    return View(text="\n".join(lines), buttons=tuple(buttons))


def no_units() -> View:
    return View(
        text=_("The list of communes and wards is not loaded yet. Please ask at your commune office."),
        buttons=rows(menu_button()),
    )


def unit_chosen(unit: UnitRecord) -> View:
    return answered(unit_question(), unit_name(unit))


# ---------------------------------------------------------------- small talk and hints


def small_talk(talk: Talk) -> View:
    texts = {
        Talk.greeting: _("Hello! 👋 How can I help you? Choose below, or type what you need, for example: khai sinh."),
        Talk.thanks: _("You are welcome! 😊 Is there anything else? Choose below."),
        Talk.goodbye: _("Goodbye! 👋 Come back any time: the big buttons stay under the chat."),
        Talk.agreement: _("👍 What would you like to do next? Choose below."),
        Talk.identity: _(
            "I am the citizen assistant of the digital-transformation campaign: a program, not a person. "
            "I can guide you through public services online and run the quiz. For a person, type /help."
        ),
    }
    return View(text=texts[talk], buttons=main_menu().buttons)


def unknown_input() -> View:
    return View(
        text=_("Sorry, I did not understand that. 🙂 Please use the buttons below, or type /help."),
        buttons=main_menu().buttons,
    )


def stale_button() -> str:
    return _("This button is out of date. Please use the latest message or /menu.")


def something_went_wrong() -> View:
    return View(text=_("Sorry, something went wrong on our side. Please try again, or type /menu."))
