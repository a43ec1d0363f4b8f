"""Snippets: matching words marked, everything else escaped, long text cut around the match."""

from __future__ import annotations

from datetime import UTC, date, datetime

from portal.publication import PublicAgency, PublicCase, PublicEvent, PublicItem, PublicMark
from portal.search.analysis import TOKEN_PATTERN, squash, squashed_forms, text_analyzer
from portal.search.highlight import (
    Lexicon,
    Matcher,
    QueryTerms,
    highlights,
    mark_up,
    snippet_source,
)

ANALYSER = text_analyzer(frozenset({"on", "the"}))


def test_mark_up_escapes_everything_but_its_own_marks() -> None:
    text = "<script>alert(1)</script> rose & thorn"
    start = text.index("rose")
    out = str(mark_up(text, [(start, start + 4)]))
    assert out == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>rose</mark> &amp; thorn"


def test_long_text_is_cut_around_the_first_match() -> None:
    text = "word " * 100 + "anchor " + "word " * 100
    start = text.index("anchor")
    out = str(mark_up(text, [(start, start + 6)]))
    assert "<mark>anchor</mark>" in out
    assert out.startswith("…") and out.endswith("…")
    assert len(out) < 200


def test_squashing_joins_letters_and_digits() -> None:
    assert squash("R'Nick") == "rnick"
    assert squash("L.F.C.") == "lfc"
    assert squashed_forms("J & M 1979") == ["jm1979", "j", "m", "1979"]
    assert squash("忍") == "忍"


def test_analyser_folds_stems_and_joins_irregular_plurals() -> None:
    def tokens(text: str) -> list[str]:
        return [token.text for token in ANALYSER(text)]

    assert tokens("Wolves on the Fjällräven") == ["wolf", "fjallraven"]
    assert tokens("butterflies") == tokens("butterfly")
    assert tokens("平安") == ["平", "安"]


# -- choosing snippets ------------------------------------------------------------------------


def analyse(word: str) -> list[str]:
    return [token.text for token in ANALYSER(word)]


def public_case(
    marks: tuple[PublicMark, ...] = (),
    clothing: tuple[PublicItem, ...] = (),
    circumstances: str | None = None,
) -> PublicCase:
    return PublicCase(
        id="c1",
        record_id="XX-1",
        agency=PublicAgency("XX", "Police", "GB", None),
        kind="unidentified",
        status="published",
        title="A case",
        name=None,
        sex="male",
        age=None,
        height_cm=None,
        weight_kg=None,
        build=None,
        hair=None,
        eyes=None,
        complexion=None,
        physical_description=None,
        event=PublicEvent(date(2001, 2, 3), "day", None, "Dover", "Kent", "GB", None, None),
        circumstances=circumstances,
        marks=marks,
        clothing=clothing,
        jewellery=(),
        belongings=(),
        dental_summary=None,
        biometrics={},
        images=(),
        translations=(),
        identified=None,
        published_at=None,
        updated_at=datetime(2001, 2, 3, tzinfo=UTC),
        version=1,
    )


def mark(kind: str, location: str, description: str, inscription: str | None = None) -> PublicMark:
    return PublicMark(kind, location, description, inscription, (), None)


def snippets(case: PublicCase, query: str) -> list[tuple[str, str, str]]:
    stems = frozenset(stem for word in query.split() for stem in analyse(word))
    found = highlights(case, QueryTerms.from_query(query, stems), analyse)
    return [(h.field, str(h.label), str(h.snippet)) for h in found]


def test_tattoos_come_first_and_three_at_most() -> None:
    case = public_case(
        marks=(
            mark("scar", "left knee", "a rose-shaped scar"),
            mark("tattoo", "right forearm", "a red rose"),
        ),
        clothing=(PublicItem("T-shirt", description="printed with a rose"),),
        circumstances="Found in a rose garden.",
    )
    assert snippets(case, "rose") == [
        ("marks[1]", "Tattoo on the right forearm", "a red <mark>rose</mark>"),
        ("marks[0]", "Scar on the left knee", "a <mark>rose</mark>-shaped scar"),
        ("clothing[0]", "Clothing", "T-shirt, printed with a <mark>rose</mark>"),
    ]


def test_a_named_location_is_marked_even_without_matching_words() -> None:
    case = public_case(marks=(mark("tattoo", "left forearm", "an anchor"),))
    assert snippets(case, "arm") == [
        ("marks[0]", "Tattoo on the <mark>left forearm</mark>", "an anchor"),
    ]


def test_labels_and_snippets_escape_the_record() -> None:
    case = public_case(marks=(mark("tattoo", "left <b>forearm</b>", "<i>anchor</i> & rope"),))
    ((_field, label, snippet),) = snippets(case, "anchor on the forearm")
    assert label == "Tattoo on the <mark>left &lt;b&gt;forearm&lt;/b&gt;</mark>"
    assert snippet == "&lt;i&gt;<mark>anchor</mark>&lt;/i&gt; &amp; rope"


def test_an_inscription_written_differently_is_marked_whole() -> None:
    case = public_case(marks=(mark("tattoo", "chest", "lettering", "R'Nick"),))
    ((_field, _label, snippet),) = snippets(case, "rnick")
    assert snippet == "lettering “<mark>R&#39;Nick</mark>”"


def test_a_class_word_marks_the_motif() -> None:
    case = public_case(marks=(mark("tattoo", "back", "a large koi carp with lotus flowers"),))
    ((_field, _label, snippet),) = snippets(case, "fish")
    assert "<mark>koi</mark>" in snippet
    assert "<mark>lotus</mark>" not in snippet


def test_passages_match_exactly_when_one_of_their_words_does() -> None:
    # The matcher decides per passage from the words' senses, worked out once; it must agree
    # with judging every word of the passage on its own.
    case = public_case(
        marks=(
            mark("tattoo", "left forearm", "Wolves and a swallow, “Mum”", "Mum"),
            mark("piercing", "ear", "gold ring"),
        ),
        clothing=(PublicItem("Jeans", colour="blue", brand="Levi's"),),
        circumstances="Found near the Fjällräven shop; butterflies in the garden.",
    )
    lexicon = Lexicon(analyse)
    source = snippet_source(case, lexicon)
    for query in ("wolf", "birds", "fjallraven", "butterfly", "jean", "ring", "mum", "xyz"):
        stems = frozenset(stem for word in query.split() for stem in analyse(word))
        matcher = Matcher(QueryTerms.from_query(query, stems), lexicon)
        for passage in source:
            word_by_word = any(matcher._hit(w) for w in TOKEN_PATTERN.findall(passage.text))
            assert matcher.matches(passage) == word_by_word, (query, passage.field)


def test_a_full_lexicon_starts_afresh_and_still_answers() -> None:
    lexicon = Lexicon(analyse)
    lexicon.MAX_WORDS = 3
    first = lexicon.senses({"wolves", "roses"})
    lexicon.senses({"anchor", "swallow"})  # over the limit: a new table
    assert set(lexicon.senses({"wolves", "roses"})) == set(first)
    assert {"wolf", "rose"} <= set(first)
