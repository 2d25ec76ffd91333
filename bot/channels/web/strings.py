"""The web chat page's own words (its buttons, form and notices), in the citizen's language.

They travel in the page as a JSON block the script reads (a CSP-friendly way: no inline script runs).
"""

from __future__ import annotations

from bot.i18n import _


def page_strings() -> dict[str, str]:
    return {
        "title": _("Citizen assistant"),
        "subtitle": _("Chat with your commune's assistant"),
        "start": _("▶️ Start"),
        "empty": _("Ask about public services, take the quiz or read announcements. Tap Start to begin."),
        "placeholder": _("Type a message…"),
        "send": _("Send"),
        "end": _("End chat"),
        "end_confirm": _(
            "End this chat on this device? Its messages disappear from this browser, and the next visit starts"
            " a new chat."
        ),
        "ended": _("This chat has ended on this device."),
        "offline": _("Connection lost, trying again…"),
        "failed": _("That did not go through. Please try again."),
        "ok": _("OK"),
        "cancel": _("Cancel"),
        "edited": _("edited"),
        "link_expired": _("This download link has expired. Open the chat again to get a fresh one."),
        "contact_title": _("Share your phone number"),
        "contact_name": _("Your full name"),
        "contact_phone": _("Mobile phone number"),
        "contact_consent": _("I agree that the commune keeps this phone number for the quiz and may call me about it."),
        "contact_submit": _("Share"),
        "contact_needed": _("Please fill in your phone number and tick the box to agree."),
        "phone_shared": _("📱 Phone number shared"),
        "buttons": _("Buttons"),
    }


def server_messages() -> dict[str, str]:
    """What the server answers a request it refuses, for the page to show."""
    return {
        "slow_down": _("Too many messages at once. Please wait a moment and try again."),
        "bad_request": _("That did not go through. Please try again."),
        "contact_needed": _("Please fill in your phone number and tick the box to agree."),
        "empty": _("Please type a message first."),
    }
