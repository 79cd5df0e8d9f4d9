"""Issue 9: page medians and query counts over the large dataset (seeded once by bench/seed.py).

Each page is requested through Django's test client (no network), warm, N times;
the table shows the median, the query count, and the target where an issue sets one.

Issue 20: two anchors are measured in the same run on the same data, and every page row prints its
ratio to one of them: a trivial Django view (login required, a few bytes of text: what any logged-in
page costs here) and Django admin's changelist of the same 100,000 applications (the list pages).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import TRIVIAL_URL, Anchor, report, report_anchor, use_bench_urls
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
    """Django on a copy of the cached large dataset, or on the database file BENCH_PAGES_DB names (used as it is:
    bench/profile_pages.py on a copy made once)."""
    copy = os.environ.get("BENCH_PAGES_DB")
    if not copy:
        copy = str(Path(tempfile.mkdtemp()) / "pages.sqlite3")
        shutil.copy(large_database(), copy)
    os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kedaitong.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    use_bench_urls()


def measure(client, url: str) -> tuple[float, int, int]:
    """Median milliseconds, the query count of the last request, and its status."""
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


TRIVIAL, CHANGELIST = "trivial", "changelist"


def pages() -> list[tuple[str, str, Callable[[], str], str, str]]:
    """(label, username, url builder, target, anchor)."""
    from applications.models import Application

    def first_application() -> str:
        return f"/applications/{Application.objects.filter(program_version__program__code='changjiang').first().public_id}/"

    queue = "Review queue page, bureau clerk"
    return [
        (
            f"{queue}, 10 per page",
            "bench-clerk",
            lambda: "/review/queue/?size=10",
            "< 25 ms, ≤ 15 queries",
            CHANGELIST,
        ),
        (
            f"{queue}, 100 per page",
            "bench-clerk",
            lambda: "/review/queue/?size=100",
            "< 25 ms, same queries",
            CHANGELIST,
        ),
        (
            f"{queue}, sorted by amount, page 40",
            "bench-clerk",
            lambda: "/review/queue/?sort=-amount&page=40",
            "< 25 ms, same queries",
            CHANGELIST,
        ),
        (
            f"{queue}, search by name",
            "bench-clerk",
            lambda: "/review/queue/?q=基准科技有限公司0042",
            "< 25 ms, same queries",
            CHANGELIST,
        ),
        (
            f"{queue}, search by a word every name holds",
            "bench-clerk",
            lambda: "/review/queue/?q=基准科技",
            "< 25 ms, same queries",
            CHANGELIST,
        ),
        (
            "Review queue page, bank",
            "bench-bank",
            lambda: "/review/queue/",
            "< 25 ms, ≤ 15 queries",
            CHANGELIST,
        ),
        ("Public publicity page (no login)", "", lambda: "/publicity/", "—", TRIVIAL),
        (
            f"Home page, bureau clerk ({APPLICATIONS:,} applications, {LOANS:,} loans)",
            "bench-clerk",
            lambda: "/",
            "< 150 ms",
            TRIVIAL,
        ),
        (
            "Loans ledger page, bureau clerk",
            "bench-clerk",
            lambda: "/reports/ledgers/loans/",
            "",
            CHANGELIST,
        ),
        (
            "Loans ledger page, filtered by bank and date",
            "bench-clerk",
            lambda: "/reports/ledgers/loans/?bank=bank-01&date_from=2025-03-01&date_to=2025-06-30",
            "",
            CHANGELIST,
        ),
        (
            "Dashboard, bureau clerk",
            "bench-clerk",
            lambda: "/reports/dashboard/",
            "< 150 ms",
            TRIVIAL,
        ),
        ("Application page", "bench-clerk", first_application, "< 100 ms", TRIVIAL),
        # Issue 20 item 1: every role's home page and the dashboard under 150 ms.
        ("Home page, bank", "bench-bank", lambda: "/", "< 150 ms", TRIVIAL),
        ("Dashboard, bank", "bench-bank", lambda: "/reports/dashboard/", "< 150 ms", TRIVIAL),
        ("Home page, administrator", "bench-superuser", lambda: "/", "< 150 ms", TRIVIAL),
        ("Home page, enterprise", "bench-enterprise", lambda: "/", "< 150 ms", TRIVIAL),
    ]


def bench_users() -> Any:
    """The pages' users (bureau clerk, bank, enterprise, administrator), made once; returns the administrator."""
    from applications.models import Enterprise, Program
    from kedaitong.models import User
    from loans.models import Bank

    User.objects.get_or_create(
        username="bench-clerk",
        defaults={"role": "bureau_staff", "program": Program.objects.get(code="changjiang")},
    )
    User.objects.get_or_create(
        username="bench-bank", defaults={"role": "bank", "bank": Bank.objects.get(code="bank-01")}
    )
    User.objects.get_or_create(
        username="bench-enterprise",
        defaults={"role": "enterprise", "enterprise": Enterprise.objects.order_by("pk").first()},
    )
    superuser, _ = User.objects.get_or_create(
        username="bench-superuser",
        defaults={"role": "admin", "is_staff": True, "is_superuser": True},
    )
    return superuser


def main() -> None:
    setup()
    from django.test import Client

    from kedaitong.models import User

    report(
        f"Seeding the large dataset ({ENTERPRISES:,} enterprises, {APPLICATIONS:,} applications, {LOANS:,} loans, "
        f"{LOANS * SETTLEMENTS_PER_LOAN:,} interest settlements; SQLite, cached between runs)",
        f"{seeding_seconds()} s",
        "—",
    )
    superuser = bench_users()
    anchors = {}
    for key, label, username, url in [
        (TRIVIAL, "trivial Django view", "bench-clerk", TRIVIAL_URL),
        (
            CHANGELIST,
            f"Django admin changelist of the same {APPLICATIONS:,} applications",
            superuser.username,
            "/admin/applications/application/",
        ),
    ]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        median, queries, status = measure(client, url)
        assert status == 200, (url, status)
        anchors[key] = Anchor(label, median / 1000)
        report_anchor(anchors[key], f", {queries} queries (HTTP {status})")
    for label, username, url, target, anchor in pages():
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        median, queries, status = measure(client, url())
        report(
            label,
            f"median {median:.0f} ms, {queries} queries (HTTP {status})",
            target or "—",
            seconds=median / 1000,
            anchor=anchors[anchor],
        )


if __name__ == "__main__":
    main()
