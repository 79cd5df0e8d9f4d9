"""Background jobs of the bank side: checking and saving large uploads (kedaitong.jobs runs them)."""

from __future__ import annotations

from kedaitong.jobs import JobContext, register
from loans.models import RecordUpload


@register("loans.import_check", title="检查导入文件")
def import_check(ctx: JobContext, upload: int) -> None:
    from loans.services import upload_check, upload_fail

    record = RecordUpload.objects.get(pk=upload)
    try:
        upload_check(upload=record, progress=lambda done, total: ctx.progress(done, total))
    except Exception as exc:
        upload_fail(upload=record, exc=exc)
        raise


@register("loans.import_save", title="保存导入数据")
def import_save(ctx: JobContext, upload: int) -> None:
    """Work in one transaction: a worker killed midway leaves nothing, and the re-run starts afresh."""
    from loans.services import upload_fail, upload_save

    record = RecordUpload.objects.get(pk=upload)
    try:
        upload_save(upload=record, progress=lambda done, total: ctx.progress(done, total))
    except Exception as exc:
        upload_fail(upload=record, exc=exc)
        raise
