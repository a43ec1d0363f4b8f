"""The search page: ranked results, snippets, facet counts, suggestions, safety."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient


def html(client: FlaskClient, query: str, status: int = 200) -> str:
    response = client.get("/search?" + query)
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def result_titles(page: str) -> list[str]:
    return re.findall(r'class="case-card__title">([^<]+)<', page)


def test_results_explain_why_they_matched(client: FlaskClient, sample_cases: Path) -> None:
    page = html(client, "q=rose+tattoo+on+arm")
    assert result_titles(page)[0] == "Man found at Dover with a rose tattoo"
    assert "Tattoo on the <mark>left forearm</mark>" in page
    assert "red <mark>rose</mark> with a dagger" in page
    assert "best match first" in page


def test_class_match_marks_the_specific_word(client: FlaskClient, sample_cases: Path) -> None:
    page = html(client, "q=fish")
    assert "large <mark>koi</mark> <mark>carp</mark>" in page


def test_facets_show_counts_and_narrow(client: FlaskClient, sample_cases: Path) -> None:
    page = html(client, "q=tattoo")
    assert re.search(r'<option value="female">Female \(\d+\)</option>', page)
    assert re.search(r'<option value="NL">Netherlands \(\d+\)</option>', page)
    assert re.search(r'<option value="arm">Arm \(\d+\)</option>', page)
    narrowed = html(client, "q=tattoo&sex=female&country=NL")
    assert sorted(result_titles(narrowed)) == sorted(
        [
            "Young woman found in a Rotterdam park",
            "Missing since Valentine&#39;s Day 2017: Sanne de Vries",
        ]
    )
    # a chosen facet still offers its other values
    assert re.search(r'<option value="male">Male \(\d+\)</option>', narrowed)


def test_body_region_filter(client: FlaskClient, sample_cases: Path) -> None:
    page = html(client, "location=hand")
    titles = result_titles(page)
    assert "Man with the anchor tattoo found in the Waal" in titles
    assert "Man found at Dover with a rose tattoo" in titles
    assert "Woman with the butterfly tattoo" not in titles


def test_empty_query_lists_newest_with_facets(client: FlaskClient, sample_cases: Path) -> None:
    page = html(client, "")
    assert "16 appeals" in page
    assert len(result_titles(page)) == 5
    assert "Part of the body" in page


def test_typo_gets_a_suggestion_and_results(client: FlaskClient, sample_cases: Path) -> None:
    page = html(client, "q=butterfy")
    assert 'Did you mean <a href="/search?q=butterfly">butterfly</a>?' in page
    assert "Woman with the butterfly tattoo" in result_titles(page)


def test_nothing_found_helps(client: FlaskClient, sample_cases: Path) -> None:
    page = html(client, "q=xylophonequartz")
    assert "No appeal matches ‘xylophonequartz’" in page
    assert "describe it another way" in page


def test_pagination_keeps_the_query(client: FlaskClient, sample_cases: Path) -> None:
    page = html(client, "q=tattoo")
    assert 'href="/search?q=tattoo&amp;page=2"' in page
    second = html(client, "q=tattoo&page=2")
    assert set(result_titles(second)).isdisjoint(result_titles(page))


def test_cases_with_words_redirects_to_search(client: FlaskClient, sample_cases: Path) -> None:
    response = client.get("/cases?q=anchor&sex=male")
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?q=anchor&sex=male"


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "AND OR NOT",
        "x" * 10_000,
        "\x00\x01\x02 tattoo",
        "restricted:notes",
        "name:Marie",
        "title:woman",
        "*",
        "?",
        "tattoo^100",
        "(((",
        "field:[a TO z]",
        "%",
        "' OR 1=1 --",
        "\u200b\ufeff",
        "🙂",
    ],
)
def test_malformed_queries_never_fail(client: FlaskClient, sample_cases: Path, q: str) -> None:
    for url in ("/search", "/api/v1/cases"):
        response = client.get(url, query_string={"q": q})
        assert response.status_code in (200, 400), (url, q)


def test_field_syntax_cannot_reach_unindexed_fields(
    client: FlaskClient, sample_cases: Path
) -> None:
    # BE-1992-0603's restricted notes say "Suspect interviewed 1993".
    for q in ("notes:interviewed", "restricted:Suspect", "dna_profile_ref:BE-DNA-77812-SECRET"):
        body = client.get("/api/v1/cases", query_string={"q": q}).json
        assert body is not None
        assert "BE-1992-0603" not in [r["record_id"] for r in body["results"]], q


def test_api_results_carry_highlights(client: FlaskClient, sample_cases: Path) -> None:
    body = client.get("/api/v1/cases", query_string={"q": "R'Nick"}).json
    assert body is not None
    first = body["results"][0]
    assert first["record_id"] == "BE-1992-0603"
    assert first["highlights"][0]["field"] == "marks[0]"
    assert "<mark>" in first["highlights"][0]["snippet"]


def test_snippets_escape_record_text(client: FlaskClient, records_dir: Path) -> None:
    import json

    from portal.records.importer import import_file

    path = records_dir / "sample-records.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    records[1]["marks"][0]["description"] = '<img src=x onerror="alert(1)"> heron scar'
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert import_file(path).errors == []
    page = client.get("/search?q=heron").get_data(as_text=True)
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; <mark>heron</mark>" in page
    assert "<img src=x" not in page
    body = client.get("/api/v1/cases?q=heron").json
    assert body is not None
    assert body["results"][0]["highlights"][0]["snippet"].startswith("&lt;img")
