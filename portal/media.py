"""Media storage (local files or S3) and safe processing of uploaded case images."""

from __future__ import annotations

import abc
import contextlib
import hashlib
import io
import os
import re
import secrets
import struct
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, current_app
from flask_babel import lazy_gettext
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from portal.i18n import _

DERIVATIVE_WIDTHS: tuple[int, ...] = (320, 640, 1280)
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000

ORIGINAL_JPEG_QUALITY = 90
ORIGINAL_WEBP_QUALITY = 90
DERIVATIVE_JPEG_QUALITY = 82

EXTENSION_NAME = "media_store"


class MediaError(Exception):
    """The media store could not do what was asked (unreachable, permission denied, ...)."""


class MediaNotFound(MediaError):
    """The media store holds no object under the key."""


class ImageRejected(ValueError):
    """An uploaded image cannot be accepted; str(exc) is safe to show to whoever sent it."""


# ---------------------------------------------------------------------------
# Stores


def _check_key(key: str) -> str:
    """Return `key` if it is a plain relative "a/b/c" key, else raise ValueError."""
    if not key:
        raise ValueError("media key is empty")
    if key.startswith("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"media key {key!r} must be relative and use only '/' separators")
    for segment in key.split("/"):
        # A leading dot is refused as well as "."/"..": LocalMediaStore writes in-flight
        # temporary files as dot files, and iter_keys must be able to tell them apart.
        if not segment or segment.startswith("."):
            raise ValueError(f"media key {key!r} has an empty, '.', '..' or hidden segment")
    return key


class MediaStore(abc.ABC):
    """A flat key -> bytes store; keys look like "images/<token>/w640.jpg"."""

    @abc.abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing any object already there."""

    @abc.abstractmethod
    def get(self, key: str) -> bytes:
        """The bytes under `key`; MediaNotFound if there are none."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object under `key`; a missing key is not an error."""

    @abc.abstractmethod
    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key that starts with `prefix` (a plain string prefix), in sorted order."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the store keeps its objects, as a URL fit for logs (never any secret)."""


class LocalMediaStore(MediaStore):
    """Objects as files under a root directory, each written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MediaError(f"cannot create media directory {self.root}: {exc}") from exc

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_check_key(key).split("/"))

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        temp_name: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write next to the target so os.replace is a same-filesystem rename: readers see
            # either the old object or the whole new one, never a half-written file.
            fd, temp_name = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                # Without fsync a crash after the rename can leave an empty file in its place.
                os.fsync(handle.fileno())
            os.replace(temp_name, path)
            temp_name = None
            # The rename lives in the directory: sync it too, or a power cut can lose a file
            # whose tip was already acknowledged.
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            raise MediaError(f"cannot write media object {key!r}: {exc}") from exc
        finally:
            if temp_name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp_name)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise MediaNotFound(f"no media object {key!r}") from exc
        except OSError as exc:
            raise MediaError(f"cannot read media object {key!r}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except (IsADirectoryError, NotADirectoryError):
            # A directory (or a path through a file) is not an object, so nothing to delete.
            return
        except OSError as exc:
            raise MediaError(f"cannot delete media object {key!r}: {exc}") from exc
        # Every image set lives in its own directory; drop directories left empty so deleted
        # sets do not accumulate. rmdir refuses non-empty directories, which ends the climb.
        parent = path.parent
        while parent != self.root and self.root in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        directory, _, _ = prefix.rpartition("/")
        # Walk only the deepest directory the prefix names instead of the whole store.
        start = self._path(directory) if directory else self.root
        if not start.is_dir():
            return

        def fail(exc: OSError) -> None:
            raise MediaError(f"cannot list media objects under {prefix!r}: {exc}") from exc

        keys: list[str] = []
        for current, dirnames, filenames in os.walk(start, onerror=fail):
            dirnames[:] = [name for name in dirnames if not name.startswith(".")]
            relative = Path(current).relative_to(self.root).as_posix()
            for name in filenames:
                if name.startswith("."):
                    continue  # an in-flight temporary file, not an object
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        yield from sorted(keys)

    def describe(self) -> str:
        return self.root.as_uri()


# A tip's attachment is put while its sender waits: a hung S3 must give up (and the attachment
# be parked) well inside gunicorn's 30 s worker timeout, or the worker is killed mid-request
# and the tipster gets no answer at all. Three attempts of at most 3 + 5 s each, plus botocore's
# backoff (under 1 s, then under 2 s), stay under 27 s; a 503 is retried within a second or two.
# The timeouts bound each wait for progress, not a whole upload, so large files still go through.
S3_RETRIES = 2
S3_CONNECT_TIMEOUT = 3.0
S3_READ_TIMEOUT = 5.0

# S3 answers a missing key with one of these codes, depending on the call and the server.
_S3_NOT_FOUND = frozenset({"NoSuchKey", "404", "NotFound"})


def _s3_error_code(exc: Any) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class S3MediaStore(MediaStore):
    """Objects in an S3 (or S3-compatible) bucket, optionally under a key prefix."""

    # S3 returns at most 1000 keys a page; tests lower this to exercise pagination.
    list_page_size: int = 1000

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        client: Any = None,
        max_retries: int = S3_RETRIES,
        connect_timeout: float = S3_CONNECT_TIMEOUT,
        read_timeout: float = S3_READ_TIMEOUT,
    ) -> None:
        if not bucket:
            raise ValueError("S3 bucket name is empty")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            _check_key(self.prefix)
        self.endpoint_url = endpoint_url
        if client is None:
            options: dict[str, Any] = {
                # botocore's max_attempts counts retries after the first try.
                "retries": {"mode": "standard", "max_attempts": max_retries},
                "connect_timeout": connect_timeout,
                "read_timeout": read_timeout,
            }
            if endpoint_url:
                # S3-compatible servers (MinIO, Ceph, ...) are usually reached by host name
                # without wildcard DNS, so virtual-host bucket addressing would not resolve.
                options["s3"] = {"addressing_style": "path"}
                # Many of them also reject the checksums botocore >= 1.36 sends by default;
                # older botocore neither sends them nor knows these options.
                if "request_checksum_calculation" in Config.OPTION_DEFAULTS:
                    options["request_checksum_calculation"] = "when_required"
                    options["response_checksum_validation"] = "when_required"
            # A session of our own: creating clients from boto3's shared default session is
            # not thread-safe, while the client itself is.
            client = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url, config=Config(**options)
            )
        self.client: Any = client

    def _key(self, key: str) -> str:
        _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    @contextlib.contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            if _s3_error_code(exc) in _S3_NOT_FOUND:
                raise MediaNotFound(f"no media object {key!r} in {self.describe()}") from exc
            raise MediaError(f"S3 {action} of {key!r} in {self.describe()} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise MediaError(f"S3 {action} of {key!r} in {self.describe()} failed: {exc}") from exc

    def put(self, key: str, data: bytes, content_type: str) -> None:
        full_key = self._key(key)
        with self._errors("put", key):
            self.client.put_object(
                Bucket=self.bucket, Key=full_key, Body=data, ContentType=content_type
            )

    def get(self, key: str) -> bytes:
        full_key = self._key(key)
        with self._errors("get", key):
            response = self.client.get_object(Bucket=self.bucket, Key=full_key)
            data: bytes = response["Body"].read()
        return data

    def exists(self, key: str) -> bool:
        full_key = self._key(key)
        try:
            with self._errors("head", key):
                self.client.head_object(Bucket=self.bucket, Key=full_key)
        except MediaNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        full_key = self._key(key)
        # S3 answers a delete of a missing key with success, so this is already idempotent.
        with self._errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=full_key)

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket,
            Prefix=base + prefix,
            PaginationConfig={"PageSize": self.list_page_size},
        )
        with self._errors("list", prefix):
            for page in pages:
                for item in page.get("Contents", []):
                    key: str = item["Key"]
                    yield key[len(base) :]

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


_BUCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def media_store_from_url(url: str, *, s3_endpoint_url: str | None = None) -> MediaStore:
    """The store `url` names: file:///absolute/path or s3://bucket/optional/prefix."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    # Messages name the scheme only: a mistyped URL may carry credentials.
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(
                "a file media URL needs an absolute path with three slashes, "
                "like file:///var/lib/recognise/media"
            )
        if parts.query or parts.fragment:
            raise ValueError("a file media URL cannot have a query string or fragment")
        return LocalMediaStore(Path(unquote(parts.path)))
    if scheme == "s3":
        if "@" in parts.netloc:
            raise ValueError(
                "an s3 media URL must not contain credentials; use the AWS_* environment "
                "variables or an instance role"
            )
        if not _BUCKET_NAME.fullmatch(parts.netloc):
            raise ValueError("an s3 media URL needs a bucket name, like s3://bucket/prefix")
        if parts.query or parts.fragment:
            raise ValueError("an s3 media URL cannot have a query string or fragment")
        return S3MediaStore(parts.netloc, unquote(parts.path), endpoint_url=s3_endpoint_url)
    shown = f"{parts.scheme}:" if parts.scheme else "a URL without a scheme"
    raise ValueError(
        f"unsupported media URL ({shown}): use file:///absolute/path or s3://bucket/prefix"
    )


# ---------------------------------------------------------------------------
# Image processing


@dataclass(frozen=True)
class ProcessedImage:
    """An accepted image, re-encoded without metadata, and its web-sized JPEG derivatives."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    source_sha256: str
    derivatives: dict[int, bytes]


# Pillow format -> (format to write, content type, extension). GIF becomes a still PNG of its
# first frame; MPO is how Pillow names a JPEG carrying extra frames (phone depth maps, ...).
_OUTPUT_FORMATS: dict[str, tuple[str, str, str]] = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "MPO": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "GIF": ("PNG", "image/png", "png"),
}
_ACCEPTED_DECODERS = ["JPEG", "PNG", "WEBP", "GIF"]
_ACCEPTED_TEXT = "JPEG, PNG, WebP or GIF"

# Signatures of files people commonly try to upload, so they learn what to do instead of
# only being told "not an image". Checked only after Pillow's accepted decoders refused.
_KNOWN_UNSUPPORTED: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF documents"),
    (b"II*\x00", "TIFF images"),
    (b"MM\x00*", "TIFF images"),
    (b"BM", "BMP images"),
    (b"\x00\x00\x01\x00", "ICO icons"),
    (b"PK\x03\x04", "ZIP archives and office documents"),
)

# How Pillow reports undecodable input: truncated streams, bad chunks, broken headers; and
# pillow-heif reports libheif's refusals (a damaged file, a frame past libheif's own size
# limit while the header claims a small image) as RuntimeError.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
    RuntimeError,
)


def _unsupported_message(data: bytes, accepted: str = _ACCEPTED_TEXT) -> str:
    accepted = _(accepted)  # the list's "or" in the reader's language (msgids below)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        return _(
            "SVG and other vector files are not accepted. Upload a %(accepted)s image.",
            accepted=accepted,
        )
    if head.startswith((b"<!doctype", b"<html", b"<")):
        return _(
            "This file is a web page or text, not an image. Upload a %(accepted)s image.",
            accepted=accepted,
        )
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypavif"):
        if "HEIC" in accepted and data[8:12] != b"avif":
            # HEIC is accepted here, so a HEIC file that cannot be opened is a damaged one.
            return str(_DAMAGED_MESSAGE)
        return _(
            "HEIC and AVIF images are not accepted. Export the photo as JPEG (most phones "
            "offer this as ‘Most compatible’) or upload a %(accepted)s image.",
            accepted=accepted,
        )
    for signature, kind in _KNOWN_UNSUPPORTED:
        if data.startswith(signature):
            return _(
                "%(kind)s are not accepted. Upload a %(accepted)s image.",
                kind=kind,
                accepted=accepted,
            )
    return _("This file is not a %(accepted)s image.", accepted=accepted)


def _too_many_pixels(size: tuple[int, int]) -> bool:
    return size[0] * size[1] > MAX_IMAGE_PIXELS


# Lazy: a tipster reads these in the page's language (staff pages are in English).
_TOO_MANY_PIXELS_MESSAGE = lazy_gettext(
    "The image has too many pixels: at most %(num)s megapixels are accepted. "
    "Resize it and try again.",
    num=MAX_IMAGE_PIXELS // 1_000_000,
)

_DAMAGED_MESSAGE = lazy_gettext("The image file is damaged or incomplete. Try uploading it again.")


def _decode(
    data: bytes,
    formats: list[str] = _ACCEPTED_DECODERS,
    accepted_text: str = _ACCEPTED_TEXT,
) -> Image.Image:
    """Decode the first frame of an accepted image, refusing oversized ones before decoding."""
    # Pillow warns between its own limit and twice that, and our limit is lower still; turning
    # the warning into an error refuses those images without ever emitting a warning. (Before
    # Python 3.14 the filter is process-wide; a concurrent thread restoring it early can at
    # worst let the warning through, and the size check below still refuses the image.)
    with warnings.catch_warnings(action="error", category=Image.DecompressionBombWarning):
        try:
            image = Image.open(io.BytesIO(data), formats=formats)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected(str(_TOO_MANY_PIXELS_MESSAGE)) from exc
        except UnidentifiedImageError as exc:
            raise ImageRejected(_unsupported_message(data, accepted_text)) from exc
        except _DECODE_ERRORS as exc:
            raise ImageRejected(str(_DAMAGED_MESSAGE)) from exc
        try:
            # Image.open has only read the header: check the claimed size before any pixel
            # memory is allocated.
            if _too_many_pixels(image.size):
                raise ImageRejected(str(_TOO_MANY_PIXELS_MESSAGE))
            image.load()
            # A GIF frame may reach past the logical screen, which grows the image on load.
            if _too_many_pixels(image.size):
                raise ImageRejected(str(_TOO_MANY_PIXELS_MESSAGE))
        except ImageRejected:
            image.close()
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            image.close()
            raise ImageRejected(str(_TOO_MANY_PIXELS_MESSAGE)) from exc
        except _DECODE_ERRORS as exc:
            image.close()
            raise ImageRejected(str(_DAMAGED_MESSAGE)) from exc
    return image


def _apply_orientation(image: Image.Image) -> None:
    # Malformed EXIF surfaces as almost any exception type from Pillow's TIFF parser; the
    # metadata is thrown away anyway, so a damaged tag may cost the rotation, never the photo.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(image, in_place=True)


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert colours to sRGB, since the ICC profile that describes them is not kept."""
    if not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken or mismatched profile: fall back to the raw values, as most viewers do.
        return image
    return converted if converted is not None else image


def _to_standard_mode(image: Image.Image) -> Image.Image:
    """The image as L, LA, RGB or RGBA, keeping transparency."""
    mode = image.mode
    if mode in ("L", "RGB") and image.has_transparency_data:
        return image.convert("RGBA")  # a tRNS colour key becomes a real alpha channel
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA"):
        return image.convert("RGBA" if image.has_transparency_data else "RGB")
    if mode.startswith("I") or mode == "F":
        # 16-bit greyscale: Pillow clips values above 255 when converting to L, which would
        # turn most of the picture white, so scale into 8 bits first.
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if mode == "La":
        return image.convert("LA")
    # CMYK, YCbCr, LAB, RGBX, premultiplied RGBa, ...
    return image.convert("RGBA" if mode == "RGBa" else "RGB")


def _flatten(image: Image.Image) -> Image.Image:
    """Composite a transparent image on white; JPEG has no alpha channel."""
    if image.mode not in ("LA", "RGBA"):
        return image
    opaque_mode = image.mode[:-1]
    white = 255 if opaque_mode == "L" else (255, 255, 255)
    background = Image.new(opaque_mode, image.size, white)
    background.paste(image.convert(opaque_mode), mask=image.getchannel("A"))
    return background


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels of `image`.

    Encoders fall back to `image.info` for some chunks (JPEG comments, PNG transparency and
    animation fields, ...), so copying the pixels into a fresh image is what guarantees that no
    metadata can be written, whatever the plugin does.
    """
    clean = Image.new(image.mode, image.size)
    clean.paste(image, (0, 0))
    return clean


def _clean_pixels(decoded: Image.Image) -> Image.Image:
    """The decoded picture upright, in sRGB and a standard mode, with nothing but its pixels."""
    icc_profile = decoded.info.get("icc_profile")
    # Rotate before the EXIF goes, or phone photos end up sideways.
    _apply_orientation(decoded)
    standard = _to_standard_mode(
        _to_srgb(decoded, icc_profile if isinstance(icc_profile, bytes) else None)
    )
    return _pixels_only(standard)


def _encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _encode_original(image: Image.Image, fmt: str, *, compact: bool = True) -> bytes:
    if fmt == "JPEG":
        # Optimised progressive JPEGs are smaller for the public but cost several times the
        # CPU; `compact=False` is for files only moderators open (tip photos after a surge).
        extra = {"optimize": True, "progressive": True} if compact else {}
        return _encode(_flatten(image), "JPEG", quality=ORIGINAL_JPEG_QUALITY, **extra)
    if fmt == "WEBP":
        webp_mode = "RGBA" if image.mode in ("LA", "RGBA") else "RGB"
        return _encode(image.convert(webp_mode), "WEBP", quality=ORIGINAL_WEBP_QUALITY)
    return _encode(image, "PNG")


def derivative_widths(width: int) -> list[int]:
    """Widths to make for an image `width` pixels wide: never wider than the image."""
    widths = {w for w in DERIVATIVE_WIDTHS if w < width}
    # Always at least one derivative, even for an image narrower than the smallest width.
    widths.add(min(width, max(DERIVATIVE_WIDTHS)))
    return sorted(widths)


def _make_derivatives(image: Image.Image) -> dict[int, bytes]:
    flat = _flatten(image)
    width, height = flat.size
    derivatives: dict[int, bytes] = {}
    for target in derivative_widths(width):
        if target == width:
            resized = flat
        else:
            target_height = max(1, round(height * target / width))
            # reducing_gap first shrinks by whole factors, which is far faster for large
            # photos and visually indistinguishable from a full Lanczos pass.
            resized = flat.resize(
                (target, target_height), Image.Resampling.LANCZOS, reducing_gap=3.0
            )
        derivatives[target] = _encode(
            resized, "JPEG", quality=DERIVATIVE_JPEG_QUALITY, optimize=True, progressive=True
        )
    return derivatives


def process_image(data: bytes) -> ProcessedImage:
    """Check an uploaded image by its content and re-encode it and its derivatives cleanly.

    Raises ImageRejected, with a message fit for the uploader, for anything that is not an
    intact JPEG, PNG, WebP or GIF within the size limits.
    """
    if not data:
        raise ImageRejected(_("The file is empty."))
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejected(
            _(
                "The file is larger than %(size)s MB. Resize or compress it and try again.",
                size=MAX_IMAGE_BYTES // (1024 * 1024),
            )
        )
    source_sha256 = hashlib.sha256(data).hexdigest()
    decoded = _decode(data)
    with decoded:
        source_format = decoded.format or ""
        if source_format not in _OUTPUT_FORMATS:
            raise ImageRejected(_unsupported_message(data))
        out_format, content_type, extension = _OUTPUT_FORMATS[source_format]
        clean = _clean_pixels(decoded)
    original = _encode_original(clean, out_format)
    derivatives = _make_derivatives(clean)
    return ProcessedImage(
        data=original,
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
        source_sha256=source_sha256,
        derivatives=derivatives,
    )


_HEIF_FORMATS = ("HEIF",)
_heif_registered = False


def _register_heif() -> None:
    # pillow-heif adds a HEIF decoder to Pillow; registered on first use so processes that
    # never see a tip attachment do not load libheif.
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


@dataclass(frozen=True)
class CleanImage:
    """An image re-encoded from its pixels alone: no EXIF, GPS, XMP, ICC or text chunks."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


TIP_IMAGE_TEXT = "JPEG, PNG, WebP or HEIC"
# The format lists as messages, so `make translations` extracts them (they are translated where
# a refusal is worded, in _unsupported_message).
_FORMAT_LISTS = (lazy_gettext("JPEG, PNG, WebP or GIF"), lazy_gettext("JPEG, PNG, WebP or HEIC"))


def clean_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> CleanImage:
    """Check a photo sent with a tip by its content and re-encode it without metadata.

    Accepts JPEG, PNG, WebP and HEIC (phone photos); HEIC becomes JPEG so anyone can open it.
    Raises ImageRejected with a message fit for the sender.
    """
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    _register_heif()
    decoded = _decode(data, ["JPEG", "PNG", "WEBP", "HEIF"], TIP_IMAGE_TEXT)
    with decoded:
        source_format = decoded.format or ""
        out_format, content_type, extension = _OUTPUT_FORMATS.get(
            source_format, ("JPEG", "image/jpeg", "jpg")
        )
        if source_format not in _OUTPUT_FORMATS and source_format not in _HEIF_FORMATS:
            raise ImageRejected(_unsupported_message(data, TIP_IMAGE_TEXT))
        clean = _clean_pixels(decoded)
    return CleanImage(
        data=_encode_original(clean, out_format, compact=False),
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
    )


# ---------------------------------------------------------------------------
# Image sets in a store


def original_key(prefix: str, extension: str) -> str:
    return f"{prefix}/original.{extension}"


def derivative_key(prefix: str, width: int) -> str:
    return f"{prefix}/w{width}.jpg"


def new_image_prefix() -> str:
    """A fresh, unguessable prefix for one image set."""
    # 128 random bits in lowercase hex: safe on case-insensitive filesystems and in URLs.
    return "images/" + secrets.token_hex(16)


def save_processed_image(store: MediaStore, image: ProcessedImage) -> str:
    """Write `image` and its derivatives under a new prefix, all or nothing; return the prefix."""
    prefix = new_image_prefix()
    objects = [(original_key(prefix, image.extension), image.data, image.content_type)]
    objects += [
        (derivative_key(prefix, width), data, "image/jpeg")
        for width, data in sorted(image.derivatives.items())
    ]
    attempted: list[str] = []
    try:
        for key, data, content_type in objects:
            # Recorded before the put: a put that timed out may still have been stored.
            attempted.append(key)
            store.put(key, data, content_type)
    except BaseException:
        for key in attempted:
            with contextlib.suppress(MediaError):
                store.delete(key)
        raise
    return prefix


def delete_image_set(store: MediaStore, prefix: str) -> None:
    """Delete every object of the image set under `prefix`."""
    _check_key(prefix)
    for key in list(store.iter_keys(prefix + "/")):
        store.delete(key)


# ---------------------------------------------------------------------------
# Flask integration


def init_app(app: Flask) -> None:
    """Build the store PORTAL_MEDIA_URL names and keep it on `app`."""
    app.extensions[EXTENSION_NAME] = media_store_from_url(
        app.config["PORTAL_MEDIA_URL"],
        s3_endpoint_url=app.config.get("PORTAL_S3_ENDPOINT_URL"),
    )


def get_media_store() -> MediaStore:
    """The media store of the current Flask app."""
    store = current_app.extensions.get(EXTENSION_NAME)
    if not isinstance(store, MediaStore):
        raise RuntimeError("the media store is not set up: call portal.media.init_app(app)")
    return store
