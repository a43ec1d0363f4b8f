"""Media stores, image processing and image sets (local filesystem; S3 is in test_media_s3)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image, ImageCms, PngImagePlugin

from portal import media
from portal.media import (
    DERIVATIVE_WIDTHS,
    MAX_IMAGE_BYTES,
    ImageRejected,
    LocalMediaStore,
    MediaError,
    MediaNotFound,
    MediaStore,
    ProcessedImage,
    S3MediaStore,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TATTOO = FIXTURES / "be-1992-0603-tattoo.jpg"

XMP_PACKET = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'dc:creator="XMP-SENTINEL"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
METADATA_MARKERS = (
    b"EXIF-SENTINEL",
    b"ExampleCam",
    b"XMP-SENTINEL",
    b"TEXT-SENTINEL",
    b"COMMENT-SENTINEL",
    b"x:xmpmeta",
    b"Exif\x00\x00",
)


# ---------------------------------------------------------------------------
# Helpers


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def exif_with(**tags: object) -> bytes:
    names = {"Artist": 0x013B, "Make": 0x010F, "Orientation": 0x0112}
    exif = Image.Exif()
    for name, value in tags.items():
        exif[names[name]] = value
    return exif.tobytes()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_chunk_types(data: bytes) -> list[bytes]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    kinds = []
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kinds.append(data[position + 4 : position + 8])
        position += 12 + length
    return kinds


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid PNG header for a huge image with almost no pixel data behind it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def assert_no_metadata(blob: bytes) -> None:
    for marker in METADATA_MARKERS:
        assert marker not in blob, marker
    image = open_image(blob)
    exif = image.getexif()
    assert len(exif) == 0
    assert not exif.get_ifd(0x8825)  # GPS
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"):
        assert key not in image.info, key


def all_outputs(processed: ProcessedImage) -> list[bytes]:
    return [processed.data, *processed.derivatives.values()]


def rejection(data: bytes) -> str:
    with pytest.raises(ImageRejected) as caught:
        media.process_image(data)
    message = str(caught.value)
    # Shown to uploaders: a sentence, never a path or a Pillow internal.
    assert message.endswith(".")
    assert "/" not in message and "\\" not in message
    return message


# ---------------------------------------------------------------------------
# The contract every store keeps (S3 runs the same class in test_media_s3)

INVALID_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "images/../../outside",
    "images//double",
    "images/trailing/",
    "images\\windows",
    "images/./here",
    ".hidden",
    "images/.hidden",
    "nul\x00byte",
]


class StoreContract:
    """Behaviour every MediaStore must have; subclasses provide a `store` fixture."""

    def test_put_then_get_round_trips(self, store: MediaStore) -> None:
        store.put("images/abc/original.jpg", b"\xff\xd8 photo", "image/jpeg")
        assert store.get("images/abc/original.jpg") == b"\xff\xd8 photo"

    def test_put_replaces_the_object(self, store: MediaStore) -> None:
        store.put("a/key", b"first", "application/octet-stream")
        store.put("a/key", b"second", "application/octet-stream")
        assert store.get("a/key") == b"second"

    def test_empty_object(self, store: MediaStore) -> None:
        store.put("empty", b"", "application/octet-stream")
        assert store.exists("empty")
        assert store.get("empty") == b""

    def test_get_missing_key_raises_not_found(self, store: MediaStore) -> None:
        with pytest.raises(MediaNotFound):
            store.get("images/missing/w320.jpg")
        assert issubclass(MediaNotFound, MediaError)

    def test_exists(self, store: MediaStore) -> None:
        assert not store.exists("images/abc/w320.jpg")
        store.put("images/abc/w320.jpg", b"x", "image/jpeg")
        assert store.exists("images/abc/w320.jpg")
        assert not store.exists("images/abc")  # a "directory" is not an object

    def test_delete_is_idempotent(self, store: MediaStore) -> None:
        store.put("images/abc/w320.jpg", b"x", "image/jpeg")
        store.delete("images/abc/w320.jpg")
        assert not store.exists("images/abc/w320.jpg")
        store.delete("images/abc/w320.jpg")
        store.delete("never/existed")
        with pytest.raises(MediaNotFound):
            store.get("images/abc/w320.jpg")

    def test_iter_keys_filters_by_prefix_in_sorted_order(self, store: MediaStore) -> None:
        keys = ["images/a/w640.jpg", "images/a/original.png", "images/ab/w320.jpg", "other/x"]
        for key in keys:
            store.put(key, b"x", "image/jpeg")
        assert list(store.iter_keys()) == sorted(keys)
        assert list(store.iter_keys("images/a/")) == ["images/a/original.png", "images/a/w640.jpg"]
        assert list(store.iter_keys("images/a")) == [
            "images/a/original.png",
            "images/a/w640.jpg",
            "images/ab/w320.jpg",
        ]
        assert list(store.iter_keys("images/zzz/")) == []
        assert list(store.iter_keys("nothing-here")) == []

    @pytest.mark.parametrize("key", INVALID_KEYS)
    def test_unsafe_keys_are_refused(self, store: MediaStore, key: str) -> None:
        with pytest.raises(ValueError):
            store.put(key, b"x", "image/jpeg")
        with pytest.raises(ValueError):
            store.get(key)
        with pytest.raises(ValueError):
            store.exists(key)
        with pytest.raises(ValueError):
            store.delete(key)

    def test_describe_is_a_url(self, store: MediaStore) -> None:
        assert re.match(r"^(file|s3)://", store.describe())

    def test_image_set_round_trip(self, store: MediaStore) -> None:
        processed = media.process_image(TATTOO.read_bytes())
        prefix = media.save_processed_image(store, processed)
        assert store.get(media.original_key(prefix, "jpg")) == processed.data
        for width, data in processed.derivatives.items():
            assert store.get(media.derivative_key(prefix, width)) == data
        media.delete_image_set(store, prefix)
        assert list(store.iter_keys(prefix)) == []


class TestLocalStoreContract(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> LocalMediaStore:
        return LocalMediaStore(tmp_path / "media")


# ---------------------------------------------------------------------------
# LocalMediaStore specifics


def test_local_store_creates_its_root(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "media"
    store = LocalMediaStore(root)
    assert root.is_dir()
    assert store.describe() == root.as_uri()
    assert store.describe().startswith("file:///")


def test_local_store_writes_through_a_temporary_file_in_the_same_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalMediaStore(tmp_path)
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(source: str, target: str | Path) -> None:
        renames.append((Path(source), Path(target)))
        assert Path(source).read_bytes() == b"new"
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", spy)
    store.put("images/abc/w320.jpg", b"new", "image/jpeg")
    [(source, target)] = renames
    assert target == tmp_path / "images" / "abc" / "w320.jpg"
    assert source.parent == target.parent
    assert source.name.startswith(".")
    assert sorted(p.name for p in target.parent.iterdir()) == ["w320.jpg"]


def test_local_store_failed_write_keeps_the_old_object_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalMediaStore(tmp_path)
    store.put("images/abc/w320.jpg", b"old", "image/jpeg")

    def broken_replace(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(MediaError, match="No space left"):
        store.put("images/abc/w320.jpg", b"new", "image/jpeg")
    assert store.get("images/abc/w320.jpg") == b"old"
    assert sorted(p.name for p in (tmp_path / "images" / "abc").iterdir()) == ["w320.jpg"]


def test_local_store_ignores_temporary_files_when_listing(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    store.put("images/abc/w320.jpg", b"x", "image/jpeg")
    (tmp_path / "images" / "abc" / ".w640.jpg.123.tmp").write_bytes(b"partial")
    assert list(store.iter_keys()) == ["images/abc/w320.jpg"]


def test_local_store_delete_removes_emptied_directories_but_not_the_root(tmp_path: Path) -> None:
    root = tmp_path / "media"
    store = LocalMediaStore(root)
    store.put("images/one/w320.jpg", b"x", "image/jpeg")
    store.put("images/two/w320.jpg", b"x", "image/jpeg")
    store.delete("images/one/w320.jpg")
    assert not (root / "images" / "one").exists()
    assert (root / "images" / "two" / "w320.jpg").exists()
    store.delete("images/two/w320.jpg")
    assert root.is_dir()
    assert list(root.iterdir()) == []


def test_local_store_never_touches_files_outside_its_root(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    secret = tmp_path / "secret.txt"
    secret.write_text("keep")
    with pytest.raises(ValueError):
        store.put("../secret.txt", b"overwritten", "text/plain")
    with pytest.raises(ValueError):
        store.get("../secret.txt")
    with pytest.raises(ValueError):
        store.delete("../secret.txt")
    with pytest.raises(ValueError):
        list(store.iter_keys("../"))
    with pytest.raises(ValueError):
        store.put(str(secret), b"overwritten", "text/plain")
    assert secret.read_text() == "keep"


def test_local_store_get_of_a_directory_is_not_found(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    store.put("images/abc/w320.jpg", b"x", "image/jpeg")
    with pytest.raises(MediaNotFound):
        store.get("images/abc")


def test_local_store_read_error_is_a_media_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalMediaStore(tmp_path)
    store.put("images/abc/w320.jpg", b"x", "image/jpeg")

    def unreadable(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    # Patched rather than chmod-ed: the tests may run as root, which ignores permissions.
    monkeypatch.setattr(Path, "read_bytes", unreadable)
    with pytest.raises(MediaError, match="Permission denied") as caught:
        store.get("images/abc/w320.jpg")
    assert not isinstance(caught.value, MediaNotFound)


# ---------------------------------------------------------------------------
# process_image: metadata


def test_fixture_really_carries_the_metadata_we_strip() -> None:
    data = TATTOO.read_bytes()
    assert b"EXIF-SENTINEL" in data and b"ExampleCam" in data
    assert open_image(data).getexif().get_ifd(0x8825)


def test_tattoo_photo_is_stripped_of_exif_and_gps() -> None:
    data = TATTOO.read_bytes()
    processed = media.process_image(data)
    assert processed.content_type == "image/jpeg"
    assert processed.extension == "jpg"
    assert (processed.width, processed.height) == (480, 360)
    assert processed.source_sha256 == hashlib.sha256(data).hexdigest()
    assert sorted(processed.derivatives) == [320, 480]
    assert open_image(processed.data).format == "JPEG"
    for blob in all_outputs(processed):
        assert_no_metadata(blob)


def test_png_text_exif_and_xmp_chunks_are_dropped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "TEXT-SENTINEL")
    info.add_text("Author", "TEXT-SENTINEL compressed", zip=True)
    info.add_itxt("Description", "TEXT-SENTINEL international", lang="en")
    info.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode())
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    data = encode(image, "PNG", pnginfo=info, exif=exif_with(Artist="EXIF-SENTINEL"))
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf"} <= set(png_chunk_types(data))

    processed = media.process_image(data)
    assert processed.content_type == "image/png"
    assert processed.extension == "png"
    assert set(png_chunk_types(processed.data)) <= {b"IHDR", b"IDAT", b"IEND"}
    for blob in all_outputs(processed):
        assert_no_metadata(blob)


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_xmp_exif_and_comments_are_dropped(fmt: str) -> None:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    options: dict[str, object] = {
        "xmp": XMP_PACKET,
        "exif": exif_with(Artist="EXIF-SENTINEL", Make="ExampleCam"),
    }
    if fmt == "JPEG":
        options["comment"] = "COMMENT-SENTINEL"
    data = encode(image, fmt, **options)
    assert b"XMP-SENTINEL" in data and b"EXIF-SENTINEL" in data

    processed = media.process_image(data)
    assert open_image(processed.data).format == fmt
    for blob in all_outputs(processed):
        assert_no_metadata(blob)


def test_gif_comment_is_dropped() -> None:
    data = encode(Image.new("P", (30, 20), 1), "GIF", comment=b"COMMENT-SENTINEL")
    processed = media.process_image(data)
    for blob in all_outputs(processed):
        assert_no_metadata(blob)


def test_icc_profile_is_dropped_even_when_broken() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = Image.new("RGB", (40, 30), (0, 128, 255))
    for profile in (srgb, b"not an ICC profile at all"):
        processed = media.process_image(encode(image, "JPEG", icc_profile=profile))
        for blob in all_outputs(processed):
            assert_no_metadata(blob)
        red, green, blue = open_image(processed.data).getpixel((20, 15))  # type: ignore[misc]
        assert red < 30 and 100 < green < 160 and blue > 220


# ---------------------------------------------------------------------------
# process_image: pixels, formats and orientation


def test_exif_orientation_is_applied_before_stripping() -> None:
    # Stored landscape, red on top; orientation 6 means "turn 90 degrees clockwise to view",
    # which puts the red half on the right of a portrait picture.
    image = Image.new("RGB", (60, 40), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 60, 20))
    data = encode(image, "JPEG", quality=95, exif=exif_with(Orientation=6))

    processed = media.process_image(data)
    assert (processed.width, processed.height) == (40, 60)
    for blob in all_outputs(processed):
        upright = open_image(blob).convert("RGB")
        assert upright.size == (40, 60)
        right = upright.getpixel((35, 30))
        left = upright.getpixel((4, 30))
        assert isinstance(right, tuple) and isinstance(left, tuple)
        assert right[0] > 200 and right[2] < 60
        assert left[2] > 200 and left[0] < 60
        assert len(open_image(blob).getexif()) == 0


def test_webp_stays_webp() -> None:
    processed = media.process_image(encode(Image.new("RGB", (50, 50), "green"), "WEBP"))
    assert (processed.content_type, processed.extension) == ("image/webp", "webp")
    assert open_image(processed.data).format == "WEBP"


def test_animated_gif_becomes_a_png_of_its_first_frame() -> None:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    processed = media.process_image(data)
    assert (processed.content_type, processed.extension) == ("image/png", "png")
    output = open_image(processed.data)
    assert output.format == "PNG"
    assert not getattr(output, "is_animated", False)
    assert output.convert("RGB").getpixel((20, 15)) == (255, 0, 0)


def test_transparency_is_kept_in_the_original_and_white_in_derivatives() -> None:
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    image.paste((0, 160, 0, 255), (20, 0, 40, 20))
    processed = media.process_image(encode(image, "PNG"))
    original = open_image(processed.data)
    assert original.mode == "RGBA"
    assert original.getpixel((5, 10)) == (0, 0, 0, 0)
    [derivative] = processed.derivatives.values()
    flat = open_image(derivative)
    assert flat.mode == "RGB"
    assert all(channel > 245 for channel in flat.getpixel((5, 10)))  # type: ignore[union-attr]
    assert flat.getpixel((35, 10))[1] > 130  # type: ignore[index]


def test_palette_image_with_transparency() -> None:
    image = Image.new("P", (30, 30), 0)
    image.putpalette([255, 255, 255, 200, 0, 0])
    image.paste(1, (15, 0, 30, 30))
    processed = media.process_image(encode(image, "GIF", transparency=0))
    assert open_image(processed.data).getpixel((2, 2))[3] == 0  # type: ignore[index]
    flat = open_image(processed.derivatives[30])
    assert flat.getpixel((2, 2))[0] > 245  # type: ignore[index]
    assert flat.getpixel((25, 2))[0] > 150  # type: ignore[index]


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    data = encode(Image.new("I;16", (20, 20), 40000), "PNG")
    processed = media.process_image(data)
    value = open_image(processed.data).getpixel((10, 10))
    assert isinstance(value, int) and 150 <= value <= 160


def test_cmyk_jpeg_becomes_rgb() -> None:
    processed = media.process_image(encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG"))
    output = open_image(processed.data)
    assert output.mode == "RGB"
    red, green, blue = output.getpixel((10, 10))  # type: ignore[misc]
    assert red > 200 and green < 60 and blue < 60


def test_mpo_jpeg_from_a_phone_is_accepted_as_jpeg() -> None:
    frames = [Image.new("RGB", (40, 30), "red"), Image.new("RGB", (40, 30), "blue")]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    processed = media.process_image(data)
    assert (processed.content_type, processed.extension) == ("image/jpeg", "jpg")
    assert open_image(processed.data).format == "JPEG"


# ---------------------------------------------------------------------------
# process_image: derivatives


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (1, [1]),
        (100, [100]),
        (320, [320]),
        (321, [320, 321]),
        (480, [320, 480]),
        (640, [320, 640]),
        (1000, [320, 640, 1000]),
        (1280, [320, 640, 1280]),
        (4000, [320, 640, 1280]),
    ],
)
def test_derivative_widths(width: int, expected: list[int]) -> None:
    assert media.derivative_widths(width) == expected
    assert set(expected) - {width} <= set(DERIVATIVE_WIDTHS)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1300, 650), {320: (320, 160), 640: (640, 320), 1280: (1280, 640)}),
        ((100, 50), {100: (100, 50)}),
        ((700, 3), {320: (320, 1), 640: (640, 3), 700: (700, 3)}),
    ],
)
def test_derivatives_are_progressive_jpegs_never_upscaled(
    size: tuple[int, int], expected: dict[int, tuple[int, int]]
) -> None:
    processed = media.process_image(encode(Image.new("RGB", size, "orange"), "PNG"))
    assert {width: open_image(data).size for width, data in processed.derivatives.items()} == (
        expected
    )
    for data in processed.derivatives.values():
        derivative = open_image(data)
        assert derivative.format == "JPEG"
        assert derivative.info.get("progressive")
        assert derivative.width <= size[0]


# ---------------------------------------------------------------------------
# process_image: rejections

HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


def test_empty_file_is_rejected() -> None:
    assert "empty" in rejection(b"")


def test_oversized_file_is_rejected_before_decoding() -> None:
    assert "20 MB" in rejection(b"\xff\xd8\xff" + bytes(MAX_IMAGE_BYTES))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (HTML, "web page"),
        (b"  \n" + HTML.lower(), "web page"),
        (SVG, "SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
        (b"PK\x03\x04" + bytes(40), "ZIP"),
        (b"just some text that is not an image", "not a JPEG, PNG, WebP or GIF"),
    ],
)
def test_non_images_are_rejected_by_content(data: bytes, expected: str) -> None:
    assert expected in rejection(data)


@pytest.mark.parametrize(("fmt", "expected"), [("TIFF", "TIFF"), ("BMP", "BMP")])
def test_other_image_formats_are_rejected(fmt: str, expected: str) -> None:
    assert expected in rejection(encode(Image.new("RGB", (20, 20), "red"), fmt))


@pytest.mark.parametrize(
    "make",
    [
        lambda: TATTOO.read_bytes()[: len(TATTOO.read_bytes()) // 2],
        lambda: encode(Image.effect_noise((200, 200), 60).convert("RGB"), "PNG")[:2000],
        lambda: TATTOO.read_bytes()[:200],
    ],
    ids=["truncated-jpeg", "truncated-png", "jpeg-header-only"],
)
def test_truncated_files_are_rejected(make: Callable[[], bytes]) -> None:
    assert "damaged" in rejection(make())


@pytest.mark.parametrize(
    "size",
    [
        (100_000, 100_000),  # far past Pillow's own limit: DecompressionBombError
        (10_000, 10_000),  # past Pillow's warning threshold: must not leak a warning
        (8_000, 6_000),  # under Pillow's limits but over ours
        (MAX_IMAGE_BYTES, 3),  # a long thin strip is counted in pixels, not width
    ],
)
def test_decompression_bombs_are_rejected_before_decoding(size: tuple[int, int]) -> None:
    data = png_claiming_size(*size)
    started = time.perf_counter()
    message = rejection(data)
    # Decoding (or even allocating) that many pixels would take far longer than this.
    assert time.perf_counter() - started < 1.0
    assert "40 megapixels" in message


def test_largest_accepted_size_passes_the_pixel_check() -> None:
    # Exactly at the limit in one dimension would be slow to decode; check the arithmetic.
    assert not media._too_many_pixels((8_000, 5_000))
    assert media._too_many_pixels((8_000, 5_001))


# ---------------------------------------------------------------------------
# Image sets


def test_keys() -> None:
    assert media.original_key("images/abc", "png") == "images/abc/original.png"
    assert media.derivative_key("images/abc", 640) == "images/abc/w640.jpg"


def test_new_image_prefix_is_random_and_key_safe() -> None:
    prefixes = {media.new_image_prefix() for _ in range(100)}
    assert len(prefixes) == 100
    for prefix in prefixes:
        assert re.fullmatch(r"images/[0-9a-f]{32}", prefix)


def test_save_processed_image_writes_original_and_derivatives(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    processed = media.process_image(TATTOO.read_bytes())
    prefix = media.save_processed_image(store, processed)
    assert re.fullmatch(r"images/[0-9a-f]{32}", prefix)
    assert list(store.iter_keys()) == [
        f"{prefix}/original.jpg",
        f"{prefix}/w320.jpg",
        f"{prefix}/w480.jpg",
    ]
    assert store.get(f"{prefix}/original.jpg") == processed.data
    assert store.get(f"{prefix}/w320.jpg") == processed.derivatives[320]
    for key in store.iter_keys():
        assert_no_metadata(store.get(key))
    # Saving the same image again makes a separate set: sets are never shared or overwritten.
    assert media.save_processed_image(store, processed) != prefix


class FlakyStore(LocalMediaStore):
    """A local store whose Nth put fails, optionally after writing the object anyway."""

    def __init__(
        self, root: Path, fail_on: int, *, stored_anyway: bool = False, delete_fails: bool = False
    ) -> None:
        super().__init__(root)
        self.fail_on = fail_on
        self.stored_anyway = stored_anyway
        self.delete_fails = delete_fails
        self.puts = 0

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.puts += 1
        if self.puts == self.fail_on:
            if self.stored_anyway:
                super().put(key, data, content_type)
            raise MediaError("simulated storage outage")
        super().put(key, data, content_type)

    def delete(self, key: str) -> None:
        if self.delete_fails:
            raise MediaError("simulated delete failure")
        super().delete(key)


@pytest.fixture(scope="module")
def tattoo() -> ProcessedImage:
    return media.process_image(TATTOO.read_bytes())


@pytest.mark.parametrize("fail_on", [1, 2, 3])
@pytest.mark.parametrize("stored_anyway", [False, True], ids=["lost", "stored-anyway"])
def test_save_processed_image_leaves_nothing_behind_on_failure(
    tmp_path: Path, tattoo: ProcessedImage, fail_on: int, stored_anyway: bool
) -> None:
    store = FlakyStore(tmp_path, fail_on, stored_anyway=stored_anyway)
    with pytest.raises(MediaError, match="simulated storage outage"):
        media.save_processed_image(store, tattoo)
    assert list(store.iter_keys()) == []


def test_save_processed_image_reports_the_put_failure_when_cleanup_fails(
    tmp_path: Path, tattoo: ProcessedImage
) -> None:
    store = FlakyStore(tmp_path, 2, delete_fails=True)
    with pytest.raises(MediaError, match="simulated storage outage"):
        media.save_processed_image(store, tattoo)


def test_delete_image_set_deletes_only_that_set(tmp_path: Path, tattoo: ProcessedImage) -> None:
    store = LocalMediaStore(tmp_path)
    first = media.save_processed_image(store, tattoo)
    second = media.save_processed_image(store, tattoo)
    media.delete_image_set(store, first)
    assert list(store.iter_keys(first)) == []
    assert len(list(store.iter_keys(second))) == 1 + len(tattoo.derivatives)
    media.delete_image_set(store, first)  # already gone: fine


@pytest.mark.parametrize("prefix", ["", "/", "images/", "../images"])
def test_delete_image_set_refuses_unsafe_prefixes(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(ValueError):
        media.delete_image_set(LocalMediaStore(tmp_path), prefix)


# ---------------------------------------------------------------------------
# media_store_from_url and Flask


@pytest.fixture
def aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    # Building an S3 client needs a region, never a connection or credentials.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_file_url_makes_a_local_store(tmp_path: Path) -> None:
    store = media.media_store_from_url((tmp_path / "media").as_uri())
    assert isinstance(store, LocalMediaStore)
    assert store.root == tmp_path / "media"
    assert media.media_store_from_url(store.describe()).describe() == store.describe()


def test_file_url_accepts_localhost_and_percent_escapes(tmp_path: Path) -> None:
    store = media.media_store_from_url(f"file://localhost{tmp_path}/with%20space")
    assert isinstance(store, LocalMediaStore)
    assert store.root == tmp_path / "with space"


@pytest.mark.usefixtures("aws_region")
@pytest.mark.parametrize(
    ("url", "bucket", "prefix", "described"),
    [
        ("s3://media-bucket", "media-bucket", "", "s3://media-bucket"),
        ("s3://media-bucket/", "media-bucket", "", "s3://media-bucket"),
        ("s3://media-bucket/a/b/", "media-bucket", "a/b", "s3://media-bucket/a/b"),
        ("S3://media.bucket/portal", "media.bucket", "portal", "s3://media.bucket/portal"),
    ],
)
def test_s3_url_makes_an_s3_store(url: str, bucket: str, prefix: str, described: str) -> None:
    store = media.media_store_from_url(url, s3_endpoint_url="http://127.0.0.1:9")
    assert isinstance(store, S3MediaStore)
    assert (store.bucket, store.prefix, store.describe()) == (bucket, prefix, described)
    assert store.endpoint_url == "http://127.0.0.1:9"


@pytest.mark.usefixtures("aws_region")
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "unsupported media URL"),
        ("/var/lib/media", "unsupported media URL"),
        ("http://example.org/media", "unsupported media URL"),
        ("ftp://user:hunter2@example.org/media", "unsupported media URL"),
        ("file://relative/path", "absolute path"),
        ("file:relative", "absolute path"),
        ("file:///srv/media?x=1", "query"),
        ("s3://", "bucket name"),
        ("s3:///prefix-only", "bucket name"),
        ("s3://bucket:9000/x", "bucket name"),
        ("s3://AKIA:hunter2@bucket/x", "credentials"),
        ("s3://bucket/x?region=eu", "query"),
        ("s3://bucket/../x", "media key"),
    ],
)
def test_bad_media_urls_are_refused_clearly(url: str, expected: str) -> None:
    with pytest.raises(ValueError, match=re.escape(expected)) as caught:
        media.media_store_from_url(url)
    assert "hunter2" not in str(caught.value)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = Flask(__name__)
    app.config["PORTAL_MEDIA_URL"] = (tmp_path / "media").as_uri()
    yield app


def test_init_app_keeps_the_store_on_the_app(app: Flask, tmp_path: Path) -> None:
    media.init_app(app)
    with app.app_context():
        store = media.get_media_store()
    assert isinstance(store, LocalMediaStore)
    assert store.root == tmp_path / "media"
    assert app.extensions["media_store"] is store


@pytest.mark.usefixtures("aws_region")
def test_init_app_passes_the_s3_endpoint(app: Flask) -> None:
    app.config["PORTAL_MEDIA_URL"] = "s3://bucket/portal"
    app.config["PORTAL_S3_ENDPOINT_URL"] = "http://127.0.0.1:9"
    media.init_app(app)
    with app.app_context():
        store = media.get_media_store()
    assert isinstance(store, S3MediaStore)
    assert store.endpoint_url == "http://127.0.0.1:9"


def test_get_media_store_without_init_app_says_so(app: Flask) -> None:
    with app.app_context(), pytest.raises(RuntimeError, match="init_app"):
        media.get_media_store()
