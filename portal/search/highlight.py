"""Snippets that show why a case matched: the matching words marked in its public text.

A case's passages (marks, items, texts), with the index terms and motif words of each, are worked
out once per public view (`snippet_source`, cached beside the view), each word through a `Lexicon`
that remembers what words stand for. A query then tells which passages match by comparing sets,
and walks the words of only the few passages it marks up.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from flask_babel import lazy_gettext
from markupsafe import Markup, escape

from portal.i18n import _
from portal.publication import PublicCase
from portal.search import vocabulary
from portal.search.analysis import TOKEN_PATTERN, fold, squash, squashed_forms

MAX_HIGHLIGHTS = 3
# The engine's cached analyser: a word to its index terms.
Analyse = Callable[[str], list[str]]
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class Highlight:
    field: str  # where it matched, as a record field path ("marks[0]", "clothing[1]")
    label: Markup  # in words ("Tattoo on the left forearm"), the location marked if it matched
    snippet: Markup  # the text with matching words in <mark>

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "label": str(self.label), "snippet": str(self.snippet)}


@dataclass(frozen=True)
class QueryTerms:
    """What a query looks for, in the forms the texts are compared in."""

    stems: frozenset[str]  # analysed terms (stemmed, folded)
    locations: frozenset[str]  # body-location tokens the query names
    motifs: frozenset[str]  # motif and class words the query names
    literals: frozenset[str]  # the query squashed (R'Nick -> rnick), for inscriptions

    @classmethod
    def from_query(cls, text: str, stems: frozenset[str]) -> QueryTerms:
        words = vocabulary.words(text)
        meaningful = [w for w in words if w not in vocabulary.STOPWORDS]
        return cls(
            stems,
            frozenset(vocabulary.location_query(words)),
            frozenset(vocabulary.motif_query(meaningful)),
            frozenset(squashed_forms(text)),
        )


class Passage(NamedTuple):
    """One place in a case a snippet can come from, with what the words written in it stand for."""

    field: str  # record field path: "marks[0]", "clothing[1]", "circumstances"
    heading: str  # what the snippet is labelled with (for a mark, its type and location)
    text: str
    # What its words stand for (see Lexicon), each once: a tuple holds them in a quarter of a
    # set's memory, and a query's few wanted senses are looked up in a set all the same.
    senses: tuple[str, ...]
    location: str | None = None  # a mark's location, marked when the query names it
    inscription: str | None = None  # a mark's inscription, at the end of the text in quotes
    literal: str | None = None  # the inscription squashed, compared with the query's literals


# A case's passages in the order snippets are chosen: marks (tattoos first), items, texts.
SnippetSource = tuple[Passage, ...]


@lru_cache(maxsize=50_000)
def _motif_words(word: str) -> frozenset[str]:
    """The motif and class words one word stands for (koi -> koi, fish, animal)."""
    return frozenset(vocabulary.motif_tokens(word)) | frozenset(vocabulary.motif_query([word]))


@lru_cache(maxsize=20_000)
def _location_tokens(location: str) -> frozenset[str]:
    return frozenset(vocabulary.location_tokens(location))


# Motif and class words are told apart from index terms by this prefix, which no word contains:
# one set then holds both, and one comparison tells whether a passage matches.
_MOTIF = "\x00"
_NOTHING: frozenset[str] = frozenset()


def _motifs(words: Iterable[str]) -> frozenset[str]:
    return frozenset(_MOTIF + word for word in words)


class Lexicon:
    """What each word as written stands for: its index terms (analysed as the index analyses
    them) and, prefixed, the motif and class words it names. Worked out once per word, however
    many texts the word appears in."""

    MAX_WORDS = 100_000

    def __init__(self, analyse: Analyse) -> None:
        self.analyse = analyse
        self._senses: dict[str, frozenset[str]] = {}

    def _table(self, words: Collection[str]) -> dict[str, frozenset[str]]:
        """The table, holding these words. A full table is replaced by a new one: a thread
        still reading the old one goes on with it."""
        senses = self._senses
        new = [word for word in words if word not in senses]
        if new:
            if len(senses) + len(new) > self.MAX_WORDS:
                senses = self._senses = {}
                new = list(dict.fromkeys(words))
            for word in new:
                folded = fold(word)
                senses[word] = frozenset(self.analyse(folded)) | _motifs(_motif_words(folded))
        return senses

    def senses(self, words: Collection[str]) -> tuple[str, ...]:
        """What these words stand for, together, each once."""
        return tuple(_NOTHING.union(*map(self._table(words).__getitem__, words)))

    def sense(self, word: str) -> frozenset[str]:
        """What one word stands for."""
        return self._table((word,))[word]


def snippet_source(case: PublicCase, lexicon: Lexicon) -> SnippetSource:
    """Every passage of a case's public text a snippet may show, strongest kind first."""
    passages: list[Passage] = []

    def _passage(field: str, heading: str, text: str, **mark: str | None) -> Passage:
        # Field paths and headings repeat from case to case: one copy of each is kept.
        senses = lexicon.senses(set(TOKEN_PATTERN.findall(text)))
        return Passage(sys.intern(field), sys.intern(heading), text, senses, **mark)

    marks = sorted(enumerate(case.marks), key=lambda pair: pair[1].type != "tattoo")
    for index, mark in marks:
        text = mark.description + (f" “{mark.inscription}”" if mark.inscription else "")
        passages.append(
            _passage(
                f"marks[{index}]",
                mark.type.capitalize(),
                text,
                location=mark.location,
                inscription=mark.inscription or None,
                literal=squash(mark.inscription) if mark.inscription else None,
            )
        )
    groups = (
        ("clothing", case.clothing),
        ("jewellery", case.jewellery),
        ("belongings", case.belongings),
    )
    for group, items in groups:
        for index, item in enumerate(items):
            text = ", ".join(
                part
                for part in (
                    item.item,
                    item.colour,
                    item.brand,
                    item.material,
                    item.description,
                    item.inscription,
                )
                if part
            )
            if text:
                passages.append(_passage(f"{group}[{index}]", group.capitalize(), text))
    for path, heading, value in (
        ("circumstances", "Circumstances", case.circumstances),
        ("physical_description", "Description", case.physical_description),
        ("dental_summary", "Teeth", case.dental_summary),
        (
            "event.place",
            "Place",
            ", ".join(p for p in (case.event.place, case.event.locality, case.event.region) if p),
        ),
        *(
            (
                f"translations.{t.lang}",
                f"Translation ({t.lang})",
                " ".join(p for p in (t.title, t.circumstances, t.physical_description) if p),
            )
            for t in case.translations
        ),
    ):
        if value:
            passages.append(_passage(path, heading, value))
    return tuple(passages)


