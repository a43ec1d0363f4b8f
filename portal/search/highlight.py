"""Snippets that show why a case matched: the matching words marked in its public text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

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


@lru_cache(maxsize=50_000)
def _motif_words(word: str) -> frozenset[str]:
    """The motif and class words one word stands for (koi -> koi, fish, animal)."""
    return frozenset(vocabulary.motif_tokens(word)) | frozenset(vocabulary.motif_query([word]))


def _spans(text: str, terms: QueryTerms, analyse: Analyse) -> list[tuple[int, int]]:
    spans = []
    for match in TOKEN_PATTERN.finditer(text):
        word = fold(match.group())
        stems = analyse(word)
        hit = not terms.stems.isdisjoint(stems)
        if not hit and terms.motifs:
            # A rose matches a search for flowers: mark the word that carries the class.
            hit = not terms.motifs.isdisjoint(_motif_words(word))
        if hit:
            spans.append((match.start(), match.end()))
    return spans


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
    out = escape(prefix)
    position = 0
    for start, end in spans:
        out += escape(text[position:start]) + Markup("<mark>") + escape(text[start:end])
        out += Markup("</mark>")
        position = end
    return out + escape(text[position:]) + escape(suffix)


def highlights(case: PublicCase, terms: QueryTerms, analyse: Analyse) -> list[Highlight]:
    """Up to three places in a case that explain why it matched, strongest first."""
    found: list[Highlight] = []
    marks = sorted(enumerate(case.marks), key=lambda pair: pair[1].type != "tattoo")
    for index, mark in marks:
        text = mark.description + (f" “{mark.inscription}”" if mark.inscription else "")
        spans = _spans(text, terms, analyse)
        if mark.inscription and squash(mark.inscription) in terms.literals:
            # Written differently but the same letters (rnick for R'Nick): mark it whole.
            start = len(mark.description) + 2
            spans = [(start, start + len(mark.inscription))]
        location_hit = bool(set(vocabulary.location_tokens(mark.location)) & terms.locations)
        if spans or location_hit:
            template = "{} on the <mark>{}</mark>" if location_hit else "{} on the {}"
            # The template is ours; format() escapes the record's words.
            label = Markup(template).format(mark.type.capitalize(), mark.location)  # noqa: S704
            found.append(Highlight(f"marks[{index}]", label, mark_up(text, spans)))
            if len(found) >= MAX_HIGHLIGHTS:
                return found
    if len(found) >= MAX_HIGHLIGHTS:
        return found
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
            spans = _spans(text, terms, analyse)
            if spans:
                found.append(
                    Highlight(f"{group}[{index}]", escape(group.capitalize()), mark_up(text, spans))
                )
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
            spans = _spans(value, terms, analyse)
            if spans:
                found.append(Highlight(path, escape(heading), mark_up(value, spans)))
    return found[:MAX_HIGHLIGHTS]
