"""Inbound channel events as aiogram Updates, so that the routers, filters and FSM serve every channel alike.

The ids in a synthesised update are the citizen's internal id (users.id): it is a whole number on every channel,
unique, and its private chat is their own (bot/transport/chats.py sorts such an update as PRIVATE). The channel's
own ids stay strings in the users table; the update never carries them. A press becomes a CallbackQuery on a
message whose id is the screen's (bot.domain.channels.Screen), so `Pressed` filters validate its data exactly as
they validate Telegram's callback data; a shared contact becomes a contact message whose user_id is the sender's
(the quiz takes only the person's own card); following or unfollowing becomes the bot's membership in the chat.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.enums import ChatType
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    Message,
    Sticker,
    Update,
    User,
)
from aiogram.types import Contact as ContactCard

from bot.channels.base import Contact, Inbound, Membership, Other, Press, Text

# An update id is the channel's number times this, plus a sequence of the channel's own (its inbox id): never
# the same as a Telegram update's or another channel's.
UPDATE_ID_SPAN = 10**15


def update_id(channel_number: int, sequence: int) -> int:
    return channel_number * UPDATE_ID_SPAN + sequence % UPDATE_ID_SPAN


def is_channel_update(update: Update) -> bool:
    return update.update_id >= UPDATE_ID_SPAN


def _person(user_id: int, name: str, language_code: str | None) -> User:
    return User(id=user_id, is_bot=False, first_name=name or "-", language_code=language_code)


def _chat(user_id: int) -> Chat:
    return Chat(id=user_id, type=ChatType.PRIVATE)


def message_stub(user_id: int, message_id: int, text: str = "") -> Message:
    """A message of the bot's in the citizen's chat, as a press or a send names it."""
    return Message(message_id=message_id, date=datetime.now(UTC), chat=_chat(user_id), text=text)


def build(event: Inbound, user_id: int, update_number: int) -> Update:
    """The Update the dispatcher gets for `event` of the citizen whose internal id is `user_id`."""
    who = event.who
    person = _person(user_id, who.name, who.language_code)
    now = datetime.now(UTC)
    if isinstance(event, Text):
        message = Message(message_id=0, date=now, chat=_chat(user_id), from_user=person, text=event.text)
        return Update(update_id=update_number, message=message)
    if isinstance(event, Press):
        query = CallbackQuery(
            id=str(update_number),
            from_user=person,
            chat_instance=f"{who.channel}:{user_id}",
            message=message_stub(user_id, event.message_id),
            data=event.data,
        )
        return Update(update_id=update_number, callback_query=query)
    if isinstance(event, Contact):
        first, _, last = (event.name or who.name or "-").partition(" ")
        card = ContactCard(phone_number=event.phone, first_name=first or "-", last_name=last or None, user_id=user_id)
        message = Message(message_id=0, date=now, chat=_chat(user_id), from_user=person, contact=card)
        return Update(update_id=update_number, message=message)
    if isinstance(event, Membership):
        me = User(id=0, is_bot=True, first_name="bot")
        member = ChatMemberMember(user=me)
        gone = ChatMemberBanned(user=me, until_date=datetime.fromtimestamp(0, UTC))
        old, new = (gone, member) if event.reachable else (member, gone)
        changed = ChatMemberUpdated(
            chat=_chat(user_id), from_user=person, date=now, old_chat_member=old, new_chat_member=new
        )
        return Update(update_id=update_number, my_chat_member=changed)
    if isinstance(event, Other):
        # Stickers, images, files and places: what the handlers answer as "not understood" (a sticker is the
        # one kind every channel has and the fallback already answers kindly).
        sticker = Sticker(
            file_id=f"{who.channel}-{event.kind}",
            file_unique_id=f"{who.channel}-{event.kind}",
            type="regular",
            width=1,
            height=1,
            is_animated=False,
            is_video=False,
        )
        message = Message(message_id=0, date=now, chat=_chat(user_id), from_user=person, sticker=sticker)
        return Update(update_id=update_number, message=message)
    raise TypeError(f"not an inbound event: {event!r}")
