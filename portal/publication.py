"""derive_public_case: the one place that decides what of a case the public may see."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from portal.models import Case, CaseImage, CaseKind, CaseStatus, Mark
from portal.models.base import as_utc


@dataclass(frozen=True)
class PublicRange:
    min: int
    max: int

    def __str__(self) -> str:
        return str(self.min) if self.min == self.max else f"{self.min}–{self.max}"


# Shown only behind a warning the reader must pass, never on a card.
SENSITIVE_IMAGE_KINDS = frozenset({"face", "scene"})


@dataclass(frozen=True)
class PublicImage:
    token: str
    kind: str
    caption: str | None
    width: int
    height: int
    widths: tuple[int, ...]

    @property
    def largest_width(self) -> int:
        return max(self.widths) if self.widths else self.width

    @property
    def sensitive(self) -> bool:
        """Faces (usually post-mortem photographs) and scenes may be distressing to see."""
        return self.kind in SENSITIVE_IMAGE_KINDS


@dataclass(frozen=True)
class PublicEvent:
    date: date
    date_precision: str
    place: str | None
    locality: str | None
    region: str | None
    country: str
    lat: float | None
    lon: float | None

    @property
    def year(self) -> int:
        return self.date.year


@dataclass(frozen=True)
class PublicMark:
    type: str
    location: str
    description: str
    inscription: str | None
    colours: tuple[str, ...]
    image: PublicImage | None


@dataclass(frozen=True)
class PublicItem:
    """A piece of clothing, jewellery or a belonging: only the fields the record gave."""

    item: str
    description: str | None = None
    colour: str | None = None
    brand: str | None = None
    size: str | None = None
    material: str | None = None
    inscription: str | None = None


@dataclass(frozen=True)
class PublicTranslation:
    lang: str
    title: str | None
    circumstances: str | None
    physical_description: str | None


@dataclass(frozen=True)
class PublicAgency:
    code: str
    name: str
    country: str
    # Where the force takes tips about its appeals; published so people can reach it directly.
    tip_email: str | None


@dataclass(frozen=True)
class PublicIdentified:
    date: date
    statement: str | None


@dataclass(frozen=True)
class PublicCase:
    """Everything about a case that may appear on a public page, feed, API or index."""

    id: str
    record_id: str
    agency: PublicAgency
    kind: str
    status: str
    title: str
    name: str | None
    sex: str
    age: PublicRange | None
    height_cm: PublicRange | None
    weight_kg: PublicRange | None
    build: str | None
    hair: str | None
    eyes: str | None
    complexion: str | None
    physical_description: str | None
    event: PublicEvent
    circumstances: str | None
    marks: tuple[PublicMark, ...]
    clothing: tuple[PublicItem, ...]
    jewellery: tuple[PublicItem, ...]
    belongings: tuple[PublicItem, ...]
    dental_summary: str | None
    biometrics: dict[str, bool]
    images: tuple[PublicImage, ...]
    translations: tuple[PublicTranslation, ...]
    identified: PublicIdentified | None
    published_at: datetime | None
    updated_at: datetime
    version: int

    @property
    def photo(self) -> PublicImage | None:
        """The image that best introduces the case in a list: a face, else any published image."""
        for kind in ("face", "reconstruction", "tattoo", "clothing", "jewellery", "object"):
            for image in self.images:
                if image.kind == kind:
                    return image
        return None

    @property
    def gallery(self) -> tuple[PublicImage, ...]:
        """Published images not already shown beside the mark they belong to."""
        with_marks = {mark.image.token for mark in self.marks if mark.image is not None}
        return tuple(image for image in self.images if image.token not in with_marks)

    @property
    def tattoos(self) -> tuple[PublicMark, ...]:
        return tuple(mark for mark in self.marks if mark.type == "tattoo")

    @property
    def other_marks(self) -> tuple[PublicMark, ...]:
        return tuple(mark for mark in self.marks if mark.type != "tattoo")

    @property
    def is_identified(self) -> bool:
        return self.status == CaseStatus.IDENTIFIED.value

    def translation(self, lang: str) -> PublicTranslation | None:
        base = lang.split("-")[0].lower()
        for translation in self.translations:
            if translation.lang.lower() == lang.lower():
                return translation
        for translation in self.translations:
            if translation.lang.split("-")[0].lower() == base:
                return translation
        return None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["images"] = [_image_json(image) for image in self.images]
        data["marks"] = [
            {**asdict(mark), "image": _image_json(mark.image) if mark.image else None}
            for mark in self.marks
        ]
        for group in ("clothing", "jewellery", "belongings"):
            data[group] = [{k: v for k, v in item.items() if v is not None} for item in data[group]]
        data["translations"] = {
            t.pop("lang"): {k: v for k, v in t.items() if v is not None}
            for t in data["translations"]
        }
        return data


def _image_json(image: PublicImage) -> dict[str, Any]:
    return {
        "token": image.token,
        "kind": image.kind,
        "caption": image.caption,
        "width": image.width,
        "height": image.height,
        "widths": list(image.widths),
    }


def name_is_public(case: Case) -> bool:
    """A missing person is appealed for by name; an unidentified one has none until identified."""
    return case.kind == CaseKind.MISSING or case.status == CaseStatus.IDENTIFIED


def _public_image(image: CaseImage | None) -> PublicImage | None:
    if image is None or not image.publish:
        return None
    return PublicImage(
        token=image.token,
        kind=image.kind.value,
        caption=image.caption,
        width=image.width,
        height=image.height,
        widths=tuple(sorted(image.derivative_widths)),
    )


def _range(low: int | None, high: int | None) -> PublicRange | None:
    if low is None or high is None:
        return None
    return PublicRange(low, high)


def with_public_view_loaded(query: Select[tuple[Case]]) -> Select[tuple[Case]]:
    """A case query that also loads everything derive_public_case reads, in a few queries."""
    return query.options(
        selectinload(Case.agency),
        selectinload(Case.marks).selectinload(Mark.image),
        selectinload(Case.clothing),
        selectinload(Case.jewellery),
        selectinload(Case.belongings),
        selectinload(Case.images),
        selectinload(Case.translations),
    )


def derive_public_case(case: Case) -> PublicCase:
    """The redacted view of a case. Restricted data and unpublished images never enter it.

    It works for any status (a publisher previews a draft with it); whether the public may see
    the case at all is `Case.is_public`, checked by every public query.
    """
    images = tuple(
        public for public in (_public_image(image) for image in case.images) if public is not None
    )
    identified = (
        PublicIdentified(case.identified_date, case.identified_statement)
        if case.status == CaseStatus.IDENTIFIED and case.identified_date is not None
        else None
    )
    return PublicCase(
        id=case.public_id,
        record_id=case.record_id,
        agency=PublicAgency(
            case.agency.code, case.agency.name, case.agency.country, case.agency.tip_email
        ),
        kind=case.kind.value,
        status=case.status.value,
        title=case.title,
        name=case.name if name_is_public(case) else None,
        sex=case.sex.value,
        age=_range(case.age_min, case.age_max),
        height_cm=_range(case.height_min, case.height_max),
        weight_kg=_range(case.weight_min, case.weight_max),
        build=case.build,
        hair=case.hair,
        eyes=case.eyes,
        complexion=case.complexion,
        physical_description=case.physical_description,
        event=PublicEvent(
            date=case.event_date,
            date_precision=case.event_date_precision.value,
            place=case.event_place,
            locality=case.event_locality,
            region=case.event_region,
            country=case.event_country,
            lat=case.event_lat,
            lon=case.event_lon,
        ),
        circumstances=case.circumstances,
        marks=tuple(
            PublicMark(
                type=mark.type.value,
                location=mark.location,
                description=mark.description,
                inscription=mark.inscription,
                colours=tuple(mark.colours or ()),
                image=_public_image(mark.image),
            )
            for mark in case.marks
        ),
        clothing=tuple(
            PublicItem(
                item=c.item,
                description=c.description,
                colour=c.colour,
                brand=c.brand,
                size=c.size,
                material=c.material,
            )
            for c in case.clothing
        ),
        jewellery=tuple(
            PublicItem(
                item=j.item,
                description=j.description,
                material=j.material,
                inscription=j.inscription,
            )
            for j in case.jewellery
        ),
        belongings=tuple(
            PublicItem(item=b.item, description=b.description) for b in case.belongings
        ),
        dental_summary=case.dental_summary,
        biometrics={
            "dna": case.biometric_dna,
            "fingerprints": case.biometric_fingerprints,
            "dental": case.biometric_dental,
        },
        images=images,
        translations=tuple(
            PublicTranslation(t.lang, t.title, t.circumstances, t.physical_description)
            for t in case.translations
        ),
        identified=identified,
        published_at=as_utc(case.first_published_at),
        updated_at=as_utc(case.updated_at),
        version=case.version,
    )
