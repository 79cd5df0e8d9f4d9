"""Issue 9: page medians and query counts over the large dataset (seeded once by bench/seed.py).

Each page is requested through Django's test client (no network), warm, N times;
the table shows the median, the query count, and the target where an issue sets one.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import report
from seed import (
    APPLICATIONS,
    ENTERPRISES,
    LOANS,
    SETTLEMENTS_PER_LOAN,
    large_database,
    seeding_seconds,
)

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))


def setup() -> None:
    copy = Path(tempfile.mkdtemp()) / "pages.sqlite3"
    shutil.copy(large_database(), copy)
    os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kedaitong.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()


def measure(client, url: str) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches and the process
    times = []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, len(queries), response.status_code


def pages() -> list[tuple[str, str, Callable[[], str], str]]:
    """(label, username, url builder, target)."""
    from applications.models import Application

    def first_application() -> str:
        return f"/applications/{Application.objects.filter(program_version__program__code='changjiang').first().public_id}/"

    queue = "Review queue page, bureau clerk"
    return [
        (
            f"{queue}, 10 per page",
            "bench-clerk",
            lambda: "/review/queue/?size=10",
            "< 100 ms, ≤ 15 queries",
        ),
        (
            f"{queue}, 100 per page",
            "bench-clerk",
            lambda: "/review/queue/?size=100",
            "< 100 ms, same queries",
        ),
        (
            f"{queue}, sorted by amount, page 40",
            "bench-clerk",
            lambda: "/review/queue/?sort=-amount&page=40",
            "< 100 ms, same queries",
        ),
        (
            f"{queue}, search by name",
            "bench-clerk",
            lambda: "/review/queue/?q=基准科技有限公司0042",
            "< 100 ms, same queries",
        ),
        (
            "Review queue page, bank",
            "bench-bank",
            lambda: "/review/queue/",
            "< 100 ms, ≤ 15 queries",
        ),
        ("Public publicity page (no login)", "", lambda: "/publicity/", "—"),
        ("Home page, bureau clerk (100,000 applications)", "bench-clerk", lambda: "/", ""),
        ("Loans ledger page, bureau clerk", "bench-clerk", lambda: "/reports/ledgers/loans/", ""),
        (
            "Loans ledger page, filtered by bank and date",
            "bench-clerk",
            lambda: "/reports/ledgers/loans/?bank=bank-01&date_from=2025-03-01&date_to=2025-06-30",
            "",
        ),
        ("Dashboard, bureau clerk", "bench-clerk", lambda: "/reports/dashboard/", ""),
        ("Application page", "bench-clerk", first_application, "< 100 ms"),
    ]


def main() -> None:
    setup()
    from django.test import Client

    from applications.models import Program
    from kedaitong.models import User
    from loans.models import Bank

    report(
        f"Seeding the large dataset ({ENTERPRISES:,} enterprises, {APPLICATIONS:,} applications, {LOANS:,} loans, "
        f"{LOANS * SETTLEMENTS_PER_LOAN:,} interest settlements; SQLite, cached between runs)",
        f"{seeding_seconds()} s",
        "—",
    )
    User.objects.get_or_create(
        username="bench-clerk",
        defaults={"role": "bureau_staff", "program": Program.objects.get(code="changjiang")},
    )
    User.objects.get_or_create(
        username="bench-bank", defaults={"role": "bank", "bank": Bank.objects.get(code="bank-01")}
    )
    for label, username, url, target in pages():
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        median, queries, status = measure(client, url())
        report(label, f"median {median:.0f} ms, {queries} queries (HTTP {status})", target or "—")


if __name__ == "__main__":
    main()
