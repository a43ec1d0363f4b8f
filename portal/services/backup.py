"""Backups of the database and media store to a folder, and restores that verify themselves."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL

from portal.media import MediaStore, _check_key

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MEDIA_DIR = "media"
POSTGRES_DUMP = "database.pgdump"
SQLITE_DUMP = "database.sqlite3"
# The tables whose row counts prove a restore complete; the same names the manifest carries.
COUNTED_TABLES: Mapping[str, str] = {
    "cases": "cases",
    "tips": "tips",
    "attachments": "tip_attachments",
    "users": "users",
}
# A restore that waits on a lock held by a running portal fails instead of hanging forever.
PG_LOCK_TIMEOUT = "30s"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
Progress = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup cannot be written or restored; str(exc) says why and holds no secret."""


@dataclass(frozen=True)
class Manifest:
    """What a backup folder holds, written last so a half-written backup has none."""

    format_version: int
    created_at: str
    alembic_revision: str | None
    dialect: str
    database_file: str
    database_sha256: str
    counts: dict[str, int]
    media_count: int
    media: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, raw: str) -> Manifest:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BackupError(f"{MANIFEST_NAME} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BackupError(f"{MANIFEST_NAME} is not a JSON object")
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"{MANIFEST_NAME} has format version {data.get('format_version')!r}; "
                f"this portal reads version {FORMAT_VERSION}"
            )
        try:
            manifest = cls(**data)
        except TypeError as exc:
            raise BackupError(f"{MANIFEST_NAME} does not have the expected fields: {exc}") from None
        media = manifest.media
        if not isinstance(media, dict) or manifest.media_count != len(media):
            raise BackupError(f"{MANIFEST_NAME} lists {len(media)} media objects, not its count")
        if set(manifest.counts) != set(COUNTED_TABLES):
            raise BackupError(f"{MANIFEST_NAME} does not count {', '.join(COUNTED_TABLES)}")
        for key, digest in media.items():
            # A key such as "../x" would read or write outside the backup's media folder.
            _media_key(key)
            if not isinstance(digest, str) or not SHA256_HEX.fullmatch(digest):
                raise BackupError(f"{MANIFEST_NAME} has no valid SHA-256 for a media object")
        return manifest


def _media_key(key: str) -> str:
    """`key` if it is a plain relative media key, so it is safe as a path under media/."""
    try:
        return _check_key(key)
    except ValueError as exc:
        raise BackupError(f"a media key is not a plain relative key: {exc}") from None


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    counts: dict[str, int]
    media_restored: int
    indexed: int


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _dialect(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in {"postgresql", "sqlite"}:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {name}")
    return name


def _sqlite_copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """Copy one SQLite database into another with the online backup API, then close both."""
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore and the environment that carries the password.

    SQLAlchemy's `postgresql+psycopg://` names a driver libpq does not know. The password goes
    through PGPASSWORD rather than the command line, where any local user could read it in `ps`.
    """
    env: dict[str, str] = {}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    # URL.set ignores None, so the password-free URL is built afresh.
    bare = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return bare.render_as_string(hide_password=False), env


def _run(command: list[str], env: Mapping[str, str], what: str) -> None:
    try:
        completed = subprocess.run(  # noqa: S603 - fixed programs, arguments we built
            command,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools)") from None
    if completed.returncode != 0:
        # Only the tools' own error lines: a failed COPY adds CONTEXT and "Command was" lines
        # that can quote row data, which has no place in a terminal or a cron mail.
        message = [
            line
            for line in completed.stderr.strip().splitlines()
            if line.startswith(f"{command[0]}:") and "Command was" not in line
        ]
        raise BackupError(f"{what} failed: {' / '.join(message[-3:]) or completed.returncode}")


def _alembic_revision(connection: Connection) -> str | None:
    # A schema made by create_all (tests, old installs) has no alembic_version table.
    if not inspect(connection).has_table("alembic_version"):
        return None
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if revision is None else str(revision)


def _counts(connection: Connection) -> dict[str, int]:
    present = set(inspect(connection).get_table_names())
    counts: dict[str, int] = {}
    for name, table in COUNTED_TABLES.items():
        if table in present:
            counts[name] = int(
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0  # noqa: S608 - fixed names  # nosec B608
            )
        else:
            counts[name] = 0
    return counts


def _has_rows(connection: Connection) -> bool:
    """Whether any table other than alembic's holds a row: a freshly migrated schema has none."""
    inspector = inspect(connection)
    preparer = connection.dialect.identifier_preparer
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        quoted = preparer.quote(table)
        if connection.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first():  # noqa: S608  # nosec B608
            return True
    return False


# ---------------------------------------------------------------------------
# Create


def _prepare_target(target: Path) -> None:
    if target.exists():
        if not target.is_dir():
            raise BackupError(f"{target} exists and is not a folder")
        if any(target.iterdir()):
            raise BackupError(f"{target} is not empty: a backup is written into a new folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create {target}: {exc}") from None


@contextmanager
def _postgres_snapshot(engine: Engine) -> Iterator[tuple[Connection, str]]:
    """A read-only transaction whose snapshot pg_dump shares, so counts match the dump exactly."""
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            connection.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = str(connection.execute(text("SELECT pg_export_snapshot()")).scalar())
            yield connection, snapshot


def _dump_postgres(engine: Engine, target: Path) -> tuple[str | None, dict[str, int]]:
    url, env = libpq_target(engine.url)
    with _postgres_snapshot(engine) as (connection, snapshot):
        revision = _alembic_revision(connection)
        counts = _counts(connection)
        _run(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={target / POSTGRES_DUMP}",
                f"--dbname={url}",
            ],
            env,
            "pg_dump",
        )
    return revision, counts


