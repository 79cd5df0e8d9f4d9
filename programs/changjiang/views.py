"""Pages of the Changjiang kind's own records: the annual credit plan (第五条), joint recovery cases (第七条) and the
quarterly post-loan report to the province (第十条). A program without the feature has none of them (404)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.models import Program
from applications.scope import current_program
from kedaitong import excel, programs
from kedaitong.errors import Conflict, NotAllowed, Refused
from kedaitong.permissions import get_visible_or_404, role_required
from kedaitong.programs import Feature
from kedaitong.roles import Role
from kedaitong.uploads import serve_upload
from loans.models import Bank
from programs.changjiang import forms, rules, selectors, services
from programs.changjiang.models import (
    CreditPlan,
    CreditPlanChange,
    ProvincialReport,
    RecoveryCase,
    RecoveryDocument,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLAN_ROLES = (
    Role.LEADING_GROUP,
    Role.BUREAU_STAFF,
    Role.BUREAU_HEAD,
    Role.AUDITOR,
    Role.BANK,
    Role.ADMIN,
)
RECOVERY_ROLES = PLAN_ROLES
REPORT_ROLES = (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)


def _program_with(request: HttpRequest, feature: str) -> Program:
    program = current_program(request.user)
    if not programs.has_feature(program, feature):
        raise Http404
    assert program is not None
    return program


def _refusal_status(exc: Refused) -> int:
    if isinstance(exc, NotAllowed):
        return 403
    if isinstance(exc, Conflict):
        return 409
    return 400


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


# --- 第五条: the annual credit plan --------------------------------------------------------------------------------


def _plan_banks(request: HttpRequest, program: Program) -> Any:
    banks = Bank.objects.filter(agreements__program=program).distinct().order_by("code")
    if request.user.effective_role == Role.BANK:
        banks = banks.filter(pk=request.user.bank_id)
    return banks


@require_http_methods(["GET", "POST"])
@role_required(*PLAN_ROLES)
def credit_plan(request: HttpRequest) -> HttpResponse:
    """Each bank's plan against granted and disbursed, month by month; the office sets and changes plans here."""
    program = _program_with(request, Feature.CREDIT_PLAN)
    may_set = request.user.effective_role == Role.LEADING_GROUP
    if request.method == "POST" and not may_set:
        raise PermissionDenied
    year = _year(request)
    banks = _plan_banks(request, program)
    form = None
    status = 200
    if may_set:
        initial: dict[str, Any] = {"year": year}
        chosen = request.GET.get("bank")
        plan = (
            CreditPlan.objects.filter(program=program, year=year, bank__code=chosen).first()
            if chosen
            else None
        )
        if plan is not None:
            last = plan.changes.last()
            initial |= {
                "bank": plan.bank,
                "amount": plan.amount,
                "count": plan.count,
                "seen_change": last.pk if last else 0,
            }
        form = forms.CreditPlanForm(request.POST or None, banks=banks, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.credit_plan_set(
                    actor=request.user,
                    program=program,
                    bank=data["bank"],
                    year=data["year"],
                    amount=data["amount"],
                    count=data["count"],
                    reason=data["reason"],
                    seen_change=data["seen_change"],
                    request=request,
                )
            except Refused as exc:
                status = _refusal_status(exc)
                for problem in exc.problems:
                    form.add_error(None, problem)
            else:
                messages.success(
                    request,
                    _("The %(year)s plan of %(bank)s is saved.")
                    % {"year": saved.year, "bank": saved.bank.name},
                )
                return redirect(f"{request.path}?year={saved.year}")
        elif request.method == "POST":
            status = 400
    rows = selectors.plan_progress(program, year, banks)
    today = timezone.localdate()
    month = 12 if year < today.year else (today.month if year == today.year else 0)
    changes = (
        CreditPlanChange.objects.filter(
            plan__program=program, plan__year=year, plan__bank__in=banks
        )
        .select_related("plan__bank", "changed_by")
        .order_by("-changed_at", "-pk")
    )
    return render(
        request,
        "changjiang/credit_plan.html",
        {
            "program": program,
            "year": year,
            "years": selectors.plan_years(program),
            "rows": rows,
            "month": month,
            "totals": selectors.program_totals(rows) if len(rows) > 1 else None,
            "changes": changes,
            "form": form,
            "article": "昌江细则第五条",
        },
        status=status,
    )


@require_GET
@role_required(*PLAN_ROLES)
def credit_plan_export(request: HttpRequest) -> HttpResponse:
    """The year's plan against granted and disbursed: a summary sheet and one row per bank and month."""
    program = _program_with(request, Feature.CREDIT_PLAN)
    year = _year(request)
    rows = selectors.plan_progress(program, year, _plan_banks(request, program))
    wb = excel.new_workbook()
    excel.write_sheet(
        wb,
        "年度信贷计划",
        [
            excel.Column("银行", 22),
            excel.Column("计划金额（元）", 16, "money", total=True),
            excel.Column("计划笔数", 10, "int", total=True),
            excel.Column("已发放授信笔数", 12, "int", total=True),
            excel.Column("授信金额（元）", 16, "money", total=True),
            excel.Column("已放款笔数", 10, "int", total=True),
            excel.Column("放款金额（元）", 16, "money", total=True),
            excel.Column("计划最后修改人", 14),
        ],
        (
            (
                r.bank.name,
                r.plan.amount if r.plan else None,
                r.plan.count if r.plan else None,
                r.granted_count,
                r.granted_amount,
                r.disbursed_count,
                r.disbursed_amount,
                str(r.plan.updated_by) if r.plan else "",
            )
            for r in rows
        ),
    )
    excel.write_sheet(
        wb,
        "按月",
        [
            excel.Column("银行", 22),
            excel.Column("月份", 8, "int"),
            excel.Column("按进度计划金额（元）", 18, "money"),
            excel.Column("按进度计划笔数", 14),
            excel.Column("当月授信笔数", 12, "int"),
            excel.Column("当月授信金额（元）", 16, "money", total=True),
            excel.Column("当月放款笔数", 12, "int"),
            excel.Column("当月放款金额（元）", 16, "money", total=True),
            excel.Column("累计授信金额（元）", 16, "money"),
            excel.Column("累计放款笔数", 12, "int"),
            excel.Column("累计放款金额（元）", 16, "money"),
        ],
        (
            (
                r.bank.name,
                m.month,
                m.plan_amount,
                m.plan_count,
                m.granted_count,
                m.granted_amount,
                m.disbursed_count,
                m.disbursed_amount,
                m.granted_amount_to_date,
                m.disbursed_count_to_date,
                m.disbursed_amount_to_date,
            )
            for r in rows
            for m in r.months
        ),
    )
    response = HttpResponse(content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="credit-plan-{year}.xlsx"'
    excel.save(wb, response)
    return response


# --- 第七条: joint recovery ---------------------------------------------------------------------------------------


@require_GET
@role_required(*RECOVERY_ROLES)
def recovery_cases(request: HttpRequest) -> HttpResponse:
    """Open cases with their age, oldest first (the lead bank its own); closed ones on request."""
    _program_with(request, Feature.JOINT_RECOVERY)
    show_closed = request.GET.get("state") == "closed"
    cases = RecoveryCase.objects.visible_to(request.user)
    cases = cases.filter(
        state=RecoveryCase.State.CLOSED if show_closed else RecoveryCase.State.OPEN
    )
    today = timezone.localdate()
    rows = [
        (case, case.age(today)) for case in selectors.case_list(cases).order_by("opened_on", "pk")
    ]
    return render(
        request,
        "changjiang/recovery_cases.html",
        {"rows": rows, "show_closed": show_closed},
    )


def _case(request: HttpRequest, public_id: uuid.UUID) -> RecoveryCase:
    _program_with(request, Feature.JOINT_RECOVERY)
    return get_visible_or_404(
        RecoveryCase.objects.visible_to(request.user).select_related(
            "loan__enterprise", "bank", "program", "closed_by"
        ),
        public_id=public_id,
    )


@require_http_methods(["GET", "POST"])
@role_required(*RECOVERY_ROLES)
def recovery_case(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The case: the loan, its parties, their actions with documents; a party records an action here."""
    case = _case(request, public_id)
    parties = services.parties_for(request.user, case) if case.state == "open" else []
    if request.method == "POST" and not parties:
        raise PermissionDenied
    form = (
        forms.RecoveryActionForm(
            request.POST or None,
            request.FILES or None,
            parties=parties,
            initial={"acted_on": timezone.localdate()},
        )
        if parties
        else None
    )
    status = 200
    if request.method == "POST" and form is not None:
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.recovery_action_record(
                    actor=request.user,
                    case=case,
                    party=data["party"],
                    acted_on=data["acted_on"],
                    what=data["what"],
                    result=data["result"],
                    documents=data["documents"],
                    request=request,
                )
            except Refused as exc:
                status = _refusal_status(exc)
                for problem in exc.problems:
                    form.add_error(None, problem)
            else:
                messages.success(request, _("The action is recorded."))
                return redirect("changjiang:recovery-case", public_id=case.public_id)
        else:
            status = 400
    role = request.user.effective_role
    office_or_bureau = role in (Role.LEADING_GROUP, Role.BUREAU_STAFF, Role.BUREAU_HEAD)
    may_close = case.state == "open" and (
        (role == Role.BANK and request.user.bank_id == case.bank_id) or role == Role.LEADING_GROUP
    )
    return render(
        request,
        "changjiang/recovery_case.html",
        {
            "case": case,
            "age": case.age(timezone.localdate()),
            "actions": case.actions.select_related("recorded_by").prefetch_related("documents"),
            "form": form,
            "unit_form": forms.ServiceUnitForm(initial={"service_unit": case.service_unit})
            if office_or_bureau and case.state == "open"
            else None,
            "close_form": forms.CloseCaseForm() if may_close else None,
            "follow": selectors.follow_up(case, request.user),
        },
        status=status,
    )


@require_POST
@role_required(Role.LEADING_GROUP, Role.BUREAU_STAFF, Role.BUREAU_HEAD)
def recovery_case_service_unit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = _case(request, public_id)
    form = forms.ServiceUnitForm(request.POST)
    try:
        services.recovery_case_name_service_unit(
            actor=request.user,
            case=case,
            name=form.data.get("service_unit", ""),
            request=request,
        )
    except NotAllowed as exc:
        raise PermissionDenied from exc
    except Refused as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    else:
        messages.success(request, _("The service unit is named."))
    return redirect("changjiang:recovery-case", public_id=case.public_id)


@require_POST
@role_required(Role.LEADING_GROUP, Role.BANK)
def recovery_case_close(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = _case(request, public_id)
    try:
        services.recovery_case_close(
            actor=request.user, case=case, outcome=request.POST.get("outcome", ""), request=request
        )
    except NotAllowed as exc:
        raise PermissionDenied from exc
    except Refused as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    else:
        messages.success(request, _("The case is closed."))
    return redirect("changjiang:recovery-case", public_id=case.public_id)


@require_GET
@role_required(*RECOVERY_ROLES)
def recovery_document(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _program_with(request, Feature.JOINT_RECOVERY)
    document = get_visible_or_404(
        RecoveryDocument.objects.filter(
            action__case__in=RecoveryCase.objects.visible_to(request.user)
        ),
        public_id=public_id,
    )
    return serve_upload(document.file, filename=document.original_name)


# --- 第十条: the quarter's post-loan report to the province ------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*REPORT_ROLES)
def provincial_reports(request: HttpRequest) -> HttpResponse:
    """The quarters' reports; the bureau staff produce a closed quarter's (again, until it is sent)."""
    program = _program_with(request, Feature.PROVINCIAL_REPORTS)
    may_produce = request.user.effective_role == Role.BUREAU_STAFF
    if request.method == "POST" and not may_produce:
        raise PermissionDenied
    last_year, last_quarter = rules.last_closed_quarter(timezone.localdate())
    form = (
        forms.ProduceReportForm(
            request.POST or None, initial={"year": last_year, "quarter": last_quarter}
        )
        if may_produce
        else None
    )
    status = 200
    if request.method == "POST" and form is not None:
        if form.is_valid():
            try:
                report = services.provincial_report_produce(
                    actor=request.user,
                    program=program,
                    year=form.cleaned_data["year"],
                    quarter=form.cleaned_data["quarter"],
                    request=request,
                )
            except Refused as exc:
                status = _refusal_status(exc)
                for problem in exc.problems:
                    form.add_error(None, problem)
            else:
                messages.success(
                    request, _("The report of %(report)s is produced.") % {"report": report}
                )
                return redirect("changjiang:provincial-reports")
        else:
            status = 400
    reports = ProvincialReport.objects.visible_to(request.user).select_related(
        "produced_by", "sent_by"
    )
    return render(
        request,
        "changjiang/provincial_reports.html",
        {
            "reports": [
                (
                    r,
                    forms.MarkSentForm(
                        initial={"sent_on": timezone.localdate()}, prefix=f"r{r.pk}"
                    ),
                )
                for r in reports
            ],
            "form": form,
            "may_produce": may_produce,
        },
        status=status,
    )


def _report(request: HttpRequest, public_id: uuid.UUID) -> ProvincialReport:
    _program_with(request, Feature.PROVINCIAL_REPORTS)
    return get_visible_or_404(
        ProvincialReport.objects.visible_to(request.user).select_related("program"),
        public_id=public_id,
    )


@require_GET
@role_required(*REPORT_ROLES)
def provincial_report_file(request: HttpRequest, public_id: uuid.UUID, fmt: str) -> HttpResponse:
    report = _report(request, public_id)
    name = f"post-loan-report-{report.year}Q{report.quarter}"
    if fmt == "pdf":
        return serve_upload(report.pdf, filename=f"{name}.pdf")
    if fmt == "xlsx":
        return serve_upload(report.xlsx, filename=f"{name}.xlsx")
    raise Http404


@require_POST
@role_required(Role.BUREAU_STAFF)
def provincial_report_sent(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    report = _report(request, public_id)
    form = forms.MarkSentForm(request.POST, prefix=f"r{report.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("changjiang:provincial-reports")
    try:
        services.provincial_report_mark_sent(
            actor=request.user,
            report=report,
            sent_on=form.cleaned_data["sent_on"],
            reference=form.cleaned_data["reference"],
            request=request,
        )
    except NotAllowed as exc:
        raise PermissionDenied from exc
    except Refused as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    else:
        messages.success(request, _("Marked sent to the provincial centre."))
    return redirect("changjiang:provincial-reports")
