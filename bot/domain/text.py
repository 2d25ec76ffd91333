"""Text as people type it, made comparable: case and Vietnamese accent marks do not matter; Thai stays whole."""

from __future__ import annotations

import re
import unicodedata

LATIN_MARKS, LATIN_MARKS_END = "\u0300", "\u036f"
# A word: letters and digits, plus the whole Thai block. Thai vowels and tone marks are combining characters
# that \w alone does not match, and without them "สวัสดี" would fall apart into "สว", "สด".
TOKEN = re.compile(r"[\w\u0e00-\u0e7f]+")


def normalise(text: str) -> str:
    """Lower case, without diacritics: 'Đăng ký' → 'dang ky'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    # Only the Latin accent marks: Thai vowels and tones are combining characters too, and carry meaning.
    stripped = "".join(char for char in decomposed if not LATIN_MARKS <= char <= LATIN_MARKS_END)
    return unicodedata.normalize("NFC", stripped).casefold()


def tokens(text: str) -> list[str]:
    return TOKEN.findall(normalise(text))
