"""Tip attachments: sniffing by content, rewriting without metadata, refusing what is unsafe."""

from __future__ import annotations

import io
import re
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageCms, ImageFile, ImageStat, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import IndirectObject, StreamObject

from portal.attachments import (
    MAX_ATTACHMENT_BYTES,
    MAX_PDF_PAGES,
    AttachmentRejected,
    CleanAttachment,
    clean_attachment,
    sniff,
    strip_jpeg_metadata,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TATTOO = (FIXTURES / "be-1992-0603-tattoo.jpg").read_bytes()
TATTOO_SIZE = (480, 360)

# Sentinels are letters only: pypdf escapes punctuation in strings it writes, which would hide
# a sentinel with a dash from a plain byte search.
SENTINELS = (
    b"EXIF-SENTINEL",  # in the fixture's EXIF Artist tag
    b"ExampleCam",  # the fixture's EXIF Make
    b"EXIFARTISTSENTINEL",
    b"SentinelCam",
    b"XMPSENTINEL",
    b"TEXTSENTINEL",
    b"COMMENTSENTINEL",
    b"INFOTITLESENTINEL",
    b"INFOAUTHORSENTINEL",
    b"OPENJSSENTINEL",
    b"PAGEJSSENTINEL",
    b"ANNOTSENTINEL",
    b"URISENTINEL",
    b"EMBEDDEDSENTINEL",
)
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'dc:creator="XMPSENTINEL"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
JPEG_METADATA_MARKERS = set(range(0xE1, 0xF0)) | {0xFE}
DAMAGED = "damaged or incomplete"
NOT_ACCEPTED = "This type of file is not accepted"


# ---------------------------------------------------------------------------
# Helpers


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def decoded(data: bytes) -> Image.Image:
    """The pixels of `data`, loaded, with the file closed."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.copy()


def info_of(data: bytes) -> tuple[str | None, tuple[int, int], dict[str, Any], dict[int, Any]]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.size, dict(image.info), dict(image.getexif())


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    diff = ImageChops.difference(first.convert("RGB"), second.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def gps_exif(orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SentinelCam"  # Make
    exif[0x013B] = "EXIFARTISTSENTINEL"  # Artist
    if orientation is not None:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 13.0, 52.0), 3: "E", 4: (4.0, 28.0, 5.0)})
    return exif.tobytes()


def srgb_profile() -> bytes:
    profile: bytes = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile


def photo(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """A picture with structure, so a lost rotation or a blank re-encode would show."""
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 255))
    image.paste((30, 30, 200) if mode == "RGB" else (30, 30, 200, 128), (size[0] // 2, 0, *size))
    return image


def heic(image: Image.Image, **options: Any) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return encode(image, "HEIF", **options)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def png_by_hand(
    width: int, height: int, depth: int, color: int, idat: bytes, extra: bytes = b""
) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + extra
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def zeros_compressed(total: int, step: int = 1 << 20) -> bytes:
    """`total` zero bytes deflated, without ever holding them all."""
    compressor = zlib.compressobj(9)
    block = bytes(step)
    out = bytearray()
    left = total
    while left:
        count = min(step, left)
        out += compressor.compress(block[:count])
        left -= count
    return bytes(out + compressor.flush())


def png_chunks(data: bytes) -> list[bytes]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    kinds: list[bytes] = []
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kinds.append(data[position + 4 : position + 8])
        position += 12 + length
    return kinds


def webp_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    kinds: list[bytes] = []
    position = 12
    while position + 8 <= len(data):
        kind = data[position : position + 4]
        (length,) = struct.unpack("<I", data[position + 4 : position + 8])
        kinds.append(kind)
        position += 8 + length + (length & 1)
    return kinds


def jpeg_markers(data: bytes) -> list[int]:
    """Every marker of a JPEG, through all its scans, up to the end-of-image marker."""
    assert data.startswith(b"\xff\xd8")
    markers: list[int] = []
    position = 2
    while position < len(data):
        assert data[position] == 0xFF, f"no marker at {position}"
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        markers.append(marker)
        if marker == 0xD9:
            break
        if 0xD0 <= marker <= 0xD7:
            position += 2
            continue
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
        if marker == 0xDA:
            while True:
                position = data.index(b"\xff", position)
                following = data[position + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    position += 2
                    continue
                break
    return markers


def assert_no_sentinels(data: bytes) -> None:
    found = [sentinel for sentinel in SENTINELS if sentinel in data]
    assert not found, found
    for sentinel in SENTINELS:
        assert sentinel.decode().encode("utf-16-be") not in data


def assert_clean_jpeg(data: bytes) -> None:
    assert data.startswith(b"\xff\xd8\xff")
    markers = jpeg_markers(data)
    assert markers[-1] == 0xD9
    assert not set(markers) & JPEG_METADATA_MARKERS, [hex(m) for m in markers]
    assert b"Exif\x00\x00" not in data and b"http://ns.adobe.com" not in data
    assert b"ICC_PROFILE" not in data
    assert_no_sentinels(data)
    _format, _size, info, exif = info_of(data)
    assert exif == {}
    assert not {"exif", "icc_profile", "xmp", "comment", "photoshop"} & set(info)


def rejected(data: bytes) -> str:
    with pytest.raises(AttachmentRejected) as caught:
        clean_attachment(data)
    return str(caught.value)


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every time Pillow starts decoding pixels."""
    calls: list[str] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> Any:
        calls.append(str(self.format))
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


@pytest.fixture
def memory_peak() -> Iterator[Callable[[], int]]:
    """The peak of Python allocations since the fixture started, in bytes."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------------
# PDFs by hand, so every part a sender's PDF might carry can be put in on purpose


def build_pdf(objects: list[bytes], *, info: int | None = None) -> bytes:
    """A PDF of `objects` (numbered from 1; object 1 is the catalog) with a valid xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    if info is not None:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def pdf_stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def image_xobject(jpeg: bytes, filters: bytes = b"/DCTDecode", extra: bytes = b"") -> bytes:
    width, height = info_of(jpeg)[1]
    data = zlib.compress(jpeg) if b"/FlateDecode" in filters else jpeg
    head = (
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter %s " % (width, height, filters)
    )
    return pdf_stream(head + extra, data)


def pdf_with_jpeg(jpeg: bytes) -> bytes:
    """Two pages carrying `jpeg` directly and inside a form, and every kind of metadata."""
    objects = [
        # 1: catalog with an open action, document JavaScript, an embedded file, XMP, a form
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 9 0 R /Metadata 10 0 R"
        b" /Names << /JavaScript << /Names [(a) 9 0 R] >>"
        b" /EmbeddedFiles << /Names [(secret.txt) 11 0 R] >> >>"
        b" /AcroForm << /Fields [] >> /PageMode /UseAttachments >>",
        # 2: pages
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        # 3: page one: the JPEG, annotations, actions, XMP
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]"
        b" /Resources << /XObject << /Im0 5 0 R >> /Font << /F1 14 0 R >> >>"
        b" /Contents 6 0 R /Annots [7 0 R 8 0 R] /AA << /O 13 0 R >> /Metadata 15 0 R"
        b" /PieceInfo << /App << /Private (TEXTSENTINEL) >> >> >>",
        # 4: page two: the same JPEG inside a form XObject, wrapped in Flate
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100]"
        b" /Resources << /XObject << /Fm0 16 0 R >> >> /Contents 17 0 R >>",
        # 5: the JPEG with an XMP stream of its own
        image_xobject(jpeg, extra=b"/Metadata 15 0 R"),
        # 6: page one content: the picture and a line of text
        pdf_stream(b"", b"q 200 0 0 150 0 50 cm /Im0 Do Q BT /F1 12 Tf 10 20 Td (Page one) Tj ET"),
        # 7, 8: a sticky note and a link
        b"<< /Type /Annot /Subtype /Text /Rect [0 0 10 10] /Contents (ANNOTSENTINEL)"
        b" /T (ANNOTSENTINEL) /AA << /E 13 0 R >> >>",
        b"<< /Type /Annot /Subtype /Link /Rect [10 10 20 20]"
        b" /A << /S /URI /URI (https://example.org/URISENTINEL) >> >>",
        # 9: document JavaScript
        b"<< /S /JavaScript /JS (app.alert('OPENJSSENTINEL')) >>",
        # 10: document XMP
        pdf_stream(b"/Type /Metadata /Subtype /XML", XMP),
        # 11, 12: an embedded file
        b"<< /Type /Filespec /F (secret.txt) /EF << /F 12 0 R >> >>",
        pdf_stream(b"/Type /EmbeddedFile", b"EMBEDDEDSENTINEL"),
        # 13: page JavaScript
        b"<< /S /JavaScript /JS (app.alert('PAGEJSSENTINEL')) >>",
        # 14: a standard font
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        # 15: page XMP
        pdf_stream(b"/Type /Metadata /Subtype /XML", XMP),
        # 16: a form XObject holding the JPEG
        pdf_stream(
            b"/Type /XObject /Subtype /Form /BBox [0 0 300 100] /Metadata 10 0 R"
            b" /Resources << /XObject << /Im1 18 0 R >> >>",
            b"q 120 0 0 90 0 0 cm /Im1 Do Q",
        ),
        # 17: page two content
        pdf_stream(b"", b"/Fm0 Do"),
        # 18: the JPEG deflated, as some tools store it
        image_xobject(jpeg, filters=b"[/FlateDecode /DCTDecode]"),
        # 19: document information
        b"<< /Title (INFOTITLESENTINEL) /Author (INFOAUTHORSENTINEL) /Creator (TEXTSENTINEL)"
        b" /Producer (TEXTSENTINEL) /Keywords (TEXTSENTINEL) >>",
    ]
    return build_pdf(objects, info=19)


