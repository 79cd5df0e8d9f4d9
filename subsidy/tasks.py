"""Background jobs of the subsidy app: committing a run, and the preview of a large year as a workbook.

On 100,000 loans a commit takes 12–25 s, too long for a request. The page queues
the job and sends the user to its progress page; the job page then links to the
saved run, or shows the service's Chinese message when the commit is refused.
"""

from __future__ import annotations

import io
from typing import Any

from django.urls import reverse

from applications.models import Program
from kedaitong.jobs import JobContext, job_task
from loans.models import Loan
from subsidy import export, services
from subsidy.models import RunState, SubsidyRun


def year_loan_count(program: Program, year: str) -> int:
    return Loan.objects.filter(
        program_version__program=program, disbursement_date__year=int(year)
    ).count()


def job_params(program: Program, form: Any) -> dict[str, object]:
    cutoff = form.cleaned_data["cutoff"]
    return {
        "program": program.pk,
        "year": form.cleaned_data["year"].strip(),
        "budget": form.cleaned_data["budget"].strip(),
        "cutoff": cutoff.isoformat() if cutoff else "",
    }


@job_task(title="生成贴息批次")
def run_commit_job(
    ctx: JobContext, *, program: int, year: str, budget: str, cutoff: str = ""
) -> None:
    """Compute and save the run in one transaction (services.run_commit): a re-run after a crash cannot double it."""
    job = ctx.job
    program_obj = Program.objects.get(pk=program)
    ctx.progress(0, 2, message="正在计算并保存贴息批次")
    try:
        run = services.run_commit(
            actor=job.owner, program=program_obj, year=year, budget=budget, cutoff=cutoff or None
        )
    except services.SubsidyInputError:
        # A worker that died after the commit but before the job was marked done: the run is this job's own.
        run = (
            SubsidyRun.objects.filter(
                program=program_obj,
                year=int(year),
                created_by=job.owner,
                created_at__gte=job.created_at,
            )
            .exclude(state=RunState.CANCELLED)
            .first()
            if job.attempts > 1
            else None
        )
        if run is None:
            raise
    ctx.set_link(
        reverse("subsidy:run-detail", kwargs={"pk": run.pk}), f"查看{run.year}年度贴息批次"
    )
    ctx.progress(2, 2, message=f"已保存{run.year}年度贴息批次：{run.lines.count()}笔贷款")


@job_task(title="试算贴息批次")
def run_preview_job(
    ctx: JobContext, *, program: int, year: str, budget: str, cutoff: str = ""
) -> None:
    """Compute the run (saving nothing) and leave it as a workbook: detail lines, bank totals, loans left out."""
    program_obj = Program.objects.get(pk=program)
    ctx.progress(0, 2, message="正在试算")
    result = services.compute_run(
        program=program_obj, year=year, budget=budget, cutoff=cutoff or None
    )
    ctx.progress(1, 2, message=f"试算完成：{len(result.lines)}笔贷款予以贴息，正在写入工作簿")
    buffer = io.BytesIO()
    export.write_run(
        buffer,
        lines=result.lines,
        totals=result.bank_totals(),
        exclusions=result.exclusions,
        mismatches=result.mismatches,
    )
    ctx.save_result(f"subsidy-preview-{program_obj.code}-{result.year}.xlsx", buffer.getvalue())
    ctx.progress(2, 2, message=f"试算完成：贴息合计{result.total}元（未保存）")