class Matcher:
    """One query's terms, each word of the texts judged once however many results contain it."""

    def __init__(self, terms: QueryTerms, lexicon: Lexicon) -> None:
        self.terms = terms
        self.lexicon = lexicon
        # What a word must stand for to match: an analysed term of the query, or (a rose for a
        # search for flowers) a motif or class word the query names.
        self.wanted = terms.stems | _motifs(terms.motifs)
        self._words: dict[str, bool] = {}  # words as written, judged

    def _hit(self, word: str) -> bool:
        return not self.wanted.isdisjoint(self.lexicon.sense(word))

    def matches(self, passage: Passage) -> bool:
        """Whether any word of the passage matches the query (as _hit would find word by word)."""
        return not self.wanted.isdisjoint(passage.senses)

    def spans(self, passage: Passage) -> list[tuple[int, int]]:
        if not self.matches(passage):
            return []
        words = self._words
        spans = []
        for match in TOKEN_PATTERN.finditer(passage.text):
            word = match.group()
            hit = words.get(word)
            if hit is None:
                hit = words[word] = self._hit(word)
            if hit:
                spans.append((match.start(), match.end()))
        return spans

    def highlights(self, source: SnippetSource) -> list[Highlight]:
        """Up to three places in a case that explain why it matched, strongest first."""
        found: list[Highlight] = []
        locations = self.terms.locations
        for passage in source:
            spans = self.spans(passage)
            if passage.location is None:
                if spans:
                    found.append(
                        Highlight(
                            passage.field,
                            escape(heading_label(passage.heading)),
                            mark_up(passage.text, spans),
                        )
                    )
            else:
                if passage.literal is not None and passage.literal in self.terms.literals:
                    # Written differently but the same letters (rnick for R'Nick): mark it whole.
                    assert passage.inscription is not None
                    start = len(passage.text) - len(passage.inscription) - 1
                    spans = [(start, start + len(passage.inscription))]
                location_hit = bool(locations) and not locations.isdisjoint(
                    _location_tokens(passage.location)
                )
                if spans or location_hit:
                    found.append(
                        Highlight(
                            passage.field,
                            _mark_label(passage.heading, passage.location, location_hit),
                            mark_up(passage.text, spans),
                        )
                    )
            if len(found) >= MAX_HIGHLIGHTS:
                break
        return found


