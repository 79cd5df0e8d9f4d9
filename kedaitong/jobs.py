"""Background jobs: Django's Tasks API queues and runs them; this thin layer adds what the API lacks.

The Tasks API (the django-tasks backport; `django.tasks` from Django 6) defines
the work (`@task`), queues it (`.enqueue()`) and runs it on the backend that
`settings.TASKS` names: django-tasks-db's database backend in deployments (no
broker; `manage.py run_jobs` workers on any number of machines share the
database), the immediate backend in tests. What the API does not have is kept
here, on the `Job` row:

1. the owner and a title: a job page only its owner opens (`kedaitong.views`);
2. progress (`JobContext.progress`) for the page's progress bar;
3. the result: a file (`JobContext.save_result`) or a record's page (`JobContext.set_link`);
4. the re-queue of work whose worker died. While a job runs, a companion
   thread beats its heartbeat every third of `JOBS_STALE_SECONDS`, however
   long one step takes. A running job whose heartbeat is older than that lost
   its worker (process killed, machine restarted, database gone): the workers'
   `requeue_stale` enqueues it again, up to `JOBS_MAX_ATTEMPTS` tries, and the
   work starts again from scratch. Job functions therefore write nothing but
   their result (or work inside one transaction), so a second run cannot
   double anything.

A job function is `fn(ctx: JobContext, **params)` decorated with `@job_task(title=...)`,
which makes it a Task of the Tasks API taking the job's id; `job_enqueue(owner=...,
task=fn, params=...)` records the Job and enqueues the Task once the transaction commits.

Moving to Django 6 changes the imports below (`django_tasks` → `django.tasks`),
those in `kedaitong/schedule.py` and `kedaitong/worker.py`, and `TASKS` in settings
(`django_tasks.backends.immediate` → `django.tasks.backends.immediate`); nothing else.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    transaction,
)
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskContext, task
from django_tasks.base import Task

from kedaitong.models import Job, User

log = logging.getLogger(__name__)

JobFunction = Callable[..., None]
JobTask = Task[..., None]

DIED = "工作进程多次中断，任务未能完成"


def stale_seconds() -> float:
    return float(getattr(settings, "JOBS_STALE_SECONDS", 60))


def max_attempts() -> int:
    return int(getattr(settings, "JOBS_MAX_ATTEMPTS", 3))


def _write_beside(write: Callable[[], Any]) -> None:
    """Run `write` on another database connection when this one may be in the middle of a read (SQLite).

    In WAL mode a connection that is still reading (an open cursor: `.iterator()`)
    keeps the snapshot its read began with; once any other connection has written
    since (the heartbeat thread, another user), a write on it fails at once with
    "database is locked" (SQLITE_BUSY_SNAPSHOT). A long export was failing so,
    after its own heartbeat's first beat. A short-lived thread has its own
    connection, which writes with a fresh view. Inside a transaction (tests, a job
    working in one atomic block) the write stays on this connection, which
    already holds the lock and sees its own rows.
    """
    from django.db import connection

    if connection.vendor != "sqlite" or connection.in_atomic_block:
        write()
        return
    failure: list[BaseException] = []

    def run() -> None:
        try:
            write()
        except BaseException as exc:  # raised again in the job's thread
            failure.append(exc)
        finally:
            connections.close_all()  # this thread's own connections only

    writer = threading.Thread(target=run, name="kedaitong-job-progress")
    writer.start()
    writer.join()
    if failure:
        raise failure[0]


@dataclass
class JobContext:
    """What a job function gets: its Job row, and the means to report progress and leave a result."""

    job: Job
    _last_write: float = field(default=0.0, repr=False)

    def progress(self, done: int, total: int | None = None, message: str = "") -> bool:
        """Record progress; written at most every half second so a tight loop stays fast.

        Returns whether this call stored it. On SQLite the write goes through another
        connection (`_write_beside`): a job usually reports progress in the middle of
        reading (a ledger export iterating its rows), and its own connection cannot
        write once anyone else has written since that read began.
        """
        now = time.monotonic()
        if total is not None:
            self.job.total = total
        self.job.done = min(done, self.job.total) if self.job.total else done
        if message:
            self.job.message = message[:300]
        if now - self._last_write >= 0.5 or (self.job.total and done >= self.job.total):
            self._last_write = now
            fields = {
                "done": self.job.done,
                "total": self.job.total,
                "message": self.job.message,
            }
            _write_beside(
                lambda: Job.objects.filter(pk=self.job.pk).update(
                    **fields, heartbeat_at=timezone.now()
                )
            )
            return True
        return False

    def set_link(self, url: str, label: str) -> None:
        """The job's result is a page (a saved record): its owner is sent there from the job page."""
        self.job.link, self.job.link_label = url[:300], label[:200]
        Job.objects.filter(pk=self.job.pk).update(
            link=self.job.link, link_label=self.job.link_label
        )

    def save_result(self, filename: str, content: bytes) -> None:
        self.job.result.save(filename, ContentFile(content), save=False)
        self.job.result_name = filename
        Job.objects.filter(pk=self.job.pk).update(result=self.job.result.name, result_name=filename)


def job_task(*, title: str) -> Callable[[JobFunction], JobTask]:
    """Make `fn(ctx, **params)` a background job: a Task (Tasks API) whose argument is the job's id.

    The Task keeps the function's module and name, so the backend finds it again
    by its path (`loans.tasks.import_upload`), which is also the `Job.kind`.
    """

    def decorator(fn: JobFunction) -> JobTask:
        def run(context: TaskContext, job_id: int, **params: Any) -> None:
            _run(fn, context, job_id, params)

        # Not functools.wraps: its __wrapped__ would make the Tasks API read fn's signature,
        # whose first argument is the job context, not the task context.
        run.__module__, run.__name__, run.__qualname__ = fn.__module__, fn.__name__, fn.__qualname__
        run.__doc__ = fn.__doc__
        run.job_title = title
        return task(takes_context=True)(run)

    return decorator


