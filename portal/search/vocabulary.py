"""Search vocabulary: folding, body locations, tattoo motifs, query synonyms and stop words."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

_DATA = Path(__file__).with_name("data")

Phrase = tuple[str, ...]
_V = TypeVar("_V")

# Letters NFKD leaves whole although readers take them for accented ASCII letters.
_SPECIAL_FOLDS = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "æ": "ae",
        "ł": "l",
        "đ": "d",
        "œ": "oe",
        "þ": "th",
        "ð": "d",
        "\u0131": "i",  # dotless i
    }
)
# Chinese and Japanese have no spaces between words: one character per token keeps an
# inscription such as 平安 searchable without a segmenter. Hangul is written with spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_WORD = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")


def fold(text: str) -> str:
    """Lower case without accents: Fjällräven -> fjallraven, Straße -> strasse, Łódź -> lodz."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered.translate(_SPECIAL_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # NFC joins Hangul jamo back into syllables; compatibility forms may bring capitals back.
    return unicodedata.normalize("NFC", stripped).lower()


def words(text: str) -> list[str]:
    """The folded words of a text, in order: letters and digits, CJK one character per word."""
    return _WORD.findall(fold(text))


# -- data loading ----------------------------------------------------------------------------


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of two equal keys; in a hand-edited word list that loses an entry.
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"repeated keys: {', '.join(repeated)}")
    return dict(pairs)


def _load(name: str) -> dict[str, Any]:
    text = (_DATA / name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text, object_pairs_hook=_unique_keys)
    return data


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return value


def _phrase(text: str) -> Phrase:
    return tuple(words(text))


def _plural(word: str) -> set[str]:
    """Regular English plurals; a wrong extra form costs nothing, it just never occurs."""
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return {word[:-1] + "ies"}
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return {word + "es"}
    if word.endswith("fe"):
        return {word + "s", word[:-2] + "ves"}
    if word.endswith("f"):
        return {word + "s", word[:-1] + "ves"}
    if word.endswith("o"):
        return {word + "s", word + "es"}
    if word.isdigit():
        return set()
    return {word + "s"}


def _forms(text: str, irregular: Mapping[str, list[str]]) -> set[Phrase]:
    """A phrase and its plurals (the last word inflected), as word tuples."""
    phrase = _phrase(text)
    if not phrase:
        raise ValueError(f"empty phrase {text!r}")
    forms = {phrase}
    key = " ".join(phrase)
    if key in irregular:
        forms |= {_phrase(plural) for plural in irregular[key]}
    elif phrase[-1] in irregular:
        forms |= {(*phrase[:-1], plural) for plural in irregular[phrase[-1]]}
    else:
        forms |= {(*phrase[:-1], plural) for plural in _plural(phrase[-1])}
    return forms


def _longest(table: Iterable[Phrase]) -> dict[str, int]:
    """For each first word, the length of the longest phrase starting with it."""
    longest: dict[str, int] = {}
    for phrase in table:
        longest[phrase[0]] = max(longest.get(phrase[0], 0), len(phrase))
    return longest


def _scan(
    seq: Sequence[str], table: Mapping[Phrase, _V], longest: Mapping[str, int]
) -> list[tuple[int, int, _V]]:
    """Non-overlapping matches of the table's phrases, longest first: (start, end, value)."""
    found: list[tuple[int, int, _V]] = []
    i, n = 0, len(seq)
    while i < n:
        size = min(longest.get(seq[i], 0), n - i)
        while size:
            value = table.get(tuple(seq[i : i + size]))
            if value is not None:
                found.append((i, i + size, value))
                i += size
                break
            size -= 1
        else:
            i += 1
    return found


def _closure(name: str, broader: Mapping[str, list[str]]) -> tuple[str, ...]:
    """The name and everything it lies in, nearest first, without repeats."""
    seen: dict[str, None] = {}
    pending = [name]
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        if current not in broader:
            raise ValueError(f"unknown vocabulary entry {current!r}")
        seen[current] = None
        pending.extend(broader[current])
    return tuple(seen)


