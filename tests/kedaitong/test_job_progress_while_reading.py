"""A job reports progress in the middle of a long read while other connections write (SQLite WAL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from kedaitong import jobs
from kedaitong.audit import log_action
from kedaitong.models import AuditEntry, Job

pytestmark = pytest.mark.django_db(transaction=True)

SEEN: list[tuple[int, int]] = []


def write_from_elsewhere(i: int) -> None:
    """What the heartbeat thread or another user's request does: a write on another connection."""

    def write() -> None:
        try:
            log_action(actor=None, action="tests.elsewhere", data={"i": i})
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    writer.join()


@jobs.register("tests.read_and_report", title="read and report")
def read_and_report(ctx: jobs.JobContext) -> None:
    """Iterate rows (an open cursor, like a ledger export) and report progress after others wrote."""
    total = AuditEntry.objects.count()
    ctx.progress(0, total)
    for n, _entry in enumerate(AuditEntry.objects.order_by("pk").iterator(chunk_size=2), start=1):
        write_from_elsewhere(n)
        ctx._last_beat = 0.0  # store every call, not every half second
        ctx.progress(n)
        SEEN.append(Job.objects.filter(pk=ctx.job.pk).values_list("done", "total").get())


def test_progress_is_stored_while_the_job_reads_and_others_write(cast):
    for i in range(5):
        log_action(actor=None, action="tests.row", data={"i": i})
    total = AuditEntry.objects.count()
    SEEN.clear()
    job = Job.objects.create(owner=cast.admin, kind="tests.read_and_report", title="t")

    assert jobs.run_pending() == 1

    job.refresh_from_db()
    assert (job.state, job.message) == ("done", "")
    assert (job.done, job.total) == (total, total)
    # The job read its own snapshot while the progress went in through another connection.
    assert len(SEEN) == total and SEEN[0][1] == total
    assert AuditEntry.objects.filter(action="tests.elsewhere").count() >= total
