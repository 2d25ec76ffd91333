"""Free-text search over guides: ignores case and Vietnamese marks, forgives one-letter typos.

A query matches a guide token by token. Each query token scores its best match
(exact > prefix > one-letter typo) in the best field (title > keywords > the
rest); a guide's score is the sum, plus a bonus when the whole query appears as
a phrase. Ties keep catalogue order, so results are stable.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.domain.guides.schema import Guide

FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.0, "other": 1.0}
EXACT, PREFIX, TYPO = 1.0, 0.8, 0.6
PHRASE_BONUS = 1.5
MIN_TYPO_LENGTH = 4
MIN_PREFIX_LENGTH = 3
# Far weaker matches than the best one are noise ("dang ky" is in many titles).
RELATIVE_CUTOFF = 0.4
TOKEN = re.compile(r"\w+")
LATIN_MARKS, LATIN_MARKS_END = "\u0300", "\u036f"


def normalise(text: str) -> str:
    """Lower case, without diacritics: 'Đăng ký' → 'dang ky'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    # Only the Latin accent marks: Thai vowels and tones are combining characters too, and carry meaning.
    stripped = "".join(char for char in decomposed if not LATIN_MARKS <= char <= LATIN_MARKS_END)
    return unicodedata.normalize("NFC", stripped).casefold()


def tokens(text: str) -> list[str]:
    return TOKEN.findall(normalise(text))


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or swap of neighbours."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differences = [index for index, (x, y) in enumerate(zip(a, b)) if x != y]
        if len(differences) == 1:
            return True
        first, second = differences[0], differences[-1]
        return len(differences) == 2 and second == first + 1 and a[first] == b[second] and a[second] == b[first]
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    for index in range(len(longer)):
        if longer[:index] + longer[index + 1:] == shorter:
            return True
    return False


@dataclass(frozen=True)
class _Field:
    weight: float
    text: str            # normalised, for phrase matches (also languages written without spaces)
    words: frozenset[str]


@dataclass(frozen=True)
class Hit:
    guide: Guide
    score: float


class SearchIndex:
    def __init__(self, guides: list[Guide]) -> None:
        self._guides = guides
        self._fields = [self._fields_of(guide) for guide in guides]

    @staticmethod
    def _fields_of(guide: Guide) -> list[_Field]:
        texts = {
            "title": guide.title.all(),
            "keywords": guide.keywords.all(),
            "other": [*guide.audience.all(), guide.code or "", guide.id.replace("-", " ")],
        }
        fields = []
        for name, parts in texts.items():
            text = " | ".join(normalise(part) for part in parts if part)
            fields.append(_Field(FIELD_WEIGHTS[name], text, frozenset(TOKEN.findall(text))))
        return fields

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        words = tokens(query)[:12]
        if not words:
            return []
        phrase = " ".join(words)
        hits = []
        for order, (guide, fields) in enumerate(zip(self._guides, self._fields)):
            score = sum(max(field.weight * _word_score(word, field) for field in fields) for word in words)
            if score > 0 and len(words) > 1:
                score += max((PHRASE_BONUS * field.weight for field in fields if phrase in field.text), default=0.0)
            if score > 0:
                hits.append((-score, order, Hit(guide, score)))
        hits.sort(key=lambda item: (item[0], item[1]))
        best = -hits[0][0] if hits else 0.0
        return [hit for _, _, hit in hits if hit.score >= best * RELATIVE_CUTOFF][:limit]


def _word_score(word: str, field: _Field) -> float:
    if word in field.words:
        return EXACT
    if len(word) >= MIN_PREFIX_LENGTH and any(candidate.startswith(word) for candidate in field.words):
        return PREFIX
    if not word.isascii() and word in field.text:
        # Thai and other scripts without spaces between words: a substring is a match.
        return PREFIX
    if len(word) >= MIN_TYPO_LENGTH and any(
        abs(len(candidate) - len(word)) <= 1 and within_one_edit(word, candidate) for candidate in field.words
    ):
        return TYPO
    return 0.0
