"""The audit log for administrators: browse, filter and export it."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    make_response,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.admin.views import blueprint
from portal.models import User
from portal.models.base import utcnow
from portal.services import audit_log
from portal.services.export import MIMETYPES, ExportFormat

# The fields of the filter form, in the order of the page (the error summary follows it).
FILTER_FIELDS = ("actor", "action", "target_type", "target_id", "date_from", "date_to", "page")


def target_link(target_type: str | None, target_id: str | None) -> str | None:
    """Where a target can be looked at, for the targets staff pages show."""
    if target_type == "tip" and target_id and target_id.isascii() and target_id.isdecimal():
        return url_for("moderation.tip", tip_id=int(target_id))
    return None


def _without_page() -> dict[str, Any]:
    return {name: value for name, value in request.args.items() if name != "page"}


def _page(parsed: audit_log.ParsedFilter) -> Response:
    errors = {name: parsed.errors[name] for name in FILTER_FIELDS if name in parsed.errors}
    actions = audit_log.action_names()
    # With a wrong filter the events would answer a question nobody asked: show none.
    page = None if errors else audit_log.events_page(parsed.filters)
    html = render_template(
        "admin/audit.html",
        filters=parsed.filters,
        raw=request.args,
        errors=errors,
        page=page,
        actions=actions,
        families=audit_log.action_families(actions),
        target_types=audit_log.target_types(),
        target_link=target_link,
        # The same filters for the download; it always starts at the newest event.
        export_url=url_for("admin.audit_export", **_without_page()),
    )
    return make_response(html, 400 if errors else 200)


@blueprint.get("/audit")
def audit() -> ResponseReturnValue:
    return _page(audit_log.parse_filter(request.args))


@blueprint.get("/audit.csv")
def audit_export() -> ResponseReturnValue:
    parsed = audit_log.parse_filter(request.args)
    if parsed.errors:
        return _page(parsed)
    user: User = current_user._get_current_object()
    chunks = audit_log.export_csv(user, parsed.filters)
    response = Response(stream_with_context(chunks), mimetype=MIMETYPES[ExportFormat.CSV])
    filename = f"recognise-audit-{utcnow().strftime('%Y%m%d-%H%M')}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