# -- stop words and synonyms -----------------------------------------------------------------


@cache
def _stopwords() -> frozenset[str]:
    data = _load("vocabulary-stopwords.json")
    return frozenset(
        word for key, values in data.items() if key != "about" for word in _strings(values)
    )


STOPWORDS: frozenset[str] = _stopwords()


@dataclass(frozen=True)
class _Synonyms:
    tattoo_words: frozenset[str]
    suffixes: tuple[str, ...]
    links: tuple[str, ...]
    related: Mapping[str, tuple[str, ...]]
    # English phrase -> its translations, and each single-word translation -> English words.
    translations: Mapping[str, tuple[str, ...]]
    english: Mapping[str, tuple[str, ...]]


@cache
def _synonyms() -> _Synonyms:
    data = _load("vocabulary-synonyms.json")
    related: dict[str, dict[str, None]] = {}
    for group in data["equivalents"]:
        members = _strings(group)
        for word in members:
            related.setdefault(word, {}).update((other, None) for other in members if other != word)
    for word, targets in data["one_way"].items():
        related.setdefault(word, {}).update((target, None) for target in _strings(targets))
    translations: dict[str, tuple[str, ...]] = {}
    english: dict[str, dict[str, None]] = {}
    for source, foreign in data["translations"].items():
        translations[" ".join(_phrase(source))] = tuple(_strings(foreign))
        for word in _strings(foreign):
            if len(_phrase(word)) == 1:
                english.setdefault(word, {}).update((w, None) for w in _phrase(source))
    return _Synonyms(
        tattoo_words=frozenset(_strings(data["tattoo_words"])),
        # Longest first, so "tattoos" is cut off before "tattoo" would leave an "s".
        suffixes=tuple(sorted(_strings(data["compound_suffixes"]), key=len, reverse=True)),
        links=tuple(_strings(data["compound_links"])),
        related={word: tuple(targets) for word, targets in related.items()},
        translations=translations,
        english={word: tuple(targets) for word, targets in english.items()},
    )


def _known_word(word: str) -> bool:
    return (
        (word,) in _body().query_phrases
        or (word,) in _motifs().query
        or word in _synonyms().english
    )


def _tattoo_compound(word: str) -> str | None:
    """The first part of a Dutch or German tattoo compound: bloementatoeage -> bloemen.

    None when the word is no tattoo compound, "" when it is one with a first part we do not know.
    """
    synonyms = _synonyms()
    for suffix in synonyms.suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            prefix = word[: -len(suffix)]
            candidates = [prefix] + [
                prefix[: -len(link)]
                for link in synonyms.links
                if prefix.endswith(link) and len(prefix) - len(link) >= 3
            ]
            for candidate in candidates:
                if _known_word(candidate):
                    return candidate
            return ""
    return None


def _expand(query_words: Iterable[str]) -> list[str]:
    """Query words with compounds split: linkerarm -> linker arm, rozentattoo -> rozen."""
    body = _body()
    out: list[str] = []
    for word in query_words:
        if _known_word(word) or word in body.sides:
            out.append(word)
            continue
        sided = _side_compound(word, body.query_phrases)
        if sided:
            out += sided
            continue
        first = _tattoo_compound(word)
        out.append(first if first else word)
    return out


def query_synonyms(word: str) -> list[str]:
    """Other folded words to also search for one folded query word (never the word itself)."""
    synonyms = _synonyms()
    found: dict[str, None] = {}
    if word in synonyms.tattoo_words:
        found["tattoo"] = None
    found.update(dict.fromkeys(synonyms.related.get(word, ())))
    found.update(dict.fromkeys(synonyms.english.get(word, ())))
    if not found:
        first = _tattoo_compound(word)
        if first is not None:
            found["tattoo"] = None
            if first:
                found.update(dict.fromkeys(synonyms.english.get(first, (first,))))
    if not found and word.endswith("s"):
        # Plurals of the British and American pairs: the engine stems both sides anyway.
        for singular in (word[:-1], word[:-2] if word.endswith("es") else ""):
            found.update(dict.fromkeys(synonyms.related.get(singular, ())))
    found.pop(word, None)
    return list(found)


