"""The moderation area: the tip queue, triage, duplicates, forwarding, dashboard and export."""

from __future__ import annotations

from flask import Blueprint

from portal.models import Role
from portal.security import require_roles

blueprint = Blueprint("moderation", __name__, url_prefix="/moderation")
require_roles(blueprint, Role.MODERATOR, Role.ADMIN)

# The view modules add their routes to the blueprint when imported (after it exists).
from portal.moderation import dashboard, duplicates, export, forwarding, views  # noqa: E402, F401
