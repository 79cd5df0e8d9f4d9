"""A job reports progress in the middle of a long read while other connections write (SQLite WAL)."""

from __future__ import annotations

import pytest

from kedaitong import jobs
from kedaitong.audit import log_action
from kedaitong.models import AuditEntry
from tests.kedaitong.job_tasks import SEEN_PROGRESS as SEEN
from tests.kedaitong.job_tasks import read_and_report

pytestmark = pytest.mark.django_db(transaction=True)


def test_progress_is_stored_while_the_job_reads_and_others_write(cast):
    for i in range(5):
        log_action(actor=None, action="tests.row", data={"i": i})
    total = AuditEntry.objects.count()
    SEEN.clear()
    # The immediate backend runs the job at commit (a transactional test: at once), here.
    job = jobs.job_enqueue(owner=cast.admin, task=read_and_report)

    job.refresh_from_db()
    assert (job.state, job.message) == ("done", "")
    assert (job.done, job.total) == (total, total)
    # The job read its own snapshot while the progress went in through another connection.
    assert len(SEEN) == total and SEEN[0][1] == total
    assert AuditEntry.objects.filter(action="tests.elsewhere").count() >= total
