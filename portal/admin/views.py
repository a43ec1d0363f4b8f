"""The administration area, locked to administrators."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from portal.models import Role
from portal.security import require_roles
from portal.services import accounts

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
require_roles(blueprint, Role.ADMIN)


@blueprint.get("/")
def users() -> ResponseReturnValue:
    return render_template("admin/users.html", users=accounts.list_users())
