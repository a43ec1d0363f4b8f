"""Shared parts of the `make verify` scripts: result rows, a throwaway portal, gunicorn."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.config import PROJECT_ROOT, Settings
from portal.crypto import new_key

# Where each part leaves its rows (one JSON file a part) for `scripts/verify.py` to tabulate.
RESULTS_DIR = PROJECT_ROOT / "build" / "verify"
# The server the PostgreSQL parts create their throwaway databases on.
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Row:
    """One line of the summary table: a check, how many attempts it made, how many failed."""

    part: str  # "Surge", "Faults", "Attack", "Fuzz", "Backup"
    check: str  # what was tried, in plain words
    tried: int | None  # attempts (requests, payloads, kills, inputs); None when not countable
    failures: int  # what must be 0
    figures: str = ""  # the measured figures: "412 req/s, p95 180 ms"

    @property
    def passed(self) -> bool:
        return self.failures == 0


def save_rows(slug: str, rows: list[Row], out: Path = RESULTS_DIR) -> Path:
    """Write a part's rows to `out/<slug>.json` (replacing the previous run's)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{slug}.json"
    payload = {"part": slug, "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    payload["rows"] = [asdict(row) for row in rows]  # type: ignore[assignment]
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_rows(slug: str, out: Path = RESULTS_DIR) -> list[Row]:
    path = out / f"{slug}.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Row(**row) for row in data["rows"]]


def rows_from_counts(part: str, path: Path, prefix: str = "") -> list[Row]:
    """Rows from the lines tests recorded (tests/verifycount.py).

    One row a check, in first-seen order: tried and failures summed, distinct figures joined.
    """
    totals: dict[str, tuple[int, int, list[str]]] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    for text_line in filter(None, lines):
        line = json.loads(text_line)
        tried, failures, figures = totals.get(str(line["check"]), (0, 0, []))
        figure = str(line.get("figures") or "")
        if figure and figure not in figures:
            figures.append(figure)
        totals[str(line["check"])] = (
            tried + int(line["tried"]),
            failures + int(line["failures"]),
            figures,
        )
    return [
        Row(part, prefix + check, tried, failures, "; ".join(figures))
        for check, (tried, failures, figures) in totals.items()
    ]


def render_table(rows: list[Row]) -> str:
    """A Markdown table: readable in a terminal and pasted as is into the README."""
    header = ["Part", "Check", "Tried", "Failures", "Figures", "Result"]
    lines = [header]
    for row in rows:
        tried = "–" if row.tried is None else f"{row.tried:,}"
        result = "pass" if row.passed else "FAIL"
        lines.append([row.part, row.check, tried, str(row.failures), row.figures, result])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |")
        if index == 0:
            out.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(out)


def print_rows(title: str, rows: list[Row]) -> None:
    print(f"\n{title}\n")
    print(render_table(rows))


# -- a throwaway portal ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_admin_url() -> str:
    """The PostgreSQL server to create throwaway databases on (its `postgres` database)."""
    given = os.environ.get("PORTAL_VERIFY_POSTGRES_URL") or os.environ.get(
        "PORTAL_TEST_DATABASE_URL"
    )
    if not given:
        return DEFAULT_POSTGRES
    return make_url(given).set(database="postgres").render_as_string(hide_password=False)


@contextmanager
def throwaway_postgres(prefix: str = "recognise_verify") -> Iterator[str]:
    """A new empty PostgreSQL database for one run, dropped afterwards (even if still in use)."""
    admin_url = postgres_admin_url()
    name = f"{prefix}_{secrets.token_hex(4)}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        yield url
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@contextmanager
def work_folder(prefix: str, keep: Path | None = None) -> Iterator[Path]:
    """A temporary folder for a run's media, index and logs; `keep` names one to leave behind."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


def production_settings(work: Path, database_url: str, **overrides: Any) -> Settings:
    """The settings the README's deployment section gives, on a work folder of this run's."""
    settings = Settings(
        env="production",
        secret_key=secrets.token_hex(32),
        database_url=database_url,
        media_url=f"file://{work / 'media'}",
        search_dir=str(work / "search"),
        tip_encryption_key=new_key(),
        proxy_hops=1,
    )
    settings = replace(settings, **overrides)
    settings.check()
    return settings


def prepare_portal(settings: Settings) -> Flask:
    """Migrate, load the demo cases and build the search index, as `make run` does."""
    app = create_app(settings)
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["demo", "load", "--if-empty"], ["search", "sync"]):
        result = runner.invoke(args=args)
        if result.exit_code != 0:
            raise SystemExit(f"flask {' '.join(args)} failed:\n{result.output}")
    return app


def server_environment(
    settings: Settings, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    # Inherited PORTAL_* settings (a raised rate limit, say) must not change what is measured.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    # Every setting, as Settings.from_env reads it back: an override given to
    # production_settings (a raised tip limit, an SMTP server) must reach the server too.
    for name, value in asdict(settings).items():
        if value is not None and name != "testing":
            env[f"PORTAL_{name.upper()}"] = str(value)
    env.update(extra or {})
    return env


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def wait_until_healthy(base_url: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as reply:  # noqa: S310
                if reply.status == 200:
                    return True
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    return False


def start_gunicorn(
    settings: Settings,
    log: Path,
    *,
    workers: int = 4,
    threads: int = 1,
    port: int | None = None,
    extra_env: Mapping[str, str] | None = None,
    extra_args: list[str] | None = None,
) -> Server:
    """gunicorn serving app:app as the README's deployment section starts it, on loopback only."""
    port = port or free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
        "--access-logformat", '%(t)s "%(r)s" %(s)s %(b)s %(M)sms', *(extra_args or []), "app:app",
    ]  # fmt: skip
    with log.open("ab") as handle:
        # Our own interpreter and fixed arguments: nothing here comes from outside the script.
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=PROJECT_ROOT,
            env=server_environment(settings, extra_env),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    return Server(port, process, log)


def stop(server: Server) -> None:
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def served(settings: Settings, log: Path, **options: Any) -> Iterator[Server]:
    """gunicorn for the length of a `with` block; fails loudly if it never becomes healthy."""
    server = start_gunicorn(settings, log, **options)
    try:
        if not wait_until_healthy(server.base_url):
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise SystemExit(f"gunicorn did not become healthy:\n{tail}")
        yield server
    finally:
        stop(server)
