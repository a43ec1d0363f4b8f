"""`make verify`, part 5: the backup and restore drill on SQLite and on PostgreSQL.

Usage: .venv/bin/python scripts/verify_backup.py [--quick]
Runs tests/web/test_backup.py (back up a portal with cases, tips, photos and a moderator, restore
it into an empty one, compare the API, pages, images, decrypted tips and attachments) once on
SQLite and once in a throwaway PostgreSQL database. --quick is the same drill: it is fast.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from verifykit import Row, print_rows, rows_from_counts, save_rows, throwaway_postgres

from portal.config import PROJECT_ROOT

PART = "Backup"
DRILL = "tests/web/test_backup.py"


def run_drill(label: str, database_url: str, work: Path) -> list[Row]:
    counts = work / f"counts-{label}.jsonl"
    junit = work / f"junit-{label}.xml"
    env = dict(os.environ, PORTAL_VERIFY_COUNTS=str(counts), PORTAL_TEST_DATABASE_URL=database_url)
    command = [sys.executable, "-m", "pytest", DRILL, "-q", "-p", "no:cacheprovider"]
    command += [f"--junitxml={junit}"]
    print(f"\n-- the drill on {label}", flush=True)
    started = time.monotonic()
    # Our own interpreter and a fixed test file.
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=False)  # noqa: S603
    seconds = time.monotonic() - started
    rows = rows_from_counts(PART, counts)
    tests = failed = 0
    if junit.exists():
        suite = ET.parse(junit).getroot()  # noqa: S314 - pytest's own report, just written
        suite = suite if suite.tag == "testsuite" else suite[0]
        tests = int(suite.get("tests", 0))
        failed = sum(int(suite.get(kind, 0)) for kind in ("failures", "errors"))
    rows.append(
        Row(
            PART,
            f"backup and restore tests ({label}): refusals, S3 source, no half-written folder",
            tests,
            failed if tests else 1,
            f"{seconds:.0f} s",
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="the same drill (it is fast)")
    parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="recognise-verify-backup-") as name:
        work = Path(name)
        rows += run_drill("SQLite", "", work)
        with throwaway_postgres() as url:
            rows += run_drill("PostgreSQL", url, work)
    save_rows("backup", rows)
    print_rows("Backup and restore", rows)
    sys.exit(0 if all(row.passed for row in rows) else 1)


if __name__ == "__main__":
    main()
