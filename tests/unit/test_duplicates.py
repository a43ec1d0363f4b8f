"""Similarity of tips for duplicate detection: text normalisation, thresholds, contacts, scale."""

from __future__ import annotations

import random

import pytest

from portal.services.duplicates import (
    JACCARD_THRESHOLD,
    SEQUENCE_THRESHOLD,
    Fingerprint,
    normalise_email,
    normalise_phone,
    reasons,
    similar_groups,
    text_similarity,
    words,
)

LONG = (
    "I am fairly sure the woman in the appeal is Rosa, who rented the flat above ours on the "
    "Kiel in Antwerp in the summer of 1991. She had the rose tattoo on her left forearm and "
    "always wore a yellow backpack. She worked nights at a bakery near the station and told "
    "my mother she came from Liège. One day in September she left without her things and "
    "we never saw her again. Her landlord may still have the rental papers."
)


def fp(text: str, email: str = "", phone: str = "") -> Fingerprint:
    return Fingerprint.of(text, email, phone)


def text_reason(a: Fingerprint, b: Fingerprint) -> bool:
    return any(reason.startswith("near-identical text") for reason in reasons(a, b)[0])


def test_words_fold_case_accents_punctuation_and_spacing() -> None:
    assert words("  Liège,  GHENT!! it's   Müller’s\tcafé… ") == (
        "liege",
        "ghent",
        "its",
        "mullers",
        "cafe",
    )
    assert words("") == ()
    assert words("?!… --") == ()


def test_same_text_with_other_punctuation_case_accents_and_spacing_is_similar() -> None:
    variant = LONG.upper().replace("Liège", "Liege").replace(",", "").replace(". ", ".\n\n  ")
    score = text_similarity(fp(LONG), fp(variant))
    assert score == 1.0
    assert text_reason(fp(LONG), fp(variant))


def test_one_corrected_word_in_a_long_tip_is_similar() -> None:
    edited = LONG.replace("summer of 1991", "summer of 1992")
    score = text_similarity(fp(LONG), fp(edited))
    assert JACCARD_THRESHOLD <= score < 1.0
    why, _ = reasons(fp(LONG), fp(edited))
    assert why == [f"near-identical text ({int(score * 100)}%)"]


def test_the_same_tip_with_a_sentence_added_is_similar() -> None:
    longer = LONG + " You can call me in the evening."
    assert text_reason(fp(LONG), fp(longer))


def test_a_tip_that_shares_one_paragraph_with_another_is_not_similar() -> None:
    first_half = LONG[: len(LONG) // 2]
    other = first_half + (
        " Later I heard she had moved to Rotterdam with a man called Dirk who drove a red van "
        "and sold second-hand furniture at the Sunday market near the harbour, and that the "
        "two of them argued loudly in the street most weekends."
    )
    assert text_similarity(fp(LONG), fp(other)) < JACCARD_THRESHOLD
    assert not text_reason(fp(LONG), fp(other))


def test_short_texts_that_differ_in_place_and_year_are_not_similar() -> None:
    a, b = fp("I saw her in Ghent in 1991"), fp("I saw her in Liège in 1995")
    assert text_similarity(a, b) < SEQUENCE_THRESHOLD
    assert not text_reason(a, b)


def test_short_texts_equal_after_folding_are_similar() -> None:
    assert text_reason(fp("I saw her in Liège in 1991!"), fp("i saw her in liege in 1991"))


def test_short_tip_sent_again_with_one_typo_fixed_is_similar() -> None:
    first = (
        "She looks like my neighbour Rosa who lived on the Kiel in Antwerp until 1991 and then left"
    )
    second = first.replace("neighbour", "neighbor")
    score = text_similarity(fp(first), fp(second))
    assert SEQUENCE_THRESHOLD <= score < 1.0
    assert text_reason(fp(first), fp(second))


def test_short_text_with_two_changed_words_of_ten_is_not_similar() -> None:
    a = fp("the tattoo looks like the one my sister had in 1990")
    b = fp("the tattoo looks like the one my cousin had in 1998")
    assert not text_reason(a, b)


def test_empty_and_very_short_texts() -> None:
    assert text_similarity(fp(""), fp("")) == 0.0
    assert text_similarity(fp("!!!"), fp("???")) == 0.0
    assert not reasons(fp(""), fp(""))[0]
    assert text_reason(fp("Rosa"), fp("rosa."))
    assert not text_reason(fp("Rosa"), fp("Rosa?  No, Rose"))
    assert not text_reason(fp("yes"), fp("no"))
    # A short text inside a long one is not a duplicate of it.
    assert not text_reason(fp("It is Rosa"), fp(LONG + " It is Rosa"))


def test_email_is_compared_lower_case_and_stripped() -> None:
    assert normalise_email("  Rosa.Peeters@Example.BE ") == "rosa.peeters@example.be"
    a = fp("one thing", email="Rosa@Example.be ")
    b = fp("something else entirely", email="rosa@example.be")
    assert reasons(a, b)[0] == ["same email"]
    assert reasons(fp("x", email=""), fp("y", email=""))[0] == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("+32 470 12 34 56", "0470 12 34 56"),
        ("0032 470/12.34.56", "+32470123456"),
        ("(0470) 123-456", "470123456"),
        ("+31 6 1234 5678", "06-12345678"),
    ],
)
def test_the_same_phone_written_differently_matches(first: str, second: str) -> None:
    assert normalise_phone(first) == normalise_phone(second) != ""
    assert reasons(fp("a", phone=first), fp("b", phone=second))[0] == ["same phone"]


