"""Job functions the tests run (a plain module, so that a worker process can import them by path)."""

from __future__ import annotations

import time

from kedaitong import jobs
from kedaitong.models import Job

CALLS: list[int] = []
SEEN: list[tuple[float, int]] = []


@jobs.job_task(title="count")
def counting_job(ctx: jobs.JobContext, *, n: int) -> None:
    for i in range(1, n + 1):
        ctx.progress(i, n)
    CALLS.append(n)
    ctx.save_result("count.txt", str(n).encode())


@jobs.job_task(title="boom")
def failing_job(ctx: jobs.JobContext) -> None:
    raise ValueError("数据有误")


@jobs.job_task(title="quiet")
def quiet_job(ctx: jobs.JobContext, *, seconds: float) -> None:
    """One long step without progress (like a subsidy commit), then: is the job still fresh for other workers?"""
    started = Job.objects.get(pk=ctx.job.pk).heartbeat_at
    time.sleep(seconds)
    beat = Job.objects.get(pk=ctx.job.pk).heartbeat_at
    assert started is not None and beat is not None
    SEEN.append(((beat - started).total_seconds(), jobs.requeue_stale()))


SEEN_PROGRESS: list[tuple[int, int]] = []


def write_from_elsewhere(i: int) -> None:
    """What the heartbeat thread or another user's request does: a write on another connection."""
    import threading

    from django.db import connections

    from kedaitong.audit import log_action

    def write() -> None:
        try:
            log_action(actor=None, action="tests.elsewhere", data={"i": i})
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    writer.join()


@jobs.job_task(title="read and report")
def read_and_report(ctx: jobs.JobContext) -> None:
    """Iterate rows (an open cursor, like a ledger export) and report progress after others wrote."""
    from kedaitong.models import AuditEntry

    total = AuditEntry.objects.count()
    ctx.progress(0, total)
    for n, _entry in enumerate(AuditEntry.objects.order_by("pk").iterator(chunk_size=2), start=1):
        write_from_elsewhere(n)
        ctx._last_write = 0.0  # store every call, not every half second
        ctx.progress(n)
        SEEN_PROGRESS.append(Job.objects.filter(pk=ctx.job.pk).values_list("done", "total").get())
