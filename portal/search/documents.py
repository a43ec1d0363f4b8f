"""Turn the public view of a case into a search document: only what the public may see."""

from __future__ import annotations

import re
from typing import Any

from portal.publication import PublicCase
from portal.search import vocabulary
from portal.search.analysis import squashed_forms
from portal.templating import country_name

MARK_TYPE_WORDS = {
    "tattoo": "tattoo",
    "scar": "scar",
    "birthmark": "birthmark",
    "piercing": "piercing",
    "mark": "mark",
    "amputation": "amputation missing",
    "implant": "implant",
    "other": "",
}


def _join(*parts: object) -> str:
    return "\n".join(str(part) for part in parts if part)


_SIDES = frozenset({"left", "right"})


def mark_text(case: PublicCase) -> str:
    """Everything about the marks, plus the vocabulary's broader words for them.

    Location tokens (forearm -> arm, left_arm) and motif classes (rose -> flower) are added at
    index time, so a query for a region or a class is one cheap term lookup. Pairs of motif and
    region (rose_arm, tattoo_hand) let a match on both in the same mark outrank two matches
    scattered over different marks.
    """
    parts: list[str] = []
    for mark in case.marks:
        description = _join(mark.description, mark.inscription)
        locations = vocabulary.location_tokens(mark.location)
        # Pairs use the parts and regions, not the side-qualified tokens (left_arm).
        regions = [
            token
            for token in locations
            if token not in _SIDES and not token.startswith(("left_", "right_"))
        ]
        motifs = {
            *vocabulary.motif_query(vocabulary.words(description)),
            *vocabulary.motif_tokens(description),
        }
        motifs.add(mark.type)
        pairs = [f"{motif}_{region}" for motif in sorted(motifs) for region in regions]
        parts += [
            MARK_TYPE_WORDS[mark.type],
            mark.location,
            description,
            " ".join(mark.colours),
            " ".join(locations),
            " ".join(sorted(motifs)),
            " ".join(pairs),
        ]
    return _join(*parts)


# Text police put in quotes inside a description ("dentures marked 'E.W.'") is written text
# too, and is searched the same way as an inscription.
_QUOTED = re.compile(r"""(?:^|[\s(])['"‘“]([^'"‘’“”]{1,40})['"’”](?=$|[\s.,;:)!?])""")


def inscriptions(case: PublicCase) -> list[str]:
    texts = [mark.inscription for mark in case.marks if mark.inscription]
    texts += [item.inscription for item in case.jewellery if item.inscription]
    for text in (
        case.title,
        case.dental_summary,
        case.physical_description,
        case.circumstances,
        *(mark.description for mark in case.marks),
        *(item.description for item in (*case.clothing, *case.jewellery, *case.belongings)),
    ):
        if text:
            texts += _QUOTED.findall(text)
    return texts


def items_text(case: PublicCase) -> str:
    parts: list[str | None] = []
    for item in (*case.clothing, *case.jewellery, *case.belongings):
        parts += [
            item.item,
            item.colour,
            item.brand,
            item.material,
            item.size,
            item.description,
            item.inscription,
        ]
    return _join(*parts)


def narrative_text(case: PublicCase) -> str:
    event = case.event
    translations = [
        _join(t.title, t.circumstances, t.physical_description) for t in case.translations
    ]
    return _join(
        case.circumstances,
        case.physical_description,
        case.build,
        case.hair,
        case.eyes,
        case.complexion,
        case.dental_summary,
        event.place,
        event.locality,
        event.region,
        country_name(event.country),
        case.agency.name,
        *translations,
    )


def document(case: PublicCase, case_db_id: int, change_seq: int) -> dict[str, Any]:
    """The index document for a public case."""
    regions = sorted(
        {region for mark in case.marks for region in vocabulary.body_regions(mark.location)}
    )
    literal = [form for text in inscriptions(case) for form in squashed_forms(text)]
    title = case.title
    marks = mark_text(case)
    items = items_text(case)
    narrative = narrative_text(case)
    published = case.published_at.timestamp() if case.published_at else 0
    return {
        "case_id": str(case_db_id),
        "public_id": case.id,
        "seq": change_seq,
        "title": title,
        # Only set when the name is public (a missing person, or identified): the public
        # view has no name otherwise.
        "name": case.name or "",
        "marks": marks,
        "items": items,
        "text": narrative,
        "literal": " ".join(literal),
        # The words people type and may misspell: marks, items, titles and places as written
        # (not the vocabulary's expansions, nor the whole narrative: a smaller, faster index).
        "spell": _join(
            title,
            case.name,
            *(_join(m.description, m.location, m.inscription) for m in case.marks),
            items,
            case.event.locality,
            case.event.place,
        ),
        "sex": case.sex,
        "country": case.event.country,
        "kind": case.kind,
        "status": case.status,
        "mark_types": ",".join(sorted({mark.type for mark in case.marks})),
        "regions": ",".join(regions),
        "has_photo": "1" if case.images else "0",
        "age_min": case.age.min if case.age else -1,
        "age_max": case.age.max if case.age else -1,
        "year": case.event.date.year,
        "published": int(published),
    }