def _dump_sqlite(engine: Engine, target: Path) -> tuple[str | None, dict[str, int]]:
    source_path = _sqlite_path(engine.url)
    if not source_path.is_file():
        raise BackupError(f"the SQLite database {source_path} does not exist")
    copy_path = target / SQLITE_DUMP
    # The online backup API copies a consistent snapshot page by page, committed WAL content
    # included; a plain file copy of a live WAL database can be torn or miss recent commits.
    _sqlite_copy(sqlite3.connect(source_path), sqlite3.connect(copy_path))
    # Counted in the copy itself, so the manifest describes exactly what was saved.
    copy_engine = create_engine(f"sqlite:///{copy_path}")
    try:
        with copy_engine.connect() as connection:
            return _alembic_revision(connection), _counts(connection)
    finally:
        copy_engine.dispose()


def create_backup(
    target: Path, engine: Engine, store: MediaStore, progress: Progress | None = None
) -> Manifest:
    """Write the database dump, every media object and a manifest into the new folder `target`."""
    say = progress or (lambda _message: None)
    dialect = _dialect(engine)
    created = not target.exists()
    _prepare_target(target)
    try:
        return _write_backup(target, engine, dialect, store, say)
    except BaseException:
        # The folder was empty or new, so everything in it is this attempt's: a half-written
        # backup is removed rather than left looking like one.
        if created:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for child in target.iterdir():
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        raise


def _write_backup(
    target: Path, engine: Engine, dialect: str, store: MediaStore, say: Progress
) -> Manifest:
    # The database first, then media: the portal stores an object before the row that points
    # at it commits, so every row in the dump finds its object in the later media copy (an
    # object written meanwhile is at worst an orphan, which `flask tips reconcile` reports).
    say("dumping the database")
    if dialect == "postgresql":
        revision, counts = _dump_postgres(engine, target)
        database_file = POSTGRES_DUMP
    else:
        revision, counts = _dump_sqlite(engine, target)
        database_file = SQLITE_DUMP
    say("copying media objects")
    media_root = target / MEDIA_DIR
    media_root.mkdir()
    checksums: dict[str, str] = {}
    for key in store.iter_keys():
        data = store.get(key)
        # S3 lists whatever is in the bucket; only plain keys may become paths under media/.
        path = media_root.joinpath(*_media_key(key).split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        checksums[key] = hashlib.sha256(data).hexdigest()
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        alembic_revision=revision,
        dialect=dialect,
        database_file=database_file,
        database_sha256=_sha256_file(target / database_file),
        counts=counts,
        media_count=len(checksums),
        media=checksums,
    )
    # Written last and renamed into place: a folder without a manifest is not a backup.
    temporary = target / f".{MANIFEST_NAME}.tmp"
    temporary.write_text(manifest.to_json(), encoding="utf-8")
    os.replace(temporary, target / MANIFEST_NAME)
    return manifest


# ---------------------------------------------------------------------------
# Restore


def verify_backup(source: Path) -> Manifest:
    """Read the manifest and check the dump and every media object against it; change nothing."""
    manifest_path = source / MANIFEST_NAME
    if not manifest_path.is_file():
        raise BackupError(f"{source} has no {MANIFEST_NAME}: it is not a complete backup")
    manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"))
    if manifest.database_file not in {POSTGRES_DUMP, SQLITE_DUMP}:
        raise BackupError(f"{MANIFEST_NAME} names an unknown database file")
    dump = source / manifest.database_file
    if not dump.is_file():
        raise BackupError(f"the database dump {dump} is missing")
    if _sha256_file(dump) != manifest.database_sha256:
        raise BackupError(f"the database dump {dump} does not match its checksum in the manifest")
    media_root = source / MEDIA_DIR
    found: set[str] = set()
    if media_root.is_dir():
        for path in media_root.rglob("*"):
            if path.is_file():
                found.add(path.relative_to(media_root).as_posix())
    missing = sorted(set(manifest.media) - found)
    extra = sorted(found - set(manifest.media))
    if missing:
        raise BackupError(
            f"{len(missing)} media objects listed in the manifest are missing, "
            f"first {media_root / missing[0]}"
        )
    if extra:
        raise BackupError(
            f"{len(extra)} files in {media_root} are not in the manifest, "
            f"first {media_root / extra[0]}"
        )
    damaged = [
        key
        for key, expected in sorted(manifest.media.items())
        if _sha256_file(media_root.joinpath(*key.split("/"))) != expected
    ]
    if damaged:
        raise BackupError(
            f"{len(damaged)} media objects do not match their checksums, first "
            f"{media_root / damaged[0]}: the backup is damaged or was altered; nothing was restored"
        )
    return manifest


