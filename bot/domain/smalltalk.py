"""Small talk: a greeting, thanks, goodbye, "ok" or "who are you?" typed as a whole message, in Vietnamese, English
or Thai, with or without accent marks. Such a message gets a short friendly answer, not a guide search.

Only a message made entirely of these phrases (and words such as "bot", "bạn", "ạ", "nhé", "ครับ" around them) is
small talk: "chào bạn, tôi muốn làm khai sinh" is a request and goes to the search. Hand-written because the
phrases are few and known, and a language model or classifier library would be far heavier than a word list.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.domain.text import normalise

MAX_LENGTH = 60  # longer messages are requests, not small talk


class Talk(StrEnum):
    greeting = "greeting"
    thanks = "thanks"
    goodbye = "goodbye"
    agreement = "agreement"
    identity = "identity"


# Normalised (lower case, no Vietnamese marks). The first kind found in this order names the message.
PHRASES: dict[Talk, tuple[str, ...]] = {
    Talk.identity: (
        "ban la ai",
        "bot la ai",
        "may la ai",
        "ai day",
        "ban la nguoi hay may",
        "who are you",
        "what are you",
        "are you a bot",
        "are you a robot",
        "are you human",
        "are you a person",
        "คุณคือใคร",
        "คุณเป็นใคร",
        "นี่ใคร",
        "เป็นบอทหรือเปล่า",
    ),
    Talk.thanks: (
        "cam on",
        "cam ong",
        "camon",
        "thank",
        "thanks",
        "thank you",
        "thankyou",
        "thx",
        "tks",
        "ขอบคุณ",
        "ขอบใจ",
        "🙏",
    ),
    Talk.goodbye: ("tam biet", "bye", "bye bye", "goodbye", "good bye", "see you", "ลาก่อน", "บาย", "บ๊ายบาย"),
    Talk.greeting: (
        "xin chao",
        "chao",
        "chao buoi sang",
        "chao buoi chieu",
        "chao buoi toi",
        "alo",
        "a lo",
        "hello",
        "helo",
        "hallo",
        "hi",
        "hey",
        "good morning",
        "good afternoon",
        "good evening",
        "สวัสดี",
        "หวัดดี",
        "👋",
    ),
    Talk.agreement: (
        "ok",
        "oke",
        "okay",
        "okie",
        "vang",
        "da",
        "u",
        "duoc",
        "dc",
        "yes",
        "yep",
        "fine",
        "great",
        "good",
        "tot",
        "hay qua",
        "โอเค",
        "ได้",
        "ดี",
        "👍",
        "👌",
    ),
}
# Words said around the phrases that change nothing: "chào bạn nhé", "cảm ơn bot nhiều ạ", "ขอบคุณครับ".
FILLER = (
    "bot",
    "ban",
    "a",
    "nhe",
    "nha",
    "nhieu",
    "rat",
    "lam",
    "oi",
    "em",
    "anh",
    "chi",
    "co",
    "chu",
    "ad",
    "admin",
    "minh",
    "toi",
    "moi nguoi",
    "tro ly",
    "very",
    "much",
    "so",
    "a lot",
    "you",
    "there",
    "all",
    "dear",
    "assistant",
    "ครับ",
    "คับ",
    "ค่ะ",
    "คะ",
    "จ้า",
    "จ้ะ",
    "นะ",
    "มาก",
    "บอท",
    "คุณ",
)

_KIND = {phrase: kind for kind, phrases in PHRASES.items() for phrase in phrases}
_ALL = sorted({*_KIND, *FILLER}, key=len, reverse=True)  # longest first: "thank you" before "thank"
# Thai is written without spaces between words: a run of Thai is cut into the known phrases, longest first.
_THAI_PARTS = [part for part in _ALL if not part.isascii()]
_PUNCTUATION = re.compile(r"[^\w\u0e00-\u0e7f\s👋👍👌🙏]+")
_SYMBOLS = "👋👍👌🙏"


def classify(text: str) -> Talk | None:
    """The kind of small talk the whole message is, or None when it asks for something (or is not known)."""
    if len(text) > MAX_LENGTH:
        return None
    spaced = text
    for symbol in _SYMBOLS:
        spaced = spaced.replace(symbol, f" {symbol} ")
    words = _PUNCTUATION.sub(" ", normalise(spaced)).split()
    parts: list[str] = []
    for word in words:
        if word.isascii() or word in _KIND or word in FILLER:
            parts.append(word)
            continue
        pieces = _cut_thai(word)
        if pieces is None:
            return None
        parts += pieces
    found: set[Talk] = set()
    position = 0
    while position < len(parts):
        for phrase in _ALL:
            size = phrase.count(" ") + 1
            if " ".join(parts[position : position + size]) == phrase:
                if phrase in _KIND:
                    found.add(_KIND[phrase])
                position += size
                break
        else:
            return None
    return next((kind for kind in PHRASES if kind in found), None)


def _cut_thai(word: str) -> list[str] | None:
    pieces: list[str] = []
    rest = word
    while rest:
        part = next((part for part in _THAI_PARTS if rest.startswith(part)), None)
        if part is None:
            return None
        pieces.append(part)
        rest = rest[len(part) :]
    return pieces
