"""Morphology-tolerant keyword matching for Russian and English. Pure: standard library only.

A keyword is reduced to a stem by cutting one common inflectional ending ("доставка" →
"доставк", "refunded" → "refund"); a stem of four letters or more matches any word that
starts with it ("доставк" matches "доставки", "доставкой"), a shorter one matches the whole
word only ("не", "pay"). Admins may also write stems directly ("достав", "оплат"). A keyword
of several words matches those words in a row ("не работает", "money back"). Case and ё/е
are ignored.
"""

from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"\w+", re.UNICODE)

# Longest first; one ending is cut, and at least MIN_STEM letters stay.
_RU_ENDINGS = sorted(
    [
        "ившись",
        "ывшись",
        "иться",
        "ыться",
        "ется",
        "ится",
        "ются",
        "ятся",
        "ешься",
        "ишься",
        "ться",
        "тся",
        "ость",
        "ости",
        "ами",
        "ями",
        "ого",
        "его",
        "ому",
        "ему",
        "ыми",
        "ими",
        "иях",
        "ах",
        "ях",
        "ов",
        "ев",
        "ей",
        "ой",
        "ий",
        "ый",
        "ая",
        "яя",
        "ое",
        "ее",
        "ие",
        "ые",
        "ую",
        "юю",
        "ем",
        "ом",
        "ешь",
        "ишь",
        "ете",
        "ите",
        "ет",
        "ит",
        "ут",
        "ют",
        "ат",
        "ят",
        "ил",
        "ыл",
        "ел",
        "ла",
        "ли",
        "ло",
        "ть",
        "ти",
        "а",
        "я",
        "ы",
        "и",
        "у",
        "ю",
        "е",
        "о",
        "ь",
        "й",
    ],
    key=len,
    reverse=True,
)
_EN_ENDINGS = sorted(
    ["ings", "ing", "edly", "ed", "ies", "es", "s", "ly", "y"], key=len, reverse=True
)
MIN_STEM = 4
_CYRILLIC = re.compile(r"[а-я]")


def normalize(text: str) -> str:
    return (text or "").lower().replace("ё", "е")


def stem_word(word: str) -> str:
    word = normalize(word)
    if len(word) <= MIN_STEM:
        return word
    endings = _RU_ENDINGS if _CYRILLIC.search(word) else _EN_ENDINGS
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def _piece(token: str) -> str:
    stem = stem_word(token)
    return re.escape(stem) + (r"\w*" if len(stem) >= MIN_STEM else "")


def keyword_pattern(keyword: str) -> str:
    tokens = WORD.findall(normalize(keyword))
    return r"\W+".join(_piece(t) for t in tokens)


@lru_cache(maxsize=4096)
def keywords_regex(keywords: tuple[str, ...]) -> re.Pattern | None:
    """One compiled regex matching any of the keywords at word boundaries (None if empty)."""
    parts = [p for p in (keyword_pattern(k) for k in keywords) if p]
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.UNICODE)


def contains_any(text: str, keywords: tuple[str, ...]) -> bool:
    """`text` (already normalized) contains one of the keywords."""
    regex = keywords_regex(keywords)
    return bool(regex and regex.search(text))


def keyword_hits(text: str, keywords: tuple[str, ...]) -> int:
    """How many distinct keywords occur in `text` (already normalized)."""
    return sum(1 for k in keywords if contains_any(text, (k,)))


@lru_cache(maxsize=1024)
def user_regex(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE | re.UNICODE)


def words(text: str) -> set[str]:
    return {stem_word(w) for w in WORD.findall(normalize(text))}
