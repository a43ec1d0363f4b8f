"""Duplicate tips: the tip page's look-alikes panel, merge and unmerge."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, request
from flask.typing import ResponseReturnValue

from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import Tip, TipStatus
from portal.moderation import blueprint
from portal.moderation.views import back_query, current_staff, tip_or_404, tip_url
from portal.security import parse_id
from portal.services import duplicates, moderation
from portal.services.moderation import ModerationError


@dataclass(frozen=True)
class SimilarPanel:
    """What the tip page shows about duplicates of `tip`."""

    tip: Tip
    similar: list[duplicates.Similar]
    merged: list[Tip]
    statuses: dict[TipStatus, str]

    @property
    def candidates(self) -> list[duplicates.Similar]:
        """Look-alikes not yet merged into this tip (those have their own list)."""
        return [item for item in self.similar if not item.merged_into_this]

    @property
    def can_merge_here(self) -> bool:
        return self.tip.merged_into_id is None and any(item.mergeable for item in self.candidates)

    def reasons_for(self, tip: Tip) -> list[str]:
        return next((item.reasons for item in self.similar if item.tip.id == tip.id), [])


@blueprint.app_template_global()
def similar_panel(tip: Tip) -> SimilarPanel:
    """Look-alike tips on the same case; decrypts that case's tips once for the page."""
    similar = duplicates.similar_tips(get_cipher(), current_staff(), tip)
    return SimilarPanel(
        tip=tip,
        similar=similar,
        merged=moderation.merged_into(tip),
        statuses=moderation.STATUS_LABELS,
    )


def refused(tip: Tip, back: str, error: ModerationError) -> ResponseReturnValue:
    db.session.rollback()
    flash(str(error), "error")
    return redirect(tip_url(tip.id, back))


@blueprint.post("/tips/<int:tip_id>/merge")
def merge(tip_id: int) -> ResponseReturnValue:
    primary = tip_or_404(tip_id)
    back = back_query()
    ids = [found for value in request.form.getlist("duplicate") if (found := parse_id(value))]
    try:
        # Ids of tips the moderator may not see are left out, as if they did not exist.
        result = duplicates.merge_by_ids(current_staff(), primary, ids)
    except ModerationError as exc:
        return refused(primary, back, exc)
    count = len(result.merged)
    flash(
        f"Merged {count} {'tip' if count == 1 else 'tips'} into {primary.reference}.",
        "success",
    )
    return redirect(tip_url(primary.id, back))


@blueprint.post("/tips/<int:tip_id>/unmerge")
def unmerge(tip_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    back = back_query()
    # The primary's page lists its merged tips with an Unmerge button each: the moderator
    # goes back to the page the button was on (the primary, or the tip itself).
    return_to = request.form.get("return_to", "")
    try:
        primary = duplicates.unmerge(current_staff(), found)
    except ModerationError as exc:
        return refused(found, back, exc)
    flash(
        f"{found.reference} unmerged from {primary.reference}: it is "
        f"{moderation.STATUS_LABELS[found.status].lower()} again.",
        "success",
    )
    target = primary.id if return_to == str(primary.id) else found.id
    return redirect(tip_url(target, back))
