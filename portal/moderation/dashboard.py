"""The moderation dashboard: tips per day, the backlog by status, triage time and forwards."""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.charts import tips_per_day_svg
from portal.models import User
from portal.moderation import blueprint
from portal.services import dashboard as dashboard_service
from portal.services.moderation import STATUS_LABELS, cases_for


@blueprint.get("/dashboard")
def dashboard() -> ResponseReturnValue:
    user: User = current_user._get_current_object()
    days = dashboard_service.period_days(request.args.get("days"))
    case_public_id = request.args.get("case", "").strip() or None
    try:
        data = dashboard_service.build_dashboard(user, days=days, case_public_id=case_public_id)
    except dashboard_service.UnknownCase:
        abort(404)
    title = "Tips per day"
    if data.case_title is not None:
        title = f"Tips per day for {data.case_title}"
    chart = tips_per_day_svg(data.tips_per_day, chart_id="tips-per-day", title=title)
    return render_template(
        "moderation/dashboard.html",
        data=data,
        chart=chart,
        periods=dashboard_service.PERIODS,
        cases=cases_for(user),
        status_labels=STATUS_LABELS,
        duration_words=dashboard_service.duration_words,
    )
