"""The moderation queue and triage of a tip: scope, order, filters, claims, statuses, audit."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import AuditEvent, Role, Tip, TipNote, TipPriority, TipStatus, User
from portal.services import moderation
from portal.services import tips as tip_service
from portal.services.tips import Contact, Upload
from tests.modkit import add_tip, photo_jpeg
from tests.staffkit import Staff, csrf_token, make_staff, sign_in

ANTWERP = "BE-FPJ-ANTWERP"
ROSE = "BE-1992-0603"  # Antwerp
CANAL = "BE-2001-1117"  # Antwerp
DUTCH = "NL-1999-0412"  # NL-LE-NOORD
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def moderator(app: Flask, sample_cases: Path) -> Staff:
    return make_staff("mod@example.org", Role.MODERATOR, ANTWERP)


@pytest.fixture
def colleague(app: Flask, sample_cases: Path) -> Staff:
    return make_staff("colleague@example.org", Role.MODERATOR, ANTWERP)


def signed_in(app: Flask, staff: Staff) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, staff).status_code == 302
    return client


def user(staff: Staff) -> User:
    found = db.session.get(User, staff.user_id)
    assert found is not None
    return found


def references(html: str) -> list[str]:
    return re.findall(r"data-tip-link>(TIP-[0-9A-Z-]+)<", html)


def post(client: FlaskClient, path: str, **data: str | list[str]) -> object:
    page = client.get("/auth/account")
    form: dict[str, str | list[str]] = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    form.update(data)
    return client.post(path, data=form)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# ---------------------------------------------------------------------------
# Who sees what


def test_a_moderator_sees_only_their_agencys_tips(app: Flask, moderator: Staff) -> None:
    own = add_tip(ROSE, "About the rose tattoo")
    other = add_tip(DUTCH, "About the anchor tattoo")
    client = signed_in(app, moderator)
    html = client.get("/moderation/").get_data(as_text=True)
    assert references(html) == [own.reference]
    assert client.get(f"/moderation/tips/{other.id}").status_code == 404
    assert client.get(f"/moderation/tips/{own.id}").status_code == 200


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MODERATOR])
def test_admins_and_the_central_team_see_every_agency(
    app: Flask, sample_cases: Path, role: Role
) -> None:
    central = make_staff("central@example.org", role)  # no agency
    tips = [add_tip(ROSE), add_tip(DUTCH)]
    html = signed_in(app, central).get("/moderation/").get_data(as_text=True)
    assert sorted(references(html)) == sorted(tip.reference for tip in tips)


# ---------------------------------------------------------------------------
# The queue


def test_new_tips_first_oldest_first_and_urgent_before_normal(app: Flask, moderator: Staff) -> None:
    older = add_tip(ROSE, "older", created_at=NOW - timedelta(hours=5))
    newer = add_tip(ROSE, "newer", created_at=NOW - timedelta(hours=1))
    reviewed = add_tip(ROSE, "reviewed", created_at=NOW - timedelta(days=3))
    urgent = add_tip(CANAL, "urgent", created_at=NOW - timedelta(minutes=5))
    reviewed.status = TipStatus.IN_REVIEW
    urgent.priority = TipPriority.URGENT
    db.session.commit()
    html = signed_in(app, moderator).get("/moderation/").get_data(as_text=True)
    assert references(html) == [
        urgent.reference,
        older.reference,
        newer.reference,
        reviewed.reference,
    ]


def test_the_queue_shows_case_age_attachments_and_flags(app: Flask, moderator: Staff) -> None:
    tip = add_tip(
        ROSE,
        "with a photo",
        contact=Contact(name="Ann", email="ann@example.org"),
        uploads=[Upload("rose.jpg", photo_jpeg())],
        created_at=datetime.now(UTC) - timedelta(hours=3),
    )
    html = signed_in(app, moderator).get("/moderation/").get_data(as_text=True)
    assert tip.case.record_id in html
    assert "3 hours" in html
    assert "1 file" in html
    assert "Contact, may be called" in html
    # Tip content and contact details are not in the queue, only on the audited tip page.
    assert "with a photo" not in html
    assert "ann@example.org" not in html


def test_filters(app: Flask, moderator: Staff) -> None:
    mod = user(moderator)
    plain = add_tip(ROSE, "plain")
    contact = add_tip(ROSE, "contact", contact=Contact(email="a@example.org"))
    photo = add_tip(CANAL, "photo", uploads=[Upload("p.jpg", photo_jpeg())])
    photo.priority = TipPriority.HIGH
    contact.assignee_id = mod.id
    plain.status = TipStatus.SPAM
    db.session.commit()
    client = signed_in(app, moderator)
    canal_case = photo.case.public_id

    def shown(**args: str) -> set[str]:
        html = client.get("/moderation/", query_string=args).get_data(as_text=True)
        return set(references(html))

    assert shown() == {contact.reference, photo.reference}
    assert shown(status="spam") == {plain.reference}
    assert shown(status="all") == {plain.reference, contact.reference, photo.reference}
    assert shown(case=canal_case) == {photo.reference}
    assert shown(priority="high") == {photo.reference}
    assert shown(assignee="me") == {contact.reference}
    assert shown(assignee="none") == {photo.reference}
    assert shown(assignee=str(mod.id)) == {contact.reference}
    assert shown(has_contact="1") == {contact.reference}
    assert shown(has_attachment="1") == {photo.reference}
    # Nonsense in the query string falls back to the defaults, never a 500.
    for args in ({"status": "<script>"}, {"page": "-3"}, {"assignee": "x"}, {"page": "9" * 40}):
        assert client.get("/moderation/", query_string=args).status_code == 200


def test_text_search_reads_the_decrypted_tips(app: Flask, moderator: Staff) -> None:
    rose = add_tip(ROSE, "She had a black flower with green leaves and R'Nick under it")
    liege = add_tip(ROSE, "I met her in Liège in 1991")
    later = add_tip(CANAL, "I am not sure")
    tip_service.add_information(
        get_cipher(),
        __import__("portal.media", fromlist=["get_media_store"]).get_media_store(),
        later,
        submission_id="11111111-2222-3333-4444-555555555555",
        text="Now I remember: her brother lived on the Kloosterstraat",
    )
    client = signed_in(app, moderator)

    def found(query: str) -> list[str]:
        html = client.get("/moderation/", query_string={"q": query}).get_data(as_text=True)
        return references(html)

    assert found("green leaves") == [rose.reference]
    assert found("GREEN   Leaves") == [rose.reference]
    assert found("liege") == [liege.reference]  # accents do not matter
    assert found("kloosterstraat") == [later.reference]  # the tipster's later message
    assert found("nothing like this") == []
    html = client.get("/moderation/", query_string={"q": "green"}).get_data(as_text=True)
    assert "1 tip matching “green”" in html


def test_pages_of_fifty(app: Flask, moderator: Staff, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moderation, "PAGE_SIZE", 2)
    tips = [add_tip(ROSE, f"tip {n}", created_at=NOW + timedelta(minutes=n)) for n in range(5)]
    client = signed_in(app, moderator)
    page3 = client.get("/moderation/?page=3").get_data(as_text=True)
    assert references(page3) == [tips[4].reference]
    assert "page 3 of 3" in page3
    # A page past the end shows the last page.
    assert references(client.get("/moderation/?page=99").get_data(as_text=True)) == [
        tips[4].reference
    ]


# ---------------------------------------------------------------------------
# Opening a tip


def test_opening_a_tip_shows_it_claims_it_and_is_audited(app: Flask, moderator: Staff) -> None:
    tip = add_tip(ROSE, "She had a rose on her left shoulder", contact=Contact(name="Ann"))
    client = signed_in(app, moderator)
    html = client.get(f"/moderation/tips/{tip.id}").get_data(as_text=True)
    assert "She had a rose on her left shoulder" in html
    assert "Ann" not in html  # contact details only on request
    db.session.refresh(tip)
    assert tip.claimed_by_id == moderator.user_id
    assert tip.read_at is not None
    view = events("tip.view")
    assert [(e.actor_id, e.target_id) for e in view] == [(moderator.user_id, str(tip.id))]
    assert "rose" not in str(view[0].details)


def test_showing_contact_details_is_an_audited_post(app: Flask, moderator: Staff) -> None:
    tip = add_tip(ROSE, contact=Contact(name="Ann Peeters", email="ann@example.org"))
    client = signed_in(app, moderator)
    assert client.get(f"/moderation/tips/{tip.id}/contact").status_code == 405
    response = post(client, f"/moderation/tips/{tip.id}/contact")
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Ann Peeters" in html and "ann@example.org" in html
    assert [e.actor_id for e in events("tip.contact.view")] == [moderator.user_id]


def test_an_attachment_is_served_cleaned_and_audited(app: Flask, moderator: Staff) -> None:
    tip = add_tip(ROSE, uploads=[Upload("my rose.jpg", photo_jpeg())])
    attachment = tip.attachments[0]
    client = signed_in(app, moderator)
    response = client.get(f"/moderation/tips/{tip.id}/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.data[:3] == b"\xff\xd8\xff"
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert [e.details for e in events("tip.attachment.view")] == [{"attachment": attachment.id}]
    other = add_tip(CANAL, uploads=[Upload("x.jpg", photo_jpeg())])
    # An attachment of another tip is not reachable through this tip's address.
    url = f"/moderation/tips/{tip.id}/attachments/{other.attachments[0].id}"
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------
# Claims


def test_a_claimed_tip_cannot_be_changed_by_another_until_taken_over(
    app: Flask, moderator: Staff, colleague: Staff
) -> None:
    tip = add_tip(ROSE)
    first = signed_in(app, moderator)
    second = signed_in(app, colleague)
    first.get(f"/moderation/tips/{tip.id}")
    html = second.get(f"/moderation/tips/{tip.id}").get_data(as_text=True)
    assert "mod@example.org is working on this tip" in html
    queue = second.get("/moderation/").get_data(as_text=True)
    assert "mod@example.org is working on it" in queue
    response = post(second, f"/moderation/tips/{tip.id}/status", status="spam")
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert "Another moderator is working on this tip" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    db.session.refresh(tip)
    assert tip.status is TipStatus.NEW
    post(second, f"/moderation/tips/{tip.id}/claim")
    assert [e.details for e in events("tip.claim.take_over")] == [{"from_user": moderator.user_id}]
    assert post(second, f"/moderation/tips/{tip.id}/status", status="spam").status_code == 302  # type: ignore[attr-defined]
    db.session.refresh(tip)
    assert tip.status is TipStatus.SPAM


def test_claims_expire(app: Flask, moderator: Staff, colleague: Staff) -> None:
    tip = add_tip(ROSE)
    mod, other = user(moderator), user(colleague)
    assert moderation.claim(mod, tip, now=NOW)
    assert not moderation.claim(other, tip, now=NOW + timedelta(minutes=14))
    assert moderation.claim(other, tip, now=NOW + timedelta(minutes=16))
    assert moderation.claim_holder(tip, NOW + timedelta(minutes=16)) == other.id


def test_releasing_a_tip(app: Flask, moderator: Staff, colleague: Staff) -> None:
    tip = add_tip(ROSE)
    client = signed_in(app, moderator)
    client.get(f"/moderation/tips/{tip.id}")
    response = post(client, f"/moderation/tips/{tip.id}/release")
    assert response.headers["Location"].startswith("/moderation/")  # type: ignore[attr-defined]
    db.session.refresh(tip)
    assert moderation.claim_holder(tip) is None


# ---------------------------------------------------------------------------
# Statuses


def test_every_status_transition(app: Flask, moderator: Staff) -> None:
    mod = user(moderator)
    for start, target in itertools.product(TipStatus, TipStatus):
        tip = add_tip(ROSE)
        tip.status = start
        db.session.commit()
        allowed = target in moderation.TRANSITIONS[start]
        where = f"{start.value} -> {target.value}"
        # Only sending a tip forwards it, and a status is never "changed" to itself.
        assert not (allowed and (target is TipStatus.FORWARDED or target is start)), where
        logged = select(AuditEvent).where(
            AuditEvent.action == "tip.status", AuditEvent.target_id == str(tip.id)
        )
        if allowed:
            moderation.set_status(mod, tip, target, now=NOW)
            assert tip.status is target, where
            assert tip.status_changed_at is not None, where
            [event] = db.session.scalars(logged).all()
            assert event.details == {"from": start.value, "to": target.value}, where
        else:
            with pytest.raises(moderation.ModerationError):
                moderation.set_status(mod, tip, target, now=NOW)
            db.session.rollback()
            assert db.session.get(Tip, tip.id).status is start, where  # type: ignore[union-attr]
            assert db.session.scalars(logged).all() == [], where


def test_the_first_triage_time_is_kept(app: Flask, moderator: Staff) -> None:
    tip = add_tip(ROSE)
    mod = user(moderator)
    moderation.set_status(mod, tip, TipStatus.IN_REVIEW, now=NOW)
    moderation.set_status(mod, tip, TipStatus.ACTIONABLE, now=NOW + timedelta(hours=2))
    db.session.refresh(tip)
    assert tip.first_triaged_at is not None
    assert tip.first_triaged_at.replace(tzinfo=UTC) == NOW


def test_status_by_the_web_moves_on_to_the_next_tip(app: Flask, moderator: Staff) -> None:
    first = add_tip(ROSE, created_at=NOW)
    second = add_tip(ROSE, created_at=NOW + timedelta(minutes=1))
    client = signed_in(app, moderator)
    client.get(f"/moderation/tips/{first.id}")
    response = post(client, f"/moderation/tips/{first.id}/status", status="spam", then="next")
    assert response.headers["Location"] == f"/moderation/tips/{second.id}"  # type: ignore[attr-defined]
    # Without "then next" the moderator stays on the tip, and the choice is remembered.
    response = post(client, f"/moderation/tips/{second.id}/status", status="in_review")
    assert response.headers["Location"] == f"/moderation/tips/{second.id}"  # type: ignore[attr-defined]
    html = client.get(f"/moderation/tips/{second.id}").get_data(as_text=True)
    assert 'value="next">' in html and 'value="next" checked' not in html


def test_the_queue_filter_travels_with_the_moderator(app: Flask, moderator: Staff) -> None:
    a = add_tip(ROSE, "alpha", created_at=NOW)
    add_tip(CANAL, "beta", created_at=NOW + timedelta(minutes=1))
    c = add_tip(ROSE, "gamma", created_at=NOW + timedelta(minutes=2))
    client = signed_in(app, moderator)
    back = f"case={a.case.public_id}"
    html = client.get(f"/moderation/tips/{a.id}", query_string={"back": back}).get_data(
        as_text=True
    )
    # The next tip is the next one of the same appeal, and "back" returns to that filter.
    assert f'href="/moderation/tips/{c.id}?back=case%3D' in html
    assert f'href="/moderation/?case={a.case.public_id}"' in html


def test_bad_status_input_is_a_clear_400(app: Flask, moderator: Staff) -> None:
    tip = add_tip(ROSE)
    client = signed_in(app, moderator)
    response = post(client, f"/moderation/tips/{tip.id}/status", status="deleted")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Choose a status" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    response = post(client, f"/moderation/tips/{tip.id}/status", status="forwarded")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "when it is sent to the agency" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert post(client, f"/moderation/tips/{tip.id}/status").status_code == 400  # type: ignore[attr-defined]
    # Without the CSRF token nothing changes.
    assert (
        client.post(f"/moderation/tips/{tip.id}/status", data={"status": "spam"}).status_code == 400
    )
    db.session.refresh(tip)
    assert tip.status is TipStatus.NEW


# ---------------------------------------------------------------------------
# Priority, assignment, notes, questions


def test_priority_and_assignment(app: Flask, moderator: Staff, colleague: Staff) -> None:
    tip = add_tip(ROSE)
    dutch = make_staff("nl@example.org", Role.MODERATOR, "NL-LE-NOORD")
    client = signed_in(app, moderator)
    post(client, f"/moderation/tips/{tip.id}/priority", priority="urgent")
    post(client, f"/moderation/tips/{tip.id}/assign", assignee=str(colleague.user_id))
    db.session.refresh(tip)
    assert tip.priority is TipPriority.URGENT
    assert tip.assignee_id == colleague.user_id
    assert events("tip.priority")[0].details == {"from": "normal", "to": "urgent"}
    assert events("tip.assign")[0].details == {"from": None, "to": colleague.user_id}
    # A moderator of another agency cannot be given this tip; garbage is refused plainly.
    response = post(client, f"/moderation/tips/{tip.id}/assign", assignee=str(dutch.user_id))
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert post(client, f"/moderation/tips/{tip.id}/assign", assignee="x").status_code == 400  # type: ignore[attr-defined]
    assert post(client, f"/moderation/tips/{tip.id}/priority", priority="max").status_code == 400  # type: ignore[attr-defined]
    post(client, f"/moderation/tips/{tip.id}/assign", assignee="")
    db.session.refresh(tip)
    assert tip.assignee_id is None


def test_notes_are_encrypted_audited_and_kept_on_error(app: Flask, moderator: Staff) -> None:
    tip = add_tip(ROSE)
    client = signed_in(app, moderator)
    post(client, f"/moderation/tips/{tip.id}/notes", note="Called the family liaison: promising")
    html = client.get(f"/moderation/tips/{tip.id}").get_data(as_text=True)
    assert "Called the family liaison: promising" in html
    [note] = db.session.scalars(select(TipNote)).all()
    assert b"family liaison" not in note.body_enc
    assert "liaison" not in str(events("tip.note")[0].details)
    too_long = "x" * (moderation.MAX_NOTE_LENGTH + 1)
    response = post(client, f"/moderation/tips/{tip.id}/notes", note=too_long)
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert too_long in page  # nothing typed is lost
    assert 'href="#note"' in page  # the error summary links to the field
    assert post(client, f"/moderation/tips/{tip.id}/notes", note="   ").status_code == 400  # type: ignore[attr-defined]


def test_a_question_reaches_the_tipster_and_the_answer_comes_back(
    app: Flask, moderator: Staff
) -> None:
    tip = add_tip(ROSE)
    client = signed_in(app, moderator)
    post(client, f"/moderation/tips/{tip.id}/question", question="Which year did she leave?")
    cipher = get_cipher()
    view = tip_service.followup_view(cipher, tip)
    [question] = view.open_questions
    assert question.body == "Which year did she leave?"
    assert tip.thread[0].author_id == moderator.user_id
    from portal.media import get_media_store

    tip_service.add_information(
        cipher,
        get_media_store(),
        tip,
        submission_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        text="In 1989, in spring",
        reply_to_id=question.id,
    )
    html = client.get(f"/moderation/tips/{tip.id}").get_data(as_text=True)
    assert "Question from mod@example.org" in html
    assert "Answer from the tipster" in html and "In 1989, in spring" in html
    assert events("tip.question")[0].details == {"entry": question.id}
    assert post(client, f"/moderation/tips/{tip.id}/question", question="").status_code == 400  # type: ignore[attr-defined]


def test_unread_answers_are_flagged_in_the_queue(app: Flask, moderator: Staff) -> None:
    from portal.media import get_media_store

    tip = add_tip(ROSE)
    tip_service.add_information(
        get_cipher(),
        get_media_store(),
        tip,
        submission_id="aaaaaaaa-bbbb-cccc-dddd-ffffffffffff",
        text="One more thing",
    )
    client = signed_in(app, moderator)
    assert "1 new message from the tipster" in client.get("/moderation/").get_data(as_text=True)
    client.get(f"/moderation/tips/{tip.id}")
    assert "new message" not in client.get("/moderation/").get_data(as_text=True)


# ---------------------------------------------------------------------------
# Bulk


def test_bulk_spam_changes_what_it_may_and_lists_the_rest(
    app: Flask, moderator: Staff, colleague: Staff
) -> None:
    spam = [add_tip(ROSE, f"buy now {n}") for n in range(3)]
    held = add_tip(ROSE, "held by a colleague")
    forwarded = add_tip(ROSE, "already forwarded")
    foreign = add_tip(DUTCH, "another agency")
    forwarded.status = TipStatus.FORWARDED
    db.session.commit()
    moderation.claim(user(colleague), held)
    db.session.commit()
    client = signed_in(app, moderator)
    ids = [str(t.id) for t in [*spam, held, forwarded, foreign]]
    response = post(client, "/moderation/bulk", tip=ids, status="spam")
    assert response.status_code == 302  # type: ignore[attr-defined]
    html = client.get("/moderation/").get_data(as_text=True)
    assert "3 tips marked as spam." in html
    assert f"{held.reference} was not changed: another moderator is working on it" in html
    assert f"{forwarded.reference} was not changed" in html
    for tip in [*spam, held, forwarded, foreign]:
        db.session.refresh(tip)
    assert {t.status for t in spam} == {TipStatus.SPAM}
    assert held.status is TipStatus.NEW
    assert foreign.status is TipStatus.NEW  # out of scope: untouched, not even named
    assert foreign.reference not in html
    assert len(events("tip.status")) == 3
    assert events("tip.bulk_status")[0].details == {"to": "spam", "count": 3}
    # Nothing selected, or no status: a message, not an error page.
    assert post(client, "/moderation/bulk", status="spam").status_code == 302  # type: ignore[attr-defined]
    assert "Select at least one tip." in client.get("/moderation/").get_data(as_text=True)


# ---------------------------------------------------------------------------
# Privacy


def test_tip_content_is_never_logged_and_notes_stay_encrypted_at_rest(
    app: Flask, moderator: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Sentinel-Moderation-7731"
    tip = add_tip(ROSE, f"message {secret}", contact=Contact(name=f"name {secret}"))
    client = signed_in(app, moderator)
    with caplog.at_level("DEBUG"):
        client.get(f"/moderation/tips/{tip.id}")
        post(client, f"/moderation/tips/{tip.id}/contact")
        post(client, f"/moderation/tips/{tip.id}/notes", note=f"note {secret}")
        post(client, f"/moderation/tips/{tip.id}/question", question=f"question {secret}")
        client.get("/moderation/", query_string={"q": secret})
    assert secret not in caplog.text
    for table in ("tips", "tip_notes", "tip_thread", "audit_events"):
        rows = db.session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608 - fixed names
        assert secret not in repr(rows), table


def test_hostile_input_is_answered_without_a_server_error(app: Flask, moderator: Staff) -> None:
    tip = add_tip(ROSE)
    client = signed_in(app, moderator)
    huge = "9" * 30
    for path in (
        f"/moderation/tips/{huge}",
        f"/moderation/tips/{2**31}",
        f"/moderation/tips/{tip.id}/attachments/{2**40}",
        "/moderation/?case=%00abc&assignee=%00&priority=%00&q=%00&status=%00",
        f"/moderation/?assignee={huge}&page={huge}",
        f"/moderation/tips/{tip.id}?back=case%3D%2500%26q%3D%00",
        "/moderation/dashboard?case=%00&days=%00",
        "/admin/audit?actor=%00",
    ):
        response = client.get(path)
        assert response.status_code in {200, 400, 403, 404}, path
    for path, data in (
        ("/moderation/bulk", {"tip": [huge, "-1", "\x00", str(tip.id)], "status": "spam"}),
        (f"/moderation/tips/{tip.id}/assign", {"assignee": huge}),
        (f"/moderation/tips/{tip.id}/merge", {"duplicate": [huge, "\x00"]}),
        (f"/moderation/tips/{tip.id}/notes", {"note": "a\x00b"}),
        ("/moderation/export", {"tip": [huge], "format": "csv"}),
    ):
        response = post(client, path, **data)
        assert response.status_code in {200, 302, 400, 404, 409}, path  # type: ignore[attr-defined]
