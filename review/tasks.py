"""Background jobs of the review: the 附件4 of every application of a meeting or a publicity batch, as one zip.

A meeting or a batch of twenty applications is twenty WeasyPrint renderings
(about a second each), so the zip is made by a job whose progress moves one
PDF at a time. The job is its owner's: only they see its page and download it
(kedaitong.views), and it holds only applications the owner may see.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass

from django.http import Http404

from applications.models import Application
from applications.scope import programs_of
from kedaitong import programs, schedule
from kedaitong.jobs import JobContext, job_task
from kedaitong.models import User
from kedaitong.programs import Feature
from kedaitong.roles import Role
from review.models import Meeting, PublicityBatch

# The roles that see meeting and publicity pages (review.views).
# Each morning, the applications waiting in a review state longer than REVIEW_OVERDUE_DAYS.
schedule.daily_command("review_overdue", at="08:00")

BATCH_ROLES = (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
SCOPES = ("meeting", "publicity")


@dataclass
class Batch:
    title: str
    filename: str
    applications: list[Application]


def annex4_batch(user: User, scope: str, public_id: uuid.UUID | str) -> Batch:
    """The applications of a meeting or publicity batch the user may see; 404 when the user may not see the batch."""
    if scope not in SCOPES or user.effective_role not in BATCH_ROLES:
        raise Http404
    feature = Feature.MEETINGS if scope == "meeting" else Feature.PUBLICITY
    model = Meeting if scope == "meeting" else PublicityBatch
    obj = model.objects.filter(public_id=public_id).select_related("program").first()
    # The batch's program must be one the user works in (a job runs without the page's program switch).
    if obj is None or obj.program not in programs_of(user):
        raise Http404
    if not programs.has_feature(obj.program, feature):
        raise Http404
    user.program_choice = obj.program.code  # its applications are read within that program
    getattr(user, "_scope_cache", {}).pop("current", None)
    if scope == "meeting":
        ids = obj.decisions.values("application")
        label, day = "领导专班会议", obj.date
    else:
        ids = obj.entries.values("application")
        label, day = "公示", obj.start_date
    applications = list(
        Application.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("enterprise")
        .order_by("reference")
    )
    return Batch(f"{label}{day:%Y-%m-%d}附件4", f"附件4-{label}-{day:%Y%m%d}.zip", applications)


def pdf_name(application: Application) -> str:
    """附件4-<reference>-<enterprise>.pdf, without characters a file system refuses."""
    safe = (
        "".join(ch for ch in application.enterprise.name if ch not in '\\/:*?"<>|').strip()
        or "企业"
    )
    return f"附件4-{application.reference}-{safe}.pdf"


@job_task(title="批量生成附件4")
def annex4_zip_job(ctx: JobContext, *, scope: str, public_id: str) -> None:
    batch = annex4_batch(ctx.job.owner, scope, public_id)
    total = len(batch.applications)
    ctx.progress(0, total, message=batch.title)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, application in enumerate(batch.applications, start=1):
            annex = programs.spec(application).annex("annex4")
            if annex is None:
                continue
            archive.writestr(pdf_name(application), annex.build(application, ctx.job.owner))
            ctx.progress(n, total, message=f"{application.reference}（{n}/{total}）")
    ctx.save_result(batch.filename, buffer.getvalue())
