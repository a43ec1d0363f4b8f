"""Public pages: thin views over the case service and the public derivation."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from portal import i18n, media, poster
from portal.extensions import db
from portal.security import cache_publicly, is_safe_redirect
from portal.services import cases
from portal.services import search as search_service
from portal.templating import country_name

blueprint = Blueprint("public", __name__)
# The health check must reach the database every time; media files set their own caching.
cache_publicly(blueprint, skip={"public.healthz", "public.media"})


@blueprint.get("/")
def index() -> str:
    return render_template(
        "public/index.html",
        recent=cases.recent_public_cases(6),
        stats=cases.public_case_stats(),
    )


@blueprint.get("/search")
def search_page() -> tuple[str, int]:
    parsed = cases.parse_filters(
        request.args, default_per_page=current_app.config["PORTAL_PER_PAGE"]
    )
    page = search_service.search_cases(
        parsed.filters, parsed.page, parsed.per_page, facets=True, clamp=True
    )
    return (
        render_template(
            "public/search.html",
            page=page,
            filters=parsed.filters,
            errors=parsed.errors,
            raw=request.args,
        ),
        400 if parsed.errors else 200,
    )


@blueprint.get("/cases")
def case_list() -> ResponseReturnValue:
    if request.args.get("q", "").strip() or request.args.get("location", "").strip():
        # Words to look for are a search: one ranked page, with facets and snippets.
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("public.search_page", **args))
    parsed = cases.parse_filters(
        request.args, default_per_page=current_app.config["PORTAL_PER_PAGE"]
    )
    page = cases.list_public_cases(parsed.filters, parsed.page, parsed.per_page, clamp=True)
    return (
        render_template(
            "public/cases.html",
            page=page,
            filters=parsed.filters,
            errors=parsed.errors,
            raw=request.args,
            countries=_country_choices(),
        ),
        400 if parsed.errors else 200,
    )


def _country_choices() -> list[tuple[str, str]]:
    return sorted(
        ((code, country_name(code)) for code in cases.public_countries()),
        key=lambda pair: pair[1],
    )


@blueprint.get("/cases/<case_id>")
def case_detail(case_id: str) -> str:
    try:
        case = cases.get_public_case(case_id)
    except cases.NotFound:
        abort(404)
    # A published translation in the reader's language is shown unless they asked for the
    # original; the link between the two is on the page.
    original = request.args.get("original") == "1"
    available = case.translation(i18n.current_language())
    return render_template(
        "public/case.html",
        case=case,
        translation=None if original else available,
        original_shown=original and available is not None,
    )


@blueprint.get("/cases/<case_id>/poster.pdf", endpoint="poster")
def case_poster(case_id: str) -> Response:
    """The case's printable A4 poster in the visitor's language; cached like the case page."""
    try:
        case = cases.get_public_case(case_id)
    except cases.NotFound:
        abort(404)
    response = Response(poster.case_poster(case), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="appeal-{case.id}-poster.pdf"'
    return response


@blueprint.get("/c/<public_id>", endpoint="short")
def short(public_id: str) -> ResponseReturnValue:
    """The short URL a case is shared by: a permanent redirect to its page while it is public."""
    try:
        case = cases.get_public_case(public_id)
    except cases.NotFound:
        abort(404)
    return redirect(url_for("public.case_detail", case_id=case.id), code=301)


@blueprint.get("/media/<token>/<variant>", endpoint="media")
def media_file(token: str, variant: str) -> Response:
    """A web-sized derivative of a published image of a public case; anything else is 404."""
    found = cases.public_image(token)
    digits = variant[1:]
    if found is None or not variant.startswith("w") or not (digits.isascii() and digits.isdigit()):
        abort(404)
    prefix, _content_type, widths = found
    width = int(digits)
    if width not in widths:
        abort(404)
    etag = hashlib.sha256(f"{prefix}/{variant}".encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        try:
            data = media.get_media_store().get(media.derivative_key(prefix, width))
        except media.MediaNotFound:
            abort(404)
        except media.MediaError:
            abort(503)
        response = Response(data, mimetype="image/jpeg")
    response.set_etag(etag)
    # Derivatives never change under a key (a new image gets a new random key).
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@blueprint.get("/language/<code>", endpoint="language")
def choose_language(code: str) -> ResponseReturnValue:
    """The language switcher: remember the choice, then back to the page, in that language."""
    if code not in i18n.LANGUAGES:
        abort(404)
    target = request.args.get("next", "")
    if not is_safe_redirect(target):
        target = url_for("public.index")
    response = redirect(i18n.in_language(target, code), code=303)
    response.headers["Cache-Control"] = "no-store"
    return i18n.remember_language(response, code)


@blueprint.get("/feed.atom")
def feed() -> Response:
    body = render_template("public/feed.atom", entries=cases.feed_cases())
    return Response(body, mimetype="application/atom+xml")


@blueprint.get("/sitemap.xml")
def sitemap() -> Response:
    body = render_template("public/sitemap.xml", cases=cases.all_public_case_ids())
    return Response(body, mimetype="application/xml")


@blueprint.get("/robots.txt")
def robots() -> Response:
    body = render_template("public/robots.txt")
    return Response(body, mimetype="text/plain")


@blueprint.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
