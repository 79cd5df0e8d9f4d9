"""Shared set-up for benchmarks: a throw-away database, migrated, timing and memory helpers, and the table's rows.

Run benchmarks as scripts (`.venv/bin/python bench/bench_export.py`), or all with `make bench`.
Set BENCH_DATABASE_URL to measure on PostgreSQL instead.

Every row of the table may name an anchor: what a user would compare the figure with, measured in
the same run on the same data (a trivial Django view, Django admin's changelist, WeasyPrint's blank
page, python-calamine reading, xlsxwriter writing). The row prints the ratio to it, and says so when
it loses (takes longer than its anchor).
"""

from __future__ import annotations

import atexit
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = (
    "| measure | result | target | anchor (same run, same data) | ratio to the anchor |\n"
    "| --- | --- | --- | --- | --- |"
)


def setup_django(name: str) -> None:
    """Point Django at a fresh database for this benchmark and migrate it.

    The SQLite file lives in a folder of this run's own (removed at exit), so two benchmarks running
    at once on one machine never share or delete each other's database.
    """
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        folder = tempfile.mkdtemp(prefix=f"kedaitong-bench-{name}-")
        atexit.register(shutil.rmtree, folder, True)
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kedaitong.settings")
    if url.startswith("postgres"):
        _create_postgres(url)
    import django
    from django.core.management import call_command

    django.setup()
    if not url.startswith("sqlite") and os.environ.get("BENCH_KEEP_DATABASE") != "1":
        _empty_postgres()
    call_command("migrate", verbosity=0)


def _create_postgres(url: str) -> None:
    """Create the benchmark's PostgreSQL database when it is missing (the role needs CREATEDB)."""
    import psycopg

    base, name = url.split("?")[0].rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def _empty_postgres() -> None:
    """A benchmark on PostgreSQL starts from an empty schema; only a database named *bench* is emptied."""
    from django.db import connection

    if "bench" not in connection.settings_dict["NAME"]:
        raise SystemExit(
            f"BENCH_DATABASE_URL names {connection.settings_dict['NAME']!r}: a benchmark empties its "
            "database, so its name must contain 'bench'"
        )

    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak_rss() -> None:
    """Start counting the peak anew from the present size (Linux ≥ 4.0), so a peak belongs to what follows.

    Without it the peak would be the whole process's, seeding included.
    """
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    result: dict[str, float] = {}
    start = time.perf_counter()
    yield result
    result["seconds"] = time.perf_counter() - start


@dataclass(frozen=True)
class Anchor:
    """What a figure is compared with: a label and its time in this run."""

    label: str
    seconds: float

    def __str__(self) -> str:
        return f"{self.label}: {duration(self.seconds)}"


def duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(seconds: float, anchor: Anchor) -> str:
    """How many times the anchor's time the figure takes; a figure above 1× loses to its anchor and says so."""
    times = seconds / anchor.seconds
    shown = f"{times:.1f}×" if times >= 10 else f"{times:.2f}×"
    return f"{shown}, **loses to its anchor**" if times > 1 else f"{shown}, beats its anchor"


def report(
    name: str,
    value: str,
    target: str,
    *,
    seconds: float | None = None,
    anchor: Anchor | None = None,
) -> None:
    """One row of the benchmark table: | measure | value | target | anchor | ratio |."""
    if anchor is not None and seconds is not None:
        compared, times = str(anchor), ratio(seconds, anchor)
    else:
        compared, times = "—", "—"
    print(f"| {name} | {value} | {target} | {compared} | {times} |", flush=True)


def report_anchor(anchor: Anchor, detail: str = "") -> None:
    """The anchor's own row, so the table shows what every ratio is taken against."""
    print(
        f"| Anchor: {anchor.label} | {duration(anchor.seconds)}{detail} | — | (is the anchor) | — |",
        flush=True,
    )


TRIVIAL_URL = "/bench/trivial/"


def use_bench_urls() -> None:
    """Serve the portal's URLs plus the trivial view of the anchors (bench/anchor_urls.py), for this process only."""
    from django.conf import settings

    settings.ROOT_URLCONF = "anchor_urls"
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
