"""Background work of the bank side: checking and saving large uploads (Tasks API through kedaitong.jobs),
and the daily delinquency refresh (kedaitong.schedule)."""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError

from kedaitong import schedule
from kedaitong.jobs import JobContext, job_task
from loans.models import RecordUpload

# Days past due and buckets as of the bureau's new day (Changjiang 第十一条 1, 第九条).
schedule.daily_command("refresh_delinquency", at="00:30")
# 到期提示 to the lending banks at the start of their working day (第十条).
schedule.daily_command("loan_maturity_reminders", at="08:00")


@job_task(title="处理导入文件")
def import_upload(ctx: JobContext, *, upload: int, commit: bool) -> None:
    """Check (the preview) or, with `commit`, save a large upload.

    Saving works in one transaction: a worker killed midway leaves nothing, and the re-run starts afresh.
    """
    process_upload(
        RecordUpload.objects.get(pk=upload),
        commit=commit,
        progress=lambda done, total: ctx.progress(done, total),
    )


def process_upload(record: RecordUpload, *, commit: bool, progress: Any = None) -> None:
    """The job's work. An error of the file or of the rules fails the upload, with the reason. An error of the
    database (a deadlock, a lost connection) does not: kedaitong.jobs leaves such a job to be queued again, and
    the upload, still being saved, is saved by that next attempt. Marked failed here, the next attempt found it
    failed and stopped on the state machine: the scale-out run of 2026-12-05 lost a clerk's 5,000-row upload that
    way, after a killed worker's lingering transaction deadlocked with the one that took its job over
    (docs/benchmarks.md)."""
    from loans.services import upload_fail, upload_process

    try:
        upload_process(upload=record, commit=commit, progress=progress)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        upload_fail(upload=record, exc=exc)
        raise
