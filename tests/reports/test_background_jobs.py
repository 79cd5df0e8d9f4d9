"""Long work as background jobs, through the web: subsidy runs (commit and a large preview), and jobs left queued
or running by a restart being taken up by the next worker."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kedaitong import jobs
from kedaitong.models import AuditEntry, Job
from subsidy.models import SubsidyLine, SubsidyRun

pytestmark = pytest.mark.django_db


def test_saving_a_run_is_a_job_whose_page_links_to_the_run(
    client, qz, django_capture_on_commit_callbacks
):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "200.00")
    client.force_login(qz.staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("subsidy:run-create"), {"year": "2025", "budget": "1000", "cutoff": ""}
        )
    job = Job.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/jobs/{job.public_id}/?follow=1"
    )
    assert (job.kind, job.state, job.owner) == ("subsidy.tasks.run_commit_job", "queued", qz.staff)
    assert not SubsidyRun.objects.exists()  # nothing is computed inside the request
    queued = client.get(response["Location"])
    assert "生成2025年度贴息批次" in queued.content.decode() and queued.context["active"]
    for callback in callbacks:
        callback()
    run = SubsidyRun.objects.get()
    assert run.total == Decimal("90.00") and run.created_by == qz.staff
    assert SubsidyLine.objects.filter(run=run).count() == 2
    assert (
        AuditEntry.objects.filter(action="subsidy.run.computed", object_id=str(run.pk)).count() == 1
    )
    page = client.get(response["Location"]).content.decode()
    assert f'href="/subsidy/runs/{run.pk}/"' in page and "查看2025年度贴息批次" in page
    assert (
        f'<meta http-equiv="refresh" content="0;url=/subsidy/runs/{run.pk}/">' in page
    )  # goes on to the run
    revisit = client.get(f"/jobs/{job.public_id}/").content.decode()
    assert f'href="/subsidy/runs/{run.pk}/"' in revisit and 'http-equiv="refresh"' not in revisit
    job.refresh_from_db()
    assert (job.state, job.percent) == ("done", 100)


def test_a_refused_run_shows_the_service_message_and_saves_nothing(
    client, qz, django_capture_on_commit_callbacks
):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    client.force_login(qz.staff)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("subsidy:run-create"), {"year": "2025", "budget": "1000"})
    assert SubsidyRun.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(reverse("subsidy:run-create"), {"year": "2025", "budget": "2000"})
    assert second["Location"] != first["Location"]
    page = client.get(second["Location"])
    body = page.content.decode()
    assert page.context["job"].state == "failed"
    assert "2025年已有未撤销的贴息批次，请先撤销后再生成" in body and 'role="alert"' in body
    assert 'http-equiv="refresh"' not in body  # a failed job stays on its page
    assert SubsidyRun.objects.count() == 1 and SubsidyRun.objects.get().budget == Decimal("1000.00")
    # A year without loans: the service's message, nothing saved.
    with django_capture_on_commit_callbacks(execute=True):
        empty = client.post(reverse("subsidy:run-create"), {"year": "2019", "budget": "1000"})
    failed = client.get(empty["Location"]).context["job"]
    assert failed.state == "failed" and failed.message.startswith(
        "2019年没有衢州市科技金融合作贷款的放款记录"
    ), failed.message
    assert SubsidyRun.objects.count() == 1


def test_bad_input_is_refused_before_any_job(client, qz):
    client.force_login(qz.staff)
    response = client.post(reverse("subsidy:run-create"), {"year": "2025", "budget": "-3"})
    assert response.status_code == 400 and "必须大于零" in response.content.decode()
    assert response.context["form"]["budget"].value() == "-3"
    assert not Job.objects.exists()


def test_a_large_preview_is_a_job_that_leaves_a_workbook(
    client, qz, settings, django_capture_on_commit_callbacks
):
    settings.SUBSIDY_PREVIEW_INLINE_MAX_LOANS = 1
    qz.interest(qz.loan(contract="A-1"), "100.00")
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "200.00")
    client.force_login(qz.staff)
    page = client.get(reverse("subsidy:run-list"), {"year": "2025", "budget": "1000"})
    body = page.content.decode()
    assert page.context["preview"] is None and page.context["large"] == 2
    assert 'value="preview"' in body and not Job.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("subsidy:run-create"), {"year": "2025", "budget": "1000", "action": "preview"}
        )
    job = Job.objects.get()
    assert (
        response["Location"] == f"/jobs/{job.public_id}/"
        and job.kind == "subsidy.tasks.run_preview_job"
    )
    assert not SubsidyRun.objects.exists()
    download = client.get(f"/jobs/{job.public_id}/download/")
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    detail = wb["贴息明细"]
    assert [detail.cell(row=r, column=1).value for r in (2, 3)] == ["A-1", "B-1"]
    assert detail.cell(row=4, column=1).value == "合计" and Decimal(
        str(detail.cell(row=4, column=13).value)
    ) == Decimal("90.00")


@pytest.mark.django_db(transaction=True)
def test_jobs_left_by_a_restart_are_taken_up_when_a_worker_starts(cast, settings):
    """One job still queued, one a dead worker left running: a worker starting later runs both."""
    from tests.conftest import DATABASE_TASKS
    from tests.kedaitong.job_tasks import CALLS, counting_job

    settings.TASKS = DATABASE_TASKS
    CALLS.clear()
    left = jobs.job_enqueue(owner=cast.bureau_staff, task=counting_job, params={"n": 3})
    stale_since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    stale = Job.objects.create(
        owner=cast.bureau_staff,
        kind=counting_job.module_path,
        params={"n": 2},
        title="count",
        state=Job.State.RUNNING,
        attempts=1,
        started_at=stale_since,
        heartbeat_at=stale_since,
    )
    left.refresh_from_db()
    assert left.state == "queued" and left.task_id  # queued in the database, no worker yet
    from kedaitong.worker import Worker

    Worker(interval=0, batch=True, startup_delay=False, scheduler=False).run()
    left.refresh_from_db()
    stale.refresh_from_db()
    assert (left.state, stale.state, stale.attempts) == ("done", "done", 2)
    assert sorted(CALLS) == [2, 3]


def test_a_commit_rerun_after_its_worker_died_links_the_run_it_saved(
    qz, django_capture_on_commit_callbacks
):
    """The worker died after the commit but before marking the job done: the re-run links that run, saves no other."""
    from subsidy.services import run_commit
    from subsidy.tasks import run_commit_job

    qz.interest(qz.loan(contract="A-1"), "100.00")
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    params = {"program": qz.program.pk, "year": "2025", "budget": "1000", "cutoff": ""}
    job = Job.objects.create(
        owner=qz.staff,
        kind=run_commit_job.module_path,
        title="t",
        state=Job.State.RUNNING,
        attempts=1,
        heartbeat_at=long_ago,
        created_at=long_ago,
        params=params,
    )
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")
    assert jobs.requeue_stale() == 1
    job.refresh_from_db()
    assert (job.state, job.attempts, job.link) == ("done", 2, f"/subsidy/runs/{run.pk}/")
    assert SubsidyRun.objects.count() == 1
    # A first attempt that meets someone else's run is refused, not linked.
    with django_capture_on_commit_callbacks(execute=True):
        other = jobs.job_enqueue(owner=qz.staff, task=run_commit_job, params=params, title="t")
    other.refresh_from_db()
    assert other.state == "failed" and "已有未撤销的贴息批次" in other.message and not other.link


# Transactional tests live here, after tests/kedaitong/test_sqlite_writers.py (serialized rollback), which a flush
# by an earlier transactional test would break (content types re-created under new ids).
@pytest.mark.django_db(transaction=True)
def test_a_long_quiet_step_keeps_beating_so_no_other_worker_takes_the_job(cast, settings):
    from tests.kedaitong.job_tasks import SEEN, quiet_job

    settings.JOBS_STALE_SECONDS = 1
    SEEN.clear()
    job = jobs.job_enqueue(owner=cast.admin, task=quiet_job, params={"seconds": 2.5})
    job.refresh_from_db()
    ((moved, requeued),) = SEEN
    assert moved > 1.5 and requeued == 0  # beaten during the step; nothing was stale
    assert (job.state, job.attempts) == ("done", 1)
