"""A background worker killed while saving an upload leaves nothing saved; the job run again saves it whole.

`manage.py run_jobs --once` takes the queued `loans.tasks.import_upload` job (saving) of a
10,000-row interest file in a child process against the test database and is
killed with SIGKILL at moments spread over its run.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from applications.models import Enterprise
from kedaitong.jobs import job_enqueue, requeue_stale
from kedaitong.models import Job, User
from kedaitong.roles import Role
from loans.models import Bank, BankAgreement, InterestSettlement, Loan, RecordUpload
from loans.tasks import import_upload
from tests.conftest import DATABASE_TASKS
from tests.factories import version
from tests.kedaitong.test_killed_midway import killable_env, killed
from tests.loans.sheets import INTEREST, xlsx

ROOT = Path(__file__).resolve().parents[2]
LOANS, PER_LOAN = 1000, 10


def seed() -> tuple[RecordUpload, Job]:
    quzhou = version("quzhou")
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
                contract_date=dt.date(2025, 1, 2),
                disbursement_date=dt.date(2025, 1, 2),
                maturity_date=dt.date(2026, 12, 1),
                principal=Decimal("1000000.00"),  # 30 days at 3% bear up to 2,500 yuan
                annual_rate=Decimal("3.0000"),
            )
            for i in range(LOANS)
        ]
    )
    rows = []
    for period in range(PER_LOAN):
        first = dt.date(2025, 1, 2) + dt.timedelta(days=30 * period)
        last = first + dt.timedelta(days=29)
        rows += [
            [f"K{i:05d}", "kill-bank", last, first, last, f"{400 + i % 90}.50", "否"]
            for i in range(LOANS)
        ]
    user = User.objects.create(username="kill-bank-user", role=Role.BANK, bank=bank)
    upload = RecordUpload(
        kind="interest",
        program=quzhou.program,
        bank=bank,
        original_name="interest.xlsx",
        checksum="0" * 64,
        uploaded_by=user,
        state=RecordUpload.State.SAVING,
    )
    upload.file.save("interest.xlsx", ContentFile(xlsx(INTEREST, rows)), save=False)
    upload.save()
    job = job_enqueue(
        owner=user, task=import_upload, params={"upload": upload.pk, "commit": True}, title="保存"
    )
    return upload, job


def start_worker() -> subprocess.Popen[bytes]:
    env = killable_env(MEDIA_ROOT=str(settings.MEDIA_ROOT), TASKS_BACKEND="database")
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_jobs", "--once", "--no-schedule", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def reset(upload: RecordUpload, job: Job) -> None:
    """Back to before the save: the job as a killed worker leaves it, then queued again by the sweep."""
    InterestSettlement.objects.all().delete()
    RecordUpload.objects.filter(pk=upload.pk).update(
        state=RecordUpload.State.SAVING, created_count=0
    )
    long_ago = timezone.now() - dt.timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=0, heartbeat_at=long_ago)
    assert requeue_stale() == 1


def outcome(upload: RecordUpload) -> str:
    count = InterestSettlement.objects.count()
    state = RecordUpload.objects.get(pk=upload.pk).state
    if count == 0:
        assert state == RecordUpload.State.SAVING  # not saved, not marked saved
        return "undone"
    assert count == LOANS * PER_LOAN and state == RecordUpload.State.SAVED
    assert InterestSettlement.objects.filter(upload=upload).count() == count
    return "done"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_saving_an_upload_saves_nothing(settings):
    settings.TASKS = DATABASE_TASKS  # the job waits in the database for the worker process
    upload, job = seed()
    started = time.perf_counter()
    assert start_worker().wait(timeout=300) == 0
    full = time.perf_counter() - started
    assert outcome(upload) == "done"
    outcomes = []
    for fraction in (0.3, 0.7, 0.95):
        reset(upload, job)
        process = start_worker()
        time.sleep(full * fraction)
        killed(process)
        outcomes.append(outcome(upload))
    assert "undone" in outcomes
