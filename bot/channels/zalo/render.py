"""A View as Zalo OA messages, within Zalo's limits (pure: no network).

text                  plain text (Zalo shows no formatting), split on paragraph boundaries at 2,000 characters
inline buttons        query buttons (oa.query.hide, whose payload comes back as a user_send_text: "zb:<screen>:
                      <data>"), links as oa.open.url; at most 5 per message: longer lists are spread over
                      numbered messages ("2/3"), every one of them part of the same screen
big buttons           (the persistent keyboard Telegram keeps under the input field) query buttons whose payload
                      is the label itself, so that they come back as the same text a big button sends; shown
                      with a screen that has no buttons of its own
contact request       a request_user_info template; the answer is a user_submit_info event
attachment            sent by the egress (an upload first), the text as its own message
"""

from __future__ import annotations

from typing import Any

from bot.channels.render import flat_buttons, pages, plain_text, split_text
from bot.channels.zalo.events import press_payload
from bot.ui.view import Button, Choice, Link, View

TEXT_LIMIT = 2000
BUTTONS_PER_MESSAGE = 5
BUTTON_TITLE_LIMIT = 40  # kept short: Zalo cuts long titles on narrow phones
INFO_TITLE_LIMIT = 100
INFO_SUBTITLE_LIMIT = 500


def _title(label: str) -> str:
    text = plain_text(label).strip()
    return text if len(text) <= BUTTON_TITLE_LIMIT else text[: BUTTON_TITLE_LIMIT - 1] + "…"


def _button(button: Button, screen_id: int) -> dict[str, Any]:
    if isinstance(button, Link):
        return {"title": _title(button.label), "type": "oa.open.url", "payload": {"url": button.url}}
    assert isinstance(button, Choice)
    return {
        "title": _title(button.label),
        "type": "oa.query.hide",
        "payload": press_payload(screen_id, button.payload.pack()),
    }


def _label_button(label: str) -> dict[str, Any]:
    return {"title": _title(label), "type": "oa.query.hide", "payload": label}


def text_message(text: str) -> dict[str, Any]:
    return {"text": text}


def buttons_message(text: str, buttons: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": text, "attachment": {"type": "template", "payload": {"buttons": buttons}}}


def request_info_message(title: str, subtitle: str, image_url: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "title": title[:INFO_TITLE_LIMIT],
        "subtitle": subtitle[:INFO_SUBTITLE_LIMIT],
    }
    if image_url:
        element["image_url"] = image_url
    return {
        "attachment": {"type": "template", "payload": {"template_type": "request_user_info", "elements": [element]}}
    }


def messages(
    view: View, screen_id: int, toast: str | None = None, image_url: str | None = None
) -> list[dict[str, Any]]:
    """The messages that show `view` (its attachment aside); `toast`, the notice a press gets, goes first."""
    text = plain_text(view.text)
    if toast:
        text = f"{plain_text(toast)}\n\n{text}" if text.strip() else plain_text(toast)
    parts = split_text(text, TEXT_LIMIT)
    inline = flat_buttons(view)
    if inline:
        buttons = [_button(button, screen_id) for button in inline]
    elif view.keyboard and not view.contact_request:
        buttons = [_label_button(label) for row in view.keyboard for label in row]
    else:
        buttons = []
    result: list[dict[str, Any]] = [text_message(part) for part in parts]
    if buttons:
        paged = pages(buttons, BUTTONS_PER_MESSAGE)
        first_text = parts[-1] if parts else "…"
        if result:
            result.pop()
        for page in paged:
            caption = first_text if page.number == 1 else f"({page.number}/{page.count})"
            if page.number == 1 and page.count > 1:
                caption = f"{first_text}\n({page.number}/{page.count})"
            result.append(buttons_message(caption, list(page.buttons)))
    if view.contact_request:
        title = plain_text(view.contact_request)
        result.append(request_info_message(title, parts[-1] if parts else title, image_url))
    return result


def payloads_of(view: View) -> list[str]:
    """What the view's query buttons send back (the screen keeps them: only they count as presses)."""
    return [button.payload.pack() for button in flat_buttons(view) if isinstance(button, Choice)]
