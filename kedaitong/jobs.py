"""Background jobs that survive restarts, with progress, on one machine or many.

1. `job_enqueue` stores a queued `Job`; after the commit it wakes the runner.
2. A runner claims the oldest queued job with a compare-and-swap
   (`filter(pk=..., state=queued).update(state=running)`): two runners never
   take the same job.
3. The job's function reports progress through `JobContext.progress` and leaves
   its result with `JobContext.save_result` (a file) or `JobContext.set_link`
   (a record's page). While it runs, a companion thread beats the job's
   heartbeat every third of `JOBS_STALE_SECONDS`, however long a step takes.
4. A running job whose heartbeat is older than `JOBS_STALE_SECONDS` lost its
   worker (process killed, machine restarted): `requeue_stale` puts it back,
   up to `JOBS_MAX_ATTEMPTS` tries, and the work starts again from scratch.
   Job functions therefore write nothing but their result file (or work
   inside one transaction), so a second run cannot double anything.

Where they run (`JOBS_RUNNER`): `thread` (default) runs them in a daemon
thread of the web process, no extra service (started at the process's first
request, when a job is queued, and when a job page is viewed; it also looks
for queued and stale jobs every 30 s); `worker` leaves them to
`python manage.py run_jobs` processes on any number of machines sharing the
database and the media storage; `inline` runs them at once (tests).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import close_old_connections, transaction
from django.utils import timezone

from kedaitong.models import Job, User

log = logging.getLogger(__name__)
JobFunction = Callable[..., None]
_REGISTRY: dict[str, tuple[JobFunction, str]] = {}
_wake = threading.Event()
_stop = threading.Event()
_thread: threading.Thread | None = None
_thread_lock = threading.Lock()


def register(kind: str, *, title: str = "") -> Callable[[JobFunction], JobFunction]:
    """Register a job function under `kind`; it is called as `fn(ctx, **params)`."""

    def decorator(fn: JobFunction) -> JobFunction:
        _REGISTRY[kind] = (fn, title or kind)
        return fn

    return decorator


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
    from django.db import connection, connections

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
    job: Job
    _last_beat: float = 0.0

    def progress(self, done: int, total: int | None = None, message: str = "") -> bool:
        """Record progress; written at most every half second so a tight loop stays fast.

        Returns whether this call stored it. On SQLite the write goes through another
        connection (`_write_beside`): a job usually reports progress in the middle of
        reading (a ledger export iterating its rows), and its own connection cannot
        write once anyone else has written since that read began.
        """
        import time

        now = time.monotonic()
        if total is not None:
            self.job.total = total
        self.job.done = min(done, self.job.total) if self.job.total else done
        if message:
            self.job.message = message[:300]
        if now - self._last_beat >= 0.5 or (self.job.total and done >= self.job.total):
            self._last_beat = now
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


def job_enqueue(
    *, owner: User, kind: str, params: dict[str, Any] | None = None, title: str = ""
) -> Job:
    if kind not in _REGISTRY:
        raise KeyError(f"unknown job kind {kind!r}")
    job = Job.objects.create(
        owner=owner, kind=kind, params=params or {}, title=title or str(_REGISTRY[kind][1])
    )
    mode = getattr(settings, "JOBS_RUNNER", "thread")
    if mode == "inline":
        transaction.on_commit(lambda: run_pending())
    elif mode == "thread":
        transaction.on_commit(_wake_thread)
    return job


def requeue_stale(now: dt.datetime | None = None) -> int:
    """Put back jobs whose worker stopped beating; fail those out of attempts."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=getattr(settings, "JOBS_STALE_SECONDS", 60))
    max_attempts = getattr(settings, "JOBS_MAX_ATTEMPTS", 3)
    stale = Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=cutoff)
    failed = stale.filter(attempts__gte=max_attempts).update(
        state=Job.State.FAILED, message="工作进程多次中断，任务未能完成", finished_at=now
    )
    requeued = stale.filter(attempts__lt=max_attempts).update(
        state=Job.State.QUEUED, done=0, heartbeat_at=None
    )
    return requeued + failed


