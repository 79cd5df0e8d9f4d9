"""Subsidy run pages: compute (preview) and commit, the run with its stage actions, export, the public notice."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.models import Program
from applications.scope import current_program
from kedaitong.audit import log_action
from kedaitong.permissions import get_visible_or_404, require_role
from kedaitong.programs import Feature, has_feature
from kedaitong.roles import PROGRAM_ROLES, Role
from kedaitong.uploads import serve_upload
from loans.models import Bank
from operations.selectors import history_of, may_see_history
from subsidy import export, services, tasks
from subsidy.forms import AuditForm, PaymentForm, RunForm
from subsidy.models import BANK_VISIBLE_STATES, RunState, SubsidyRun

MAKER_ROLES = (Role.BUREAU_STAFF, Role.ADMIN)


def subsidy_program(user) -> Program:
    """The user's current program, if it runs the interest subsidy (四); anyone else is an outsider (404)."""
    role = user.effective_role
    program = current_program(user) if role == Role.ADMIN or role in PROGRAM_ROLES else None
    if program is None or not has_feature(program, Feature.SUBSIDY):
        raise Http404
    return program


def _stored(run: SubsidyRun) -> tuple[list, list, list]:
    lines = list(run.lines.select_related("bank"))
    for line in lines:
        line.bank_name = line.bank.name
    return lines, services.bank_totals(lines), list(run.exclusions.all())


@require_GET
@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    """Runs, and the preview of a year: computed here when the year is small, as a background job when it is large."""
    from django.conf import settings

    program = subsidy_program(request.user)
    runs = SubsidyRun.objects.visible_to(request.user).filter(program=program)
    preview = None
    large = 0
    form = RunForm(request.GET or None)
    can_make = request.user.effective_role in MAKER_ROLES
    if request.GET and form.is_valid():
        try:
            services.parse_inputs(
                year=form.cleaned_data["year"],
                budget=form.cleaned_data["budget"],
                cutoff=form.cleaned_data["cutoff"],
            )
            count = tasks.year_loan_count(program, form.cleaned_data["year"])
            if count > getattr(settings, "SUBSIDY_PREVIEW_INLINE_MAX_LOANS", 5000):
                large = count  # the page offers the preview as a background job instead
            else:
                preview = services.compute_run(
                    program=program,
                    year=form.cleaned_data["year"],
                    budget=form.cleaned_data["budget"],
                    cutoff=form.cleaned_data["cutoff"],
                )
        except services.SubsidyInputError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "subsidy/run_list.html",
        {
            "program": program,
            "runs": runs,
            "form": form,
            "preview": preview,
            "can_make": can_make,
            "large": large,
            "job_params": tasks.job_params(program, form) if large else None,
            "totals": preview.bank_totals() if preview else [],
        },
    )


@require_POST
@login_required
def run_create(request: HttpRequest) -> HttpResponse:
    """Queue the commit (or, with action=preview, a large year's preview) as a job; its page shows progress and result."""
    from kedaitong.jobs import job_enqueue

    program = subsidy_program(request.user)
    require_role(request.user, *MAKER_ROLES)
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            year, _budget, _cutoff = services.parse_inputs(
                year=form.cleaned_data["year"],
                budget=form.cleaned_data["budget"],
                cutoff=form.cleaned_data["cutoff"],
            )
        except services.SubsidyInputError as exc:
            form.add_error(None, str(exc))
        else:
            preview = request.POST.get("action") == "preview"
            job = job_enqueue(
                owner=request.user,
                task=tasks.run_preview_job if preview else tasks.run_commit_job,
                params=tasks.job_params(program, form),
                title=f"试算{year}年度贴息（不保存）" if preview else f"生成{year}年度贴息批次",
            )
            # The progress page, which goes on to the saved run once the job is done (?follow=1).
            return redirect(
                reverse("job-detail", kwargs={"public_id": job.public_id})
                + ("" if preview else "?follow=1")
            )
    runs = SubsidyRun.objects.visible_to(request.user).filter(program=program)
    return render(
        request,
        "subsidy/run_list.html",
        {"program": program, "runs": runs, "form": form, "can_make": True},
        status=400,
    )


