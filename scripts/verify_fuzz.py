"""`make verify` part: property-based fuzzing (hypothesis) and coverage-guided fuzzing (atheris).

Usage: .venv/bin/python scripts/verify_fuzz.py [--quick] [--keep DIR] [--seconds N] [--scale N]
           [--sqlite]

1. The hypothesis tests of the record importer, the search query parser (the parser, the
   engine, and the /search, /cases and /api/v1/cases pages) and the tip and follow-up forms,
   run by pytest with their example counts multiplied by --scale (full: 10, on a throwaway
   PostgreSQL database; --quick: the normal counts, on SQLite). Each test records how many
   examples it tried and how many distinct failures it found (tests.fuzzkit).
2. atheris on the image handling (scripts/fuzz_images.py) for a fixed time (full: 300 s;
   --quick: 30 s): executions tried, crashes, hangs and out-of-memory inputs found.
Exits 1 if any failure was found or a step could not run.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import fuzz_images
from verifykit import PROJECT_ROOT, Row, print_rows, save_rows, throwaway_postgres, work_folder

from tests import verifycount
from tests.fuzzkit import SCALE_VARIABLE

SLUG = "fuzz"
PART = "Fuzz"
TEST_FILES = [
    "tests/unit/test_records_fuzz.py",
    "tests/unit/search/test_query_fuzz.py",
    "tests/web/test_search_fuzz.py",
    "tests/web/test_tips_fuzz.py",
]
# The rows the hypothesis tests must feed, in table order; a check that recorded nothing
# did not run, which is a failure too.
CHECKS = [
    "hypothesis: record importer",
    "hypothesis: search query parser",
    "hypothesis: tip form",
    "hypothesis: tip follow-up",
]


def summed_figures(figures: list[str]) -> str:
    """The "<label> x<count>" counts of a check's properties added up (tests.fuzzkit.Tally)."""
    counts: Counter[str] = Counter()
    for text in figures:
        for label, count in re.findall(r"([\w-]+) x(\d+)", text):
            counts[label] += int(count)
    statuses = {label: n for label, n in counts.items() if label.isdigit()}
    others = {label: n for label, n in counts.items() if not label.isdigit()}
    parts = [f"{len(figures)} properties"] if len(figures) > 1 else []
    if statuses:
        parts.append("HTTP " + ", ".join(f"{s} x{n:,}" for s, n in sorted(statuses.items())))
        parts.append(f"5xx: {sum(n for s, n in statuses.items() if int(s) >= 500)}")
    if others:
        parts.append(", ".join(f"{label} {n:,}" for label, n in sorted(others.items())))
    return "; ".join(parts)


def run_hypothesis(work: Path, scale: int, database_url: str | None) -> tuple[list[Row], float]:
    counts = work / "counts.jsonl"
    counts.unlink(missing_ok=True)
    env = {
        **os.environ,
        "PORTAL_VERIFY_COUNTS": str(counts),
        SCALE_VARIABLE: str(scale),
        "PORTAL_TEST_DATABASE_URL": database_url or "",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "--hypothesis-show-statistics", *TEST_FILES,
    ]  # fmt: skip
    print(f"$ {' '.join(command[1:])}  ({SCALE_VARIABLE}={scale}, ", end="")
    print(f"{'PostgreSQL' if database_url else 'SQLite'})", flush=True)
    started = time.monotonic()
    log = work / "pytest.log"
    with log.open("wb") as handle:
        # Our own interpreter and fixed arguments.
        result = subprocess.run(  # noqa: S603
            command, cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    wall = time.monotonic() - started
    output = log.read_text(errors="replace")
    summary = [line for line in output.splitlines() if line.strip()][-12:]
    print("\n".join(summary))
    print(f"pytest exit code {result.returncode}, wall {wall:.0f} s, log {log}\n")

    tried: dict[str, int] = defaultdict(int)
    failures: dict[str, int] = defaultdict(int)
    figures: dict[str, list[str]] = defaultdict(list)
    for line in verifycount.read(counts):
        check = str(line["check"])
        tried[check] += int(str(line["tried"]))
        failures[check] += int(str(line["failures"]))
        if line.get("figures"):
            figures[check].append(str(line["figures"]))
    rows = []
    for check in CHECKS:
        if check not in tried:
            rows.append(Row(PART, check, None, 1, "not run (see the pytest log)"))
            continue
        shown = summed_figures(figures[check])
        rows.append(Row(PART, check, tried[check], failures[check], shown))
    if result.returncode != 0 and not any(row.failures for row in rows):
        # A failure the counts do not show: a plain test in these files, or collection.
        rows.append(Row(PART, "hypothesis: the fuzz test files", None, 1, "pytest failed"))
    return rows, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="normal counts, 30 s of atheris")
    parser.add_argument("--keep", type=Path, help="keep the work folder (logs, corpus) here")
    parser.add_argument("--seconds", type=int, help="atheris time (default 300, --quick 30)")
    parser.add_argument("--scale", type=int, help="example count multiplier (default 10, quick 1)")
    parser.add_argument("--sqlite", action="store_true", help="hypothesis on SQLite even in full")
    args = parser.parse_args()
    seconds = args.seconds or (30 if args.quick else 300)
    scale = args.scale or (1 if args.quick else 10)
    use_postgres = not (args.quick or args.sqlite)

    started = time.monotonic()
    with work_folder("recognise_verify_fuzz_", args.keep) as work:
        print(f"Fuzz: work folder {work}\n")
        if use_postgres:
            with throwaway_postgres("recognise_verify_fuzz") as database_url:
                rows, hypothesis_wall = run_hypothesis(work, scale, database_url)
        else:
            rows, hypothesis_wall = run_hypothesis(work, scale, None)

        print(f"atheris: {seconds} s on the image handling", flush=True)
        report = fuzz_images.run(seconds, work / "atheris")
        fuzz_images.print_report(report)
        check = f"atheris: image handling, {seconds} s"
        if report.executions is None:
            rows.append(Row(PART, check, None, max(1, report.failures), "did not run"))
        else:
            figures = f"{report.figures()}; wall {report.wall_seconds:.0f} s"
            rows.append(Row(PART, check, report.executions, report.failures, figures))
    total = time.monotonic() - started
    print(
        f"\nwall time: hypothesis {hypothesis_wall:.0f} s, atheris {report.wall_seconds:.0f} s, "
        f"total {total:.0f} s"
    )
    save_rows(SLUG, rows)
    print_rows("Fuzzing" + (" (quick)" if args.quick else ""), rows)
    return 1 if any(not row.passed for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
