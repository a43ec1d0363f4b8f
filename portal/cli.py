"""Command-line interface: records, demo data and maintenance (`flask --app app ...`)."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from portal.extensions import db
from portal.models import Case, Tip
from portal.models.case import PUBLIC_STATUSES
from portal.records.importer import ImportFailed, ImportResult, import_file, import_records
from portal.records.validation import validate_file

records_cli = AppGroup("records", help="Validate, import and export appeal records files.")
demo_cli = AppGroup("demo", help="Demo and synthetic data.")
search_cli = AppGroup("search", help="The search index of this host.")
tips_cli = AppGroup("tips", help="Tip attachments, forwards and encryption keys.")
users_cli = AppGroup("users", help="Staff accounts.")
alerts_cli = AppGroup("alerts", help="Email alerts for saved searches.")
backup_cli = AppGroup("backup", help="Back up and restore the database and media store.")
images_dir_option = click.option(
    "--images-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder that image paths are relative to (default: each file's folder).",
)


@contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; plain periodic lines otherwise (logs, CI)."""
    if sys.stderr.isatty():
        with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
            last = 0

            def advance(done: int) -> None:
                nonlocal last
                bar.update(done - last)
                last = done

            yield advance
        return
    started = time.monotonic()
    last_report = started

    def report(done: int) -> None:
        nonlocal last_report
        now = time.monotonic()
        if done == total or now - last_report >= 5:
            last_report = now
            click.echo(f"{label}: {done}/{total} ({now - started:.0f}s)", err=True)

    yield report


@records_cli.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@images_dir_option
def validate_command(paths: tuple[Path, ...], images_dir: Path | None) -> None:
    """Check records files; print one line per error and exit 1 if any."""
    failed = False
    total = 0
    for path in paths:
        validated = validate_file(path, images_dir)
        total += len(validated.records)
        for error in validated.errors:
            click.echo(str(error))
        failed = failed or bool(validated.errors)
    if failed:
        sys.exit(1)
    click.echo(f"valid: {total} records")


@records_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@images_dir_option
def import_command(paths: tuple[Path, ...], images_dir: Path | None) -> None:
    """Validate, then import each file all or nothing; prints imported/updated/unchanged."""
    total = ImportResult()
    for path in paths:
        result = _import_one(path, images_dir)
        total.add(result)
        for error in result.errors:
            click.echo(str(error))
        if result.errors:
            click.echo(
                f"{path}: not imported ({len(result.errors)} errors); nothing was changed", err=True
            )
    click.echo(total.summary())
    if total.errors:
        sys.exit(1)


@contextmanager
def schema_required() -> Iterator[None]:
    """Turn 'no such table' into the one instruction that fixes it."""
    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        db.session.rollback()
        raise click.ClickException(
            "the database schema is missing or out of date: run `flask --app app db upgrade` "
            f"({type(exc.orig).__name__})"
        ) from None


def _import_one(path: Path, images_dir: Path | None) -> ImportResult:
    validated = validate_file(path, images_dir)
    if validated.errors:
        return ImportResult(errors=list(validated.errors))
    base = (images_dir or path.parent).resolve()
    try:
        with (
            schema_required(),
            progress(f"importing {path.name}", len(validated.records)) as advance,
        ):
            return import_records(validated.records, base, progress=advance)
    except ImportFailed as exc:
        raise click.ClickException(f"{path}: {exc}; nothing was changed") from None


@records_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--agency", "agency_code", metavar="CODE", help="Only this agency's cases.")
def export_command(path: Path, agency_code: str | None) -> None:
    """Write every case (all statuses, restricted data included) as records to PATH.

    Images are written beside PATH; importing PATH again changes nothing.
    """
    from portal.media import MediaError
    from portal.records.exporter import UnknownAgency, export_records, select_case_ids

    with schema_required():
        try:
            total = len(select_case_ids(agency_code=agency_code))
            # The command line is trusted (it can read the database anyway): a full backup.
            with progress(f"exporting {path.name}", max(total, 1)) as advance:
                result = export_records(
                    path, agency_code=agency_code, include_restricted=True, progress=advance
                )
        except UnknownAgency as exc:
            raise click.ClickException(str(exc)) from None
        except MediaError as exc:
            raise click.ClickException(f"media storage failed: {exc}; {path} not written") from None
        except OSError as exc:
            raise click.ClickException(f"cannot write {path}: {exc}") from None
    click.echo(f"exported {result.records} records, {result.images} images to {path}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Load only when the database has no cases yet.")
