"""Background jobs on the Tasks API: claimed once, progress recorded, results kept, stale jobs re-queued, owners only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kedaitong import jobs
from kedaitong.models import Job
from tests.conftest import DATABASE_TASKS
from tests.kedaitong.job_tasks import CALLS, counting_job, failing_job

pytestmark = pytest.mark.django_db


def stale_job(owner, *, attempts: int, n: int = 3) -> Job:
    """A job a worker took and then died on: running, its heartbeat ten minutes old."""
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    return Job.objects.create(
        owner=owner,
        kind=counting_job.module_path,
        title="count",
        params={"n": n},
        state=Job.State.RUNNING,
        attempts=attempts,
        started_at=long_ago,
        heartbeat_at=long_ago,
        done=2,
        total=3,
        task_id="lost-task",
    )


def test_a_job_is_a_task_of_the_tasks_api():
    assert counting_job.module_path == "tests.kedaitong.job_tasks.counting_job"
    assert counting_job.takes_context and counting_job.func.job_title == "count"


def test_a_job_runs_once_at_commit_and_keeps_its_result(cast, django_capture_on_commit_callbacks):
    CALLS.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.job_enqueue(owner=cast.admin, task=counting_job, params={"n": 5})
    job.refresh_from_db()
    assert (job.state, job.kind, job.task_id, CALLS) == (
        "queued",
        "tests.kedaitong.job_tasks.counting_job",
        "",
        [],
    )  # nothing runs inside the transaction
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.percent, job.attempts) == ("done", 5, 5, 100, 1)
    assert job.result.read() == b"5" and job.result_name == "count.txt" and job.title == "count"
    assert job.task_id and CALLS == [5]
    # A second delivery of the same task (a backend may deliver twice) finds it taken and does nothing.
    counting_job.enqueue(job.pk, n=5)
    job.refresh_from_db()
    assert CALLS == [5] and job.attempts == 1


def test_a_failing_job_says_why(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_enqueue(owner=cast.admin, task=failing_job)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.message == "数据有误" and job.finished_at


def test_a_job_whose_worker_died_is_run_again(cast):
    CALLS.clear()
    job = stale_job(cast.admin, attempts=1)
    assert jobs.requeue_stale() == 1
    job.refresh_from_db()
    assert (job.state, job.attempts, job.done) == ("done", 2, 3) and CALLS == [3]
    assert job.task_id != "lost-task"


def test_a_job_that_keeps_dying_fails_instead_of_looping(cast, settings):
    CALLS.clear()
    job = stale_job(cast.admin, attempts=settings.JOBS_MAX_ATTEMPTS)
    assert jobs.requeue_stale() == 1
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.message == jobs.DIED and CALLS == []


def test_a_fresh_running_job_is_left_alone(cast):
    job = stale_job(cast.admin, attempts=1)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    assert jobs.requeue_stale() == 0
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("running", 1)


def test_a_job_never_handed_to_a_worker_is_enqueued_by_the_sweep(cast):
    """The process died between the commit and the enqueue: the job has no task yet."""
    CALLS.clear()
    job = Job.objects.create(
        owner=cast.admin,
        kind=counting_job.module_path,
        title="count",
        params={"n": 2},
        created_at=timezone.now() - dt.timedelta(minutes=5),
    )
    recent = Job.objects.create(
        owner=cast.admin, kind=counting_job.module_path, title="count", params={"n": 7}
    )
    assert jobs.requeue_stale() == 1
    job.refresh_from_db()
    recent.refresh_from_db()
    assert (job.state, recent.state, CALLS) == ("done", "queued", [2])


def test_a_claimed_job_cannot_be_claimed_again(cast):
    job = Job.objects.create(owner=cast.admin, kind=counting_job.module_path, params={"n": 1})
    first = jobs.job_claim(job.pk, "task-1")
    assert first is not None and first.state == "running" and first.task_id == "task-1"
    assert jobs.job_claim(job.pk, "task-2") is None


@pytest.mark.django_db(transaction=True)
def test_on_the_database_backend_a_job_waits_for_a_worker(
    cast, settings, django_capture_on_commit_callbacks
):
    """What production does: the job is a row of django-tasks-db's table until a worker takes it."""
    from kedaitong.worker import Worker

    CALLS.clear()
    settings.TASKS = DATABASE_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_enqueue(owner=cast.admin, task=counting_job, params={"n": 4})
    job.refresh_from_db()
    task = DBTaskResult.objects.get()
    assert (job.state, job.task_id, task.status) == ("queued", str(task.pk), "READY")
    assert task.task_path == "tests.kedaitong.job_tasks.counting_job"
    assert task.args_kwargs == {"args": [job.pk], "kwargs": {"n": 4}}
    worker = Worker(interval=0, batch=True, startup_delay=False, worker_id="w1", scheduler=False)
    worker.run()
    job.refresh_from_db()
    task.refresh_from_db()
    assert (job.state, task.status, task.worker_ids, CALLS) == ("done", "SUCCESSFUL", ["w1"], [4])


def test_a_dead_workers_task_result_is_closed_when_the_job_is_queued_again(cast, settings):
    settings.TASKS = DATABASE_TASKS
    lost = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path=counting_job.module_path,
        backend_name="default",
        status="RUNNING",
    )
    job = stale_job(cast.admin, attempts=1)
    Job.objects.filter(pk=job.pk).update(task_id=str(lost.pk))
    assert jobs.requeue_stale() == 1
    lost.refresh_from_db()
    job.refresh_from_db()
    fresh = DBTaskResult.objects.exclude(pk=lost.pk).get()
    assert (lost.status, lost.traceback) == ("FAILED", jobs.DIED)
    assert (job.state, job.task_id, fresh.status) == ("queued", str(fresh.pk), "READY")


def test_only_the_owner_sees_a_job(client, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_enqueue(owner=cast.bureau_staff, task=counting_job, params={"n": 1})
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