# -- body locations --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    name: str
    closure: tuple[str, ...]  # the part and every part or region it lies in, nearest first
    regions: tuple[str, ...]  # the facet regions reached first when climbing from the part


@dataclass(frozen=True)
class _Body:
    regions: tuple[str, ...]
    parts: Mapping[str, _Part]
    index_phrases: Mapping[Phrase, str]
    query_phrases: Mapping[Phrase, str]
    index_longest: Mapping[str, int]
    query_longest: Mapping[str, int]
    sides: Mapping[str, tuple[str, ...]]
    abbreviations: frozenset[str]
    side_prefixes: tuple[str, ...]
    conjunctions: frozenset[str]
    determiners: frozenset[str]
    surfaces: frozenset[str]
    fillers: frozenset[str]
    masks: tuple[str, ...]


@cache
def _body() -> _Body:
    data = _load("vocabulary-body.json")
    regions = tuple(_strings(data["regions"]))
    entries: dict[str, Any] = data["parts"]
    broader = {name: _strings(entry["broader"]) for name, entry in entries.items()}
    if not set(regions) <= set(broader):
        raise ValueError("every region must be a part")

    def nearest_regions(name: str) -> tuple[str, ...]:
        if name in regions:
            return (name,)
        found = dict.fromkeys(r for above in broader[name] for r in nearest_regions(above))
        return tuple(found)

    parts = {name: _Part(name, _closure(name, broader), nearest_regions(name)) for name in entries}
    irregular: dict[str, list[str]] = {
        key: _strings(value) for key, value in data["irregular_plurals"].items()
    }
    determiners = frozenset(_strings(data["determiners"]))

    def key(phrase: Phrase) -> Phrase:
        # Locations are matched with articles and possessives left out.
        return tuple(word for word in phrase if word not in determiners)

    phrases: dict[Phrase, str] = {}

    def add(phrase: Phrase, name: str) -> None:
        phrase = key(phrase)
        if phrases.get(phrase, name) != name:
            raise ValueError(f"{' '.join(phrase)!r} names both {phrases[phrase]} and {name}")
        phrases[phrase] = name

    translations = _synonyms().translations
    for name, entry in entries.items():
        for text in [name.replace("_", " "), *_strings(entry["aliases"])]:
            for form in _forms(text, irregular):
                add(form, name)
            for foreign in translations.get(" ".join(_phrase(text)), ()):
                add(_phrase(foreign), name)
    location_only: dict[str, str] = data["location_only"]
    query_phrases = dict(phrases)
    excluded = {_phrase(word) for word in _strings(data["query_exclude"])}
    for phrase in excluded:
        query_phrases.pop(phrase, None)
    for text, name in location_only.items():
        for form in _forms(text, irregular):
            add(form, name)
    sides: dict[str, tuple[str, ...]] = {}
    for side, side_words in data["sides"].items():
        value = ("left", "right") if side == "both" else (side,)
        sides.update((word, value) for word in _strings(side_words))
    side_prefix_words: dict[str, str] = data["side_prefixes"]
    return _Body(
        regions=regions,
        parts=parts,
        index_phrases=phrases,
        query_phrases=query_phrases,
        index_longest=_longest(phrases),
        query_longest=_longest(query_phrases),
        sides=sides,
        # Abbreviated sides qualify a part only right next to it: "r" is also the R of R'Nick.
        abbreviations=frozenset(
            word for word in sides if len(word) <= 2 or word in ("lft", "rght")
        ),
        side_prefixes=tuple(sorted(side_prefix_words, key=len, reverse=True)),
        conjunctions=frozenset(_strings(data["conjunctions"])),
        determiners=determiners,
        surfaces=frozenset(_strings(data["surfaces"])),
        fillers=frozenset(_strings(data["fillers"])),
        masks=tuple(_strings(data["query_masks"])),
    )


