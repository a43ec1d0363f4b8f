"""Checking tip attachments by their content and rewriting them without metadata."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Any

from portal.media import ImageRejected, clean_image

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENTS = 5
MAX_PDF_PAGES = 200
ACCEPTED_TEXT = "JPEG, PNG, WebP or HEIC photos, or PDF documents"
# What the file chooser offers; the server decides by content, never by these.
ACCEPT_ATTRIBUTE = (
    ".jpg,.jpeg,.png,.webp,.heic,.heif,.pdf,"
    "image/jpeg,image/png,image/webp,image/heic,image/heif,application/pdf"
)

log = logging.getLogger(__name__)


class AttachmentRejected(ValueError):
    """An attachment cannot be accepted; str(exc) is safe to show to whoever sent it."""


@dataclass(frozen=True)
class CleanAttachment:
    """An accepted attachment, rewritten from its content alone."""

    data: bytes
    content_type: str
    extension: str
    kind: str  # "photo" or "document"


_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")

# Markup that makes a file a polyglot (also an HTML page, a script or an SVG) when a browser or
# an old viewer sniffs it. Real photos and PDFs do not carry it outside compressed streams.
_MARKUP = re.compile(
    rb"<\s*(?:script|html|body|iframe|svg|object|embed|\?php)[\s>/]|<!doctype\s+html",
    re.IGNORECASE,
)
# The end record of a ZIP archive: a photo with one appended is also a .jar/.docx/.zip.
_ZIP_END = b"PK\x05\x06"


def sniff(data: bytes) -> str | None:
    """ "jpeg", "png", "webp", "heif" or "pdf" from the first bytes, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "heif"
    if data.startswith(b"%PDF-"):
        return "pdf"
    return None


def _refuse_polyglots(data: bytes, kind: str) -> None:
    if _MARKUP.search(data):
        raise AttachmentRejected(
            "This file contains web page code as well as its content, so it cannot be accepted. "
            "Send a photo or a screenshot instead."
        )
    if kind != "pdf" and b"%PDF-" in data[:1024]:
        raise AttachmentRejected("This file is both an image and a PDF, so it cannot be accepted.")
    if _ZIP_END in data[-65_557:]:
        raise AttachmentRejected(
            "This file has an archive attached to it, so it cannot be accepted. "
            "Send the photo or document on its own."
        )


def clean_attachment(data: bytes) -> CleanAttachment:
    """Accept a tip attachment by its content and rewrite it without any metadata.

    Photos are re-encoded from their pixels (HEIC becomes JPEG); PDFs are rebuilt page by page
    without document information, XMP, scripts, actions, annotations or embedded files.
    """
    if not data:
        raise AttachmentRejected("The file is empty.")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(
            f"The file is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."
        )
    kind = sniff(data)
    if kind is None:
        raise AttachmentRejected(f"This type of file is not accepted. Send {ACCEPTED_TEXT}.")
    _refuse_polyglots(data, kind)
    if kind == "pdf":
        return CleanAttachment(clean_pdf(data), "application/pdf", "pdf", "document")
    try:
        image = clean_image(data, max_bytes=MAX_ATTACHMENT_BYTES)
    except ImageRejected as exc:
        raise AttachmentRejected(str(exc)) from exc
    return CleanAttachment(image.data, image.content_type, image.extension, "photo")


# ---------------------------------------------------------------------------
# PDF

# Page entries that carry metadata, scripts or interaction, none of which a moderator needs.
_PAGE_KEYS_DROPPED = ("/AA", "/Metadata", "/PieceInfo", "/Annots", "/B", "/Thumb")
# JPEG segments that hold metadata: APP1..APP15 (EXIF, XMP, ICC, Photoshop, ...) and comments.
_JPEG_METADATA_MARKERS = frozenset(range(0xE1, 0xF0)) | {0xFE}


def strip_jpeg_metadata(data: bytes) -> bytes:
    """A JPEG stream without its APPn (n >= 1) and comment segments, pixels untouched."""
    if not data.startswith(b"\xff\xd8"):
        return data
    out = bytearray(b"\xff\xd8")
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return data  # not a marker where one must be: leave the stream as it was
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is entropy-coded image data
            out += data[position:]
            return bytes(out)
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if length < 2:
            return data
        end = position + 2 + length
        if marker not in _JPEG_METADATA_MARKERS:
            out += data[position:end]
        position = end
    return data


def _clean_page_images(page: Any) -> None:
    from pypdf.generic import NameObject

    resources = page.get("/Resources")
    if resources is None:
        return
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return
    for name in list(xobjects.get_object().keys()):
        xobject = xobjects.get_object()[name].get_object()
        if xobject.get("/Subtype") != "/Image":
            continue
        xobject.pop(NameObject("/Metadata"), None)
        filters = xobject.get("/Filter")
        if filters == "/DCTDecode" and hasattr(xobject, "set_data"):
            raw = xobject._data  # the encoded JPEG, not the decoded pixels
            xobject._data = strip_jpeg_metadata(raw)


def clean_pdf(data: bytes) -> bytes:
    """Rebuild a PDF from its pages only, dropping metadata and anything active."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError, PyPdfError
    from pypdf.generic import NameObject

    damaged = "The PDF is damaged or incomplete. Try saving it again, or send a screenshot."
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise AttachmentRejected(
                "The PDF is protected with a password. Send it without the password, "
                "or send a screenshot."
            )
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise AttachmentRejected(f"The PDF has more than {MAX_PDF_PAGES} pages.")
        writer = PdfWriter()
        for page in pages:
            added = writer.add_page(page)
            for key in _PAGE_KEYS_DROPPED:
                added.pop(NameObject(key), None)
            _clean_page_images(added)
        writer.metadata = None
        output = io.BytesIO()
        writer.write(output)
    except AttachmentRejected:
        raise
    except (
        PdfReadError,
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        OSError,
        AssertionError,
    ) as exc:
        # pypdf reports damaged files through many exception types; none is the sender's fault.
        log.info("PDF attachment refused: %s", type(exc).__name__)
        raise AttachmentRejected(damaged) from exc
    if len(writer.pages) == 0:
        raise AttachmentRejected("The PDF has no pages.")
    return output.getvalue()
