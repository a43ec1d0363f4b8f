"""A case (one person) and everything recorded about them; restricted data lives apart."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Base
from portal.models.agency import Agency
from portal.models.base import TimestampMixin, enum_column, utcnow


class CaseKind(enum.Enum):
    UNIDENTIFIED = "unidentified"
    MISSING = "missing"


class CaseStatus(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    IDENTIFIED = "identified"
    WITHDRAWN = "withdrawn"


PUBLIC_STATUSES = (CaseStatus.PUBLISHED, CaseStatus.IDENTIFIED)


class Sex(enum.Enum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class DatePrecision(enum.Enum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class MarkType(enum.Enum):
    TATTOO = "tattoo"
    SCAR = "scar"
    BIRTHMARK = "birthmark"
    PIERCING = "piercing"
    MARK = "mark"
    AMPUTATION = "amputation"
    IMPLANT = "implant"
    OTHER = "other"


class ImageKind(enum.Enum):
    FACE = "face"
    RECONSTRUCTION = "reconstruction"
    TATTOO = "tattoo"
    CLOTHING = "clothing"
    JEWELLERY = "jewellery"
    OBJECT = "object"
    SCENE = "scene"


class Case(TimestampMixin, Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("agency_id", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable, URL-safe identifier used in every public URL (derived from agency code + record id).
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    record_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[CaseKind] = mapped_column(enum_column(CaseKind))
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # Publishable only for missing persons and identified cases; derivation decides.
    name: Mapped[str | None] = mapped_column(String(200))
    sex: Mapped[Sex] = mapped_column(enum_column(Sex))
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    height_min: Mapped[int | None] = mapped_column(Integer)
    height_max: Mapped[int | None] = mapped_column(Integer)
    weight_min: Mapped[int | None] = mapped_column(Integer)
    weight_max: Mapped[int | None] = mapped_column(Integer)
    build: Mapped[str | None] = mapped_column(String(200))
    hair: Mapped[str | None] = mapped_column(String(200))
    eyes: Mapped[str | None] = mapped_column(String(200))
    complexion: Mapped[str | None] = mapped_column(String(200))
    physical_description: Mapped[str | None] = mapped_column(Text)
    event_date: Mapped[date] = mapped_column(Date, index=True)
    event_date_precision: Mapped[DatePrecision] = mapped_column(enum_column(DatePrecision))
    event_place: Mapped[str | None] = mapped_column(String(300))
    event_locality: Mapped[str | None] = mapped_column(String(200))
    event_region: Mapped[str | None] = mapped_column(String(200))
    event_country: Mapped[str] = mapped_column(String(2), index=True)
    event_lat: Mapped[float | None] = mapped_column(Float)
    event_lon: Mapped[float | None] = mapped_column(Float)
    circumstances: Mapped[str | None] = mapped_column(Text)
    dental_summary: Mapped[str | None] = mapped_column(Text)
    biometric_dna: Mapped[bool] = mapped_column(Boolean, default=False)
    biometric_fingerprints: Mapped[bool] = mapped_column(Boolean, default=False)
    biometric_dental: Mapped[bool] = mapped_column(Boolean, default=False)
    identified_date: Mapped[date | None] = mapped_column(Date)
    identified_statement: Mapped[str | None] = mapped_column(Text)
    # Hash of the record as last imported: re-importing an unchanged record writes nothing.
    content_hash: Mapped[str] = mapped_column(String(64))
    # Bumped on every change; search and caches use it to notice what moved.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Position in the global order of case changes (see models.sync), for index catch-up.
    change_seq: Mapped[int] = mapped_column(Integer, default=0, index=True)
    first_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="cases")
    marks: Mapped[list[Mark]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Mark.position"
    )
    clothing: Mapped[list[ClothingItem]] = relationship(
        cascade="all, delete-orphan", order_by="ClothingItem.position"
    )
    jewellery: Mapped[list[JewelleryItem]] = relationship(
        cascade="all, delete-orphan", order_by="JewelleryItem.position"
    )
    belongings: Mapped[list[Belonging]] = relationship(
        cascade="all, delete-orphan", order_by="Belonging.position"
    )
    images: Mapped[list[CaseImage]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseImage.position"
    )
    translations: Mapped[list[CaseTranslation]] = relationship(
        cascade="all, delete-orphan", order_by="CaseTranslation.lang"
    )
    restricted: Mapped[CaseRestricted | None] = relationship(
        cascade="all, delete-orphan", uselist=False
    )

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    def __repr__(self) -> str:
        return f"<Case {self.public_id} {self.record_id}>"


class CaseRestricted(Base):
    """Police-only data, in its own table so no public query can select it by accident."""

    __tablename__ = "case_restricted"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Mark(Base):
    __tablename__ = "marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[MarkType] = mapped_column(enum_column(MarkType), index=True)
    location: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    inscription: Mapped[str | None] = mapped_column(String(500))
    colours: Mapped[list[str]] = mapped_column(JSON, default=list)
    image_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_images.id", ondelete="SET NULL"), index=True
    )

    case: Mapped[Case] = relationship(back_populates="marks")
    image: Mapped[CaseImage | None] = relationship()


class ClothingItem(Base):
    __tablename__ = "clothing_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    colour: Mapped[str | None] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[str | None] = mapped_column(String(50))
    material: Mapped[str | None] = mapped_column(String(200))


class JewelleryItem(Base):
    __tablename__ = "jewellery_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    material: Mapped[str | None] = mapped_column(String(200))
    inscription: Mapped[str | None] = mapped_column(String(500))


class Belonging(Base):
    __tablename__ = "belongings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)


class CaseImage(Base):
    """An image of a case. Stored whatever its publish flag; served only when publishable."""

    __tablename__ = "case_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # The `file` value of the record, kept so re-import and export round-trip.
    source_name: Mapped[str] = mapped_column(String(500))
    source_sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[ImageKind] = mapped_column(enum_column(ImageKind))
    caption: Mapped[str | None] = mapped_column(String(500))
    publish: Mapped[bool] = mapped_column(Boolean, default=False)
    # Random key prefix in the media store.
    media_prefix: Mapped[str] = mapped_column(String(100), unique=True)
    # The prefix's last segment: the unguessable token in the image's public URL.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    extension: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    derivative_widths: Mapped[list[int]] = mapped_column(JSON, default=list)

    case: Mapped[Case] = relationship(back_populates="images")


class CaseTranslation(Base):
    __tablename__ = "case_translations"
    __table_args__ = (UniqueConstraint("case_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(35))
    title: Mapped[str | None] = mapped_column(String(200))
    circumstances: Mapped[str | None] = mapped_column(Text)
    physical_description: Mapped[str | None] = mapped_column(Text)
