"""Property-test plumbing: example counts raised for `make verify`, and what each run tried."""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis.errors import UnsatisfiedAssumption

from tests import verifycount

# `scripts/verify_fuzz.py` multiplies every fuzz test's example count by this; a plain
# `make test` leaves it at 1 so the suite stays fast.
SCALE_VARIABLE = "PORTAL_FUZZ_SCALE"
Test = TypeVar("Test", bound=Callable[..., Any])


def scale() -> int:
    value = os.environ.get(SCALE_VARIABLE, "").strip()
    return max(1, int(value)) if value.isdigit() else 1


def fuzz_settings(max_examples: int) -> settings:
    """`max_examples` (times the verify scale), no deadline, fixtures reused across examples."""
    return settings(
        max_examples=max_examples * scale(),
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


@dataclass
class Tally:
    """Examples a property test ran, how they ended and the distinct ways they failed.

    Counts in `figures` are written "<label> x<count>", which scripts/verify_fuzz.py adds up.
    """

    tried: int = 0
    failing: int = 0  # failing examples, shrinking included
    kinds: set[str] = field(default_factory=set)  # distinct failures: type and where raised
    statuses: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.tried = self.failing = 0
        self.kinds.clear()
        self.statuses.clear()
        self.outcomes.clear()

    def figures(self) -> str:
        parts = [f"{self.tried:,} examples"]
        if self.statuses:
            shown = ", ".join(f"{code} x{count}" for code, count in sorted(self.statuses.items()))
            parts.append(f"HTTP {shown}")
            parts.append(f"5xx: {sum(c for s, c in self.statuses.items() if s >= 500)}")
        if self.outcomes:
            parts.append(", ".join(f"{name} x{n}" for name, n in sorted(self.outcomes.items())))
        if self.failing:
            parts.append(f"{self.failing} failing examples while shrinking")
        return "; ".join(parts)


_running: list[Tally] = []


def note_status(status: int) -> None:
    """Count an HTTP status the running property test was answered with."""
    if _running:
        _running[-1].statuses[status] += 1


def note_outcome(name: str) -> None:
    """Count how an example of the running property test ended ("imported", "refused")."""
    if _running:
        _running[-1].outcomes[name] += 1


def _kind(exc: BaseException) -> str:
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else "?"
    return f"{type(exc).__name__} at {where}"


def counted(check: str) -> Callable[[Test], Test]:
    """Record how many examples a `@given` test ran and how many distinct failures it found.

    Goes above `@given`. The count is recorded when the run ends, before pytest reports it,
    so a failing run is counted too.
    """

    def decorate(test: Test) -> Test:
        hypothesis_attrs = test.hypothesis  # type: ignore[attr-defined]
        inner = hypothesis_attrs.inner_test
        tally = Tally()

        @functools.wraps(inner)
        def counting(*args: Any, **kwargs: Any) -> Any:
            tally.tried += 1
            try:
                return inner(*args, **kwargs)
            except UnsatisfiedAssumption:
                raise
            except Exception as exc:
                tally.failing += 1
                tally.kinds.add(_kind(exc))
                raise

        hypothesis_attrs.inner_test = counting

        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> Any:
            tally.reset()
            _running.append(tally)
            try:
                return test(*args, **kwargs)
            finally:
                _running.pop()
                verifycount.record(check, tally.tried, len(tally.kinds), tally.figures())

        return run  # type: ignore[return-value]

    return decorate
