"""The tip queue and the triage of one tip."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from portal.moderation import blueprint


@blueprint.get("/")
def queue() -> ResponseReturnValue:
    return render_template("moderation/queue.html")
