"""What the bot says outside a citizen's own private chat: it is a private assistant, and works only there."""

from __future__ import annotations

from html import escape

from bot.i18n import _
from bot.ui.view import Link, View, rows


def private_chat_only(link: str) -> View:
    """The short note a group gets when it addresses the bot: write to it privately, at `link`."""
    text = _(
        "I help each citizen in a private chat, so that personal details stay between us. "
        "Please write to me there: {link}"
    ).format(link=escape(link))
    return View(text=text, buttons=rows(Link(_("Open a private chat"), link)))


def private_chat_toast() -> str:
    """Answer to a button pressed outside a private chat."""
    return _("Please write to me in a private chat.")


def not_your_button() -> str:
    """Answer to a press on a button in somebody else's chat."""
    return _("Sorry, this button belongs to someone else.")
