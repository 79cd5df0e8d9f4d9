"""Ledger pages with filters, totals and exports."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.models import Enterprise
from kedaitong import excel
from kedaitong.audit import log_action
from kedaitong.jobs import job_enqueue
from kedaitong.permissions import get_visible_or_404, role_required
from reports.directory import (
    DIRECTORY_ROLES,
    PAGE_SIZE,
    enterprise_file,
    enterprise_search,
    normalize_query,
    with_counts,
)
from reports.exports import export_filename, filters_to_params, ledger_export_job, write_ledger
from reports.ledgers import LEDGERS, Ledger, LedgerFilterForm, kept_elsewhere, ledgers_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ledger_for(request: HttpRequest, code: str) -> Ledger:
    ledger = LEDGERS.get(code)
    if ledger is None:
        raise Http404
    if not ledgers_for(request.user):
        raise PermissionDenied  # a role without ledgers
    if ledger not in ledgers_for(request.user):
        raise Http404  # a money feature the user's program does not run (the subsidy runs in Changjiang)
    return ledger


@require_GET
@login_required
def ledger_index(request: HttpRequest) -> HttpResponse:
    ledgers = ledgers_for(request.user)
    if not ledgers:
        raise PermissionDenied
    return render(
        request,
        "reports/index.html",
        {"ledgers": ledgers, "kept_elsewhere": kept_elsewhere(request.user)},
    )


@require_GET
@login_required
def ledger_page(request: HttpRequest, code: str) -> HttpResponse:
    ledger = _ledger_for(request, code)
    form = LedgerFilterForm(request.GET or None, user=request.user)
    refused = form.is_bound and not form.is_valid()  # a refused filter (a NUL byte) lists nothing
    filters = {} if refused or not form.is_bound else form.cleaned_data
    qs = ledger.queryset(request.user, filters)
    if refused:
        qs = qs.none()
    page = Paginator(qs.values_list(*ledger.fields), 50).get_page(request.GET.get("page"))
    kinds = [column.kind for column in ledger.columns]
    rows = [
        list(zip(ledger.convert(values) if ledger.convert else values, kinds, strict=True))
        for values in page.object_list
    ]
    return render(
        request,
        "reports/ledger.html",
        {
            "ledger": ledger,
            "form": form,
            "page": page,
            "rows": rows,
            "totals": ledger.totals(qs),
            "export_params": filters_to_params(filters),
        },
        status=400 if refused else 200,
    )


@require_POST
@login_required
def ledger_export(request: HttpRequest, code: str) -> HttpResponse:
    """Small exports download at once; large ones become a background job with a progress page."""
    ledger = _ledger_for(request, code)
    form = LedgerFilterForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(
            request,
            "reports/ledger.html",
            {"ledger": ledger, "form": form, "rows": [], "page": None},
            status=400,
        )
    filters = form.cleaned_data
    rows = ledger.queryset(request.user, filters).count()
    # A bulk disclosure: who took which ledger, filtered how, how many rows (page views are not audited).
    log_action(
        actor=request.user,
        action="reports.ledger.exported",
        data={"ledger": ledger.code, "filters": filters_to_params(filters), "rows": rows},
        request=request,
    )
    if rows <= settings.EXPORT_INLINE_MAX_ROWS:
        buffer = io.BytesIO()
        write_ledger(ledger, request.user, filters, buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{export_filename(ledger)}"'
        return response
    job = job_enqueue(
        owner=request.user,
        task=ledger_export_job,
        params={"ledger": ledger.code, "filters": filters_to_params(filters)},
        title=f"导出{ledger.title}",
    )
    return redirect("job-detail", public_id=job.public_id)


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not ledgers_for(request.user):
        raise PermissionDenied
    from reports.dashboard import dashboard_context

    context, status = dashboard_context(request)
    return render(request, "reports/dashboard.html", context | {"show_npl": True}, status=status)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


@require_http_methods(["GET", "POST"])
@login_required
def statistics_page(request: HttpRequest) -> HttpResponse:
    """Per-bank statistics for a period; POST downloads the same table as Excel."""
    from reports.statistics import COLUMNS, bank_statistics

    if not ledgers_for(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    data = (
        request.POST
        if request.method == "POST"
        else (request.GET or {"date_from": today.replace(month=1, day=1), "date_to": today})
    )
    form = PeriodForm(data)
    rows = (
        bank_statistics(request.user, form.cleaned_data["date_from"], form.cleaned_data["date_to"])
        if form.is_valid()
        else []
    )
    if request.method == "POST" and form.is_valid():
        wb = excel.new_workbook()
        excel.write_sheet(wb, "分银行统计", COLUMNS, rows)
        buffer = io.BytesIO()
        excel.save(wb, buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = (
            f'attachment; filename="statistics-{form.cleaned_data["date_from"]:%Y%m%d}-{form.cleaned_data["date_to"]:%Y%m%d}.xlsx"'
        )
        return response
    kinds = [c.kind for c in COLUMNS]
    totals = [
        sum((row[i] for row in rows), Decimal("0.00")) if column.total else None
        for i, column in enumerate(COLUMNS)
    ]
    return render(
        request,
        "reports/statistics.html",
        {
            "form": form,
            "columns": COLUMNS,
            "rows": [list(zip(row, kinds, strict=True)) for row in rows],
            "totals": totals,
        },
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


@require_POST
@login_required
def annex4_zip(request: HttpRequest, scope: str, public_id: Any) -> HttpResponse:
    """Queue the zip of the 附件4 of a meeting's or a publicity batch's applications; 404 outside the user's scope."""
    from django.contrib import messages

    from review.tasks import annex4_batch, annex4_zip_job

    batch = annex4_batch(request.user, scope, public_id)
    back = "review:meeting-detail" if scope == "meeting" else "review:publicity-batch"
    if not batch.applications:
        messages.error(request, _("There is no application to print."))
        return redirect(back, public_id=public_id)
    job = job_enqueue(
        owner=request.user,
        task=annex4_zip_job,
        params={"scope": scope, "public_id": str(public_id)},
        title=batch.title,
    )
    return redirect("job-detail", public_id=job.public_id)


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year of disbursement"), min_value=2000, max_value=2100)


