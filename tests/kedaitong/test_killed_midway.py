"""A process killed in the middle of committing money work leaves it wholly done or wholly undone.

`manage.py subsidy_run --commit` runs in a child process against the test
database and is killed with SIGKILL: once as soon as its transaction has
written (so one kill surely lands before the commit), then at moments spread
over the transaction. After every kill the database holds either no run, or a
complete one whose lines add up to the budget.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from applications.models import Enterprise
from kedaitong.db import MoneySum
from kedaitong.models import User
from kedaitong.roles import Role
from loans.models import Bank, BankAgreement, InterestSettlement, Loan
from subsidy.models import SubsidyRun
from tests.factories import version

ROOT = Path(__file__).resolve().parents[2]
LOANS = 3000
BUDGET = Decimal("100000.00")
APP = "kd-killed-commit"  # the application name of a killed process's database sessions (PostgreSQL, PGAPPNAME)


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def killable_env(**extra: str) -> dict[str, str]:
    """The environment of a child process a test may kill: this one's, on the test database, its database sessions
    named APP (libpq's PGAPPNAME) so that `killed` can tell them apart in pg_stat_activity and wait for them."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return env | {"DATABASE_URL": database_url(), "PGAPPNAME": APP} | extra


def killed(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """SIGKILL `process`, and wait until the database has let go of it.

    On PostgreSQL the server process of a killed client runs on until it next speaks to the client: it may still
    be writing, hold its locks, and abort only later. The test reads the outcome (and the test's flush empties the
    tables) once it has ended; if it has not within a minute, it is ended (pg_terminate_backend).
    """
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    if connection.vendor != "postgresql":
        return
    # The killed process's own sessions (their application name, APP: started with `killable_env`): another
    # session on the database, an autovacuum worker or one a test before this one left open, kept the wait at
    # its minute (75 s in CI, 15 s alone).
    others = (
        f"FROM pg_stat_activity WHERE datname = current_database() AND application_name = '{APP}'"
    )
    deadline = time.monotonic() + 60
    with connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT count(*) {others}")
            if cursor.fetchone()[0] == 0:
                return
            if time.monotonic() > deadline:
                cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")
                deadline = time.monotonic() + 60
            time.sleep(0.05)


def seed() -> None:
    quzhou = version("quzhou")
    # A run is saved by the program's bureau staff (subsidy_run --commit --user).
    User.objects.create(username="kill-staff", role=Role.BUREAU_STAFF, program=quzhou.program)
    bank = Bank.objects.create(code="kill-bank", name="中断测试银行")
    BankAgreement.objects.create(
        bank=bank,
        program=quzhou.program,
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    enterprise = Enterprise.objects.create(
        credit_code="91330800MA00000099", name="中断测试科技有限公司"
    )
    Loan.objects.bulk_create(
        [
            Loan(
                program_version=quzhou,
                enterprise=enterprise,
                bank=bank,
                contract_no=f"K{i:05d}",
                contract_date=dt.date(2025, 1, 2) + dt.timedelta(days=i % 300),
                disbursement_date=dt.date(2025, 1, 2) + dt.timedelta(days=i % 300),
                maturity_date=dt.date(2026, 12, 1),
                principal=Decimal("100000.00"),
                annual_rate=Decimal("3.0000"),
                lpr_at_pricing=Decimal("3.1000"),
            )
            for i in range(LOANS)
        ],
        batch_size=1000,
    )
    InterestSettlement.objects.bulk_create(
        [
            InterestSettlement(
                loan=loan,
                settled_on=dt.date(2025, 12, 20),
                period_start=loan.disbursement_date,
                period_end=dt.date(2025, 12, 20),
                amount=Decimal("1000.00") + loan.pk % 97,
            )
            for loan in Loan.objects.filter(bank=bank)
        ],
        batch_size=1000,
    )


def start_commit() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "subsidy_run",
            "--program",
            "quzhou",
            "--year",
            "2025",
            "--budget",
            str(BUDGET),
            "--commit",
            "--user",
            "kill-staff",
        ],
        cwd=ROOT,
        env=killable_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def assert_all_or_nothing() -> str:
    """No run at all, or one run with every line and settlement link, adding up to the budget."""
    from subsidy.models import SubsidizedSettlement, SubsidyLine

    runs = list(SubsidyRun.objects.all())
    if not runs:
        assert not SubsidyLine.objects.exists() and not SubsidizedSettlement.objects.exists()
        return "undone"
    assert len(runs) == 1
    run = runs[0]
    lines = run.lines.aggregate(n=Count("id"), total=MoneySum("amount"))
    assert run.total == BUDGET and lines == {"n": LOANS, "total": BUDGET}
    assert SubsidizedSettlement.objects.filter(line__run=run).count() == LOANS
    return "done"


def writing() -> bool:
    """Whether the commit holds an open write transaction on the test database.

    On PostgreSQL a transaction has an id (`backend_xid`) from its first write or row lock (the commit's
    first statement locks its program's row); on SQLite the writer holds the database's write lock
    (`transaction_mode` IMMEDIATE), which a second `BEGIN IMMEDIATE` that may not wait is refused.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = %s AND backend_xid IS NOT NULL",
                [APP],
            )
            return bool(cursor.fetchone()[0])
    import sqlite3

    probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def until_writing(process: subprocess.Popen[bytes]) -> float | None:
    """Seconds from now until `process`'s write transaction is open (polled every 5 ms), or None if the
    process ended first."""
    started = time.perf_counter()
    while process.poll() is None:
        if writing():
            return time.perf_counter() - started
        time.sleep(0.005)
    return None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_subsidy_commit_is_all_or_nothing():
    seed()
    # How long a whole commit takes here, and when its transaction starts writing: the second of two, warm.
    # The first one's time (a cold database and process) was five times the later ones' on PostgreSQL.
    opens = full = 0.0
    for _ in range(2):
        _clear_runs()
        started = time.perf_counter()
        process = start_commit()
        waited = until_writing(process)
        assert process.wait(timeout=300) == 0
        full = time.perf_counter() - started
        opens = waited if waited is not None else 0.0
        assert assert_all_or_nothing() == "done"
    # One kill as soon as the transaction has written: certain to land before its commit, whatever the
    # machine's load (kills timed from the calibration alone all landed after the commit once, on a busy CI).
    outcomes = []
    for _ in range(3):
        _clear_runs()
        process = start_commit()
        if until_writing(process) is None:  # ended between two polls: try again
            process.wait(timeout=300)
            continue
        killed(process)
        outcomes.append(assert_all_or_nothing())
        break
    assert outcomes == ["undone"]
    # Then kills spread over the transaction, from its opening to the end of the whole run.
    for fraction in (0.2, 0.5, 0.7, 0.85, 0.95):
        _clear_runs()
        process = start_commit()
        if until_writing(process) is not None:
            time.sleep((full - opens) * fraction)
        killed(process)
        outcomes.append(assert_all_or_nothing())


def _clear_runs() -> None:
    from subsidy.models import SubsidizedSettlement, SubsidyExclusion, SubsidyLine

    SubsidizedSettlement.objects.all().delete()
    SubsidyLine.objects.all().delete()
    SubsidyExclusion.objects.all().delete()
    SubsidyRun.objects.all().delete()
