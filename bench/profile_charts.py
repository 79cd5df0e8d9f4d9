"""Issue 20: each dashboard chart and home-page figure timed on its own over the large dataset (bench/seed.py).

    DEBUG=false .venv/bin/python bench/profile_charts.py

Prints, per user, the median milliseconds of each function (warm, BENCH_REPEAT times) and its query count,
to find which part of a home page or the dashboard is slow.
"""

from __future__ import annotations

import os
import statistics
import time

from bench_pages import setup

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def timed(fn) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    times = []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, len(queries)


def main() -> None:
    setup()
    from applications.models import Program
    from kedaitong.models import User
    from loans.models import Bank
    from reports import dashboard as d

    clerk, _ = User.objects.get_or_create(
        username="bench-clerk",
        defaults={"role": "bureau_staff", "program": Program.objects.get(code="changjiang")},
    )
    bank, _ = User.objects.get_or_create(
        username="bench-bank", defaults={"role": "bank", "bank": Bank.objects.get(code="bank-01")}
    )
    f = d.default_filters()
    for user in (clerk, bank):
        print(f"## {user.username}")
        for name, fn in [
            ("tally_totals", lambda u=user: d.tally_totals(u)),
            ("applications_by_state", lambda u=user: d.applications_by_state(u, f)),
            ("applications_by_month", lambda u=user: d.applications_by_month(u, filters=f)),
            ("review_stage_days", lambda u=user: d.review_stage_days(u, f)),
            ("principal_by_bank", lambda u=user: d.principal_by_bank(u, f)),
            ("principal_by_tech_field", lambda u=user: d.principal_by_tech_field(u, f)),
            ("delinquency", lambda u=user: d.delinquency(u, filters=f)),
            ("kind_charts", lambda u=user: d.kind_charts(u, f)),
            ("compensation_budgets", lambda u=user: d.compensation_budgets(u, f)),
            ("charts_for (all)", lambda u=user: d.charts_for(u, f)),
        ]:
            ms, queries = timed(fn)
            print(f"{name:28} {ms:8.1f} ms  {queries} queries")


if __name__ == "__main__":
    main()
