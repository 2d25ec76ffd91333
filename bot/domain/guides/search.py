"""Free-text search over guides: ignores case and Vietnamese marks, forgives one-letter typos.

A query matches a guide token by token. Each query token scores its best match
(exact > prefix > one-letter typo) in the best field (title > keywords > the
rest); a guide's score is the sum, plus a bonus when the whole query appears as
a phrase. Ties keep catalogue order, so results are stable.

Only relevant guides are shown. Words that say nothing about a procedure ("tôi muốn làm", "how do I") are left
out; a guide must match most of the remaining words (COVERAGE) and match them well enough on average (QUALITY),
else the search finds nothing — better "nothing found, here are the topics" than two unrelated guides for
"cảm ơn". Vietnamese is written in syllables, and one syllable ("hộ", "ơn", "ký") is in many titles, so a single
common syllable never carries a result alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.guides.schema import Guide
from bot.domain.text import TOKEN, normalise, tokens

FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.0, "other": 1.0}
EXACT, PREFIX, TYPO = 1.0, 0.8, 0.6
PHRASE_BONUS = 1.5
# A typo is forgiven in words of five letters or more: four-letter Vietnamese syllables are one letter apart
# from many others ("chao" / "cho", "troi" / "tro").
MIN_TYPO_LENGTH = 5
MIN_PREFIX_LENGTH = 4
# Far weaker matches than the best one are noise ("dang ky" is in many titles).
RELATIVE_CUTOFF = 0.4
# A guide must match at least this share of the query's meaningful words…
COVERAGE = 0.66
# …and score at least this share of a perfect match (every word exactly in the title).
QUALITY = 0.35
# Words of a request that name no procedure (normalised: no marks, lower case).
STOPWORDS = frozenset(
    (
        # Vietnamese, without marks
        "toi",
        "minh",
        "ban",
        "em",
        "anh",
        "chi",
        "ong",
        "ba",
        "bac",
        "oi",
        "a",
        "nhe",
        "nha",
        "ah",
        "muon",
        "lam",
        "the",
        "nao",
        "sao",
        "gi",
        "cho",
        "cua",
        "va",
        "voi",
        "la",
        "o",
        "de",
        "duoc",
        "khong",
        "mot",
        "cac",
        "nhung",
        "nay",
        "do",
        "day",
        "roi",
        "thi",
        "ma",
        "giup",
        "huong",
        "dan",
        "cach",
        "xin",
        "hoi",
        "ve",
        "tren",
        "trong",
        "bot",
        "on",
        # English
        "i",
        "me",
        "my",
        "we",
        "you",
        "an",
        "the",
        "to",
        "of",
        "for",
        "in",
        "at",
        "how",
        "do",
        "does",
        "want",
        "need",
        "please",
        "help",
        "what",
        "is",
        "are",
        "with",
        "and",
        "or",
        "get",
        "make",
        "",
    )
)
__all__ = ["Hit", "SearchIndex", "normalise", "tokens", "within_one_edit"]


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or swap of neighbours."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differences = [index for index, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(differences) == 1:
            return True
        first, second = differences[0], differences[-1]
        return len(differences) == 2 and second == first + 1 and a[first] == b[second] and a[second] == b[first]
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:index] + longer[index + 1 :] == shorter for index in range(len(longer)))


@dataclass(frozen=True)
class _Field:
    weight: float
    text: str  # normalised, for phrase matches (also languages written without spaces)
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
        everything = tokens(query)[:12]
        words = [word for word in everything if word not in STOPWORDS]
        if not words:
            return []
        phrase = " ".join(everything)
        perfect = FIELD_WEIGHTS["title"] * EXACT * len(words)
        hits = []
        for order, (guide, fields) in enumerate(zip(self._guides, self._fields, strict=True)):
            scores = [max(field.weight * _word_score(word, field) for field in fields) for word in words]
            matched = sum(1 for score in scores if score > 0)
            score = sum(scores)
            if matched and len(everything) > 1:  # the whole query as written, e.g. "khai tu" in one field
                score += max((PHRASE_BONUS * field.weight for field in fields if phrase in field.text), default=0.0)
            if matched < COVERAGE * len(words) or score < QUALITY * perfect:
                continue
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