def claim_next() -> Job | None:
    """Take the oldest queued job, or None; safe against other runners."""
    for job_id in (
        Job.objects.filter(state=Job.State.QUEUED)
        .order_by("created_at")
        .values_list("pk", flat=True)[:5]
    ):
        now = timezone.now()
        from django.db.models import F

        taken = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
            state=Job.State.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
        )
        if taken == 1:
            return Job.objects.get(pk=job_id)
    return None


def _beat_while_running(job_pk: int, finished: threading.Event) -> None:
    """Beat the heartbeat of a running job every third of the stale time, however long its function goes quiet.

    So "stale" means "its worker died", never "one step took long" (a subsidy
    commit is one 25-second transaction without progress). The first beat is a
    third of the stale time after the start: a short job ends before it.
    """
    interval = max(getattr(settings, "JOBS_STALE_SECONDS", 60) / 3, 0.2)
    try:
        while not finished.wait(interval):
            try:
                Job.objects.filter(pk=job_pk, state=Job.State.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
            except (
                Exception
            ):  # a locked database (SQLite, the job mid-transaction): beat again next time
                log.warning("job %s: heartbeat missed", job_pk, exc_info=True)
    finally:
        close_old_connections()


def run_job(job: Job) -> None:
    fn, _title = _REGISTRY.get(job.kind, (None, ""))
    finished = threading.Event()
    beater = threading.Thread(
        target=_beat_while_running, args=(job.pk, finished), name="kedaitong-job-beat", daemon=True
    )
    beater.start()
    try:
        if fn is None:
            raise KeyError(f"unknown job kind {job.kind!r}")
        fn(JobContext(job), **job.params)
    except Exception as exc:  # the job's error is shown to its owner, not raised in the runner
        log.error("job %s failed:\n%s", job.public_id, traceback.format_exc())
        finished.set()
        beater.join()
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.FAILED, message=str(exc)[:300], finished_at=timezone.now()
        )
        return
    finished.set()
    beater.join()
    Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
        state=Job.State.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now()
    )


def run_pending(limit: int | None = None) -> int:
    """Run queued jobs until none is left (or `limit`); returns how many ran."""
    requeue_stale()
    count = 0
    while limit is None or count < limit:
        job = claim_next()
        if job is None:
            break
        run_job(job)
        count += 1
    return count


def _thread_main() -> None:
    while not _stop.is_set():
        _wake.wait(timeout=30)
        _wake.clear()
        if _stop.is_set():
            break
        close_old_connections()
        try:
            run_pending()
        except Exception:  # keep the runner alive; the next wake retries
            log.exception("job runner")
        finally:
            close_old_connections()


def ensure_runner() -> None:
    """In thread mode, start this process's runner if it is not running, and wake it.

    The runner otherwise starts only when a job is queued, so after a restart a
    job left queued (or running when the process died) would wait for the next
    one. Called at the process's first request and whenever a job page is viewed;
    not in `AppConfig.ready`, which also runs for management commands and tests.
    """
    if getattr(settings, "JOBS_RUNNER", "thread") == "thread":
        _wake_thread()


_first_request_seen = False


def on_first_request(**kwargs: Any) -> None:
    """`request_started` receiver: the first request a web process serves starts its runner."""
    global _first_request_seen
    if _first_request_seen:
        return
    _first_request_seen = True
    ensure_runner()


def stop_runner(timeout: float = 10) -> None:
    """Stop this process's runner thread after its current job (tests; a web process just exits)."""
    global _thread
    with _thread_lock:
        thread, _thread = _thread, None
    if thread is not None and thread.is_alive():
        _stop.set()
        _wake.set()
        thread.join(timeout)
    _stop.clear()


def _wake_thread() -> None:
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_thread_main, name="kedaitong-jobs", daemon=True)
            _thread.start()
    _wake.set()