def _with_kinds(rows: list[list[Any]], columns: Any) -> tuple[list[Any], list[Decimal | None]]:
    kinds = [c.kind for c in columns]
    totals = [
        sum((row[i] for row in rows), Decimal("0.00")) if c.total else None
        for i, c in enumerate(columns)
    ]
    return [list(zip(row, kinds, strict=True)) for row in rows], totals


@require_http_methods(["GET", "POST"])
@login_required
def annual_statistics_page(request: HttpRequest) -> HttpResponse:
    """The March audit (Quzhou 四): year Y's loans, interest and subsidy per bank and per enterprise; POST is the workbook."""
    from reports.statistics import ANNUAL_BANK_COLUMNS, ANNUAL_ENTERPRISE_COLUMNS, annual_statistics

    if not ledgers_for(request.user):
        raise PermissionDenied
    data = (
        request.POST
        if request.method == "POST"
        else (request.GET or {"year": timezone.localdate().year - 1})
    )
    form = YearForm(data)
    if not form.is_valid():
        return render(
            request, "reports/annual_statistics.html", {"form": form, "sections": []}, status=400
        )
    year = form.cleaned_data["year"]
    banks, enterprises = annual_statistics(request.user, year)
    if request.method == "POST":
        wb = excel.new_workbook()
        excel.write_sheet(wb, f"{year}年分银行", ANNUAL_BANK_COLUMNS, banks)
        excel.write_sheet(wb, f"{year}年分企业", ANNUAL_ENTERPRISE_COLUMNS, enterprises)
        buffer = io.BytesIO()
        excel.save(wb, buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="annual-statistics-{year}.xlsx"'
        return response
    sections = []
    for key, title, columns, rows in (
        ("banks", _("By bank"), ANNUAL_BANK_COLUMNS, banks),
        ("enterprises", _("By enterprise"), ANNUAL_ENTERPRISE_COLUMNS, enterprises),
    ):
        shown, totals = _with_kinds(rows, columns)
        sections.append(
            {"key": key, "title": title, "columns": columns, "rows": shown, "totals": totals}
        )
    return render(
        request,
        "reports/annual_statistics.html",
        {"form": form, "year": year, "sections": sections},
    )


@require_GET
@role_required(*DIRECTORY_ROLES)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    """The bureau's enterprise directory: search by name or credit code (issue 18, item 6)."""
    query = normalize_query(request.GET.get("q", ""))
    found = enterprise_search(user=request.user, query=query)
    page = Paginator(found.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    enterprises = with_counts(user=request.user, enterprises=list(page.object_list))
    return render(
        request,
        "reports/enterprise_list.html",
        {"query": query, "page": page, "enterprises": enterprises},
    )


@require_GET
@role_required(*DIRECTORY_ROLES)
def enterprise_page(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One enterprise's applications, loans, compensation claims and blacklist state in the user's program."""
    enterprise = get_visible_or_404(
        Enterprise.objects.visible_to(request.user), public_id=public_id
    )
    return render(
        request,
        "reports/enterprise_page.html",
        {
            "enterprise": enterprise,
            "file": enterprise_file(user=request.user, enterprise=enterprise),
        },
    )
