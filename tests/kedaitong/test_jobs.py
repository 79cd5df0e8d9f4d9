"""Background jobs: claimed once, progress recorded, results kept, stale jobs re-queued, owners only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kedaitong import jobs
from kedaitong.models import Job

pytestmark = pytest.mark.django_db

CALLS: list[int] = []


@jobs.register("tests.count", title="count")
def counting_job(ctx: jobs.JobContext, *, n: int) -> None:
    for i in range(1, n + 1):
        ctx.progress(i, n)
    CALLS.append(n)
    ctx.save_result("count.txt", str(n).encode())


@jobs.register("tests.boom", title="boom")
def failing_job(ctx: jobs.JobContext) -> None:
    raise ValueError("数据有误")


def test_a_job_runs_once_and_keeps_its_result(cast, django_capture_on_commit_callbacks):
    CALLS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_enqueue(owner=cast.admin, kind="tests.count", params={"n": 5})
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.percent) == ("done", 5, 5, 100)
    assert job.result.read() == b"5" and job.result_name == "count.txt"
    assert jobs.run_pending() == 0 and CALLS == [5]


def test_a_failing_job_says_why(cast):
    job = Job.objects.create(owner=cast.admin, kind="tests.boom", title="boom")
    jobs.run_pending()
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.message == "数据有误"


def test_a_job_whose_worker_died_is_run_again(cast):
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    job = Job.objects.create(
        owner=cast.admin,
        kind="tests.count",
        params={"n": 3},
        state=Job.State.RUNNING,
        attempts=1,
        started_at=long_ago,
        heartbeat_at=long_ago,
        done=2,
        total=3,
    )
    assert jobs.run_pending() == 1
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2


def test_a_job_that_keeps_dying_fails_instead_of_looping(cast, settings):
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    job = Job.objects.create(
        owner=cast.admin,
        kind="tests.count",
        params={"n": 3},
        state=Job.State.RUNNING,
        attempts=settings.JOBS_MAX_ATTEMPTS,
        heartbeat_at=long_ago,
    )
    jobs.run_pending()
    job.refresh_from_db()
    assert job.state == Job.State.FAILED


def test_a_claimed_job_cannot_be_claimed_again(cast):
    Job.objects.create(owner=cast.admin, kind="tests.count", params={"n": 1})
    first = jobs.claim_next()
    assert first is not None and jobs.claim_next() is None


def test_only_the_owner_sees_a_job(client, cast):
    job = Job.objects.create(owner=cast.bureau_staff, kind="tests.count", params={"n": 1})
    jobs.run_pending()
    client.force_login(cast.bank_x_user)
    assert client.get(f"/jobs/{job.public_id}/").status_code == 404
    assert client.get(f"/jobs/{job.public_id}/download/").status_code == 404
    client.force_login(cast.bureau_staff)
    page = client.get(f"/jobs/{job.public_id}/")
    assert page.status_code == 200 and "count.txt" in page.content.decode()
    assert (
        client.get(f"/jobs/{job.public_id}/", HTTP_ACCEPT="application/json").json()["percent"]
        == 100
    )
    download = client.get(f"/jobs/{job.public_id}/download/")
    assert b"".join(download.streaming_content) == b"1"
