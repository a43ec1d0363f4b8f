"""Import a records file in the browser: upload, check (dry run), confirm, done."""

from __future__ import annotations

import time
from typing import Any

from flask import Response, make_response, render_template, request, session
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from portal import media
from portal.extensions import db
from portal.models import Case
from portal.publishing import blueprint
from portal.publishing.views import current_publisher
from portal.records.dryrun import DryRun, dry_run
from portal.records.importer import ImportFailed, ImportResult, import_file
from portal.records.upload import MAX_ENTRIES, MAX_UNCOMPRESSED_BYTES, UploadRejected
from portal.services import imports
from portal.services.accounts import audit

FILE_FIELD = "records_file"
SESSION_KEY = "records_import"
# Beyond this many lines the report says how many more there are: a page of 50,000 error
# lines helps no one, and the first ones are enough to fix a systematic mistake.
MAX_ERROR_LINES = 1000
MAX_LINKED_CASES = 200


def _form(error: str | None = None, status: int = 200) -> Response:
    errors = {FILE_FIELD: error} if error else {}
    return make_response(
        render_template(
            "publishing/import_form.html",
            errors=errors,
            file_field=FILE_FIELD,
            max_entries=MAX_ENTRIES,
            max_unpacked_mb=MAX_UNCOMPRESSED_BYTES >> 20,
            lifetime_minutes=imports.UPLOAD_LIFETIME_SECONDS // 60,
        ),
        status,
    )


def _report(
    dry: DryRun, name: str, *, can_import: bool, notice: str | None = None, status: int = 200
) -> Response:
    return make_response(
        render_template(
            "publishing/import_check.html",
            dry=dry,
            name=name,
            can_import=can_import,
            notice=notice,
            max_error_lines=MAX_ERROR_LINES,
        ),
        status,
    )


def _problem(title: str, message: str, status: int) -> Response:
    return make_response(
        render_template("publishing/import_problem.html", title=title, message=message), status
    )


def _pending() -> dict[str, Any] | None:
    """The checked upload this session may import, if the session names one that makes sense."""
    pending = session.get(SESSION_KEY)
    if not isinstance(pending, dict):
        return None
    if not isinstance(pending.get("token"), str) or not isinstance(pending.get("name"), str):
        return None
    if not isinstance(pending.get("at"), int | float):
        return None
    return pending


def _forget_pending() -> None:
    pending = _pending()
    session.pop(SESSION_KEY, None)
    if pending is not None:
        imports.delete_upload(pending["token"])


def _expected(dry: DryRun) -> list[int]:
    return [len(dry.new), len(dry.changed)]


@blueprint.get("/import")
def import_form() -> ResponseReturnValue:
    return _form()


@blueprint.post("/import")
def import_check() -> ResponseReturnValue:
    upload = request.files.get(FILE_FIELD)
    if upload is None or not upload.filename:
        return _form("Choose a records file (.jsonl or .json) or a zip file to check.", 400)
    name = upload.filename[:200]
    data = upload.read()
    try:
        with imports.unpacked(name, data) as path:
            dry = dry_run(path, rule=imports.agency_rule(current_publisher()))
    except UploadRejected as exc:
        return _form(str(exc), 400)
    # One pending import per session: a new check replaces the previous one.
    _forget_pending()
    imports.sweep_expired_uploads()
    can_import = dry.ok and dry.has_changes
    if can_import:
        try:
            token = imports.store_upload(data)
        except media.MediaError:
            return _problem(
                "The file could not be kept for the import",
                "The file storage is not available at the moment. Nothing was imported: "
                "try again in a few minutes.",
                503,
            )
        session[SESSION_KEY] = {
            "token": token,
            "name": name,
            "at": time.time(),
            "expected": _expected(dry),
        }
    return _report(dry, name, can_import=can_import)


@blueprint.post("/import/confirm")
def import_confirm() -> ResponseReturnValue:
    pending = _pending()
    if pending is None:
        return _problem(
            "There is no checked file to import",
            "Upload the records file and check it first; the import button is on the page "
            "that shows the check.",
            400,
        )
    token, name = pending["token"], pending["name"]
    if time.time() - pending["at"] > imports.UPLOAD_LIFETIME_SECONDS:
        _forget_pending()
        return _problem(
            "The checked file has expired",
            f"A checked file is kept for {imports.UPLOAD_LIFETIME_SECONDS // 60} minutes. "
            "Nothing was imported: upload the file again to check it.",
            400,
        )
    try:
        data = imports.load_upload(token)
    except imports.UploadMissing:
        session.pop(SESSION_KEY, None)
        return _problem(
            "The checked file is no longer here",
            "It was imported already or it expired. Upload the file again to check it.",
            400,
        )
    except media.MediaError:
        return _problem(
            "The checked file could not be read",
            "The file storage is not available at the moment. Nothing was imported: "
            "try again in a few minutes.",
            503,
        )
    user = current_publisher()
    try:
        with imports.unpacked(name, data) as path:
            # Check again: since the check, cases may have been imported or changed by others.
            dry = dry_run(path, rule=imports.agency_rule(user))
            if not (dry.ok and dry.has_changes) or _expected(dry) != pending.get("expected"):
                return _changed_since_check(dry, name)
            result = import_file(path)
    except UploadRejected:
        _forget_pending()
        return _problem(
            "The checked file could not be read",
            "Nothing was imported. Upload the file again to check it.",
            400,
        )
    except ImportFailed:
        return _problem(
            "The import failed",
            "The file storage or the database failed during the import. Nothing was changed: "
            "try again in a few minutes.",
            503,
        )
    _forget_pending()
    if result.errors:
        # Only what the dry run cannot see fails here: an image that is not a usable picture.
        failed = DryRun(path=dry.path, errors=result.errors)
        return _report(
            failed,
            name,
            can_import=False,
            notice="Nothing was imported: the import found these problems.",
            status=422,
        )
    audit(
        "records.import",
        actor=user,
        details={
            "file": name,
            "imported": result.imported,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    db.session.commit()
    return _done(result, name)


def _changed_since_check(dry: DryRun, name: str) -> Response:
    if dry.ok and dry.has_changes:
        pending = _pending()
        if pending is not None:
            session[SESSION_KEY] = {**pending, "expected": _expected(dry)}
        notice = (
            "The appeals changed since you checked this file, so the numbers below are new. "
            "Nothing was imported yet: check them and import again."
        )
        return _report(dry, name, can_import=True, notice=notice, status=409)
    _forget_pending()
    notice = "The appeals changed since you checked this file. Nothing was imported."
    return _report(dry, name, can_import=False, notice=notice, status=409)


def _done(result: ImportResult, name: str) -> Response:
    ids = result.changed_case_ids[:MAX_LINKED_CASES]
    query = select(Case.public_id, Case.record_id, Case.title).where(Case.id.in_(ids))
    cases = sorted(db.session.execute(query), key=lambda row: row.record_id) if ids else []
    return make_response(
        render_template(
            "publishing/import_done.html",
            result=result,
            name=name,
            cases=cases,
            more=len(result.changed_case_ids) - len(ids),
        )
    )