def single_image_pdf(image: bytes) -> bytes:
    """One page showing `image`, an image XObject given whole."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]"
            b" /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
            image,
            pdf_stream(b"", b"q 200 0 0 200 0 0 cm /Im0 Do Q"),
        ]
    )


def blank_pdf(pages: int, **encryption: str) -> bytes:
    writer = PdfWriter()
    for number in range(pages):
        writer.add_blank_page(100 + number % 7, 200)
    if encryption:
        writer.encrypt(algorithm="AES-256", **encryption)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def every_stream(pdf: bytes) -> list[bytes]:
    """The decoded data of every stream object in `pdf`, referenced or not."""
    reader = PdfReader(io.BytesIO(pdf))
    found: list[bytes] = []
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if isinstance(obj, StreamObject):
            found.append(obj.get_data())
    return found


def image_streams(pdf: bytes) -> list[bytes]:
    """The JPEG of every image XObject in `pdf`, searched through forms."""
    reader = PdfReader(io.BytesIO(pdf))
    jpegs: list[bytes] = []

    def walk(resources: Any) -> None:
        if resources is None:
            return
        xobjects = resources.get_object().get("/XObject")
        for value in (xobjects.get_object() if xobjects else {}).values():
            xobject = value.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))
            else:
                assert xobject.get("/Filter") in ("/DCTDecode", ["/DCTDecode"])
                jpegs.append(xobject.get_data())

    for page in reader.pages:
        walk(page.get("/Resources"))
    return jpegs


# ---------------------------------------------------------------------------
# Sniffing


def _heif_header(brand: bytes) -> bytes:
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1heic"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (TATTOO, "jpeg"),
        (encode(photo(), "PNG"), "png"),
        (encode(photo(), "WEBP"), "webp"),
        (heic(photo()), "heif"),
        (_heif_header(b"mif1"), "heif"),
        (_heif_header(b"heix"), "heif"),
        (_heif_header(b"hevc"), "heif"),
        (blank_pdf(1), "pdf"),
        (b"\xff\xd8\xff", "jpeg"),
        (b"%PDF-", "pdf"),
    ],
)
def test_sniff_recognises_accepted_types(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8",
        encode(photo(), "GIF"),
        encode(photo(), "BMP"),
        encode(photo(), "TIFF"),
        _heif_header(b"avif"),
        b"<!DOCTYPE html><html><body>hi</body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b"just some text\n",
        b"PK\x03\x04" + b"\0" * 40,
        b"RIFF\x00\x00\x00\x00WAVEfmt ",
        b" %PDF-1.4",
        b"\xef\xbb\xbf\xff\xd8\xff",
    ],
)
def test_sniff_refuses_everything_else(data: bytes) -> None:
    assert sniff(data) is None


# ---------------------------------------------------------------------------
# Photos are re-encoded from their pixels


def test_fixture_carries_exif_and_gps() -> None:
    _format, _size, info, exif = info_of(TATTOO)
    assert "exif" in info and b"EXIF-SENTINEL" in TATTOO
    assert exif[0x010F] == "ExampleCam"
    with Image.open(io.BytesIO(TATTOO)) as image:
        assert image.getexif().get_ifd(0x8825)  # GPS


def test_jpeg_with_exif_and_gps_is_re_encoded_clean() -> None:
    clean = clean_attachment(TATTOO)
    assert (clean.content_type, clean.extension, clean.kind) == ("image/jpeg", "jpg", "photo")
    assert_clean_jpeg(clean.data)
    assert info_of(clean.data)[1] == TATTOO_SIZE
    assert mean_difference(decoded(clean.data), decoded(TATTOO)) < 4


def test_jpeg_with_every_kind_of_metadata_is_re_encoded_clean() -> None:
    source = encode(
        photo((120, 80)),
        "JPEG",
        exif=gps_exif(),
        xmp=XMP,
        icc_profile=srgb_profile(),
        comment=b"COMMENTSENTINEL",
        dpi=(300, 300),
    )
    for sentinel in (b"SentinelCam", b"XMPSENTINEL", b"COMMENTSENTINEL", b"ICC_PROFILE"):
        assert sentinel in source
    clean = clean_attachment(source)
    assert clean.content_type == "image/jpeg"
    assert_clean_jpeg(clean.data)
    assert mean_difference(decoded(clean.data), decoded(source)) < 4


def test_png_metadata_chunks_are_all_dropped_and_pixels_kept() -> None:
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "TEXTSENTINEL")
    meta.add_text("Author", "TEXTSENTINEL", zip=True)
    meta.add_itxt("XML:com.adobe.xmp", XMP.decode())
    source_image = photo((50, 40), "RGBA")
    source = encode(
        source_image, "PNG", pnginfo=meta, exif=gps_exif(), icc_profile=srgb_profile(), dpi=(72, 72)
    )
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"pHYs"} <= set(png_chunks(source))
    clean = clean_attachment(source)
    assert (clean.content_type, clean.extension) == ("image/png", "png")
    assert set(png_chunks(clean.data)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    assert_no_sentinels(clean.data)
    assert b"XML:com.adobe.xmp" not in clean.data
    # Lossless and transparent: the same pixels, alpha included.
    result = decoded(clean.data)
    assert result.mode == "RGBA"
    assert result.tobytes() == source_image.tobytes()


def test_webp_metadata_is_dropped() -> None:
    source = encode(
        photo((60, 40)), "WEBP", exif=gps_exif(), xmp=XMP, icc_profile=srgb_profile(), quality=90
    )
    assert {b"EXIF", b"XMP ", b"ICCP"} <= set(webp_chunks(source))
    clean = clean_attachment(source)
    assert (clean.content_type, clean.extension) == ("image/webp", "webp")
    assert not {b"EXIF", b"XMP ", b"ICCP"} & set(webp_chunks(clean.data))
    assert_no_sentinels(clean.data)
    assert info_of(clean.data)[3] == {}
    assert mean_difference(decoded(clean.data), decoded(source)) < 4


def test_heic_whose_frame_is_far_larger_than_its_header_says_is_refused() -> None:
    # Found by scripts/fuzz_images.py (atheris): the header claims a small image, the frame
    # decodes past libheif's size limit, and pillow-heif raised RuntimeError (a 500).
    data = (FIXTURES / "fuzz-heic-oversized-frame.heic").read_bytes()
    with pytest.raises(AttachmentRejected, match="damaged"):
        clean_attachment(data)


def test_heic_with_exif_becomes_a_jpeg_without_it() -> None:
    with Image.open(io.BytesIO(TATTOO)) as image:
        exif = image.info["exif"]
        source = heic(image.convert("RGB"), exif=exif, quality=90)
    assert sniff(source) == "heif"
    assert b"EXIF-SENTINEL" in source and b"ExampleCam" in source
    clean = clean_attachment(source)
    assert (clean.content_type, clean.extension, clean.kind) == ("image/jpeg", "jpg", "photo")
    assert sniff(clean.data) == "jpeg"
    assert_clean_jpeg(clean.data)
    assert info_of(clean.data)[1] == TATTOO_SIZE
    assert mean_difference(decoded(clean.data), decoded(TATTOO)) < 8


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_exif_orientation_is_applied_before_the_exif_goes(fmt: str) -> None:
    # Red left half, blue right half; orientation 6 means "turn 90 degrees clockwise to view".
    source_image = photo((80, 40))
    exif = gps_exif(orientation=6)
    source = (
        heic(source_image, exif=exif) if fmt == "HEIF" else encode(source_image, fmt, exif=exif)
    )
    clean = clean_attachment(source)
    result = decoded(clean.data)
    assert result.size == (40, 80)
    red, blue = (200, 30, 30), (30, 30, 200)
    top = result.convert("RGB").getpixel((20, 5))
    bottom = result.convert("RGB").getpixel((20, 75))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert all(abs(a - b) < 40 for a, b in zip(top, red, strict=True)), top
    assert all(abs(a - b) < 40 for a, b in zip(bottom, blue, strict=True)), bottom
    assert info_of(clean.data)[3] == {}


def test_cleaning_is_stable() -> None:
    once = clean_attachment(TATTOO)
    twice = clean_attachment(once.data)
    assert twice.content_type == once.content_type
    assert info_of(twice.data)[1] == info_of(once.data)[1]


# ---------------------------------------------------------------------------
# Refusals: a clear message, and no work to speak of


def _zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.txt", "hidden")
    return buffer.getvalue()


def _png_saying_pdf() -> bytes:
    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "%PDF-1.4 1 0 obj << >> endobj")
    return encode(photo(), "PNG", pnginfo=meta)


def _bad_crc_png() -> bytes:
    data = bytearray(encode(photo(), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF
    return bytes(data)


REFUSALS: list[tuple[str, bytes, str]] = [
    ("empty", b"", "The file is empty."),
    ("html renamed .jpg", b"<!DOCTYPE html><html><script>alert(1)</script></html>", NOT_ACCEPTED),
    ("svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', NOT_ACCEPTED),
    ("plain text", "Just a note, Zoë.\n".encode(), NOT_ACCEPTED),
    ("zip", _zip_archive(), NOT_ACCEPTED),
    ("gif", encode(photo(), "GIF"), NOT_ACCEPTED),
    ("tiff", encode(photo(), "TIFF"), NOT_ACCEPTED),
    ("jpeg with a zip appended", TATTOO + _zip_archive(), "archive attached"),
    ("png with a zip appended", encode(photo(), "PNG") + _zip_archive(), "archive attached"),
    ("pdf with a zip appended", blank_pdf(1) + _zip_archive(), "archive attached"),
    ("jpeg with a script appended", TATTOO + b"<script>alert(1)</script>", "web page code"),
    ("jpeg with html appended", TATTOO + b"<!doctype html><p>x", "web page code"),
    ("jpeg with svg inside", TATTOO[:200] + b"<svg onload=alert(1)>" + TATTOO[200:], "web page"),
    ("png that also says %PDF-", _png_saying_pdf(), "both an image and a PDF"),
    ("truncated jpeg", TATTOO[: len(TATTOO) // 2], DAMAGED),
    ("jpeg header then garbage", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "not a JPEG"),
    ("png with a bad checksum", _bad_crc_png(), DAMAGED),
    ("png signature only", b"\x89PNG\r\n\x1a\n", "not a JPEG"),
    ("heif header only", _heif_header(b"heic"), DAMAGED),
    ("pdf garbage", b"%PDF-1.4\n" + bytes(range(256)) * 20, DAMAGED),
    ("pdf header only", b"%PDF-1.7\n", DAMAGED),
]


@pytest.mark.parametrize(
    ("data", "words"), [(data, words) for _, data, words in REFUSALS], ids=[n for n, *_ in REFUSALS]
)
def test_refusals_say_why_without_much_work(
    data: bytes, words: str, memory_peak: Callable[[], int]
) -> None:
    message = rejected(data)
    assert words in message
    assert memory_peak() < 50 * 1024 * 1024
    # Written for the sender: a sentence, no exception names or internals.
    assert message[0].isupper() and message.endswith(".")
    assert not re.search(r"Error|Exception|Traceback|PIL|pypdf|errno|0x", message)


def test_a_file_over_10_mb_is_refused_before_anything_else(decodes: list[str]) -> None:
    padding = b"\0" * (MAX_ATTACHMENT_BYTES - len(TATTOO))
    assert "larger than 10 MB" in rejected(TATTOO + padding + b"\0")
    assert decodes == []
    # Exactly the limit is accepted, and what trailed the picture is not kept.
    clean = clean_attachment(TATTOO + padding)
    assert len(clean.data) < 100_000
    assert_clean_jpeg(clean.data)


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(encode(photo((16, 16)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


BOMBS: list[tuple[str, Callable[[], bytes]]] = [
    # 400 megapixels of 1-bit grey, deflated to about 50 kB.
    ("png 20000x20000", lambda: png_by_hand(20000, 20000, 1, 0, zeros_compressed(20000 * 2501))),
    (
        "png header claiming 100000x100000",
        lambda: png_by_hand(
            100000, 100000, 8, 3, zlib.compress(b"\0" * 64), png_chunk(b"PLTE", b"\0\0\0")
        ),
    ),
    # Above the portal's 40 megapixels but below Pillow's own bomb limit.
    ("png 7000x6500", lambda: png_by_hand(7000, 6500, 1, 0, zlib.compress(b"\0" * 64))),
    ("jpeg claiming 65000x65000", lambda: _jpeg_claiming(65000, 65000)),
    ("jpeg claiming 7000x6500", lambda: _jpeg_claiming(7000, 6500)),
]


@pytest.mark.parametrize("make", [make for _, make in BOMBS], ids=[name for name, _ in BOMBS])
def test_decompression_bombs_are_refused_without_decoding(
    make: Callable[[], bytes], decodes: list[str], memory_peak: Callable[[], int]
) -> None:
    data = make()
    assert len(data) < 100_000
    tracemalloc.reset_peak()
    assert "too many pixels" in rejected(data)
    assert decodes == []
    assert memory_peak() < 50 * 1024 * 1024


@pytest.mark.parametrize("chunk_type", [b"zTXt", b"iCCP"])
def test_compressed_chunk_bombs_are_refused_without_inflating(
    chunk_type: bytes, memory_peak: Callable[[], int]
) -> None:
    # A 1x1 PNG with a 200 MB chunk deflated to 200 kB.
    bomb = png_chunk(chunk_type, b"name\0\0" + zeros_compressed(200 * 1024 * 1024))
    data = png_by_hand(1, 1, 8, 2, zlib.compress(b"\0\0\0\0"), bomb)
    tracemalloc.reset_peak()
    assert DAMAGED in rejected(data)
    assert memory_peak() < 50 * 1024 * 1024


# ---------------------------------------------------------------------------
# PDFs are rebuilt from their pages


def test_pdf_is_rebuilt_without_metadata_scripts_or_annotations() -> None:
    source = pdf_with_jpeg(TATTOO)
    for needle in (b"EXIF-SENTINEL", b"INFOTITLESENTINEL", b"OPENJSSENTINEL", b"ANNOTSENTINEL"):
        assert needle in source
    clean = clean_attachment(source)
    assert (clean.content_type, clean.extension, clean.kind) == (
        "application/pdf",
        "pdf",
        "document",
    )
    out = clean.data
    assert out.startswith(b"%PDF-")
    assert_no_sentinels(out)
    for stream in every_stream(out):  # deflated streams too, and objects nothing points at
        assert_no_sentinels(stream)
        assert b"Exif\x00\x00" not in stream and b"x:xmpmeta" not in stream
    for name in (
        b"/JavaScript",
        b"/JS",
        b"/OpenAction",
        b"/AA",
        b"/Annots",
        b"/Annot",
        b"/Metadata",
        b"/EmbeddedFile",
        b"/Filespec",
        b"/URI",
        b"/AcroForm",
        b"/PieceInfo",
        b"/Title",
        b"/Author",
    ):
        assert name not in out, name

    reader = PdfReader(io.BytesIO(out))
    assert len(reader.pages) == 2
    assert reader.metadata is None and "/Info" not in reader.trailer
    assert set(reader.trailer["/Root"].keys()) <= {"/Type", "/Pages"}
    assert [tuple(page.mediabox) for page in reader.pages] == [(0, 0, 200, 200), (0, 0, 300, 100)]
    assert "Page one" in reader.pages[0].extract_text()
    # Both pictures are still there, the same pixels, without their EXIF.
    jpegs = image_streams(out)
    assert len(jpegs) == 2
    for jpeg in jpegs:
        assert_clean_jpeg(jpeg)
        assert decoded(jpeg).tobytes() == decoded(TATTOO).tobytes()


@pytest.mark.parametrize(
    "filters", [b"/DCTDecode", b"[/DCTDecode]", b"[/FlateDecode /DCTDecode]"], ids=str
)
def test_pdf_jpeg_metadata_goes_whatever_the_filter_spelling(filters: bytes) -> None:
    out = clean_attachment(single_image_pdf(image_xobject(TATTOO, filters))).data
    for stream in [out, *every_stream(out)]:
        assert b"EXIF-SENTINEL" not in stream and b"Exif\x00\x00" not in stream
    (jpeg,) = image_streams(out)
    assert decoded(jpeg).tobytes() == decoded(TATTOO).tobytes()


def test_pdf_jpeg_soft_mask_is_cleaned_too() -> None:
    grey = encode(Image.new("L", TATTOO_SIZE, 128), "JPEG", exif=gps_exif())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]"
        b" /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        image_xobject(TATTOO, extra=b"/SMask 6 0 R"),
        pdf_stream(b"", b"q 200 0 0 200 0 0 cm /Im0 Do Q"),
        pdf_stream(
            b"/Type /XObject /Subtype /Image /Width 480 /Height 360 /ColorSpace /DeviceGray"
            b" /BitsPerComponent 8 /Filter /DCTDecode",
            grey,
        ),
    ]
    out = clean_attachment(build_pdf(objects)).data
    for stream in [out, *every_stream(out)]:
        assert_no_sentinels(stream)


def test_pdf_jpeg_with_a_second_picture_after_its_end_loses_both_exifs() -> None:
    # Phones write such files (MPO depth maps, maker trailers); the tail has an EXIF of its own.
    plain = encode(photo((48, 32)), "JPEG")
    out = clean_attachment(single_image_pdf(image_xobject(plain + TATTOO))).data
    assert b"EXIF-SENTINEL" not in out and b"Exif\x00\x00" not in out
    (jpeg,) = image_streams(out)
    assert jpeg == plain


def test_pdf_jpeg_too_broken_to_strip_is_never_passed_through() -> None:
    exif_segment = b"\xff\xe1" + struct.pack(">H", 2 + 6 + 13) + b"Exif\x00\x00EXIF-SENTINEL"
    broken = b"\xff\xd8" + exif_segment + b"no marker here" + b"\0" * 64
    pdf = single_image_pdf(
        pdf_stream(
            b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceRGB"
            b" /BitsPerComponent 8 /Filter /DCTDecode",
            broken,
        )
    )
    try:
        out = clean_attachment(pdf).data
    except AttachmentRejected as exc:
        assert DAMAGED in str(exc)
    else:
        assert b"EXIF-SENTINEL" not in out


def reachable_objects(pdf: bytes) -> set[int]:
    """The numbers of the objects reachable from the trailer of `pdf`."""
    reader = PdfReader(io.BytesIO(pdf))
    seen: set[int] = set()
    pending: list[Any] = [reader.trailer]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return seen


def test_pdf_dropped_parts_are_not_left_behind_unreferenced() -> None:
    # pypdf writes every object it copied: what was dropped must never have been copied.
    out = clean_attachment(pdf_with_jpeg(TATTOO)).data
    written = {int(n) for n in re.findall(rb"(?m)^(\d+) 0 obj$", out)}
    assert written == reachable_objects(out)
    # Pages, page tree, catalog, two contents, a font, a form and two pictures.
    assert len(written) == 10


@pytest.mark.parametrize("pages", [1, 3, MAX_PDF_PAGES])
def test_pdf_keeps_its_page_count(pages: int) -> None:
    out = clean_attachment(blank_pdf(pages)).data
    reader = PdfReader(io.BytesIO(out))
    assert len(reader.pages) == pages
    assert [float(p.mediabox.width) for p in reader.pages[:7]] == [
        100 + n % 7 for n in range(min(pages, 7))
    ]


def test_pdf_over_the_page_limit_is_refused() -> None:
    assert f"more than {MAX_PDF_PAGES} pages" in rejected(blank_pdf(MAX_PDF_PAGES + 1))


@pytest.mark.parametrize(
    "encryption",
    [{"user_password": "secret", "owner_password": "owner"}, {"user_password": "secret"}],
)
def test_password_protected_pdf_is_refused(encryption: dict[str, str]) -> None:
    message = rejected(blank_pdf(1, **encryption))
    assert "protected with a password" in message and "without the password" in message


def _good_pdf() -> bytes:
    return blank_pdf(2)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (_good_pdf()[: len(_good_pdf()) // 2], DAMAGED),
        (_good_pdf()[:-40], DAMAGED),
        (
            build_pdf(
                [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]
            ),
            DAMAGED,
        ),
        (build_pdf([b"<< /Type /Nothing >>"]), DAMAGED),
        (
            build_pdf(
                [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
            ),
            "no pages",
        ),
        (
            build_pdf(
                [
                    b"<< /Type /Catalog /Pages 2 0 R >>",
                    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    b"<< /Type /Page /Parent 2 0 R /X " + b"[" * 5000 + b"]" * 5000 + b" >>",
                ]
            ),
            DAMAGED,
        ),
    ],
    ids=["half", "no trailer", "page tree loop", "no catalog", "no pages", "deep nesting"],
)
def test_damaged_pdf_is_refused(data: bytes, words: str) -> None:
    assert words in rejected(data)


def test_pdf_with_an_offset_too_large_for_a_file_position_is_refused() -> None:
    # Found by scripts/fuzz_images.py (atheris): pypdf seeks to the trailer's startxref and
    # raised OverflowError for a number past what a C file offset holds (a 500).
    data = (FIXTURES / "fuzz-pdf-huge-startxref.pdf").read_bytes()
    assert DAMAGED in rejected(data)


# ---------------------------------------------------------------------------
# strip_jpeg_metadata


def test_strip_jpeg_metadata_keeps_pixels_identical() -> None:
    stripped = strip_jpeg_metadata(TATTOO)
    assert len(stripped) < len(TATTOO)
    assert b"EXIF-SENTINEL" not in stripped and b"Exif\x00\x00" not in stripped
    assert not set(jpeg_markers(stripped)) & JPEG_METADATA_MARKERS
    # Only metadata went: the tables, frame and scans are byte for byte the same.
    assert [m for m in jpeg_markers(TATTOO) if m not in JPEG_METADATA_MARKERS] == jpeg_markers(
        stripped
    )
    assert decoded(stripped).tobytes() == decoded(TATTOO).tobytes()
    assert strip_jpeg_metadata(stripped) == stripped


def test_strip_jpeg_metadata_reaches_between_progressive_scans() -> None:
    progressive = encode(photo((64, 64)), "JPEG", progressive=True, quality=80)
    second_scan = progressive.index(b"\xff\xda", progressive.index(b"\xff\xda") + 2)
    comment = b"\xff\xfe" + struct.pack(">H", 2 + 15) + b"COMMENTSENTINEL"
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + 18) + b"Exif\x00\x00SentinelCam\x00"
    doctored = progressive[:second_scan] + comment + app1 + progressive[second_scan:]
    assert decoded(doctored).tobytes() == decoded(progressive).tobytes()
    stripped = strip_jpeg_metadata(doctored)
    assert b"COMMENTSENTINEL" not in stripped and b"SentinelCam" not in stripped
    assert stripped == strip_jpeg_metadata(progressive)
    assert decoded(stripped).tobytes() == decoded(progressive).tobytes()


def test_strip_jpeg_metadata_drops_what_follows_the_picture() -> None:
    plain = strip_jpeg_metadata(encode(photo(), "JPEG"))
    assert strip_jpeg_metadata(plain + TATTOO) == plain
    assert strip_jpeg_metadata(plain + b"SAMSUNG TRAILER TEXTSENTINEL") == plain


def test_strip_jpeg_metadata_keeps_a_jpeg_cut_short_in_its_scan() -> None:
    cut = TATTOO[:-200]
    stripped = strip_jpeg_metadata(cut)
    assert b"EXIF-SENTINEL" not in stripped
    assert stripped.endswith(cut[-100:])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a",
        b"\xff\xd8\xff\xe1\x00",  # a segment length cut off
        b"\xff\xd8\xff\xe1\x10\x00Exif\x00\x00",  # a segment longer than the file
        b"\xff\xd8\xff\xe1\x00\x08Exif\x00\x00junk after the segment",
        b"\xff\xd8\xff\xe1\x00\x01",  # a length below its own size
    ],
)
def test_strip_jpeg_metadata_refuses_malformed_streams(data: bytes) -> None:
    with pytest.raises(ValueError):
        strip_jpeg_metadata(data)


# ---------------------------------------------------------------------------
# Fuzzing: whatever arrives, a clean attachment or a refusal, never anything else


SEEDS = {
    "jpeg": TATTOO,
    "png": encode(photo((24, 16), "RGBA"), "PNG", exif=gps_exif()),
    "webp": encode(photo((24, 16)), "WEBP", exif=gps_exif()),
    "heic": heic(photo((24, 16)), exif=gps_exif()),
    "pdf": pdf_with_jpeg(TATTOO),
}
ACCEPTED_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(0, 6))):
        operation = draw(st.sampled_from(["flip", "cut", "insert", "delete", "duplicate"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if operation == "flip":
            data[at] = draw(st.integers(0, 255))
        elif operation == "cut":
            del data[at:]
        elif operation == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 256))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 512))]
    return bytes(data)


def _check(data: bytes) -> None:
    try:
        clean = clean_attachment(data)
    except AttachmentRejected as exc:
        assert str(exc).endswith(".")
        return
    assert isinstance(clean, CleanAttachment)
    assert clean.content_type in ACCEPTED_TYPES
    assert sniff(clean.data) in {"jpeg", "png", "webp", "pdf"}
    assert b"EXIF-SENTINEL" not in clean.data and b"SentinelCam" not in clean.data
    # What was accepted once is accepted again: moderators can always open it.
    assert clean_attachment(clean.data).content_type == clean.content_type


# Pillow warns about damaged EXIF and goes on (the EXIF is dropped anyway); only this suite's
# warnings-as-errors would turn that into an exception.
CORRUPT_EXIF_WARNING = "ignore::UserWarning:PIL.TiffImagePlugin"


@pytest.mark.filterwarnings(CORRUPT_EXIF_WARNING)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_mangled_files_are_cleaned_or_refused(data: bytes) -> None:
    _check(data)


@pytest.mark.filterwarnings(CORRUPT_EXIF_WARNING)
@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-1.7\n", _heif_header(b"heic")]),
    st.binary(max_size=2048),
)
def test_random_bytes_behind_a_signature_are_refused(prefix: bytes, body: bytes) -> None:
    _check(prefix + body)
