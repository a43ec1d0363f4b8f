"""GET /api/v1/cases and /api/v1/cases/<case_id>: public cases as JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask.wrappers import Response

from portal.publication import PublicCase
from portal.security import cache_publicly
from portal.services import cases
from portal.services import search as search_service
from portal.urls import external_url

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
cache_publicly(blueprint)


def _summary(case: PublicCase, highlights: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "id": case.id,
        "record_id": case.record_id,
        "agency": case.agency.code,
        "title": case.title,
        "url": external_url("public.case_detail", case_id=case.id),
        "status": case.status,
        "kind": case.kind,
        "sex": case.sex,
        "age": {"min": case.age.min, "max": case.age.max} if case.age else None,
        "event": {
            "date": case.event.date.isoformat(),
            "date_precision": case.event.date_precision,
            "locality": case.event.locality,
            "region": case.event.region,
            "country": case.event.country,
        },
        "highlights": highlights,
    }


@blueprint.get("/cases")
def case_list() -> Response | tuple[Response, int]:
    parsed = cases.parse_filters(
        request.args, default_per_page=current_app.config["PORTAL_PER_PAGE"]
    )
    if parsed.errors:
        return jsonify(
            {
                "error": {
                    "status": 400,
                    "message": "Invalid query parameters",
                    "fields": parsed.errors,
                }
            }
        ), 400
    filters = parsed.filters
    if filters.q or filters.location:
        found = search_service.search_cases(filters, parsed.page, parsed.per_page)
        page: cases.CasePage = found
        highlights = found.highlights
    else:
        page = cases.list_public_cases(filters, parsed.page, parsed.per_page)
        highlights = {}
    return jsonify(
        {
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
            "results": [
                _summary(case, [h.to_json() for h in highlights.get(case.id, [])])
                for case in page.items
            ],
        }
    )


@blueprint.get("/cases/<case_id>")
def case_detail(case_id: str) -> Response:
    try:
        case = cases.get_public_case(case_id)
    except cases.NotFound:
        abort(404)
    data = case.to_json()
    data["url"] = external_url("public.case_detail", case_id=case.id)
    for image in [*data["images"], *(m["image"] for m in data["marks"] if m["image"])]:
        image["urls"] = {
            str(width): external_url("public.media", token=image["token"], variant=f"w{width}")
            for width in image["widths"]
        }
    return jsonify(data)
