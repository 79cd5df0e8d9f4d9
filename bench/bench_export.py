"""Issue 8: a 100,000-row loans ledger streamed to .xlsx (target: under 30 s, peak memory under 300 MB)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from decimal import Decimal

from common import peak_rss_mb, report, setup_django, timed

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "100000"))


def seed() -> None:
    from applications.models import Enterprise, ProgramVersion
    from loans.models import Bank, Loan

    version = ProgramVersion.objects.get(program__code="quzhou", code="2023")
    banks = [Bank.objects.create(code=f"bench-{i}", name=f"基准测试银行{i}支行") for i in range(10)]
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(credit_code=f"91330800MA{i:08d}", name=f"基准测试科技有限公司{i}")
            for i in range(2000)
        ]
    )
    start = dt.date(2025, 1, 1)
    batch = []
    for i in range(ROWS):
        day = start + dt.timedelta(days=i % 365)
        batch.append(
            Loan(
                program_version=version,
                enterprise=enterprises[i % len(enterprises)],
                bank=banks[i % len(banks)],
                contract_no=f"HT{i:08d}",
                contract_date=day,
                disbursement_date=day,
                maturity_date=day + dt.timedelta(days=365),
                principal=Decimal(1000000 + i) / 100 * 100,
                annual_rate=Decimal("3.0000"),
                lpr_at_pricing=Decimal("3.1000"),
            )
        )
        if len(batch) == 5000:
            Loan.objects.bulk_create(batch)
            batch = []
    if batch:
        Loan.objects.bulk_create(batch)


def main() -> None:
    setup_django("export")
    seed()
    from kedaitong.models import User
    from kedaitong.roles import Role
    from reports.exports import write_ledger
    from reports.ledgers import LEDGERS

    admin = User.objects.create(username="bench-admin", role=Role.ADMIN)
    before = peak_rss_mb()
    with tempfile.TemporaryDirectory() as folder, timed() as t:
        count = write_ledger(LEDGERS["loans"], admin, {}, os.path.join(folder, "loans.xlsx"))
        size = os.path.getsize(os.path.join(folder, "loans.xlsx"))
    report(
        f"Loans ledger export, {count:,} rows × 12 columns",
        f"{t['seconds']:.1f} s, peak RSS {peak_rss_mb():.0f} MB (before export {before:.0f} MB), {size / 1e6:.1f} MB file",
        "< 30 s, < 300 MB",
    )


if __name__ == "__main__":
    main()
