"""The large dataset of issue 9: 20,000 enterprises, 100,000 applications, 100,000 loans, 1,000,000 interest settlements.

`seed_large()` fills the current database with bulk inserts (a few minutes on
SQLite); benchmarks that need it call `large_database()`, which seeds a cached
SQLite file once and reuses it while the migrations are unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from common import ROOT

ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES", "20000"))
APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "100000"))
LOANS = int(os.environ.get("BENCH_LOANS", "100000"))
SETTLEMENTS_PER_LOAN = int(os.environ.get("BENCH_SETTLEMENTS_PER_LOAN", "10"))
BATCH = 5000


def _migrations_digest() -> str:
    digest = hashlib.sha256()
    for path in [*sorted(ROOT.glob("*/migrations/*.py")), Path(__file__)]:
        digest.update(path.read_bytes())
    digest.update(f"{ENTERPRISES}-{APPLICATIONS}-{LOANS}-{SETTLEMENTS_PER_LOAN}".encode())
    return digest.hexdigest()[:12]


def _cache() -> Path:
    return Path(tempfile.gettempdir()) / f"kedaitong-bench-large-{_migrations_digest()}.sqlite3"


def large_database() -> str:
    """Path of a SQLite file holding the large dataset; seeded on first use."""
    cache = _cache()
    if not cache.exists():
        work = cache.with_suffix(".seeding")
        import subprocess
        import sys

        started = time.perf_counter()
        subprocess.run([sys.executable, str(Path(__file__)), str(work)], check=True)
        shutil.move(str(work), str(cache))
        cache.with_suffix(".seconds").write_text(f"{time.perf_counter() - started:.0f}")
    return str(cache)


def large_postgres(url: str) -> str:
    """URL of a PostgreSQL database holding the large dataset, seeded on first use and kept while the
    migrations and this script are unchanged (the digest is the database's comment).

    `url` names the benchmark's database (its name must contain "bench"); the data lives in `<name>_large`,
    which a run copies as a template (`copy_postgres`) rather than using it.
    """
    import subprocess
    import sys

    import psycopg

    base, name = url.rsplit("/", 1)
    if "bench" not in name:
        raise SystemExit(f"{url}: a benchmark database's name must contain 'bench'")
    large = f"{name}_large"
    digest = f"kedaitong-bench-large {_migrations_digest()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [large],
        ).fetchone()
        if row is not None and row[0] == digest:
            return f"{base}/{large}"
        admin.execute(f'DROP DATABASE IF EXISTS "{large}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{large}"')
    started = time.perf_counter()
    subprocess.run([sys.executable, str(Path(__file__)), f"{base}/{large}"], check=True)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"COMMENT ON DATABASE \"{large}\" IS '{digest}'")
    print(f"seeded {large} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return f"{base}/{large}"


def copy_postgres(template_url: str, name: str) -> str:
    """A fresh copy of a seeded database (CREATE DATABASE … TEMPLATE: a file copy, seconds), dropped first if left over."""
    import psycopg

    base, template = template_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"{base}/{name}"


def drop_postgres(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seeding_seconds() -> str:
    """How long seeding the cached large database took, as recorded when it was made."""
    marker = _cache().with_suffix(".seconds")
    return marker.read_text() if marker.exists() else "?"


def seed_large() -> None:
    from django.db import connection, transaction

    from applications.credit_code import check_character
    from applications.models import Application, Enterprise, ProductType, ProgramVersion
    from loans.models import Bank, BankAgreement, InterestSettlement, Loan

    changjiang = ProgramVersion.objects.get(program__code="changjiang", code="2025")
    quzhou = ProgramVersion.objects.get(program__code="quzhou", code="2023")
    products = list(ProductType.objects.all())
    banks = [
        Bank.objects.create(code=f"bank-{i:02d}", name=f"基准银行{i:02d}支行") for i in range(20)
    ]
    for i, bank in enumerate(banks):
        BankAgreement.objects.create(
            bank=bank,
            program=(changjiang if i % 2 else quzhou).program,
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2027, 12, 31),
        )
    with transaction.atomic():
        enterprises = []
        for i in range(ENTERPRISES):
            first17 = f"91{'360202' if i % 2 else '330800'}MA{i:07d}"
            enterprises.append(
                Enterprise(
                    credit_code=first17 + check_character(first17),
                    name=f"基准科技有限公司{i:05d}",
                    registered_region="江西省景德镇市昌江区" if i % 2 else "浙江省衢州市",
                    industry="industrial",
                    employees=50 + i % 200,
                    revenue=Decimal(5_000_000 + i * 100),
                )
            )
        Enterprise.objects.bulk_create(enterprises, batch_size=BATCH)
    enterprises = list(Enterprise.objects.order_by("pk"))
    states = [s for s, _ in Application.State.choices if s != "draft"]
    submitted_base = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)
    # When each entered its state (Application.state_entered_at, which a logged transition sets): three days
    # a step along the states' order after its submission.
    entered_after = {state: dt.timedelta(days=3 * n) for n, state in enumerate(states)}
    with transaction.atomic():
        batch = []
        for i in range(APPLICATIONS):
            enterprise = enterprises[i % len(enterprises)]
            cj = i % 2 == 1
            state = states[(i // 2) % len(states)]
            submitted_at = submitted_base + dt.timedelta(minutes=7 * i)
            batch.append(
                Application(
                    reference=f"B-{i:07d}",
                    program_version=changjiang if cj else quzhou,
                    enterprise=enterprise,
                    bank=banks[(i % 10) * 2 + (1 if cj else 0)],
                    amount=Decimal(100_000 + (i % 49) * 100_000),
                    term_months=12,
                    product_type=products[i % len(products)] if cj else None,
                    # Each program gets every state: even i are Quzhou's, odd i Changjiang's, so the state
                    # turns with i // 2 (with i, an even number of states left each program half of them).
                    state=state,
                    purpose="基准测试",
                    submitted_at=submitted_at,
                    state_entered_at=submitted_at + entered_after[state],
                )
            )
            if len(batch) == BATCH:
                Application.objects.bulk_create(batch)
                batch = []
        Application.objects.bulk_create(batch)
    _seed_publicity(changjiang.program)
    start = dt.date(2025, 1, 1)
    with transaction.atomic():
        batch = []
        for i in range(LOANS):
            day = start + dt.timedelta(days=i % 365)
            cj = i % 2 == 1
            batch.append(
                Loan(
                    program_version=changjiang if cj else quzhou,
                    enterprise=enterprises[i % len(enterprises)],
                    bank=banks[(i % 10) * 2 + (1 if cj else 0)],
                    contract_no=f"HT-{i:07d}",
                    contract_date=day,
                    disbursement_date=day,
                    maturity_date=day + dt.timedelta(days=365),
                    principal=Decimal(500_000 + (i % 9) * 500_000),
                    annual_rate=Decimal("2.9500") if i % 7 else Decimal("3.5000"),
                    lpr_at_pricing=Decimal("3.0000"),
                )
            )
            if len(batch) == BATCH:
                Loan.objects.bulk_create(batch)
                batch = []
        Loan.objects.bulk_create(batch)
    loan_rows = list(Loan.objects.values_list("pk", "disbursement_date", "principal"))
    with transaction.atomic():
        batch = []
        for pk, day, principal in loan_rows:
            for k in range(SETTLEMENTS_PER_LOAN):
                period_start = day + dt.timedelta(days=30 * k)
                batch.append(
                    InterestSettlement(
                        loan_id=pk,
                        settled_on=period_start + dt.timedelta(days=30),
                        period_start=period_start,
                        period_end=period_start + dt.timedelta(days=29),
                        amount=(principal * Decimal("0.0025")).quantize(Decimal("0.01")),
                        is_overdue_interest=(k == SETTLEMENTS_PER_LOAN - 1 and pk % 13 == 0),
                    )
                )
                if len(batch) == 20000:
                    InterestSettlement.objects.bulk_create(batch)
                    batch = []
        InterestSettlement.objects.bulk_create(batch)
    # The bulk inserts above bypass the signals that keep the dashboards' tallies: recount them once.
    from reports.tallies import rebuild

    rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            # Fold the write-ahead log into the file, so the file alone holds the data when moved.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _seed_publicity(program) -> None:
    """A running publicity batch of 100 entries (around today) and 30 past batches of 20, for the public page."""
    from django.utils import timezone

    from applications.models import Application
    from kedaitong.models import User
    from review.models import PublicityBatch, PublicityEntry

    clerk = User.objects.create(
        username="bench-publicity-clerk", role="bureau_staff", program=program
    )
    in_publicity = list(
        Application.objects.filter(
            program_version__program=program, state=Application.State.PUBLICITY
        ).order_by("pk")[:700]
    )
    today = timezone.localdate()
    batches = [
        PublicityBatch(
            program=program,
            start_date=today - dt.timedelta(days=2),
            end_date=today + dt.timedelta(days=30),
            created_by=clerk,
        )
    ]
    batches += [
        PublicityBatch(
            program=program,
            start_date=today - dt.timedelta(days=30 + 14 * k),
            end_date=today - dt.timedelta(days=25 + 14 * k),
            created_by=clerk,
        )
        for k in range(30)
    ]
    PublicityBatch.objects.bulk_create(batches)
    batches = list(PublicityBatch.objects.order_by("pk"))
    # Each batch was published on its start day (第八条: a period counts from publication); auto_now_add
    # stamped them all today, which would keep the past batches running.
    for batch in batches:
        published = dt.datetime.combine(
            batch.start_date, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai")
        )
        PublicityBatch.objects.filter(pk=batch.pk).update(created_at=published)
    entries, offset = [], 0
    for batch, size in zip(batches, [100] + [20] * 30, strict=True):
        entries += [
            PublicityEntry(batch=batch, application=a, credit_amount=a.amount)
            for a in in_publicity[offset : offset + size]
        ]
        offset += size
    PublicityEntry.objects.bulk_create(entries)


if __name__ == "__main__":
    import sys

    from common import setup_django

    # A path (SQLite file) or a postgres:// URL of an empty database made for it.
    target = sys.argv[1]
    os.environ["BENCH_DATABASE_URL"] = target if "://" in target else f"sqlite:///{target}"
    os.environ.setdefault("DEBUG", "false")  # no query log while seeding
    setup_django("large")
    started = time.perf_counter()
    seed_large()
    print(f"seeded {target} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
