"""Absolute URLs for feeds, sitemaps and the API, honouring PORTAL_BASE_URL behind a proxy."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def external_url(endpoint: str, **values: Any) -> str:
    base = current_app.config.get("PORTAL_BASE_URL")
    if base:
        return str(base) + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
