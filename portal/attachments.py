"""Checking tip attachments by their content and rewriting them without metadata."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

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
            _(
                "This file contains web page code as well as its content, so it cannot be "
                "accepted. Send a photo or a screenshot instead."
            )
        )
    if kind != "pdf" and b"%PDF-" in data[:1024]:
        raise AttachmentRejected(
            _("This file is both an image and a PDF, so it cannot be accepted.")
        )
    if _ZIP_END in data[-65_557:]:
        raise AttachmentRejected(
            _(
                "This file has an archive attached to it, so it cannot be accepted. "
                "Send the photo or document on its own."
            )
        )


def clean_attachment(data: bytes) -> CleanAttachment:
    """Accept a tip attachment by its content and rewrite it without any metadata.

    Photos are re-encoded from their pixels (HEIC becomes JPEG); PDFs are rebuilt page by page
    without document information, XMP, scripts, actions, annotations or embedded files.
    """
    if not data:
        raise AttachmentRejected(_("The file is empty."))
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(
            _("The file is larger than %(size)s MB.", size=MAX_ATTACHMENT_BYTES // (1024 * 1024))
        )
    kind = sniff(data)
    if kind is None:
        raise AttachmentRejected(
            _(
                "This type of file is not accepted. "
                "Send JPEG, PNG, WebP or HEIC photos, or PDF documents."
            )
        )
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
# Entries dropped from every object a page reaches (images, forms, patterns, fonts, ...).
_KEYS_DROPPED_EVERYWHERE = (
    "/Metadata",
    "/PieceInfo",
    "/AA",
    "/OpenAction",
    "/JS",
    "/JavaScript",
    "/EmbeddedFiles",
    "/EF",
)
# JPEG segments that hold metadata: APP1..APP15 (EXIF, XMP, ICC, Photoshop, ...) and comments.
_JPEG_METADATA_MARKERS = frozenset(range(0xE1, 0xF0)) | {0xFE}
# How an EXIF block starts inside a JPEG APP1 segment.
_EXIF_HEADER = b"Exif\x00\x00"
# Markers without a length field: TEM and the restart markers.
_JPEG_STANDALONE_MARKERS = frozenset(range(0xD0, 0xD8)) | {0x01}


def _end_of_scan(data: bytes, position: int) -> int:
    """Where the entropy-coded data starting at `position` ends: at the next real marker."""
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= len(data):
            return len(data)
        following = data[position + 1]
        if following == 0x00 or following in _JPEG_STANDALONE_MARKERS:
            position += 2  # a stuffed 0xFF byte or a restart marker: still the scan
            continue
        return position


def strip_jpeg_metadata(data: bytes) -> bytes:
    """A JPEG stream without its APPn (n >= 1) and comment segments, pixels untouched.

    Segments between the scans of a progressive JPEG are checked too, and whatever follows the
    end-of-image marker (a second picture with its own EXIF, a phone maker's trailer) is
    dropped. Raises ValueError for a stream too malformed to tell metadata from pixels.
    """
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG stream")
    out = bytearray(b"\xff\xd8")
    position = 2
    while position < len(data):
        if position + 2 > len(data) or data[position] != 0xFF:
            raise ValueError("JPEG marker expected")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # end of image: anything after it is not this picture
            out += b"\xff\xd9"
            return bytes(out)
        if marker in _JPEG_STANDALONE_MARKERS:
            out += data[position : position + 2]
            position += 2
            continue
        if position + 4 > len(data):
            raise ValueError("JPEG segment truncated")
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        end = position + 2 + length
        if length < 2 or end > len(data):
            raise ValueError("JPEG segment truncated")
        if marker not in _JPEG_METADATA_MARKERS:
            out += data[position:end]
        position = end
        if marker == 0xDA:  # start of scan: entropy-coded image data up to the next marker
            scan_end = _end_of_scan(data, position)
            out += data[position:scan_end]
            position = scan_end
    # No end-of-image marker: a slightly truncated file, which viewers still show.
    return bytes(out)


def _filter_names(stream: Any) -> list[str]:
    filters = stream.get("/Filter")
    if filters is None:
        return []
    filters = filters.get_object()
    if isinstance(filters, list):
        return [str(item.get_object()) for item in filters]
    return [str(filters)]


def _clean_image_stream(image: Any) -> None:
    from pypdf.generic import NameObject

    filters = _filter_names(image)
    if "/DCTDecode" not in filters:
        return
    if filters == ["/DCTDecode"]:
        jpeg = image._data  # the encoded JPEG, not the decoded pixels
    elif filters[-1] == "/DCTDecode":
        # A JPEG wrapped in other filters (usually Flate): unwrap it, since the metadata is
        # inside. pypdf passes DCT data through undecoded.
        jpeg = image.get_data()
        image[NameObject("/Filter")] = NameObject("/DCTDecode")
        image.pop(NameObject("/DecodeParms"), None)
    else:
        raise ValueError("DCTDecode is not the last filter of an image")
    image._data = strip_jpeg_metadata(jpeg)
    image.decoded_self = None


def _scrub(page: Any, seen: set[int]) -> None:
    """Drop metadata and active content from everything `page` reaches, before it is copied.

    Done on the source so that nothing dropped is ever copied: pypdf writes every object it
    copied, referenced or not. `seen` is shared by all pages, so shared resources are cleaned
    once.
    """
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        NameObject,
        StreamObject,
    )

    for key in _PAGE_KEYS_DROPPED:
        page.pop(NameObject(key), None)
    pending: list[Any] = [page]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            item = item.get_object()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, DictionaryObject):
            for key in _KEYS_DROPPED_EVERYWHERE:
                item.pop(NameObject(key), None)
            if isinstance(item, StreamObject):
                # Any stream, not only those marked as images: damaged files are read leniently
                # and a JPEG may turn up under another name.
                _clean_image_stream(item)
            # /Parent leads up the page tree (and from there to every other page).
            pending.extend(value for key, value in item.items() if key != "/Parent")
        elif isinstance(item, ArrayObject):
            pending.extend(item)


def clean_pdf(data: bytes) -> bytes:
    """Rebuild a PDF from its pages only, dropping metadata and anything active."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError, PyPdfError

    damaged = _("The PDF is damaged or incomplete. Try saving it again, or send a screenshot.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise AttachmentRejected(
                _(
                    "The PDF is protected with a password. Send it without the password, "
                    "or send a screenshot."
                )
            )
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise AttachmentRejected(_("The PDF has more than %(num)s pages.", num=MAX_PDF_PAGES))
        writer = PdfWriter()
        seen: set[int] = set()
        for page in pages:
            _scrub(page, seen)
            writer.add_page(page)
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
        ArithmeticError,  # a cross-reference offset past what a file position can hold
    ) as exc:
        # pypdf reports damaged files through many exception types; none is the sender's fault.
        log.info("PDF attachment refused: %s", type(exc).__name__)
        raise AttachmentRejected(damaged) from exc
    if len(writer.pages) == 0:
        raise AttachmentRejected(_("The PDF has no pages."))
    cleaned = output.getvalue()
    if _EXIF_HEADER in cleaned:
        # An EXIF block the rebuild did not reach (in a stream too damaged to read as a
        # picture): refuse the file rather than pass a location on.
        log.info("PDF attachment refused: EXIF left after cleaning")
        raise AttachmentRejected(damaged)
    return cleaned