def check_target(engine: Engine, store: MediaStore, *, force: bool) -> None:
    """Refuse a target that already holds data unless `force`: a restore replaces it."""
    if force:
        return
    with engine.connect() as connection:
        if _has_rows(connection):
            raise BackupError(
                "the configured database is not empty; restoring replaces its contents: "
                "use --force to do so"
            )
    if next(iter(store.iter_keys()), None) is not None:
        raise BackupError(
            f"the media store {store.describe()} is not empty; use --force to restore into it"
        )


def _restore_postgres(engine: Engine, dump: Path) -> None:
    url, env = libpq_target(engine.url)
    env["PGOPTIONS"] = f"-c lock_timeout={PG_LOCK_TIMEOUT}"
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--clean",
            "--if-exists",
            # All or nothing: a failure leaves the target as it was.
            "--single-transaction",
            f"--dbname={url}",
            str(dump),
        ],
        env,
        "pg_restore",
    )


def _restore_sqlite(engine: Engine, dump: Path) -> None:
    target_path = _sqlite_path(engine.url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API, not a file copy: it replaces every page under SQLite's own
    # locking and leaves no stale -wal or -shm file describing the old contents.
    _sqlite_copy(sqlite3.connect(f"file:{dump}?mode=ro", uri=True), sqlite3.connect(target_path))


def _put_media(source: Path, manifest: Manifest, store: MediaStore) -> int:
    media_root = source / MEDIA_DIR
    for key, expected in sorted(manifest.media.items()):
        data = media_root.joinpath(*key.split("/")).read_bytes()
        # Checked again as read: the folder could change between verification and now.
        if hashlib.sha256(data).hexdigest() != expected:
            raise BackupError(f"media object {key} changed while restoring")
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        store.put(key, data, content_type)
    return len(manifest.media)


def restore_backup(
    source: Path,
    engine: Engine,
    store: MediaStore,
    *,
    force: bool = False,
    rebuild_index: Callable[[], int] | None = None,
    progress: Progress | None = None,
) -> RestoreResult:
    """Verify `source`, then load its database and media into the configured target."""
    say = progress or (lambda _message: None)
    say("verifying the backup")
    manifest = verify_backup(source)
    dialect = _dialect(engine)
    if manifest.dialect != dialect:
        raise BackupError(
            f"the backup holds a {manifest.dialect} database and the portal is configured "
            f"for {dialect}; restore it into a {manifest.dialect} database"
        )
    check_target(engine, store, force=force)
    # Pooled connections would hold locks (PostgreSQL) or stale pages (SQLite) across the load.
    engine.dispose()
    say("loading the database")
    dump = source / manifest.database_file
    if dialect == "postgresql":
        _restore_postgres(engine, dump)
    else:
        _restore_sqlite(engine, dump)
    engine.dispose()
    say("putting media objects back")
    restored = _put_media(source, manifest, store)
    with engine.connect() as connection:
        counts = _counts(connection)
        revision = _alembic_revision(connection)
    if counts != manifest.counts:
        raise BackupError(f"after the restore the database holds {counts}, not {manifest.counts}")
    if revision != manifest.alembic_revision:
        raise BackupError(
            f"after the restore the schema is at {revision}, not {manifest.alembic_revision}"
        )
    missing = [key for key in manifest.media if not store.exists(key)]
    if missing:
        raise BackupError(f"{len(missing)} media objects are missing from the store after restore")
    indexed = 0
    if rebuild_index is not None:
        # The index on this host describes the old database (and its change counter); a
        # catch-up could skip cases, so it is rebuilt whole from what was restored.
        say("rebuilding the search index")
        indexed = rebuild_index()
    return RestoreResult(manifest=manifest, counts=counts, media_restored=restored, indexed=indexed)


def describe_counts(counts: Mapping[str, Any]) -> str:
    return ", ".join(f"{counts[name]} {name}" for name in COUNTED_TABLES)


__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "BackupError",
    "Manifest",
    "RestoreResult",
    "create_backup",
    "describe_counts",
    "restore_backup",
    "verify_backup",
]
