"""Issue 18 (item 6): the bureau's enterprise directory over 100,000 enterprises, each with an application.

    BENCH_DATABASE_URL=postgres://…/kd_bench_directory .venv/bin/python bench/bench_directory.py [--enterprises N]

Seeds N enterprises (unless BENCH_KEEP_DATABASE=1 and some exist) (default 100,000) with one Changjiang application each and a loan for every second one,
then requests the directory as the program's bureau staff through Django's test client: the first page, a
deep page, a name search, a credit-code search and one enterprise's page. Prints the median of 15 warm
requests, the query count, and the plan of the credit-code search.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from decimal import Decimal

from common import setup_django

REPEAT = 15


def seed(count: int) -> None:
    from django.db import transaction

    from applications.credit_code import check_character
    from applications.models import Application, Enterprise, ProgramVersion
    from loans.models import Bank, Loan

    version = ProgramVersion.objects.get(program__code="changjiang", code="2025")
    bank = Bank.objects.create(code="bench-bank", name="基准银行")
    with transaction.atomic():
        firms = []
        for i in range(count):
            first17 = f"91360202MA{i:07d}"
            firms.append(
                Enterprise(
                    credit_code=first17 + check_character(first17),
                    name=f"景德镇基准科技有限公司{i:06d}",
                    registered_region="江西省景德镇市昌江区",
                )
            )
        Enterprise.objects.bulk_create(firms, batch_size=5000)
        ids = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
        Application.objects.bulk_create(
            (
                Application(
                    reference=f"B-{i:07d}",
                    program_version=version,
                    enterprise_id=pk,
                    bank=bank,
                    amount=Decimal("1000000.00"),
                    term_months=12,
                    state="bureau_review",
                )
                for i, pk in enumerate(ids)
            ),
            batch_size=5000,
        )
        day = dt.date(2026, 3, 1)
        Loan.objects.bulk_create(
            (
                Loan(
                    program_version=version,
                    enterprise_id=pk,
                    bank=bank,
                    contract_no=f"HT-{i:07d}",
                    contract_date=day,
                    disbursement_date=day,
                    maturity_date=day + dt.timedelta(days=365),
                    principal=Decimal("1000000.00"),
                    annual_rate=Decimal("3.4500"),
                )
                for i, pk in enumerate(ids)
                if i % 2 == 0
            ),
            batch_size=5000,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def measure(client, url: str) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    times = []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, len(queries), response.status_code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    args = parser.parse_args()
    setup_django("directory")
    from django.db import connection
    from django.test import Client

    from applications.models import Enterprise, Program
    from kedaitong.models import User
    from kedaitong.roles import Role
    from reports.directory import enterprise_search

    if not Enterprise.objects.exists():  # BENCH_KEEP_DATABASE=1 measures the data seeded before
        started = time.perf_counter()
        seed(args.enterprises)
        print(f"seeded {args.enterprises:,} enterprises in {time.perf_counter() - started:.0f} s")
    staff, _ = User.objects.get_or_create(
        username="bench-staff",
        role=Role.BUREAU_STAFF,
        program=Program.objects.get(code="changjiang"),
    )
    client = Client()
    client.force_login(staff)
    one = Enterprise.objects.order_by("pk")[args.enterprises // 2]
    code = one.credit_code
    pages = args.enterprises // 50
    rows = [
        # The anchor: a page with the same header and menu (its queue count) and nothing else.
        ("anchor: the password page, same menu", "/accounts/password_change/"),
        ("first page", "/reports/enterprises/"),
        (f"page {pages} (the last)", f"/reports/enterprises/?page={pages}"),
        ("name, a part (matches 1)", f"/reports/enterprises/?q={one.name[-8:]}"),
        ("name, a common part (matches all)", "/reports/enterprises/?q=基准科技"),
        ("credit code, 17 first characters", f"/reports/enterprises/?q={code[:17]}"),
        ("credit code, 12 first characters", f"/reports/enterprises/?q={code[:12]}"),
        ("one enterprise's page", f"/reports/enterprises/{one.public_id}/"),
    ]
    print(f"| {connection.vendor}, {args.enterprises:,} enterprises | median (ms) | queries |")
    print("| --- | --- | --- |")
    for label, url in rows:
        median, queries, status = measure(client, url)
        assert status == 200, (url, status)
        print(f"| {label} | {median:.0f} | {queries} |")
    if connection.vendor == "postgresql":
        qs = enterprise_search(user=staff, query=code[:12])
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + sql + " LIMIT 50", params)
            print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
