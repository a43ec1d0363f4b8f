"""Forwarding a tip to its case's agency by email, and sending a failed forward again."""

from __future__ import annotations

from flask import flash
from flask.typing import ResponseReturnValue

from portal.crypto import get_cipher
from portal.media import get_media_store
from portal.models import ForwardState, TipForward
from portal.models.base import as_utc
from portal.moderation import blueprint
from portal.moderation.views import (
    after_action,
    back_query,
    current_staff,
    refused,
    row_of_tip,
    tip_or_404,
)
from portal.services import forwarding
from portal.services.moderation import ModerationError

# The tip page includes moderation/_forward.html, which asks this for what to show.
blueprint.add_app_template_global(forwarding.forward_panel, "forward_panel")


def _report(forward: TipForward) -> None:
    if forward.state is ForwardState.SENT and forward.sent_at is not None:
        flash(f"Sent to {forward.to_address} at {as_utc(forward.sent_at):%H:%M} UTC.", "success")
    else:
        flash(
            f"Sending failed: {forward.last_error}. The tip is unchanged; try again.",
            "error",
        )


@blueprint.post("/tips/<int:tip_id>/forward")
def forward(tip_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    back = back_query()
    try:
        result = forwarding.forward_tip(get_cipher(), get_media_store(), current_staff(), found)
    except ModerationError as exc:
        return refused(found, back, exc)
    _report(result)
    return after_action(found, back)


@blueprint.post("/tips/<int:tip_id>/forwards/<int:forward_id>/retry")
def retry_forward(tip_id: int, forward_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    item = row_of_tip(TipForward, forward_id, found)
    back = back_query()
    try:
        result = forwarding.retry_forward(get_cipher(), get_media_store(), current_staff(), item)
    except ModerationError as exc:
        return refused(found, back, exc)
    _report(result)
    return after_action(found, back)
