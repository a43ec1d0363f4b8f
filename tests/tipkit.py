"""Helpers for tip tests: read a rendered tip form and send it like a browser would."""

from __future__ import annotations

import io
import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|submission_id|started)"[^>]*value="([^"]*)"')


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of the first tip form in `html`."""
    fields: dict[str, str] = {}
    for name, value in _HIDDEN.findall(html):
        fields.setdefault(name, value)
    return fields


def open_form(client: FlaskClient, case_id: str) -> dict[str, str]:
    response = client.get(f"/cases/{case_id}/tips")
    assert response.status_code == 200, response.status_code
    fields = form_fields(response.get_data(as_text=True))
    assert set(fields) == {"csrf_token", "submission_id", "started"}
    return fields


def send_tip(
    client: FlaskClient,
    case_id: str,
    *,
    fields: dict[str, str] | None = None,
    files: list[tuple[bytes, str]] | None = None,
    **values: Any,
) -> TestResponse:
    """Post the tip form of `case_id` with `values` over a freshly rendered form."""
    data: dict[str, Any] = dict(fields or open_form(client, case_id))
    data.setdefault("message", "I think this is my aunt Rosa; she had that rose tattoo.")
    data.setdefault("contact_ok", "no")
    data.update(values)
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(f"/cases/{case_id}/tips", data=data, content_type="multipart/form-data")


def receipt_codes(html: str) -> tuple[str, str]:
    reference = re.search(r'id="tip-reference">([^<]+)<', html)
    code = re.search(r'id="tip-followup-code">([^<]+)<', html)
    assert reference and code, "no receipt in the page"
    return reference.group(1), code.group(1)


def browser_filename(name: str) -> str:
    """`name` as a browser puts it in a multipart header (the HTML standard's escaping).

    Werkzeug's test client writes names as they are, so a raw newline or quote would end the
    header and the part would arrive as a text field instead of a file.
    """
    # Field names are escaped the same way; a part with no usable name is pinned down by
    # test_a_part_without_a_name_is_a_400_not_a_500 below.
    return name.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")