@require_GET
@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(
        SubsidyRun.objects.visible_to(request.user).select_related("program"), pk=pk
    )
    lines, totals, exclusions = _stored(run)
    paid = {p.bank_id: p for p in run.payments.all()}
    for t in totals:
        t.payment = paid.get(t.bank_id)
    role = request.user.effective_role
    return render(
        request,
        "subsidy/run_detail.html",
        {
            "run": run,
            "lines": lines[:500],
            "line_count": len(lines),
            "totals": totals,
            "exclusions": exclusions[:500],
            "exclusion_count": len(exclusions),
            "mismatches": list(run.mismatches.all()),
            "role": role,
            "audit_form": AuditForm(),
            "S": RunState,
            "can_make": role in MAKER_ROLES,
            "can_audit": role in (Role.AUDITOR, Role.ADMIN),
            "can_approve": role in (Role.BUREAU_HEAD, Role.ADMIN),
            "record_history": history_of(run) if may_see_history(request.user) else None,
        },
    )


@require_GET
@login_required
def run_export(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(SubsidyRun.objects.visible_to(request.user), pk=pk)
    lines, totals, exclusions = _stored(run)
    log_action(
        actor=request.user,
        action="subsidy.run.exported",
        obj=run,
        data={"rows": len(lines)},
        request=request,
    )
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="subsidy-{run.program.code}-{run.year}.xlsx"'
    )
    export.write_run(
        response,
        lines=lines,
        totals=totals,
        exclusions=exclusions,
        mismatches=run.mismatches.all(),
    )
    return response


@require_GET
@login_required
def run_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(SubsidyRun.objects.visible_to(request.user), pk=pk)
    if not run.audit_opinion:
        raise Http404
    return serve_upload(run.audit_opinion, filename=run.audit_opinion_name)


def _action(request: HttpRequest, pk: int, roles: tuple, title: str, call) -> HttpResponse:
    run = get_visible_or_404(SubsidyRun.objects.visible_to(request.user), pk=pk)
    require_role(request.user, *roles)
    if request.method == "GET":
        return render(request, "subsidy/run_confirm.html", {"run": run, "title": title})
    try:
        call(run)
    except services.StageRefused as exc:
        messages.error(request, str(exc))
    return redirect("subsidy:run-detail", pk=run.pk)


