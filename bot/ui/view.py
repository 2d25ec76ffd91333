"""A screen described as data, so that any messenger can render it.

Texts use a small HTML subset (<b>, <i>, <a>, <code>); dynamic values must be
escaped with html.escape before they are placed in a text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol


class Payload(Protocol):
    """A typed button payload (see bot.ui.callbacks); packs to a short string."""

    def pack(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    payload: Payload


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


Button = Choice | Link


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes
    kind: Literal["document", "photo"] = "document"
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class View:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    # A persistent keyboard of big buttons under the input field; each press sends its label.
    keyboard: tuple[tuple[str, ...], ...] | None = None
    # Label of a button that shares the person's own phone number.
    contact_request: str | None = None
    remove_keyboard: bool = False
    attachment: Attachment | None = None
    # Shown as a short notice when the view answers a button press.
    toast: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def rows(*buttons: Button) -> tuple[tuple[Button, ...], ...]:
    """One button per row: the easiest layout to read and tap on a small phone."""
    return tuple((button,) for button in buttons)