def demo_load(if_empty: bool) -> None:
    """Load the demo dataset (idempotent: loading twice changes nothing)."""
    from portal.demo.dataset import write_demo_records

    with schema_required():
        has_cases = db.session.scalar(select(func.count()).select_from(Case))
    if if_empty and has_cases:
        click.echo("demo: the database already has cases; nothing loaded")
        return
    with tempfile.TemporaryDirectory(prefix="recognise-demo-") as folder:
        path = write_demo_records(Path(folder))
        try:
            result = import_file(path)
        except ImportFailed as exc:
            raise click.ClickException(str(exc)) from None
    for error in result.errors:
        click.echo(str(error))
    if result.errors:
        raise click.ClickException("the demo dataset did not validate")
    click.echo(f"demo: {result.summary()}")


@demo_cli.command("generate")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--count", default=10_000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=0, show_default=True, type=int)
def demo_generate(out: Path, count: int, seed: int) -> None:
    """Write COUNT synthetic records (JSON Lines) for benchmarks."""
    from portal.demo.synthetic import generate_records, write_jsonl

    written = write_jsonl(generate_records(count, seed=seed), out)
    click.echo(f"wrote {written} records to {out}")


def refuse_in_production(what: str) -> None:
    """Demo data and known sign-ins have no place next to real tips and real staff."""
    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException(f"{what} are not for production")


