"""The public JSON API: list contract, filters, pagination, case detail, JSON errors."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from portal.records.importer import public_id_for


def test_list_contract(client: FlaskClient, sample_cases: Path) -> None:
    response = client.get("/api/v1/cases?per_page=3")
    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert set(body) == {"total", "page", "per_page", "results"}
    assert (body["total"], body["page"], body["per_page"]) == (16, 1, 3)
    first = body["results"][0]
    assert {
        "id",
        "record_id",
        "agency",
        "title",
        "url",
        "status",
        "sex",
        "age",
        "event",
        "highlights",
    } <= set(first)
    assert first["url"] == f"http://localhost/cases/{first['id']}"
    assert first["status"] in {"published", "identified"}


def test_pages_walk_every_public_case_once(client: FlaskClient, sample_cases: Path) -> None:
    seen: list[str] = []
    page = 1
    while True:
        body = client.get(f"/api/v1/cases?per_page=4&page={page}").json
        assert body is not None
        if not body["results"]:
            break
        seen += [r["record_id"] for r in body["results"]]
        page += 1
    assert len(seen) == len(set(seen)) == 16
    assert "UK-2020-0909" not in seen and "UK-2011-0615" not in seen


def test_filters_and_text(client: FlaskClient, sample_cases: Path) -> None:
    def ids(query: str) -> set[str]:
        body = client.get(f"/api/v1/cases?per_page=100&{query}").json
        assert body is not None
        return {r["record_id"] for r in body["results"]}

    assert ids("country=GB") == {"UK-2015-0311", "UK-1988-0101"}
    assert ids("sex=female&age=30-32") == {
        "BE-1992-0603",
        "DE-1995-0222",
        "BE-2014-0402",
        "ES-2003-0817",
    }
    assert ids("mark=piercing") == {"BE-2001-1117", "ES-2003-0817"}
    first = client.get("/api/v1/cases?q=R%27Nick").json
    assert first is not None and first["results"][0]["record_id"] == "BE-1992-0603"
    assert ids("q=100%25") == set()
    assert ids("q=_") <= ids("")


def test_bad_parameters_are_a_json_400(client: FlaskClient) -> None:
    response = client.get("/api/v1/cases?per_page=1000&page=0&age=x")
    assert response.status_code == 400
    body = response.json
    assert body is not None
    assert set(body["error"]["fields"]) == {"per_page", "page", "age"}


def test_hostile_queries_do_not_crash(client: FlaskClient, sample_cases: Path) -> None:
    for q in [
        '"unbalanced',
        "AND OR NOT",
        "x" * 10_000,
        "\x00\x01\x02",
        "restricted:anything",
        "name:Marie",
        "'; DROP TABLE cases; --",
        "%%%",
        "\\",
    ]:
        response = client.get("/api/v1/cases", query_string={"q": q})
        assert response.status_code in (200, 400), q


def test_case_detail(client: FlaskClient, sample_cases: Path) -> None:
    case_id = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
    response = client.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert body["id"] == case_id
    assert body["marks"][0]["inscription"] == "R'Nick"
    assert body["marks"][0]["image"]["urls"]
    assert body["translations"]["nl"]["title"] == "De vrouw met de bloementatoeage"
    assert body["biometrics"] == {"dna": True, "fingerprints": True, "dental": True}
    assert body["name"] is None
    assert "restricted" not in body


def test_unknown_and_unpublished_case_is_json_404(client: FlaskClient, sample_cases: Path) -> None:
    for case_id in ("nope", public_id_for("UK-MPU", "UK-2020-0909")):
        response = client.get(f"/api/v1/cases/{case_id}")
        assert response.status_code == 404
        assert response.json == {
            "error": {"status": 404, "message": response.json["error"]["message"]}  # type: ignore[index]
        }
    assert client.get("/api/v1/nothing").status_code == 404
