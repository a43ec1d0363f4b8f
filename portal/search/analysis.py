"""Text analysis shared by indexing and querying: tokens, folding, plurals, stems, squashing."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, cast

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.analyzers import Analyzer, CompositeAnalyzer

from portal.search import vocabulary

# CJK ideographs, kana and hangul are indexed one character per token: inscriptions such as
# 忍 or 平安 are searchable without a word segmenter.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# Other words: runs of word characters that are not CJK, written as one negated class (\W or
# CJK excluded), which matches as (?:(?![CJK])\w)+ does at twice its speed.
TOKEN_PATTERN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
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


# Filters that look at one token at a time: what they make of a word never depends on the
# words around it, so their answer for a word can be remembered.
_TOKEN_LOCAL_FILTERS = (LowercaseFilter, FoldFilter, IrregularPluralFilter, StopFilter, StemFilter)
# Distinct words remembered per analyser; beyond this, words are analysed afresh each time.
WORD_CACHE = 200_000


class WordCache:
    """An analyser's terms for each distinct word, worked out once.

    Whoosh runs each token through a chain of generators, some microseconds a token; a whole
    rebuild analyses tens of millions of tokens drawn from a vocabulary of thousands. With a
    tokenizer and token-local filters only, the tokenizer's matches can be found with one
    regular-expression scan and each word's term looked up: the same terms, in the same order.
    """

    def __init__(self, analyzer: Analyzer, pattern: re.Pattern[str]) -> None:
        self.analyzer = analyzer
        self.words = pattern.findall
        # Word -> its term, or "" when the analyser drops it (a stop word).
        self.known: dict[str, str] = {}

    @classmethod
    def of(cls, analyzer: Any) -> WordCache | None:
        """A cache for this analyser, or None when its terms may depend on neighbouring words."""
        if not isinstance(analyzer, CompositeAnalyzer):
            return None
        tokenizer, *filters = analyzer.items
        pattern = getattr(tokenizer, "expression", None)
        if (
            type(tokenizer) is not RegexTokenizer
            or tokenizer.gaps
            or not isinstance(pattern, re.Pattern)
            or pattern.groups
            or not all(type(item) in _TOKEN_LOCAL_FILTERS for item in filters)
        ):
            return None
        return cls(analyzer, pattern)

    def learn(self, words: Iterable[str]) -> bool:
        """Analyses the words not seen before; False if one of them gives several terms."""
        known = self.known
        for word in words:
            if word not in known:
                terms = [
                    token.text for token in self.analyzer(word, mode="index") if not token.stopped
                ]
                if len(terms) > 1:
                    return False
                if len(known) < WORD_CACHE:
                    known[word] = terms[0] if terms else ""
        return True

    def counts(self, text: str) -> tuple[Counter[str], int] | None:
        """Each term of the text with its frequency, and the number of terms (the length).

        None when a word has several terms or the cache is full: analyse the text whole then.
        """
        words: list[str] = self.words(text)
        counts: Counter[str | None] = Counter(map(self.known.get, words))
        if None in counts:
            if not self.learn(words):
                return None
            counts = Counter(map(self.known.get, words))
            if None in counts:
                return None
        dropped = counts.pop("", 0)
        return cast("Counter[str]", counts), len(words) - dropped