BODY_REGIONS: tuple[str, ...] = _body().regions
BODY_PART_WORDS: frozenset[str] = frozenset(
    phrase[0] for phrase in _body().query_phrases if len(phrase) == 1
)


@dataclass(frozen=True)
class _Located:
    part: _Part
    start: int  # positions in the word list the location was read from
    end: int


@dataclass(frozen=True)
class _Reading:
    parts: tuple[_Located, ...]
    marks: tuple[tuple[int, tuple[str, ...]], ...]  # side words: position, sides


def _read(
    seq: Sequence[str], phrases: Mapping[Phrase, str], longest: Mapping[str, int]
) -> _Reading:
    """The body parts named in a word list and where its side words are."""
    body = _body()
    kept: list[str] = []
    positions: list[int] = []
    marks: list[tuple[int, tuple[str, ...]]] = []
    for i, word in enumerate(seq):
        sides = body.sides.get(word)
        if sides is not None:
            # "left and right arms", "left/right": one mark for both sides.
            if marks and (
                marks[-1][0] == i - 1 or (marks[-1][0] == i - 2 and seq[i - 1] in body.conjunctions)
            ):
                previous = marks.pop()[1]
                sides = tuple(s for s in ("left", "right") if s in previous or s in sides)
            marks.append((i, sides))
        elif word not in body.determiners:
            kept.append(word)
            positions.append(i)
    parts: list[_Located] = []
    for start, end, name in _scan(kept, phrases, longest):
        # The back of the hand is the hand, the back of the knee the knee: not the torso's back.
        if (
            end - start == 1
            and kept[start] in body.surfaces
            and kept[end : end + 1] == ["of"]
            and _starts(kept, end + 1, phrases, longest)
        ):
            continue
        parts.append(_Located(body.parts[name], positions[start], positions[end - 1]))
    return _Reading(tuple(parts), tuple(marks))


def _starts(
    seq: Sequence[str], i: int, table: Mapping[Phrase, Any], longest: Mapping[str, int]
) -> bool:
    """Whether one of the table's phrases starts at position i."""
    if i >= len(seq):
        return False
    size = min(longest.get(seq[i], 0), len(seq) - i)
    return any(tuple(seq[i : i + n]) in table for n in range(size, 0, -1))


def _location_sides(reading: _Reading, located: _Located) -> tuple[str, ...]:
    """The sides a part of an indexed location is on."""
    if not reading.marks:
        return ()
    if len({sides for _, sides in reading.marks}) == 1:
        return reading.marks[0][1]
    before = [sides for position, sides in reading.marks if position < located.start]
    if before:
        return before[-1]
    return next((sides for position, sides in reading.marks if position > located.end), ())


def _side_compound(word: str, phrases: Mapping[Phrase, str]) -> list[str] | None:
    """Dutch and German glue the side onto the part: linkerarm, rechteronderarm."""
    if (word,) in phrases:
        return None
    for prefix in _body().side_prefixes:
        if word.startswith(prefix) and (word[len(prefix) :],) in phrases:
            return [prefix, word[len(prefix) :]]
    return None


# Indexing reads each mark's location twice (tokens, regions), and locations repeat.
@lru_cache(maxsize=4096)
def _reading(location: str) -> _Reading:
    body = _body()
    seq: list[str] = []
    for word in words(location):
        seq += _side_compound(word, body.index_phrases) or [word]
    return _read(seq, body.index_phrases, body.index_longest)