@demo_cli.command("tips")
@click.option("--count", default=60, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--if-empty", is_flag=True, help="Add tips only when the database has none yet.")
@click.option("--seed", default=0, show_default=True, type=int)
def demo_tips(count: int, if_empty: bool, seed: int) -> None:
    """Send COUNT fictional tips to the published appeals, encrypted like real ones."""
    from portal.crypto import get_cipher
    from portal.demo.tips import create_demo_tips, published_cases
    from portal.media import get_media_store
    from portal.services.tips import TipNotStored

    refuse_in_production("demo tips")
    with schema_required():
        has_tips = db.session.scalar(select(func.count()).select_from(Tip))
        if if_empty and has_tips:
            click.echo("demo: the database already has tips; nothing added")
            return
        cases = published_cases()
        if not cases:
            raise click.ClickException(
                "there are no published appeals to send tips to: run `flask --app app demo load`"
            )
        try:
            result = create_demo_tips(
                get_cipher(), get_media_store(), cases, count=count, seed=seed
            )
        except TipNotStored:
            raise click.ClickException("a demo tip could not be stored (see the log)") from None
    click.echo(f"demo: {result.tips} tips on {result.appeals} appeals")


DEMO_ADMIN = "admin@recognise.example"
DEMO_MODERATOR = "moderator@recognise.example"
DEMO_AGENCY_MODERATOR = "antwerp@recognise.example"


@demo_cli.command("staff")
@click.option("--if-missing", is_flag=True, help="Skip the demo accounts that exist already.")
def demo_staff(if_missing: bool) -> None:
    """Create demo staff accounts and print their passwords and TOTP secrets (development)."""
    import secrets
    from urllib.parse import parse_qs, urlsplit

    from portal.crypto import get_cipher
    from portal.demo.tips import agency_moderator_code
    from portal.models import Role, User
    from portal.services import accounts

    refuse_in_production("demo staff accounts")
    emails = (DEMO_ADMIN, DEMO_MODERATOR, DEMO_AGENCY_MODERATOR)
    with schema_required():
        existing = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
        if existing and not if_missing:
            raise click.ClickException(
                f"{', '.join(sorted(existing))} already exist: use --if-missing to skip them"
            )
        wanted: list[tuple[str, Role, str | None]] = [
            (DEMO_ADMIN, Role.ADMIN, None),
            (DEMO_MODERATOR, Role.MODERATOR, None),
        ]
        if DEMO_AGENCY_MODERATOR not in existing:
            agency_code = agency_moderator_code()
            if agency_code is None:
                raise click.ClickException(
                    "there is no agency for the agency moderator yet: run "
                    "`flask --app app demo load` first"
                )
            wanted.append((DEMO_AGENCY_MODERATOR, Role.MODERATOR, agency_code))
        created = 0
        for email, role, agency_code in wanted:
            if email in existing:
                continue
            password = secrets.token_urlsafe(12)
            try:
                account = accounts.create_user(get_cipher(), email, password, role, agency_code)
            except accounts.AccountError as exc:
                raise click.ClickException(str(exc)) from None
            secret = parse_qs(urlsplit(account.provisioning_uri).query)["secret"][0]
            scope = f"agency {agency_code}" if agency_code else "all agencies"
            if not created:
                click.echo("demo staff sign-ins (development only; shown this once):")
            click.echo(f"  {email} ({role.value}, {scope})")
            click.echo(f"    password:    {password}")
            click.echo(f"    TOTP secret: {secret}")
            click.echo(f"    otpauth URI: {account.provisioning_uri}")
            created += 1
    if created:
        click.echo(
            "Add each TOTP secret to an authenticator app, or compute a current code with: "
            '''python -c "import pyotp; print(pyotp.TOTP('SECRET').now())"'''
        )


@search_cli.command("reindex")
def search_reindex() -> None:
    """Rebuild this host's search index from the database."""
    from portal.services.search import reindex

    started = time.monotonic()
    with schema_required():
        total = (
            db.session.scalar(
                select(func.count()).select_from(Case).where(Case.status.in_(PUBLIC_STATUSES))
            )
            or 0
        )
        with progress("indexing", max(total, 1)) as advance:
            count = reindex(lambda done, _total: advance(done))
    click.echo(f"indexed {count} public cases in {time.monotonic() - started:.1f}s")


@search_cli.command("sync")
def search_sync() -> None:
    """Apply changes made by other hosts (or build the index if this host has none)."""
    from portal import search

    with schema_required():
        changed = search.get_index().catch_up(db.session)
    click.echo(f"search index up to date ({changed} cases updated)")


@tips_cli.command("retry-attachments")
@click.option("--limit", type=click.IntRange(min=1), help="Move at most this many.")
def tips_retry_attachments(limit: int | None) -> None:
    """Move attachments parked during a storage outage into the media store."""
    from portal.media import get_media_store
    from portal.services.tips import retry_parked_attachments

    with schema_required():
        result = retry_parked_attachments(get_media_store(), limit=limit)
    click.echo(f"stored {result.stored} parked attachments, {result.still_parked} still parked")
    if result.still_parked and limit is None:
        sys.exit(1)


@tips_cli.command("retry-forwards")
def tips_retry_forwards() -> None:
    """Send again the forwards to agencies that failed (or were interrupted); exit 1 if any fail."""
    from portal.crypto import get_cipher
    from portal.media import get_media_store
    from portal.services.forwarding import retry_failed_forwards

    with schema_required():
        report = retry_failed_forwards(get_cipher(), get_media_store())
    skipped = f", skipped {report.skipped} (the tip can no longer be forwarded)"
    click.echo(
        f"sent {report.sent}, still failing {report.still_failing}"
        + (skipped if report.skipped else "")
    )
    if report.still_failing:
        sys.exit(1)


@alerts_cli.command("send")
def alerts_send() -> None:
    """Email confirmed alerts about newly published appeals that match them, and forget
    alerts nobody confirmed in time. Run it from cron every few minutes; exit 1 if any email
    failed (those alerts are retried on the next run)."""
    from portal.crypto import get_cipher
    from portal.services.alerts import purge_unconfirmed, send_alerts

    with schema_required():
        purged = purge_unconfirmed()
        report = send_alerts(get_cipher())
    click.echo(
        f"checked {report.checked} alerts, sent {report.emails} emails about "
        f"{report.appeals} appeals, failed {report.failed}, removed {purged} unconfirmed"
    )
    if report.failed:
        sys.exit(1)


@alerts_cli.command("purge")
def alerts_purge() -> None:
    """Delete alerts that were not confirmed in time, with their addresses."""
    from portal.services.alerts import purge_unconfirmed

    with schema_required():
        purged = purge_unconfirmed()
    click.echo(f"removed {purged} unconfirmed alerts")


@tips_cli.command("reconcile")
@click.option(
    "--delete-orphans",
    is_flag=True,
    help="Delete stored objects that no tip points at (older than two hours).",
)
def tips_reconcile(delete_orphans: bool) -> None:
    """Compare attachment rows with the media store and report what does not match."""
    from portal.media import get_media_store
    from portal.services.tips import reconcile_attachments

    store = get_media_store()
    with schema_required():
        report = reconcile_attachments(store, delete_orphans=delete_orphans)
    click.echo(
        f"checked {report.checked_rows} attachment rows and {report.checked_objects} objects "
        f"in {store.describe()}"
    )
    for key in report.missing_objects:
        click.echo(f"missing object: {key} (its row says stored)")
    for key in report.orphan_objects:
        click.echo(f"orphan object: {key}{' (deleted)' if delete_orphans else ''}")
    click.echo(
        f"{len(report.missing_objects)} missing, {len(report.orphan_objects)} orphaned, "
        f"{report.parked} parked (run `flask tips retry-attachments`), "
        f"{report.recent_unmatched} too recent to judge"
    )
    if report.missing_objects or (report.orphan_objects and not delete_orphans):
        sys.exit(1)


@tips_cli.command("new-key")
def tips_new_key() -> None:
    """Print a new key for PORTAL_TIP_ENCRYPTION_KEY (put it first to rotate; keep the old)."""
    from portal.crypto import new_key

    click.echo(new_key())


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "publisher", "moderator"]))
@click.option("--agency", "agency_code", help="Code of the agency the account belongs to.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, role: str, agency_code: str | None, password_stdin: bool) -> None:
    """Create a staff account and print its TOTP provisioning URI (shown only this once)."""
    from portal.crypto import get_cipher
    from portal.models import Role
    from portal.services import accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"the password is too short: use at least {accounts.MIN_PASSWORD_LENGTH} characters"
        )
    with schema_required():
        try:
            created = accounts.create_user(get_cipher(), email, password, Role(role), agency_code)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"created {created.user.email} ({role})")
    click.echo("Add this to an authenticator app now; it is not shown again:")
    click.echo(created.provisioning_uri)


