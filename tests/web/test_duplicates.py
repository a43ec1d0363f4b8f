"""Duplicate tips on the tip page: look-alikes listed with reasons, merge and unmerge."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.crypto import get_cipher
from portal.extensions import db
from portal.media import get_media_store
from portal.models import AuditEvent, Role, Tip, TipStatus, User
from portal.models.base import utcnow
from portal.services import duplicates, moderation
from portal.services import tips as tip_service
from portal.services.moderation import ModerationError, TipClaimed
from portal.services.tips import Contact, Upload
from tests.modkit import add_tip, case_by_record, photo_jpeg
from tests.staffkit import Staff, csrf_token, make_staff, sign_in

STORY = (
    "I am fairly sure the woman in the appeal is Rosa, who rented the flat above ours on the "
    "Kiel in Antwerp in the summer of 1991. She had the rose tattoo on her left forearm and "
    "always wore a yellow backpack. She worked nights at a bakery near the station."
)
OTHER_STORY = "The jacket looks like one sold at the Meir market around 1990, by a man called Jef."


@dataclass(frozen=True)
class Desk:
    client: FlaskClient
    moderator: Staff
    primary: Tip
    copy: Tip  # the same text, shouted
    same_email: Tip  # other words, the same email address
    unrelated: Tip


@pytest.fixture
def desk(app: Flask, client: FlaskClient, sample_cases: Path) -> Iterator[Desk]:
    moderator = make_staff("mod@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")
    primary = add_tip(
        "BE-1992-0603", STORY, contact=Contact(email="rosa.fan@example.org", phone="0470123456")
    )
    copy = add_tip(
        "BE-1992-0603",
        STORY.upper().replace(",", ""),
        uploads=[Upload("photo.jpg", photo_jpeg())],
    )
    same_email = add_tip(
        "BE-1992-0603", OTHER_STORY, contact=Contact(email=" Rosa.Fan@Example.org")
    )
    unrelated = add_tip("BE-1992-0603", "I have never seen her, but good luck with the search.")
    assert sign_in(client, moderator).status_code == 302
    yield Desk(client, moderator, primary, copy, same_email, unrelated)


def _page(client: FlaskClient, tip_id: int, back: str = "") -> str:
    response = client.get(f"/moderation/tips/{tip_id}", query_string={"back": back} if back else {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _merge(client: FlaskClient, primary_id: int, ids: list[int], back: str = "") -> tuple[int, str]:
    token = csrf_token(_page(client, primary_id))
    response = client.post(
        f"/moderation/tips/{primary_id}/merge",
        data={"csrf_token": token, "back": back, "duplicate": [str(i) for i in ids]},
    )
    return response.status_code, response.headers.get("Location", "")


def _unmerge(client: FlaskClient, tip_id: int, return_to: int | None = None) -> tuple[int, str]:
    token = csrf_token(_page(client, tip_id))
    data = {"csrf_token": token}
    if return_to is not None:
        data["return_to"] = str(return_to)
    response = client.post(f"/moderation/tips/{tip_id}/unmerge", data=data)
    return response.status_code, response.headers.get("Location", "")


def _fresh(tip: Tip) -> Tip:
    found = db.session.get(Tip, tip.id)
    assert found is not None
    db.session.refresh(found)
    return found


def _events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _text(page: str) -> str:
    """The page's words without tags, collapsed spaces, entities decoded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _flashes(client: FlaskClient, tip_id: int) -> str:
    return _text(_page(client, tip_id))


def test_tip_page_lists_similar_tips_with_reasons(desk: Desk) -> None:
    page = html.unescape(_page(desk.client, desk.primary.id))
    assert "Possible duplicates" in page
    assert f'data-similar-tip="{desk.copy.id}"' in page
    assert f'data-similar-tip="{desk.same_email.id}"' in page
    assert f'data-similar-tip="{desk.unrelated.id}"' not in page
    assert "near-identical text (100%)" in page
    assert "same email" in page
    # A short preview of the look-alike's first line, and a link to its page.
    assert "THE JACKET LOOKS LIKE" not in page and "The jacket looks like one sold" in page
    assert f"/moderation/tips/{desk.copy.id}" in page
    assert f'name="duplicate" value="{desk.copy.id}"' in page
    assert "Merge the selected tips into this one" in page


