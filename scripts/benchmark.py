"""Benchmark: import synthetic records and time the public pages and API over them.

Usage: .venv/bin/python scripts/benchmark.py [--count 20000] [--database-url URL] [--requests 30]
Prints figures; asserts nothing (targets are read by people, not by the test suite).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from portal import create_app
from portal.config import Settings
from portal.demo.synthetic import generate_records, write_jsonl
from portal.records.importer import import_file


def timed(label: str, func, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = func(*args)
    elapsed = time.perf_counter() - started
    print(f"{label:<40} {elapsed:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="recognise-bench-") as folder:
        base = Path(folder)
        settings = Settings(
            env="test",
            database_url=args.database_url or f"sqlite:///{base / 'bench.db'}",
            media_url=f"file://{base / 'media'}",
            search_dir=str(base / "search"),
        )
        app = create_app(settings)
        path = base / "synthetic.jsonl"
        timed(f"generate {args.count} records", write_jsonl, generate_records(args.count), path)
        with app.app_context():
            upgrade()
            result = timed("import (new)", import_file, path)
            print(f"{'':<40} {result.summary()}")
            result = timed("re-import (unchanged)", import_file, path)
            print(f"{'':<40} {result.summary()}")
            client = app.test_client()
            body = client.get("/api/v1/cases?per_page=100").get_json()
            case_ids = [item["id"] for item in body["results"]]
            routes = {
                "GET /": ["/"],
                "GET /cases": ["/cases", "/cases?page=50"],
                "GET /cases (filters)": ["/cases?sex=female&age=25-35&mark=tattoo&year_from=1990"],
                "GET /search?q=": ["/search?q=rose+forearm", "/search?q=anchor"],
                "GET /cases/<id>": [f"/cases/{case_id}" for case_id in case_ids],
                "GET /api/v1/cases": ["/api/v1/cases?per_page=50"],
                "GET /sitemap.xml": ["/sitemap.xml"],
                "GET /feed.atom": ["/feed.atom"],
            }
            print(f"\n{'route':<28} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for name, urls in routes.items():
                samples = []
                for index in range(args.requests):
                    url = urls[index % len(urls)]
                    started = time.perf_counter()
                    response = client.get(url)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
                samples.sort()
                p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
                print(
                    f"{name:<28} {len(samples):>4} {statistics.median(samples):8.1f} "
                    f"{p95:8.1f} {samples[-1]:8.1f}"
                )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
