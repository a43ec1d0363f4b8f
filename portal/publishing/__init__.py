"""The publishing area: a police agency's appeals, their status workflow, imports and exports."""

from __future__ import annotations

from flask import Blueprint

from portal.models import Role
from portal.security import require_roles

blueprint = Blueprint("publishing", __name__, url_prefix="/publishing")
require_roles(blueprint, Role.PUBLISHER, Role.ADMIN)

# The view modules add their routes to the blueprint when imported (after it exists).
from portal.publishing import editing, imports, views  # noqa: E402, F401
