"""The word cache gives exactly the terms and lengths Whoosh's analysers give."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from whoosh.analysis import NgramFilter, RegexTokenizer, ShingleFilter, StandardAnalyzer

from portal.search import vocabulary
from portal.search.analysis import TOKEN_PATTERN, WordCache, plain_analyzer, text_analyzer

TEXTS = [
    "Rose tattoo on the LEFT forearm, with the words 'Mum & Dad'",
    "Wolves and knives; the children's teeth — Fjällräven Kånken, Łódź, Straße",
    "忍 平安 tattoo 안녕하세요 kanji 愛 and ハート",
    "L.F.C. R'Nick J&M 1979 snake_eyes __ 3rd 12:30 ½ ﬁsh Ⅻ",
    "",
    "   \n\t ",
    "the a of and",  # stop words only
]


def whoosh_terms(analyzer: object, text: str) -> tuple[Counter[str], int]:
    terms = [
        token.text
        for token in analyzer(text, mode="index")  # type: ignore[operator]
        if not token.stopped
    ]
    return Counter(terms), len(terms)


def random_texts(count: int) -> list[str]:
    rng = random.Random(5)
    alphabet = "aeiou rstlnAEÉéüßøæ_'-.,;忍愛한글 12 ½ﬁ\n"
    words = [word for text in TEXTS for word in text.split()]
    return [
        " ".join(
            rng.choice(words) if rng.random() < 0.6 else "".join(rng.choices(alphabet, k=6))
            for _ in range(rng.randrange(1, 30))
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    "analyzer", [text_analyzer(vocabulary.STOPWORDS), plain_analyzer()], ids=["text", "plain"]
)
def test_cached_terms_are_the_analysers_terms(analyzer: object) -> None:
    cache = WordCache.of(analyzer)
    assert cache is not None
    for text in [*TEXTS, *random_texts(300)]:
        counted = cache.counts(text)
        assert counted is not None
        counts, length = counted
        assert (Counter(counts), length) == whoosh_terms(analyzer, text), text


def test_analysers_that_look_past_one_word_are_not_cached() -> None:
    assert WordCache.of(StandardAnalyzer()) is None  # its pattern has a group
    assert WordCache.of(RegexTokenizer() | ShingleFilter()) is None
    assert WordCache.of(RegexTokenizer() | NgramFilter(2)) is None
    assert WordCache.of(RegexTokenizer()) is None  # not a chain


def test_the_token_pattern_matches_as_word_characters_without_cjk() -> None:
    cjk = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
    reference = re.compile(rf"[{cjk}]|(?:(?![{cjk}])\w)+")
    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    # Each character alone, next to a letter and doubled, so runs and their ends are compared.
    text = " ".join(f"{ch} a{ch}b {ch}{ch}_" for ch in every)
    spans = [match.span() for match in TOKEN_PATTERN.finditer(text)]
    assert spans == [match.span() for match in reference.finditer(text)]
