"""Background work of the bank side: checking and saving large uploads (Tasks API through kedaitong.jobs),
and the daily delinquency refresh (kedaitong.schedule)."""

from __future__ import annotations

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
    from loans.services import upload_fail, upload_process

    record = RecordUpload.objects.get(pk=upload)
    try:
        upload_process(
            upload=record, commit=commit, progress=lambda done, total: ctx.progress(done, total)
        )
    except Exception as exc:
        upload_fail(upload=record, exc=exc)
        raise
