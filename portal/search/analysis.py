"""Text analysis shared by indexing and querying: tokens, folding, plurals, stems, squashing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.analyzers import Analyzer

from portal.search import vocabulary

# CJK ideographs, kana and hangul are indexed one character per token: inscriptions such as
# 忍 or 平安 are searchable without a word segmenter.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
TOKEN_PATTERN = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+")
# Plurals no suffix-stripping stemmer joins to their singular.
IRREGULAR_PLURALS = {
    "wolves": "wolf",
    "knives": "knife",
    "leaves": "leaf",
    "lives": "life",
    "halves": "half",
    "calves": "calf",
    "shelves": "shelf",
    "thieves": "thief",
    "wives": "wife",
    "feet": "foot",
    "teeth": "tooth",
    "geese": "goose",
    "mice": "mouse",
    "men": "man",
    "women": "woman",
    "children": "child",
    "scarves": "scarf",
    "hooves": "hoof",
    "elves": "elf",
    "dice": "die",
    "loaves": "loaf",
    "selves": "self",
    "people": "person",
}


# Folding is the vocabulary's, so index, queries and word lists agree; cached per token.
fold = lru_cache(maxsize=100_000)(vocabulary.fold)


class FoldFilter(Filter):  # type: ignore[misc]
    """Accent and case folding, the same for every field and every query."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            token.text = fold(token.text)
            yield token


class IrregularPluralFilter(Filter):  # type: ignore[misc]
    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for token in tokens:
            token.text = IRREGULAR_PLURALS.get(token.text, token.text)
            yield token


def _tokenizer() -> Any:
    return RegexTokenizer(TOKEN_PATTERN)


def text_analyzer(stopwords: frozenset[str]) -> Analyzer:
    """Words folded, irregular plurals joined, stop words dropped, English stems."""
    return (
        _tokenizer()
        | LowercaseFilter()
        | FoldFilter()
        | IrregularPluralFilter()
        | StopFilter(stoplist=stopwords, minsize=1)
        | StemFilter(cachesize=100_000)
    )


def plain_analyzer() -> Analyzer:
    """Words folded but not stemmed: inscriptions as written, and the spelling dictionary."""
    return _tokenizer() | LowercaseFilter() | FoldFilter()


def squash(text: str) -> str:
    """Letters and digits only: R'Nick -> rnick, L.F.C. -> lfc, J & M 1979 -> jm1979."""
    return "".join(vocabulary.words(text))


def squashed_forms(text: str) -> list[str]:
    """The whole inscription squashed, and each space-separated chunk squashed."""
    forms = [squash(text)]
    forms += [squash(chunk) for chunk in text.split()]
    return [form for form in dict.fromkeys(forms) if form]
