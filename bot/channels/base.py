"""What a channel is, as the core sees it.

A channel has a name (stored as users.platform and deliveries.channel), a small number of its own (its aiogram
Bot's id, so that FSM states and event isolation are kept per channel, and the high digits of its update ids),
an ingress (HTTP routes on the bot's web server, and optionally background work such as draining an inbox), an
egress per conversation step, and a messenger for the delivery room.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.ui.view import View

if TYPE_CHECKING:
    from aiohttp import web

    from bot.channels.engine import ChannelEngine
    from bot.delivery.ports import Messenger


@dataclass(frozen=True, slots=True)
class ChannelUser:
    """Who an event comes from, as the channel names them. Ids are strings, never parsed as numbers (Zalo's are
    longer than 2^53)."""

    channel: str
    external_id: str
    chat_id: str  # where answers go; for a private chat, usually the person's own id
    name: str = ""
    language_code: str | None = None  # what the channel says the person reads, if anything


# ---------------------------------------------------------------- inbound events, messenger-free


@dataclass(frozen=True, slots=True)
class Text:
    """A typed text (or a big button's label, which the channel sends back as text)."""

    who: ChannelUser
    text: str


@dataclass(frozen=True, slots=True)
class Press:
    """A button press: `data` as the button carried it, on the message the handlers know as `message_id`.
    Checked against the screen it names before any handler sees it (ChannelEngine)."""

    who: ChannelUser
    data: str
    message_id: int


@dataclass(frozen=True, slots=True)
class Contact:
    """The person shared their own phone number (Zalo: user_submit_info; web: the form of a contact request)."""

    who: ChannelUser
    phone: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Membership:
    """The person followed (True) or unfollowed (False) the account: reachable or not."""

    who: ChannelUser
    reachable: bool


@dataclass(frozen=True, slots=True)
class Other:
    """Something the conversations do not take as such (a sticker, an image, a location, a file)."""

    who: ChannelUser
    kind: str


Inbound = Text | Press | Contact | Membership | Other


class Egress(Protocol):
    """One conversation step's answers on a channel (one per handled event, made by Channel.egress).

    `send` returns the id handlers know the new message by (0 when it has no buttons to press later);
    `replace` is `Reply.show` on a pressed message: an edit in place where the channel can edit, otherwise a new
    message, the pressed one's buttons made stale; `toast` is the short notice a press gets; `finish` is called
    once after the step (what is still held back goes out then).
    """

    async def send(self, view: View) -> int: ...
    async def replace(self, message_id: int, view: View) -> int: ...
    async def toast(self, text: str | None, alert: bool = False) -> None: ...
    async def finish(self) -> None: ...


class Channel(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def number(self) -> int:
        """1–999, unique among channels: the channel bot's id and the high digits of its update ids."""

    @property
    def keeps_screens(self) -> bool:
        """Whether presses name a screen in channel_screens, checked by the engine before any handler (a
        channel whose buttons come back as typed text must: it cannot tell a press from a typed payload)."""

    def egress(self, who: ChannelUser, engine: ChannelEngine) -> Egress: ...
    def messenger(self) -> Messenger | None:
        """The delivery room's way to this channel (None: nothing is sent unasked)."""

    def routes(self, server: web.Application, engine: ChannelEngine) -> None:
        """Add the ingress's HTTP routes to the bot's web server."""

    async def run(self, engine: ChannelEngine) -> None:
        """Background work for the process's lifetime (an inbox drained, tokens kept fresh); may return at once."""

    async def close(self) -> None: ...