# Passages are built once per case and kept; their headings are English keys, translated each
# time a results page shows them, into that page's language.
HEADINGS = {
    "Tattoo": lazy_gettext("Tattoo"),
    "Scar": lazy_gettext("Scar"),
    "Birthmark": lazy_gettext("Birthmark"),
    "Piercing": lazy_gettext("Piercing"),
    "Mark": lazy_gettext("Mark"),
    "Amputation": lazy_gettext("Amputation"),
    "Implant": lazy_gettext("Implant"),
    "Other": lazy_gettext("Other"),
    "Clothing": lazy_gettext("Clothing"),
    "Jewellery": lazy_gettext("Jewellery"),
    "Belongings": lazy_gettext("Belongings"),
    "Circumstances": lazy_gettext("Circumstances"),
    "Description": lazy_gettext("Description"),
    "Teeth": lazy_gettext("Teeth"),
    "Place": lazy_gettext("Place"),
}


def heading_label(heading: str) -> str:
    if heading.startswith("Translation ("):
        return _("Translation (%(language)s)", language=heading[len("Translation (") : -1])
    label = HEADINGS.get(heading)
    return str(label) if label is not None else heading


def _mark_label(kind: str, location: str, location_hit: bool) -> Markup:
    """A mark's label, "Tattoo on the left forearm", the location marked if the query named it."""
    place = escape(location)
    # Markup.replace escapes what it is given; only our own <mark> is markup.
    where = Markup("<mark>%s</mark>") % place if location_hit else place
    sentence = escape(_("%(mark)s on the %(location)s", mark="\x00K", location="\x00L"))
    return sentence.replace("\x00K", heading_label(kind)).replace("\x00L", where)


def mark_up(text: str, spans: list[tuple[int, int]]) -> Markup:
    """The text, escaped, with each span wrapped in <mark>; cut around the first match."""
    if spans and len(text) > SNIPPET_CHARS:
        first = spans[0][0]
        begin = max(0, first - SNIPPET_CHARS // 3)
        end = min(len(text), begin + SNIPPET_CHARS)
        prefix = "…" if begin else ""
        suffix = "…" if end < len(text) else ""
        spans = [(s - begin, e - begin) for s, e in spans if s >= begin and e <= end]
        text = text[begin:end]
    else:
        prefix = suffix = ""
    parts = [prefix]
    position = 0
    for start, end in spans:
        parts += (escape(text[position:start]), "<mark>", escape(text[start:end]), "</mark>")
        position = end
    parts += (escape(text[position:]), suffix)
    # Every piece of the text is escaped; the only markup is our own <mark>; "…" needs none.
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def highlights(case: PublicCase, terms: QueryTerms, analyse: Analyse) -> list[Highlight]:
    """Up to three places in a case that explain why it matched, strongest first."""
    lexicon = Lexicon(analyse)
    return Matcher(terms, lexicon).highlights(snippet_source(case, lexicon))
