"""The moderation area, locked to moderators and administrators."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from portal.auth.forms import SignOutForm
from portal.models import Role
from portal.security import require_roles

blueprint = Blueprint("moderation", __name__, url_prefix="/moderation")
require_roles(blueprint, Role.MODERATOR, Role.ADMIN)


@blueprint.get("/")
def queue() -> ResponseReturnValue:
    return render_template("moderation/queue.html", sign_out=SignOutForm())
