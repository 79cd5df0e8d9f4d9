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
