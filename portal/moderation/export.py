"""Export of the tips selected in the queue, as a CSV or JSON download."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from portal.crypto import get_cipher
from portal.models import User
from portal.moderation import blueprint
from portal.services import export as export_service
from portal.services.moderation import MAX_BULK

NOTHING_SELECTED = "Select at least one tip to export."
BAD_FORMAT = "Choose CSV or JSON for the export."
TOO_MANY = f"Select at most {MAX_BULK} tips to export at once."
# Tip ids are database integers: anything longer cannot be one, and would overflow the column.
_MAX_ID_DIGITS = 9


class TipExportForm(FlaskForm):  # type: ignore[misc]  # flask_wtf has no type hints
    """The CSRF token and the format; the ticked `tip` boxes are read as a list."""

    format = StringField()


def selected_tip_ids(values: list[str]) -> list[int]:
    """The well-formed ids among the ticked boxes (a tampered value is ignored, not an error)."""
    ids = {
        int(value)
        for value in values
        if value.isascii() and value.isdecimal() and len(value) <= _MAX_ID_DIGITS
    }
    return sorted(ids)


@blueprint.post("/export")
def export() -> ResponseReturnValue:
    form = TipExportForm()
    tip_ids = selected_tip_ids(request.form.getlist("tip"))
    if not form.validate() or not tip_ids:
        flash(NOTHING_SELECTED, "error")
        return redirect(url_for("moderation.queue"))
    if len(tip_ids) > MAX_BULK:
        # Refused rather than cut short: a file missing tips nobody knows about is worse.
        flash(TOO_MANY, "error")
        return redirect(url_for("moderation.queue"))
    try:
        export_format = export_service.ExportFormat(form.format.data)
    except ValueError:
        flash(BAD_FORMAT, "error")
        return redirect(url_for("moderation.queue"))
    user: User = current_user._get_current_object()
    result = export_service.export_tips(get_cipher(), user, tip_ids, export_format)
    if result is None:
        # Every id was outside the user's agency or gone: say no more than for an empty form.
        flash(NOTHING_SELECTED, "error")
        return redirect(url_for("moderation.queue"))
    response = Response(result.content, mimetype=result.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response
