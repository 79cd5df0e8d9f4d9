"""Shared set-up for benchmarks: a throw-away SQLite database, migrated, and timing helpers.

Run benchmarks as scripts (`.venv/bin/python bench/bench_export.py`), or all with `make bench`.
Set BENCH_DATABASE_URL to measure on PostgreSQL instead.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django(name: str) -> None:
    """Point Django at a fresh database for this benchmark and migrate it."""
    url = (
        os.environ.get("BENCH_DATABASE_URL")
        or f"sqlite:///{Path(tempfile.gettempdir()) / f'kedaitong-bench-{name}.sqlite3'}"
    )
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kedaitong.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    result: dict[str, float] = {}
    start = time.perf_counter()
    yield result
    result["seconds"] = time.perf_counter() - start


def report(name: str, value: str, target: str) -> None:
    """One row of the benchmark table: | measure | value | target |."""
    print(f"| {name} | {value} | {target} |", flush=True)
