"""`make verify`: run the proof parts (backup, attack, fuzz, faults, surge) and print one table.

Usage: .venv/bin/python scripts/verify.py [--quick] [--parts backup,attack,...] [--readme]
       .venv/bin/python scripts/verify.py --collect [--readme]
Each part is `scripts/verify_<part>.py`; it prints its own report and leaves its rows in
build/verify/<part>.json. This script runs them one after another (they measure, so they must
not share the machine), then prints the rows of all of them. It exits 1 if any check failed or
any part did not finish. --readme writes the table into README.md between its markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

from verifykit import RESULTS_DIR, Row, load_rows, render_table

from portal.config import PROJECT_ROOT

PARTS = ("backup", "attack", "fuzz", "faults", "surge")
PART_TITLES = {
    "backup": "Backup",
    "attack": "Attack",
    "fuzz": "Fuzz",
    "faults": "Faults",
    "surge": "Surge",
}
README = PROJECT_ROOT / "README.md"
START_MARKER = "<!-- verify:start -->"
END_MARKER = "<!-- verify:end -->"


def run_part(slug: str, quick: bool) -> tuple[int, float]:
    """Run one part in its own interpreter; its output goes straight to ours."""
    (RESULTS_DIR / f"{slug}.json").unlink(missing_ok=True)
    command = [sys.executable, str(PROJECT_ROOT / "scripts" / f"verify_{slug}.py")]
    if quick:
        command.append("--quick")
    print(f"\n==== {PART_TITLES[slug]}: {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    # Parts import the test kits (tests.*) as well as the portal.
    path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)
    # Our own interpreter and scripts, with flags from a fixed list.
    completed = subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=False)  # noqa: S603
    return completed.returncode, time.monotonic() - started


def stamp(slug: str, mode: str, seconds: float) -> None:
    """Note in a part's saved rows how it ran, for a later --collect to say."""
    path = RESULTS_DIR / f"{slug}.json"
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        data.update(mode=mode, seconds=round(seconds))
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def how_it_ran(slug: str) -> str:
    path = RESULTS_DIR / f"{slug}.json"
    if not path.exists():
        return f"{slug} not run"
    data = json.loads(path.read_text(encoding="utf-8"))
    return f"{slug} {data.get('mode', '?')} {data.get('seconds', '?')} s ({data['finished']})"


def summary(slug: str, code: int, seconds: float) -> list[Row]:
    rows = load_rows(slug)
    if not rows:
        # A part that crashed or was killed wrote nothing: that is a failure, never a blank.
        return [Row(PART_TITLES[slug], "part did not finish", None, 1, f"exit {code}")]
    if code != 0 and all(row.passed for row in rows):
        rows.append(Row(PART_TITLES[slug], "part exited with an error", None, 1, f"exit {code}"))
    return rows


def write_readme(table: str, heading: str) -> None:
    text = README.read_text(encoding="utf-8")
    start = text.find(START_MARKER)
    end = text.find(END_MARKER)
    if start < 0 or end < start:
        raise SystemExit(f"README.md has no {START_MARKER} … {END_MARKER} block")
    block = f"{START_MARKER}\n{heading}\n\n{table}\n{END_MARKER}"
    README.write_text(text[:start] + block + text[end + len(END_MARKER) :], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="the fast subset of each part (CI)")
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated parts to run")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    parser.add_argument(
        "--collect",
        action="store_true",
        help="run nothing: tabulate the latest saved rows of the parts (run at different times)",
    )
    args = parser.parse_args()
    chosen = [name.strip() for name in args.parts.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in PARTS]
    if unknown or not chosen:
        parser.error(f"--parts takes a comma-separated list of {', '.join(PARTS)}")

    rows: list[Row] = []
    timings: list[str] = []
    mode = "quick" if args.quick else "full"
    for slug in PARTS:
        if slug not in chosen:
            continue
        if args.collect:
            saved = load_rows(slug)
            rows.extend(saved or [Row(PART_TITLES[slug], "part not run", None, 1)])
            timings.append(how_it_ran(slug))
            continue
        code, seconds = run_part(slug, args.quick)
        stamp(slug, mode, seconds)
        rows.extend(summary(slug, code, seconds))
        timings.append(f"{slug} {seconds:.0f} s")

    table = render_table(rows)
    failed = [row for row in rows if not row.passed]
    if args.collect:
        heading = (
            f"`make verify`, parts run separately on {os.cpu_count()} CPUs, Python"
            f" {platform.python_version()}: {'; '.join(timings)}."
        )
    else:
        heading = (
            f"`make verify` ({mode}), {time.strftime('%Y-%m-%d', time.gmtime())}:"
            f" {os.cpu_count()} CPUs, Python {platform.python_version()};"
            f" wall time {', '.join(timings)}."
        )
    print(f"\n==== Summary\n\n{heading}\n\n{table}\n")
    print(f"{len(rows)} checks, {len(failed)} failed.")
    if args.readme:
        write_readme(table, heading)
        print("README.md updated.")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