def test_a_tip_without_look_alikes_says_so(desk: Desk) -> None:
    page = _page(desk.client, desk.unrelated.id)
    assert "No other tip on this appeal" in page
    assert 'name="duplicate"' not in page


def test_merge_two_into_one_keeps_everything(desk: Desk) -> None:
    moderation.set_status(
        db.session.get(User, desk.moderator.user_id),  # type: ignore[arg-type]
        desk.same_email,
        TipStatus.ACTIONABLE,
    )
    db.session.get(Tip, desk.same_email.id).claimed_by_id = None  # type: ignore[union-attr]
    db.session.commit()
    primary_status = _fresh(desk.primary).status
    status, location = _merge(
        desk.client, desk.primary.id, [desk.copy.id, desk.same_email.id], back="status=all"
    )
    assert status == 302
    assert location == f"/moderation/tips/{desk.primary.id}?back=status%3Dall"
    page = html.unescape(_page(desk.client, desk.primary.id))
    assert f"Merged 2 tips into {desk.primary.reference}." in page

    copy, same_email, primary = _fresh(desk.copy), _fresh(desk.same_email), _fresh(desk.primary)
    assert primary.status is primary_status and primary.merged_into_id is None
    assert copy.status is TipStatus.DUPLICATE and copy.status_before_merge is TipStatus.NEW
    assert same_email.status is TipStatus.DUPLICATE
    assert same_email.status_before_merge is TipStatus.ACTIONABLE
    assert copy.merged_into_id == same_email.merged_into_id == primary.id
    # Nothing deleted: the duplicate's message, photo and thread are all there.
    cipher = get_cipher()
    assert tip_service.read_message(cipher, copy) == STORY.upper().replace(",", "")
    assert len(copy.attachments) == 1
    assert tip_service.read_attachment(cipher, get_media_store(), copy.attachments[0])
    assert tip_service.read_contact(cipher, same_email).email == " Rosa.Fan@Example.org"

    merge_events = _events("tip.merge")
    assert len(merge_events) == 1
    assert merge_events[0].target_id == str(primary.id)
    assert merge_events[0].actor_id == desk.moderator.user_id
    assert merge_events[0].details["duplicates"] == sorted([copy.id, same_email.id])
    statuses = [e for e in _events("tip.status") if e.details["to"] == "duplicate"]
    assert {e.target_id for e in statuses} == {str(copy.id), str(same_email.id)}
    # Audit details never carry tip content.
    assert "Rosa" not in str(merge_events[0].details)

    # The primary lists them under "Merged into this tip", each with an Unmerge button.
    assert "Merged into this tip" in page
    assert f'data-merged-tip="{copy.id}"' in page
    assert f'action="/moderation/tips/{copy.id}/unmerge"' in page
    # The duplicate says where it went and offers to unmerge.
    merged_page = _text(_page(desk.client, copy.id))
    assert f"Merged into {primary.reference}" in merged_page
    assert f"Unmerge from {primary.reference}" in merged_page
    assert "Merge the selected tips into this one" not in merged_page


def test_a_merged_tip_keeps_its_thread_and_notes(desk: Desk) -> None:
    user = db.session.get(User, desk.moderator.user_id)
    assert user is not None
    cipher = get_cipher()
    moderation.add_note(cipher, user, desk.copy, "checked against the 1991 register")
    moderation.ask_question(cipher, user, desk.copy, "Which floor was the flat on?")
    _merge(desk.client, desk.primary.id, [desk.copy.id])
    copy = _fresh(desk.copy)
    assert copy.merged_into_id == desk.primary.id
    assert [n.body for n in moderation.notes(cipher, copy)] == ["checked against the 1991 register"]
    assert len(copy.thread) == 1