def test_different_or_too_short_phones_do_not_match() -> None:
    assert normalise_phone("+32 470 12 34 56") != normalise_phone("+32 470 12 34 57")
    assert normalise_phone("12345") == ""
    assert normalise_phone("call me") == ""
    assert reasons(fp("a", phone="112"), fp("b", phone="112"))[0] == []


def test_every_reason_is_listed() -> None:
    a = fp(LONG, email="a@example.org", phone="0470123456")
    b = fp(LONG, email="A@example.org", phone="+32 470 12 34 56")
    assert reasons(a, b)[0] == ["same email", "same phone", "near-identical text (100%)"]


def test_similar_groups_finds_copies_edits_and_contacts() -> None:
    prints = [
        fp(LONG),  # 0
        fp(LONG.lower()),  # 1: a copy
        fp(LONG.replace("1991", "1992")),  # 2: one word changed
        fp("I saw her in Ghent in 1991", email="x@example.org"),  # 3
        fp("I saw her in Liège in 1995", email="X@example.org "),  # 4: same email as 3
        fp("Nothing to do with the others, about a blue coat."),  # 5
        fp("I saw her in Ghent in 1991"),  # 6: a copy of 3
    ]
    # 4 and 6 are not alike, but each is alike to 3: one group.
    assert similar_groups(prints) == [[0, 1, 2], [3, 4, 6]]
    assert similar_groups(prints[4:7]) == []


VOCABULARY = [f"w{n}" for n in range(3000)]
OPENINGS = ["i think this is", "i am sure i saw", "this looks like", "my mother knew"]


def _random_tip(rng: random.Random) -> str:
    count = rng.randint(50, 300)
    body = " ".join(rng.choice(VOCABULARY) for _ in range(count))
    return f"{rng.choice(OPENINGS)} {body}."


def test_two_thousand_tips_are_grouped_and_the_planted_duplicates_found() -> None:
    # A smoke test of the scale of a media surge (no timing assertion: CI machines vary).
    rng = random.Random(1991)
    texts = [_random_tip(rng) for _ in range(1900)]
    planted = []
    for _ in range(100):
        source = rng.randrange(len(texts))
        tokens = texts[source].split()
        tokens[rng.randrange(len(tokens))] = "changed"
        planted.append((source, len(texts)))
        texts.append(" ".join(tokens).upper())
    # Each tip has its own phone; a few people sent two tips from one email address.
    prints = [
        fp(text, email=f"person{n % 1950}@example.org", phone=f"+32 470 {n:06d}")
        for n, text in enumerate(texts)
    ]
    group_of = {i: tuple(group) for group in similar_groups(prints) for i in group}
    for source, copy in planted:
        assert group_of[source] == group_of[copy]
    assert len(group_of) < 400