def location_tokens(location: str) -> list[str]:
    """Index tokens for a mark's location: parts, the regions they lie in, side-qualified forms.

    "left forearm" -> forearm, arm, left, left_forearm, left_arm.
    """
    reading = _reading(location)
    found: dict[str, None] = {}
    for located in reading.parts:
        closure = located.part.closure
        found.update(dict.fromkeys(closure))
        for side in _location_sides(reading, located):
            found[side] = None
            found.update(dict.fromkeys(f"{side}_{name}" for name in closure))
    return list(found)


def body_regions(location: str) -> list[str]:
    """The facet regions (BODY_REGIONS) a location lies in, head to foot."""
    reading = _reading(location)
    found = {region for located in reading.parts for region in located.part.regions}
    return [region for region in BODY_REGIONS if region in found]


@cache
def _location_masks() -> tuple[Mapping[Phrase, bool], Mapping[str, int]]:
    """Query phrases with a body word that do not name a place on the body: praying hands."""
    body = _body()
    masks: dict[Phrase, bool] = {_phrase(text): True for text in body.masks}
    for phrase, tokens in _motifs().query.items():
        place = tuple(word for word in phrase if word not in body.determiners)
        if (
            tokens
            and len(phrase) > 1
            and BODY_PART_WORDS.intersection(phrase)
            and place not in body.query_phrases
        ):
            masks[phrase] = True
    return masks, _longest(masks)


def location_query(query_words: list[str]) -> list[str]:
    """Location tokens a query asks for: the parts it names and, next to a side word, left_arm."""
    body = _body()
    seq = _expand(query_words)
    masks, longest = _location_masks()
    for start, end, _ in _scan(seq, masks, longest):
        seq[start:end] = [""] * (end - start)
    reading = _read(seq, body.query_phrases, body.query_longest)
    found: dict[str, None] = {}
    for located in reading.parts:
        name = located.part.name
        found[name] = None
        for position, sides in reading.marks:
            if _beside(seq, position, located):
                found.update(dict.fromkeys(f"{side}_{name}" for side in sides))
    return list(found)


def _beside(seq: Sequence[str], position: int, located: _Located) -> bool:
    """Whether the side word at position qualifies the located part: left arm, upper left arm,
    left side of the neck, arm left."""
    body = _body()
    if located.start <= position <= located.end or position == located.end + 1:
        return True
    if position > located.start:
        return False
    between = seq[position + 1 : located.start]
    if seq[position] in body.abbreviations:
        return not between
    return len(between) <= 3 and all(
        word in body.fillers or word in body.determiners for word in between
    )


# -- motifs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Motifs:
    index: Mapping[Phrase, tuple[str, tuple[str, ...]]]  # phrase -> canonical name, classes
    query: Mapping[Phrase, tuple[str, ...]]  # phrase -> class words and canonical names
    index_longest: Mapping[str, int]
    query_longest: Mapping[str, int]
    classes: frozenset[str]
    name_markers: frozenset[str]