def test_status_change_on_a_merged_tip_is_refused(desk: Desk) -> None:
    _merge(desk.client, desk.primary.id, [desk.copy.id])
    token = csrf_token(_page(desk.client, desk.copy.id))
    response = desk.client.post(
        f"/moderation/tips/{desk.copy.id}/status", data={"csrf_token": token, "status": "spam"}
    )
    assert response.status_code == 400
    assert "Unmerge it to change its status" in html.unescape(response.get_data(as_text=True))
    assert _fresh(desk.copy).status is TipStatus.DUPLICATE


def test_unmerge_restores_the_previous_status(desk: Desk) -> None:
    user = db.session.get(User, desk.moderator.user_id)
    assert user is not None
    moderation.set_status(user, desk.copy, TipStatus.IN_REVIEW)
    _merge(desk.client, desk.primary.id, [desk.copy.id, desk.same_email.id])

    status, location = _unmerge(desk.client, desk.copy.id, return_to=desk.primary.id)
    assert status == 302
    assert location == f"/moderation/tips/{desk.primary.id}"
    copy = _fresh(desk.copy)
    assert copy.status is TipStatus.IN_REVIEW
    assert copy.merged_into_id is None and copy.status_before_merge is None
    page = html.unescape(_page(desk.client, desk.primary.id))
    assert f"{copy.reference} unmerged from {desk.primary.reference}" in page
    assert f'data-merged-tip="{copy.id}"' not in page
    assert f'data-merged-tip="{desk.same_email.id}"' in page

    # From its own page, the other goes back to "new" and the moderator stays on it.
    status, location = _unmerge(desk.client, desk.same_email.id)
    assert location == f"/moderation/tips/{desk.same_email.id}"
    assert _fresh(desk.same_email).status is TipStatus.NEW

    events = _events("tip.unmerge")
    assert [(e.target_id, e.details) for e in events] == [
        (str(copy.id), {"primary": desk.primary.id, "restored": "in_review"}),
        (str(desk.same_email.id), {"primary": desk.primary.id, "restored": "new"}),
    ]
    # The status moves are audited too: into "duplicate" and back.
    moves = [(e.details["from"], e.details["to"]) for e in _events("tip.status")]
    assert ("duplicate", "in_review") in moves and ("duplicate", "new") in moves


def test_unmerge_without_status_before_merge_goes_to_in_review(desk: Desk) -> None:
    _merge(desk.client, desk.primary.id, [desk.copy.id])
    copy = _fresh(desk.copy)
    copy.status_before_merge = None
    db.session.commit()
    _unmerge(desk.client, desk.copy.id)
    assert _fresh(desk.copy).status is TipStatus.IN_REVIEW


def test_unmerging_a_tip_that_is_not_merged_is_refused(desk: Desk) -> None:
    status, location = _unmerge(desk.client, desk.copy.id)
    assert status == 302 and location == f"/moderation/tips/{desk.copy.id}"
    assert "is not merged into another tip" in _flashes(desk.client, desk.copy.id)
    assert _events("tip.unmerge") == []


def test_merging_across_cases_is_refused(desk: Desk) -> None:
    elsewhere = add_tip("BE-2001-1117", STORY)
    status, _ = _merge(desk.client, desk.primary.id, [elsewhere.id])
    assert status == 302
    assert "only tips on the same appeal merge" in _flashes(desk.client, desk.primary.id)
    assert _fresh(elsewhere).merged_into_id is None
    assert _events("tip.merge") == []


def test_merging_is_all_or_nothing(desk: Desk) -> None:
    elsewhere = add_tip("BE-2001-1117", STORY)
    _merge(desk.client, desk.primary.id, [desk.copy.id, elsewhere.id])
    assert _fresh(desk.copy).merged_into_id is None
    assert _fresh(desk.copy).status is TipStatus.NEW


def test_merging_a_tip_already_merged_elsewhere_is_refused(desk: Desk) -> None:
    _merge(desk.client, desk.same_email.id, [desk.copy.id])
    _merge(desk.client, desk.primary.id, [desk.copy.id])
    assert "already merged into another tip" in _flashes(desk.client, desk.primary.id)
    assert _fresh(desk.copy).merged_into_id == desk.same_email.id
    assert len(_events("tip.merge")) == 1