@require_http_methods(["GET", "POST"])
@login_required
def run_audit(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(SubsidyRun.objects.visible_to(request.user), pk=pk)
    require_role(request.user, Role.AUDITOR, Role.ADMIN)
    form = AuditForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.run_audit(
                actor=request.user, run=run, opinion=form.cleaned_data["opinion"], request=request
            )
        except services.StageRefused as exc:
            messages.error(request, str(exc))
        return redirect("subsidy:run-detail", pk=run.pk)
    return render(
        request,
        "subsidy/run_audit.html",
        {"run": run, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def run_publicize(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        MAKER_ROLES,
        "公示",
        lambda run: services.run_publicize(actor=request.user, run=run, request=request),
    )


@require_http_methods(["GET", "POST"])
@login_required
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        (Role.BUREAU_HEAD, Role.ADMIN),
        "审定",
        lambda run: services.run_approve(actor=request.user, run=run, request=request),
    )


@require_http_methods(["GET", "POST"])
@login_required
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        (Role.BUREAU_HEAD, Role.ADMIN),
        "撤销",
        lambda run: services.run_cancel(actor=request.user, run=run, request=request),
    )


@require_POST
@login_required
def run_pay(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(SubsidyRun.objects.visible_to(request.user), pk=pk)
    require_role(request.user, *MAKER_ROLES)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写拨付日期和凭证号")
        return redirect("subsidy:run-detail", pk=run.pk)
    bank = get_object_or_404(Bank, code=form.cleaned_data["bank"])
    try:
        services.run_record_payment(
            actor=request.user,
            run=run,
            bank=bank,
            paid_on=form.cleaned_data["paid_on"],
            voucher_no=form.cleaned_data["voucher_no"],
            request=request,
        )
    except services.StageRefused as exc:
        messages.error(request, str(exc))
    return redirect("subsidy:run-detail", pk=run.pk)


PUBLIC_STATES = [RunState.PUBLICIZED, RunState.APPROVED, RunState.PAID]


@require_GET
def public_notice(request: HttpRequest, program: str, year: int) -> HttpResponse:
    """The publicity notice (四(一): 公示无异议后): no login, only publicized runs, bank totals and lines."""
    run = get_object_or_404(
        SubsidyRun.objects.select_related("program"),
        program=get_object_or_404(Program, code=program),
        year=year,
        state__in=PUBLIC_STATES,
    )
    lines, totals, _exclusions = _stored(run)
    return render(
        request, "subsidy/public_notice.html", {"run": run, "lines": lines, "totals": totals}
    )


@require_http_methods(["GET", "POST"])
@login_required
def lpr_import(request: HttpRequest) -> HttpResponse:
    """New LPR publications from a file (admins); the table itself is in the admin site."""
    from subsidy.forms import LPRImportForm
    from subsidy.lpr_import import LPRImportError, import_lpr
    from subsidy.models import LPRRate

    require_role(request.user, Role.ADMIN)
    form = LPRImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = import_lpr(
                actor=request.user, upload=upload, filename=upload.name or "", request=request
            )
        except LPRImportError as exc:
            problems = exc.problems
        else:
            messages.success(request, f"已导入{len(created)}条LPR报价")
            return redirect("subsidy:lpr-import")
    latest = LPRRate.objects.all()[:12]
    status = 400 if problems or (request.method == "POST" and not form.is_valid()) else 200
    return render(
        request,
        "subsidy/lpr_import.html",
        {"form": form, "problems": problems, "latest": latest},
        status=status,
    )


def _bank_runs(user) -> list[SubsidyRun]:
    require_role(user, Role.BANK)
    program = current_program(user)  # a bank's subsidy is its current program's, where it runs one
    if not has_feature(program, Feature.SUBSIDY):
        raise Http404
    return list(
        SubsidyRun.objects.filter(
            program=program, state__in=BANK_VISIBLE_STATES, lines__bank=user.bank_id
        )
        .select_related("program")
        .distinct()
        .order_by("-year", "-pk")
    )


@require_GET
@login_required
def bank_subsidy(request: HttpRequest) -> HttpResponse:
    """A bank's own subsidy: for each publicized run, its lines, the loans left out and why, and the payment."""
    bank = request.user.bank
    sections = []
    for run in _bank_runs(request.user):
        lines = list(run.lines.filter(bank=bank))
        for line in lines:
            line.bank_name = bank.name
        (total,) = services.bank_totals(lines) or [None]
        sections.append(
            {
                "run": run,
                "lines": lines[:500],
                "line_count": len(lines),
                "total": total,
                "payment": run.payments.filter(bank=bank).first(),
                "exclusions": list(run.exclusions.filter(bank_code=bank.code)[:500]),
            }
        )
    return render(request, "subsidy/bank_subsidy.html", {"bank": bank, "sections": sections})


@require_GET
@login_required
def bank_subsidy_export(request: HttpRequest, pk: int) -> HttpResponse:
    runs = {run.pk: run for run in _bank_runs(request.user)}
    if pk not in runs:
        raise Http404
    run, bank = runs[pk], request.user.bank
    lines = list(run.lines.filter(bank=bank))
    for line in lines:
        line.bank_name = bank.name
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="subsidy-{run.program.code}-{run.year}-{bank.code}.xlsx"'
    )
    export.write_run(
        response,
        lines=lines,
        totals=services.bank_totals(lines),
        exclusions=run.exclusions.filter(bank_code=bank.code),
        mismatches=run.mismatches.filter(bank_code=bank.code),
    )
    return response
