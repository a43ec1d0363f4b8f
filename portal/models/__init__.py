"""SQLAlchemy models, one module per aggregate."""

from portal.models.agency import Agency
from portal.models.alert import AlertNotification, SavedSearch
from portal.models.audit import AuditEvent, AuditLogImmutable
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
from portal.models.revision import CaseRevision, RevisionState
from portal.models.sync import Counter
from portal.models.tip import (
    AttachmentState,
    ForwardState,
    Relationship,
    ThreadAuthor,
    Tip,
    TipAttachment,
    TipForward,
    TipNote,
    TipPriority,
    TipStatus,
    TipThreadEntry,
)
from portal.models.user import Role, User

__all__ = [
    "Agency",
    "AlertNotification",
    "AttachmentState",
    "AuditEvent",
    "AuditLogImmutable",
    "Belonging",
    "Case",
    "CaseImage",
    "CaseKind",
    "CaseRestricted",
    "CaseRevision",
    "CaseStatus",
    "CaseTranslation",
    "ClothingItem",
    "Counter",
    "DatePrecision",
    "ForwardState",
    "ImageKind",
    "JewelleryItem",
    "Mark",
    "MarkType",
    "Relationship",
    "RevisionState",
    "Role",
    "SavedSearch",
    "Sex",
    "ThreadAuthor",
    "Tip",
    "TipAttachment",
    "TipForward",
    "TipNote",
    "TipPriority",
    "TipStatus",
    "TipThreadEntry",
    "User",
]
