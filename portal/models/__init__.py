"""SQLAlchemy models, one module per aggregate."""

from portal.models.agency import Agency
from portal.models.case import (
    Belonging,
    Case,
    CaseImage,
    CaseKind,
    CaseRestricted,
    CaseStatus,
    CaseTranslation,
    ClothingItem,
    DatePrecision,
    ImageKind,
    JewelleryItem,
    Mark,
    MarkType,
    Sex,
)
from portal.models.sync import Counter

__all__ = [
    "Agency",
    "Belonging",
    "Case",
    "CaseImage",
    "CaseKind",
    "CaseRestricted",
    "CaseStatus",
    "CaseTranslation",
    "ClothingItem",
    "Counter",
    "DatePrecision",
    "ImageKind",
    "JewelleryItem",
    "Mark",
    "MarkType",
    "Sex",
]