@cache
def _motifs() -> _Motifs:
    data = _load("vocabulary-motifs.json")
    class_entries: dict[str, Any] = data["classes"]
    broader = {name: _strings(entry["broader"]) for name, entry in class_entries.items()}
    ansi: dict[str, list[str]] = {
        code: _strings(entry["tags"]) for code, entry in data["ansi"].items()
    }
    irregular: dict[str, list[str]] = {
        key: _strings(value) for key, value in data["irregular_plurals"].items()
    }
    translations = _synonyms().translations

    def classes_of(tags: list[str]) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for tag in tags:
            if tag.isupper() or tag.isdigit():
                if tag not in ansi:
                    raise ValueError(f"unknown ANSI/NIST subclass {tag!r}")
                for name in ansi[tag]:
                    found.update(dict.fromkeys(_closure(name, broader)))
            else:
                found.update(dict.fromkeys(_closure(tag, broader)))
        return tuple(found)

    index: dict[Phrase, tuple[str, tuple[str, ...]]] = {}
    query: dict[Phrase, dict[str, None]] = {}

    def add_query(phrase: Phrase, token: str) -> None:
        query.setdefault(phrase, {})[token] = None

    def names(text: str) -> list[str]:
        """A name and its translations, each a phrase."""
        return [text, *translations.get(" ".join(_phrase(text)), ())]

    for name, entry in class_entries.items():
        classes = _closure(name, broader)
        queried = entry.get("query", True)
        for text in [name, *_strings(entry["aliases"])]:
            for form in _forms(text, irregular):
                index[form] = (name, classes)
                if queried:
                    add_query(form, name)
            if queried:
                for foreign in translations.get(" ".join(_phrase(text)), ()):
                    add_query(_phrase(foreign), name)
    aliases: dict[str, list[str]] = {}
    for alias, target in data["aliases"].items():
        if target not in data["motifs"]:
            raise ValueError(f"alias {alias!r} of unknown motif {target!r}")
        aliases.setdefault(target, []).append(alias)
    index_only = {" ".join(_phrase(text)) for text in _strings(data["index_only"])}
    motif_phrases: dict[Phrase, str] = {}
    for motif, tags in data["motifs"].items():
        canonical = "_".join(_phrase(motif))
        classes = classes_of(_strings(tags))
        for text in [motif, *aliases.get(motif, [])]:
            for form in _forms(text, irregular):
                if motif_phrases.get(form, motif) != motif:
                    raise ValueError(
                        f"{' '.join(form)!r} is both {motif_phrases[form]} and {motif}"
                    )
                motif_phrases[form] = motif
                previous = index.get(form, ("", ()))[1]
                index[form] = (canonical, tuple(dict.fromkeys((*previous, *classes))))
                if " ".join(_phrase(motif)) not in index_only:
                    add_query(form, canonical)
        if " ".join(_phrase(motif)) not in index_only:
            for text in [motif, *aliases.get(motif, [])]:
                for foreign in names(text)[1:]:
                    add_query(_phrase(foreign), canonical)
    for text in _strings(data["blockers"]):
        index[_phrase(text)] = ("", ())
        query[_phrase(text)] = {}
    # The engine drops stop words before asking: "star of david" arrives as "star david".
    stopwords = _stopwords()
    for phrase, tokens in list(query.items()):
        short = tuple(word for word in phrase if word not in stopwords)
        if len(short) > 1 and short != phrase and short not in query:
            query[short] = tokens
    frozen_query = {phrase: tuple(tokens) for phrase, tokens in query.items()}
    return _Motifs(
        index=index,
        query=frozen_query,
        index_longest=_longest(index),
        query_longest=_longest(frozen_query),
        classes=frozenset(class_entries),
        name_markers=frozenset(_strings(data["name_markers"])),
    )


MOTIF_CLASSES: frozenset[str] = _motifs().classes


def _named(seq: Sequence[str], start: int, end: int) -> bool:
    """A single word right after "name" or "word" is the text of the tattoo: the name Rose."""
    return end - start == 1 and start > 0 and seq[start - 1] in _motifs().name_markers


def motif_tokens(text: str) -> list[str]:
    """The class words of every motif in a mark's description: red rose -> flower, plant."""
    motifs = _motifs()
    seq = words(text)
    found: dict[str, None] = {}
    for start, end, (_, classes) in _scan(seq, motifs.index, motifs.index_longest):
        if not _named(seq, start, end):
            found.update(dict.fromkeys(classes))
    return list(found)


def motif_query(query_words: list[str]) -> list[str]:
    """Class words and canonical motif names in query words: flowers -> flower, roses -> rose."""
    motifs = _motifs()
    seq = _expand(query_words)
    found: dict[str, None] = {}
    for start, end, tokens in _scan(seq, motifs.query, motifs.query_longest):
        if not _named(seq, start, end):
            found.update(dict.fromkeys(tokens))
    return list(found)