def test_merging_into_a_merged_tip_is_refused(desk: Desk) -> None:
    _merge(desk.client, desk.primary.id, [desk.copy.id])
    _merge(desk.client, desk.copy.id, [desk.same_email.id])
    assert "is itself merged into another tip" in _flashes(desk.client, desk.copy.id)
    assert _fresh(desk.same_email).merged_into_id is None


def test_merging_a_primary_into_another_tip_flattens_and_says_so(desk: Desk) -> None:
    _merge(desk.client, desk.primary.id, [desk.copy.id])
    status, _ = _merge(desk.client, desk.same_email.id, [desk.primary.id])
    assert status == 302
    primary, copy = _fresh(desk.primary), _fresh(desk.copy)
    # No chains: the copy now points straight at the new primary.
    assert primary.merged_into_id == copy.merged_into_id == desk.same_email.id
    assert copy.status is TipStatus.DUPLICATE and copy.status_before_merge is TipStatus.NEW
    event = _events("tip.merge")[-1]
    assert event.details["duplicates"] == [primary.id]
    assert event.details["repointed"] == {str(copy.id): primary.id}
    # Unmerging the old primary leaves the copy with the new one (it is its duplicate too).
    _unmerge(desk.client, primary.id)
    assert _fresh(desk.primary).merged_into_id is None
    assert _fresh(desk.copy).merged_into_id == desk.same_email.id


def test_merging_a_tip_into_itself_or_nothing_is_refused(desk: Desk) -> None:
    _merge(desk.client, desk.primary.id, [desk.primary.id])
    assert "cannot be merged into itself" in _flashes(desk.client, desk.primary.id)
    _merge(desk.client, desk.primary.id, [])
    assert "Select the tips to merge" in _flashes(desk.client, desk.primary.id)
    assert _events("tip.merge") == []


def test_merging_an_already_merged_duplicate_again_is_refused(desk: Desk) -> None:
    _merge(desk.client, desk.primary.id, [desk.copy.id])
    _merge(desk.client, desk.primary.id, [desk.copy.id])
    assert "is already merged into" in _flashes(desk.client, desk.primary.id)
    assert len(_events("tip.merge")) == 1


def test_a_forwarded_tip_cannot_be_merged_but_can_be_a_primary(desk: Desk) -> None:
    forwarded = _fresh(desk.copy)
    forwarded.status = TipStatus.FORWARDED
    db.session.commit()
    page = _page(desk.client, desk.primary.id)
    assert f'name="duplicate" value="{forwarded.id}"' not in page

    _merge(desk.client, desk.primary.id, [forwarded.id])
    assert "has been forwarded to the police" in _flashes(desk.client, desk.primary.id)
    assert _fresh(desk.copy).status is TipStatus.FORWARDED
    assert _fresh(desk.copy).merged_into_id is None

    status, _ = _merge(desk.client, forwarded.id, [desk.primary.id])
    assert status == 302
    assert _fresh(desk.copy).status is TipStatus.FORWARDED
    assert _fresh(desk.primary).merged_into_id == forwarded.id


def test_another_agencys_moderator_gets_404(desk: Desk, app: Flask) -> None:
    other = make_staff("other@example.org", Role.MODERATOR, "NL-LE-NOORD")
    client = app.test_client()
    assert sign_in(client, other).status_code == 302
    token = csrf_token(client.get("/auth/account").get_data(as_text=True))
    merge = client.post(
        f"/moderation/tips/{desk.primary.id}/merge",
        data={"csrf_token": token, "duplicate": str(desk.copy.id)},
    )
    unmerge = client.post(f"/moderation/tips/{desk.copy.id}/unmerge", data={"csrf_token": token})
    assert merge.status_code == unmerge.status_code == 404
    assert _fresh(desk.copy).merged_into_id is None


def test_tips_the_moderator_cannot_see_are_left_out(desk: Desk) -> None:
    hidden = add_tip("NL-1999-0412", STORY)
    # Not in the list of look-alikes (another case, another agency) and not mergeable.
    assert f'data-similar-tip="{hidden.id}"' not in _page(desk.client, desk.primary.id)
    _merge(desk.client, desk.primary.id, [hidden.id])
    assert "Select the tips to merge" in _flashes(desk.client, desk.primary.id)
    assert _fresh(hidden).merged_into_id is None


