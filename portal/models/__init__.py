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
    "DatePrecision",
    "ImageKind",
    "JewelleryItem",
    "Mark",
    "MarkType",
    "Sex",
]