def job_enqueue(
    *, owner: User, task: JobTask, params: dict[str, Any] | None = None, title: str = ""
) -> Job:
    """Record a queued Job for `owner` and enqueue its Task once the current transaction commits."""
    job = Job.objects.create(
        owner=owner,
        kind=task.module_path,
        params=params or {},
        title=title or getattr(task.func, "job_title", task.name),
    )
    transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: Job) -> None:
    """Hand the job to the Tasks API's backend and remember the id of its task result."""
    job_task_obj: JobTask = import_string(job.kind)
    result = job_task_obj.enqueue(job.pk, **job.params)
    Job.objects.filter(pk=job.pk, task_id="").update(task_id=result.id)


def job_claim(job_id: int, task_id: str) -> Job | None:
    """Compare-and-swap queued → running: a job runs once, whoever else got its task."""
    now = timezone.now()
    taken = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        task_id=task_id,
    )
    return Job.objects.select_related("owner").get(pk=job_id) if taken == 1 else None


def _run(fn: JobFunction, context: TaskContext, job_id: int, params: dict[str, Any]) -> None:
    job = job_claim(job_id, str(context.task_result.id))
    if job is None:
        log.warning("job %s is not queued (already taken or finished); task skipped", job_id)
        return
    finished = threading.Event()
    beater = threading.Thread(
        target=_beat_while_running, args=(job.pk, finished), name="kedaitong-job-beat", daemon=True
    )
    beater.start()
    try:
        from operations.history import acting

        # Changes to money rows name the job's owner.
        with acting(user=job.owner, via=f"job:{job.kind}"):
            fn(JobContext(job), **params)
    except (OperationalError, InterfaceError):
        # The database went away under the job: leave it running; once its heartbeat is stale a
        # worker re-queues it (counted as an attempt), rather than telling its owner it failed.
        raise
    except Exception as exc:  # the job's error is shown to its owner
        log.exception("job %s failed", job.public_id)
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.FAILED, message=str(exc)[:300], finished_at=timezone.now()
        )
        raise
    finally:
        finished.set()
        beater.join()
    Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
        state=Job.State.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now()
    )


def _beat_while_running(job_pk: int, finished: threading.Event) -> None:
    """Beat the heartbeat of a running job every third of the stale time, however long its function goes quiet.

    So "stale" means "its worker died", never "one step took long" (a subsidy
    commit is one 25-second transaction without progress). The first beat is a
    third of the stale time after the start: a short job ends before it.
    """
    interval = max(stale_seconds() / 3, 0.2)
    try:
        while not _finished_within(finished, interval):
            try:
                Job.objects.filter(pk=job_pk, state=Job.State.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
            except DatabaseError as exc:
                # A locked database (SQLite, the job mid-transaction) or a lost connection:
                # beat again next time, on a fresh connection if this one broke.
                reason = (
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                )
                log.warning("job %s: heartbeat missed (%s)", job_pk, reason)
                close_old_connections()
    finally:
        # This thread's own connections, closed whatever DATABASE_CONN_MAX_AGE keeps: the thread ends here.
        connections.close_all()


def _finished_within(finished: threading.Event, seconds: float) -> bool:
    """`finished.wait(seconds)` in sleeps of at most 50 ms.

    Not a timed lock wait: under Debian's libfaketime (the suite's `make
    test-clock` run) Python's timed lock waits never time out (glibc's
    `sem_clockwait` is not faked while the monotonic clock is), so the
    heartbeat would never beat there. Sleeping works under both clocks.
    """
    end = time.monotonic() + seconds
    while not finished.is_set():
        left = end - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, 0.05))
    return True


def requeue_stale(now: dt.datetime | None = None) -> int:
    """Enqueue again the running jobs whose worker stopped beating; fail those out of attempts.

    Also enqueues a job left queued without a task (its process died between the
    commit and the enqueue). Each job is taken with a compare-and-swap, so several
    workers sweeping at once re-queue it once. Returns how many jobs it touched.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=stale_seconds())
    touched = Job.objects.filter(
        state=Job.State.RUNNING, heartbeat_at__lt=cutoff, attempts__gte=max_attempts()
    ).update(state=Job.State.FAILED, message=DIED, finished_at=now)
    stale = Job.objects.filter(
        state=Job.State.RUNNING, heartbeat_at__lt=cutoff, attempts__lt=max_attempts()
    )
    for job in stale.only("pk", "kind", "params", "task_id"):
        put_back = Job.objects.filter(
            pk=job.pk, state=Job.State.RUNNING, heartbeat_at__lt=cutoff
        ).update(state=Job.State.QUEUED, done=0, heartbeat_at=None, task_id="")
        if put_back == 1:
            log.warning("job %s lost its worker; queued again", job.pk)
            _forget_task(job.task_id)
            _enqueue(job)
            touched += 1
    for job in Job.objects.filter(state=Job.State.QUEUED, task_id="", created_at__lt=cutoff):
        log.warning("job %s was never handed to a worker; queued now", job.pk)
        _enqueue(job)
        touched += 1
    return touched


def _forget_task(task_id: str) -> None:
    """Close the task result a dead worker left running (database backend only; others keep none)."""
    if not task_id:
        return
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return
    from django_tasks_db.models import DBTaskResult

    try:
        DBTaskResult.objects.filter(pk=task_id, status="RUNNING").update(
            status="FAILED",
            finished_at=timezone.now(),
            exception_class_path="kedaitong.jobs.WorkerLost",
            traceback=DIED,
        )
    except ValidationError:  # an id of another backend (not a UUID)
        pass