def test_merge_without_csrf_token_is_refused(desk: Desk) -> None:
    response = desk.client.post(
        f"/moderation/tips/{desk.primary.id}/merge", data={"duplicate": str(desk.copy.id)}
    )
    assert response.status_code == 400
    _merge(desk.client, desk.primary.id, [desk.copy.id])
    response = desk.client.post(f"/moderation/tips/{desk.copy.id}/unmerge", data={})
    assert response.status_code == 400
    assert _fresh(desk.copy).merged_into_id == desk.primary.id


def _held_by_someone_else(tip: Tip) -> Staff:
    colleague = make_staff("colleague@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")
    found = _fresh(tip)
    found.claimed_by_id = colleague.user_id
    found.claim_expires_at = utcnow() + timedelta(minutes=10)
    db.session.commit()
    return colleague


def test_a_duplicate_held_by_another_moderator_is_refused(desk: Desk) -> None:
    _held_by_someone_else(desk.copy)
    _merge(desk.client, desk.primary.id, [desk.copy.id, desk.same_email.id])
    page = _flashes(desk.client, desk.primary.id)
    assert f"Another moderator is working on {desk.copy.reference}" in page
    assert _fresh(desk.copy).merged_into_id is None
    assert _fresh(desk.same_email).merged_into_id is None


def test_merging_into_a_primary_held_by_another_moderator_is_refused(desk: Desk) -> None:
    user = db.session.get(User, desk.moderator.user_id)
    assert user is not None
    _held_by_someone_else(desk.primary)
    with pytest.raises(TipClaimed):
        duplicates.merge(user, _fresh(desk.primary), [_fresh(desk.copy)])
    db.session.rollback()
    assert _fresh(desk.copy).merged_into_id is None


def test_unmerging_a_tip_held_by_another_moderator_is_refused(desk: Desk) -> None:
    _merge(desk.client, desk.primary.id, [desk.copy.id])
    _held_by_someone_else(desk.copy)
    status, _ = _unmerge(desk.client, desk.copy.id)
    assert status == 302
    assert _fresh(desk.copy).merged_into_id == desk.primary.id


def test_duplicate_groups_of_a_case(desk: Desk) -> None:
    user = db.session.get(User, desk.moderator.user_id)
    assert user is not None
    case = case_by_record("BE-1992-0603")
    groups = duplicates.duplicate_groups(get_cipher(), user, case)
    assert [[tip.id for tip in group] for group in groups] == [
        [desk.primary.id, desk.copy.id, desk.same_email.id]
    ]
    duplicates.merge(user, _fresh(desk.primary), [_fresh(desk.copy), _fresh(desk.same_email)])
    assert duplicates.duplicate_groups(get_cipher(), user, case) == []


def test_similar_tips_reports_merge_direction(desk: Desk) -> None:
    user = db.session.get(User, desk.moderator.user_id)
    assert user is not None
    duplicates.merge(user, _fresh(desk.primary), [_fresh(desk.copy)])
    on_primary = {s.tip.id: s for s in duplicates.similar_tips(get_cipher(), user, desk.primary)}
    assert on_primary[desk.copy.id].merged_into_this
    assert not on_primary[desk.copy.id].mergeable
    assert on_primary[desk.same_email.id].reasons == ["same email"]
    on_copy = {s.tip.id: s for s in duplicates.similar_tips(get_cipher(), user, desk.copy)}
    assert on_copy[desk.primary.id].this_merged_into_it


def test_service_refuses_without_a_request_too(desk: Desk) -> None:
    user = db.session.get(User, desk.moderator.user_id)
    assert user is not None
    with pytest.raises(ModerationError, match="Select the tips"):
        duplicates.merge(user, desk.primary, [])
    with pytest.raises(ModerationError, match="not merged"):
        duplicates.unmerge(user, desk.primary)
