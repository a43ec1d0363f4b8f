"""Faces and scenes (often post-mortem photographs) are never shown without a warning."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from tests.imagekit import TITLE, import_case_with_face_and_scene

WARNING = "This photo may be distressing. Show the photo"


def details_blocks(html: str) -> list[str]:
    return re.findall(r'<details class="sensitive">.*?</details>', html, re.S)


def test_case_page_puts_faces_and_scenes_behind_a_warning(
    client: FlaskClient, sample_cases: Path
) -> None:
    public_id = import_case_with_face_and_scene(sample_cases.parent)
    html = client.get(f"/cases/{public_id}").get_data(as_text=True)
    blocks = details_blocks(html)
    assert len(blocks) == 2
    assert all(WARNING in block and '<details class="sensitive">' in block for block in blocks)
    assert "Post-mortem photograph of his face" in blocks[0]
    assert "Where he was found" in blocks[1]
    # Closed by default, and the image waits until the reader opens the warning.
    assert '<details class="sensitive" open' not in html
    assert all('loading="lazy"' in block for block in blocks)
    # Every image on the page is either behind the warning or not sensitive.
    outside = re.sub(r'<details class="sensitive">.*?</details>', "", html, flags=re.S)
    assert outside.count("<img ") == 1
    assert 'alt="His jacket"' in outside
    assert "Post-mortem" not in outside and "Where he was found" not in outside


def test_case_page_without_sensitive_images_has_no_warning(
    client: FlaskClient, sample_cases: Path
) -> None:
    html = client.get("/cases?has_photo=1").get_data(as_text=True)
    link = re.search(r'href="(/cases/\w+)"', html)
    assert link
    page = client.get(link.group(1)).get_data(as_text=True)
    assert WARNING not in page
    assert "<img " in page


def test_cards_never_show_a_face_or_scene(client: FlaskClient, sample_cases: Path) -> None:
    public_id = import_case_with_face_and_scene(sample_cases.parent)
    for path in ["/", "/cases?per_page=50", "/search?q=Hoboken"]:
        html = client.get(path).get_data(as_text=True)
        card = re.search(
            rf'<li class="case-card[^"]*">\s*'
            rf'<a class="case-card__link" href="/cases/{public_id}".*?</li>',
            html,
            re.S,
        )
        assert card, path
        assert TITLE in card.group(0)
        assert "<img" not in card.group(0), path
        assert "Photo behind a warning on the appeal page" in card.group(0), path