@users_cli.command("list")
def users_list() -> None:
    """List staff accounts: email, role, agency, status."""
    from portal.services import accounts

    with schema_required():
        for user in accounts.list_users():
            agency = user.agency.code if user.agency else "-"
            status = "active" if user.active else "disabled"
            click.echo(f"{user.email}\t{user.role.value}\t{agency}\t{status}")


KEY_NOT_BACKED_UP = (
    "The tip encryption key (PORTAL_TIP_ENCRYPTION_KEY) is NOT in the backup: keep it "
    "separately; without it the restored tips cannot be read."
)


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_create(directory: Path) -> None:
    """Write the database dump, every media object and a manifest into the new folder DIRECTORY."""
    from portal.media import MediaError, get_media_store
    from portal.services.backup import BackupError, create_backup, describe_counts

    started = time.monotonic()
    store = get_media_store()
    db.session.remove()
    try:
        manifest = create_backup(
            directory, db.engine, store, progress=lambda message: click.echo(message, err=True)
        )
    except (BackupError, MediaError) as exc:
        raise click.ClickException(f"backup failed: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"backup failed: cannot write {directory}: {exc}") from None
    click.echo(
        f"backed up {manifest.dialect} database ({describe_counts(manifest.counts)}; schema "
        f"{manifest.alembic_revision or 'without alembic revision'}) and "
        f"{manifest.media_count} media objects from {store.describe()} to {directory} "
        f"in {time.monotonic() - started:.1f}s"
    )
    click.echo(KEY_NOT_BACKED_UP)


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database or media store that is not empty.")
def backup_restore(directory: Path, force: bool) -> None:
    """Check the backup in DIRECTORY, load it into the configured database and media store,
    verify the counts and rebuild the search index."""
    from portal.media import MediaError, get_media_store
    from portal.services.backup import BackupError, describe_counts, restore_backup
    from portal.services.search import reindex

    started = time.monotonic()
    store = get_media_store()
    db.session.remove()
    try:
        result = restore_backup(
            directory,
            db.engine,
            store,
            force=force,
            rebuild_index=reindex,
            progress=lambda message: click.echo(message, err=True),
        )
    except (BackupError, MediaError) as exc:
        raise click.ClickException(f"restore failed: {exc}") from None
    click.echo(
        f"restored {describe_counts(result.counts)} (as in the manifest of "
        f"{result.manifest.created_at}) and {result.media_restored} media objects into "
        f"{store.describe()}; search index rebuilt with {result.indexed} public cases "
        f"in {time.monotonic() - started:.1f}s"
    )
    click.echo(KEY_NOT_BACKED_UP)


def register(app: Flask) -> None:
    app.cli.add_command(backup_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(tips_cli)
    app.cli.add_command(alerts_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(records_cli)
    app.cli.add_command(demo_cli)
