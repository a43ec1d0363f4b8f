"""Counts for `make verify`: what a security or fuzz test tried and how much of it failed."""

from __future__ import annotations

import json
import os
from pathlib import Path

# `scripts/verify_*.py` set this to a JSON Lines file; under a plain `make test` it is unset.
COUNTS_FILE = os.environ.get("PORTAL_VERIFY_COUNTS")


def record(check: str, tried: int, failures: int, figures: str = "") -> None:
    """Add one line for the summary table. Call it before asserting, so failures are counted too."""
    if not COUNTS_FILE:
        return
    line = {"check": check, "tried": tried, "failures": failures, "figures": figures}
    with Path(COUNTS_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def read(path: Path) -> list[dict[str, object]]:
    """The lines recorded into `path`, in order (same check recorded twice: both kept)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
