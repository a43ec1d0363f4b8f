"""Unpack an uploaded records file, or a zip of one records file and its images, safely."""

from __future__ import annotations

import io
import lzma
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

RECORDS_SUFFIXES = (".jsonl", ".json")
ACCEPTED_SUFFIXES = (*RECORDS_SUFFIXES, ".zip")
MAX_ENTRIES = 2000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# Finder adds resource forks under __MACOSX/ to every zip it makes; they are not files anyone
# chose, and their "._records.jsonl" copies would otherwise look like a second records file.
_IGNORED_FOLDER = "__MACOSX"
_CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


class UploadRejected(ValueError):
    """The upload cannot be used; str(exc) is a plain sentence for whoever sent it."""


@dataclass(frozen=True)
class Unpacked:
    """Where the records file landed; image paths in it are relative to its folder."""

    records_file: Path


def kind_of(filename: str) -> str | None:
    """The accepted suffix of an uploaded file's name, or None."""
    lowered = filename.lower()
    return next((suffix for suffix in ACCEPTED_SUFFIXES if lowered.endswith(suffix)), None)


def safe_name(filename: str, suffix: str) -> str:
    """A plain file name to save a single uploaded records file under (errors name it)."""
    base = PurePosixPath(filename.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")[:100]
    return cleaned if cleaned.lower().endswith(suffix) else f"records{suffix}"


def unpack(filename: str, data: bytes, folder: Path) -> Unpacked:
    """Write the upload into `folder` (empty, private) and say where its records file is."""
    suffix = kind_of(filename)
    if suffix is None:
        raise UploadRejected("The selected file must be a .jsonl, .json or .zip file.")
    if not data:
        raise UploadRejected("The selected file is empty.")
    if suffix != ".zip":
        target = folder / safe_name(filename, suffix)
        target.write_bytes(data)
        return Unpacked(target)
    return Unpacked(_extract_zip(data, folder))


def _extract_zip(data: bytes, folder: Path) -> Path:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise UploadRejected("The selected file is not a zip file that can be opened.") from None
    with archive:
        members = _check_members(archive)
        records = [name for name, _ in members if name.lower().endswith(RECORDS_SUFFIXES)]
        if not records:
            raise UploadRejected(
                "The zip file holds no records file: add one .jsonl or .json file."
            )
        if len(records) > 1:
            listed = ", ".join(sorted(records)[:5]) + (", ..." if len(records) > 5 else "")
            raise UploadRejected(
                f"The zip file holds {len(records)} records files ({listed}): "
                "put one records file in each zip."
            )
        total = 0
        root = folder.resolve()
        for name, info in members:
            target = root.joinpath(*name.split("/"))
            if not target.resolve().is_relative_to(root):
                raise UploadRejected(f"The zip file entry {name!r} points outside the zip.")
            total = _copy(archive, info, target, total)
        return root.joinpath(*records[0].split("/"))


def _check_members(archive: zipfile.ZipFile) -> list[tuple[str, zipfile.ZipInfo]]:
    """The files to extract, by safe relative name; refuses anything that could do harm."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise UploadRejected(
            f"The zip file holds {len(infos):,} entries; at most {MAX_ENTRIES:,} are accepted."
        )
    declared = 0
    compressed = 0
    members: list[tuple[str, zipfile.ZipInfo]] = []
    seen: set[str] = set()
    for info in infos:
        raw = info.filename
        # Some zip tools write Windows separators; either way a name must stay inside.
        name = raw.replace("\\", "/")
        parts = [part for part in name.split("/") if part not in ("", ".")]
        if name.startswith("/") or _DRIVE.match(name):
            raise UploadRejected(f"The zip file entry {raw!r} has an absolute path.")
        if ".." in parts:
            raise UploadRejected(f"The zip file entry {raw!r} points outside the zip ('..').")
        if "\x00" in name:
            raise UploadRejected("A zip file entry has a name that cannot be used.")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UploadRejected(f"The zip file entry {raw!r} is a symbolic link.")
        if info.flag_bits & 0x1:
            raise UploadRejected(f"The zip file entry {raw!r} is password-protected.")
        if info.is_dir() or not parts or parts[0] == _IGNORED_FOLDER:
            continue
        declared += info.file_size
        compressed += info.compress_size
        if declared > MAX_UNCOMPRESSED_BYTES:
            raise UploadRejected(
                f"The zip file unpacks to more than {MAX_UNCOMPRESSED_BYTES >> 20} MB."
            )
        if info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise UploadRejected(
                f"The zip file entry {raw!r} is compressed more than {MAX_COMPRESSION_RATIO} "
                "times: it is refused as a possible zip bomb."
            )
        joined = "/".join(parts)
        if joined.lower() in seen:
            raise UploadRejected(f"The zip file holds {raw!r} twice.")
        seen.add(joined.lower())
        members.append((joined, info))
    if declared > MAX_COMPRESSION_RATIO * max(compressed, 1):
        raise UploadRejected(
            f"The zip file is compressed more than {MAX_COMPRESSION_RATIO} times: "
            "it is refused as a possible zip bomb."
        )
    return members


def _copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, total: int) -> int:
    """Extract one entry in chunks, counting real bytes: a zip's declared sizes can lie."""
    written = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, target.open("xb") as sink:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                total += len(chunk)
                if written > info.file_size or total > MAX_UNCOMPRESSED_BYTES:
                    raise UploadRejected(
                        f"The zip file entry {info.filename!r} holds more than it declares."
                    )
                sink.write(chunk)
    except NotImplementedError:
        raise UploadRejected(
            f"The zip file entry {info.filename!r} uses a compression method that is not supported."
        ) from None
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, zlib.error, lzma.LZMAError):
        # RuntimeError: an encrypted entry; OSError: a name the disk refuses, or bad bzip2 data.
        raise UploadRejected(f"The zip file entry {info.filename!r} cannot be unpacked.") from None
    return total
