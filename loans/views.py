"""Bank pages, looked up within the user's scope: a bank sees only itself."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications import scope
from applications.models import ProductType, Program
from kedaitong.audit import log_action
from kedaitong.db import MoneySum
from kedaitong.downloads import disposition
from kedaitong.forms import AmountField
from kedaitong.permissions import get_visible_or_404, require_role, role_required
from kedaitong.programs import Feature, has_feature, loan_links
from kedaitong.roles import PROGRAM_ROLES, Role
from kedaitong.uploads import EvidenceFileField, display_name, serve_upload
from loans import selectors, services
from loans.delinquency import Bucket
from loans.importer import ImportNotAllowed, template_bytes
from loans.importer.engine import kinds as importer_kinds
from loans.models import Bank, Loan, LoanDocument, PostLoanReport, RecordUpload, UploadedRecord
from operations.selectors import history_of, may_see_history


@require_GET
@role_required(*PROGRAM_ROLES, Role.BANK, Role.ADMIN)
def bank_list(request: HttpRequest) -> HttpResponse:
    banks = Bank.objects.visible_to(request.user).annotate(
        loan_count=Count("loans", distinct=True), principal=MoneySum("loans__principal")
    )
    return render(request, "loans/bank_list.html", {"banks": banks})


@require_GET
@login_required
def bank_detail(request: HttpRequest, code: str) -> HttpResponse:
    bank = get_visible_or_404(Bank.objects.visible_to(request.user), code=code)
    loans = (
        Loan.objects.visible_to(request.user)
        .filter(bank=bank)
        .select_related("enterprise", "program_version__program")
    )
    agreements = bank.agreements.select_related("program")
    return render(
        request,
        "loans/bank_detail.html",
        {"bank": bank, "loans": loans[:50], "loan_count": loans.count(), "agreements": agreements},
    )


# ── loans ─────────────────────────────────────────────────────────────────────

LOAN_VIEW_ROLES = (*PROGRAM_ROLES, Role.BANK, Role.ADMIN, Role.ENTERPRISE)


class LoanFilterForm(forms.Form):
    """The loan list's query string: search, bucket, documents. A refused value (a NUL byte) lists nothing."""

    q = forms.CharField(label=_("Contract number or enterprise"), required=False, max_length=100)
    bucket = forms.ChoiceField(
        label=_("Past due"), required=False, choices=[("", ""), *Bucket.choices]
    )
    documents = forms.ChoiceField(
        label=_("Loan documents"), required=False, choices=[("", ""), ("missing", "missing")]
    )


@require_GET
@role_required(*LOAN_VIEW_ROLES)
def loan_list(request: HttpRequest) -> HttpResponse:
    loans = selectors.loans_for(request.user)
    form = LoanFilterForm(request.GET)
    bucket = query = documents = ""
    if form.is_valid():
        bucket, documents = form.cleaned_data["bucket"], form.cleaned_data["documents"]
        query = form.cleaned_data["q"].strip()
    else:
        loans = loans.none()
    if bucket:
        loans = loans.filter(bucket=bucket)
    if query:
        loans = loans.filter(Q(contract_no__icontains=query) | Q(enterprise__name__icontains=query))
    if documents == "missing":
        loans = selectors.loans_missing_documents(loans)
    page = Paginator(loans, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "loans/loan_list.html",
        {
            "page": page,
            "loans": page.object_list,
            "buckets": Bucket.choices,
            "bucket": bucket,
            "q": query,
            "documents": documents,
            "filter_errors": [m for messages in form.errors.values() for m in messages],
            "totals": loans.aggregate(count=Count("id"), principal=MoneySum("principal")),
        },
        status=400 if form.errors else 200,
    )


@require_GET
@login_required
def loan_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    loan = get_visible_or_404(
        Loan.objects.visible_to(request.user).select_related(
            "enterprise",
            "bank",
            "program_version__program",
            "product_type",
            "application",
            "upload",
        ),
        public_id=public_id,
    )
    return render(
        request,
        "loans/loan_detail.html",
        {
            "loan": loan,
            "figures": selectors.loan_figures(loan),
            "repayments": loan.repayments.select_related("upload"),
            "settlements": loan.interestsettlements.select_related("upload"),
            "events": loan.overdueevents.select_related("upload"),
            "reports": loan.post_loan_reports.select_related("filed_by"),
            "can_report": request.user.effective_role == Role.BANK,
            "documents": loan.documents.select_related("uploaded_by").order_by(
                "kind", "-uploaded_at"
            ),
            "documents_required": selectors.documents_required(loan),
            "documents_missing": selectors.documents_missing(loan),
            "record_history": history_of(loan) if may_see_history(request.user) else None,
            "kind_links": loan_links(request.user, loan),
        },
    )


class DisbursementForm(forms.Form):
    """One disbursement reported by the lending bank (Quzhou 二); the rules are the importer's."""

    program = forms.ModelChoiceField(
        label=_("Program"), queryset=Program.objects.none(), empty_label=None
    )
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18)
    contract_no = forms.CharField(label=_("Contract number"), max_length=60)
    contract_date = forms.DateField(
        label=_("Contract signing date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The rate is checked against the LPR in force on this day (Quzhou 一(六))."),
    )
    disbursement_date = forms.DateField(
        label=_("Disbursement date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    maturity_date = forms.DateField(
        label=_("Maturity date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    principal = AmountField(
        label=_("Principal (yuan)"),
        help_text=_("In yuan, at most two decimals; thousands separators allowed."),
    )
    annual_rate = forms.DecimalField(
        label=_("Annual rate (%)"), max_digits=7, decimal_places=4, min_value=0
    )
    product_type = forms.ModelChoiceField(
        label=_("Product type"), queryset=ProductType.objects.all(), required=False
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The program the bank works in (a bank in several switches program first), where loans are typed in.
        self.fields["program"].queryset = Program.objects.filter(
            pk=scope.current_program_id(user),
            agreements__bank=user.bank_id,
            versions__needs_recommendation=False,
        ).distinct()


@require_http_methods(["GET", "POST"])
@role_required(Role.BANK)
def loan_create(request: HttpRequest) -> HttpResponse:
    """Quzhou 二: the bank approved on its own and reports the disbursement; every registration rule applies.

    Only where the current program takes disbursements on this form (its kind's `loan_form` feature): a Changjiang
    bank's loans follow the recommended application (404 here).
    """
    if not has_feature(scope.current_program(request.user), Feature.LOAN_FORM):
        raise Http404
    form = DisbursementForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            loan = services.loan_disbursement_report(actor=request.user, **form.cleaned_data)
        except services.LoanRefused as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                _("The loan was registered. Send its application form and disbursement voucher."),
            )
            return redirect("loans:loan-detail", public_id=loan.public_id)
    return render(
        request, "loans/loan_form.html", {"form": form}, status=400 if form.errors else 200
    )


class LoanDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=LoanDocument.Kind.choices)
    file = EvidenceFileField(label=_("File (PDF, JPEG or PNG)"))


@require_http_methods(["GET", "POST"])
@login_required
def document_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Quzhou 二: the lending bank sends the application form and a copy of the disbursement voucher."""
    loan = get_visible_or_404(
        Loan.objects.visible_to(request.user).select_related(
            "enterprise", "bank", "program_version"
        ),
        public_id=public_id,
    )
    require_role(request.user, Role.BANK)
    form = LoanDocumentForm(
        request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind", "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.loan_document_file(
                actor=request.user,
                loan=loan,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except services.DocumentRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The document was sent to the bureau."))
            return redirect("loans:loan-detail", public_id=loan.public_id)
    return render(
        request,
        "loans/document_form.html",
        {"loan": loan, "form": form},
        status=400 if form.errors else 200,
    )


@require_GET
@login_required
def document_file(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    document = get_visible_or_404(
        LoanDocument.objects.visible_to(request.user), public_id=public_id
    )
    return serve_upload(document.file, filename=document.original_name)


class InterestSettlementForm(forms.Form):
    """One interest settlement, typed: the same checks as a row of the interest upload."""

    settled_on = forms.DateField(
        label=_("Settlement date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_start = forms.DateField(
        label=_("Interest period start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("Interest period end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = AmountField(label=_("Interest (yuan)"))
    is_overdue_interest = forms.BooleanField(
        label=_("Overdue-period interest (not subsidized, Quzhou 四(一))"), required=False
    )


@require_http_methods(["GET", "POST"])
@login_required
def interest_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The lending bank records one interest settlement (the upload's one-row form)."""
    loan = get_visible_or_404(
        Loan.objects.visible_to(request.user).select_related("enterprise", "bank"),
        public_id=public_id,
    )
    require_role(request.user, Role.BANK)
    form = InterestSettlementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.interest_settlement_record(
                actor=request.user, loan=loan, request=request, **form.cleaned_data
            )
        except services.RecordRefused as exc:
            for field, message in exc.problems:
                form.add_error(field or None, message)
        else:
            messages.success(request, _("The interest settlement was recorded."))
            return redirect("loans:loan-detail", public_id=loan.public_id)
    return render(
        request,
        "loans/interest_form.html",
        {"loan": loan, "form": form},
        status=400 if form.errors else 200,
    )


# ── uploads ───────────────────────────────────────────────────────────────────

UPLOAD_ROLES = (Role.BANK, Role.BUREAU_STAFF, Role.ADMIN)


def _programs_for(user: Any) -> QuerySet[Program]:
    """The program the user uploads records for: the one they work in (a bank in several switches program)."""
    return Program.objects.filter(pk=scope.current_program_id(user))


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    program = forms.ModelChoiceField(
        queryset=Program.objects.none(), label=_("Program"), empty_label=None
    )
    file = forms.FileField(label=_("File (.xlsx, or .csv in UTF-8 or GBK)"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = user.effective_role
        self.fields["kind"].choices = [
            (name, spec.label) for name, spec in importer_kinds().items() if role in spec.roles
        ]
        self.fields["program"].queryset = _programs_for(user)


@require_GET
@role_required(*PROGRAM_ROLES, Role.BANK, Role.ADMIN)
def upload_list(request: HttpRequest) -> HttpResponse:
    uploads = RecordUpload.objects.visible_to(request.user).select_related(
        "program", "bank", "uploaded_by"
    )
    page = Paginator(uploads, 30).get_page(request.GET.get("page"))
    can_upload = request.user.effective_role in UPLOAD_ROLES
    return render(
        request,
        "loans/upload_list.html",
        {
            "page": page,
            "uploads": page.object_list,
            "can_upload": can_upload,
            "form": UploadForm(user=request.user) if can_upload else None,
            "kinds": importer_kinds(),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*PROGRAM_ROLES, Role.BANK, Role.ADMIN)
def upload_create(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *UPLOAD_ROLES)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    problem = ""
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        limit = settings.UPLOAD_MAX_MB * 1024 * 1024
        if file.size > limit:
            form.add_error(
                "file", _("The file is larger than %(mb)d MB.") % {"mb": settings.UPLOAD_MAX_MB}
            )
        else:
            try:
                upload = services.upload_receive(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    program=form.cleaned_data["program"],
                    data=file.read(),
                    filename=file.name or "upload",
                )
            except ImportNotAllowed as exc:
                problem = str(exc)
            else:
                return redirect("loans:upload-detail", public_id=upload.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "loans/upload_form.html",
        {"form": form, "problem": problem, "kinds": importer_kinds()},
        status=status,
    )


def _visible_upload(request: HttpRequest, public_id: uuid.UUID) -> RecordUpload:
    return get_visible_or_404(
        RecordUpload.objects.visible_to(request.user).select_related(
            "program", "bank", "uploaded_by", "job"
        ),
        public_id=public_id,
    )


@require_GET
@login_required
def upload_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    upload = _visible_upload(request, public_id)
    busy = upload.state in (RecordUpload.State.CHECKING, RecordUpload.State.SAVING)
    # A worker killed more often than the job runner retries leaves the job failed and nothing saved.
    stalled = busy and upload.job is not None and upload.job.state == upload.job.State.FAILED
    spec = importer_kinds()[upload.kind]
    return render(
        request,
        "loans/upload_detail.html",
        {
            "upload": upload,
            "busy": busy and not stalled,
            "stalled": stalled,
            "spec": spec,
            "errors": upload.errors[:2000],
            "more_errors": max(len(upload.errors) - 2000, 0),
            "is_uploader": upload.uploaded_by_id == request.user.pk,
            "created": {
                "loans": upload.loans.select_related("enterprise")[:200],
                "repayments": upload.repayments.count(),
                "settlements": upload.interestsettlements.count(),
                "events": upload.overdueevents.count(),
                "records": [
                    (UploadedRecord.Kind(k).label, n)
                    for k, n in upload.records.values_list("kind")
                    .annotate(n=Count("pk"))
                    .order_by("kind")
                ],
            },
        },
    )


@require_POST
@login_required
def upload_confirm(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    upload = _visible_upload(request, public_id)
    if upload.uploaded_by_id != request.user.pk:
        raise PermissionDenied
    try:
        upload = services.upload_confirm(actor=request.user, upload=upload)
    except services.UploadError as exc:
        messages.error(request, str(exc))
    else:
        if upload.state == RecordUpload.State.SAVED:
            messages.success(request, _("Saved: %(n)d new records.") % {"n": upload.created_count})
        elif upload.state == RecordUpload.State.REFUSED:
            messages.error(
                request,
                _("Nothing was saved: the records changed since the check. See the rows below."),
            )
        elif upload.state == RecordUpload.State.FAILED:
            messages.error(request, _("Nothing was saved: an error occurred while saving."))
    return redirect("loans:upload-detail", public_id=upload.public_id)


@require_POST
@login_required
def upload_cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    upload = _visible_upload(request, public_id)
    if upload.uploaded_by_id != request.user.pk:
        raise PermissionDenied
    try:
        services.upload_cancel(actor=request.user, upload=upload)
    except services.UploadError as exc:
        messages.error(request, str(exc))
    return redirect("loans:upload-detail", public_id=upload.public_id)


@require_GET
@login_required
def upload_file(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    upload = _visible_upload(request, public_id)
    response = FileResponse(
        upload.file.open("rb"),
        as_attachment=True,
        filename=display_name(upload.original_name),
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@role_required(*PROGRAM_ROLES, Role.BANK, Role.ADMIN)
def upload_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in importer_kinds():
        raise Http404
    response = HttpResponse(
        template_bytes(kind),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    # Named in the reader's language: 放款模板.xlsx, not disbursements-template.xlsx (issue 18 item 7),
    # with an ASCII name for a client that reads no UTF-8 name (kedaitong/downloads.py).
    label = str(importer_kinds()[kind].label)
    response["Content-Disposition"] = disposition(f"{label}模板.xlsx", f"{kind}-template.xlsx")
    return response


# ── post-loan reports (Changjiang 第十条) ─────────────────────────────────────


class PostLoanReportForm(forms.ModelForm):
    class Meta:
        model = PostLoanReport
        fields = ["year", "quarter", "status", "operations", "repayment", "risks"]
        widgets = {"quarter": forms.Select(choices=[(q, q) for q in range(1, 5)])}


@require_http_methods(["GET", "POST"])
@login_required
def report_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    loan = get_visible_or_404(
        Loan.objects.visible_to(request.user).select_related("enterprise", "bank"),
        public_id=public_id,
    )
    require_role(request.user, Role.BANK)
    year, quarter = selectors.previous_quarter(timezone.localdate())
    form = PostLoanReportForm(request.POST or None, initial={"year": year, "quarter": quarter})
    if request.method == "POST" and form.is_valid():
        try:
            services.post_loan_report_file(actor=request.user, loan=loan, **form.cleaned_data)
        except services.ReportRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The post-loan report was filed."))
            return redirect("loans:loan-detail", public_id=loan.public_id)
    return render(
        request,
        "loans/report_form.html",
        {"loan": loan, "form": form},
        status=400 if form.errors else 200,
    )


def _quarter(request: HttpRequest) -> tuple[int, int]:
    default = selectors.previous_quarter(timezone.localdate())
    try:
        year, quarter = (
            int(request.GET.get("year", default[0])),
            int(request.GET.get("quarter", default[1])),
        )
    except ValueError:
        return default
    return (year, quarter) if 2000 <= year <= 2100 and 1 <= quarter <= 4 else default


@require_GET
@role_required(*PROGRAM_ROLES, Role.BANK, Role.ADMIN)
def report_overview(request: HttpRequest) -> HttpResponse:
    """For one quarter: loans still without a report, and the worrying reports (needs attention, at risk)."""
    year, quarter = _quarter(request)
    loans = Loan.objects.visible_to(request.user).select_related("enterprise", "bank")
    missing = selectors.loans_due_a_report(loans, year, quarter)
    reports = (
        PostLoanReport.objects.visible_to(request.user)
        .filter(year=year, quarter=quarter)
        .select_related("loan__enterprise", "loan__bank", "filed_by")
    )
    return render(
        request,
        "loans/report_overview.html",
        {
            "year": year,
            "quarter": quarter,
            "missing": missing[:500],
            "missing_count": missing.count(),
            "worrying": reports.exclude(status=PostLoanReport.Status.NORMAL),
            "filed_count": reports.count(),
            "quarters": [
                (y, q)
                for y in range(timezone.localdate().year, timezone.localdate().year - 3, -1)
                for q in (4, 3, 2, 1)
            ],
        },
    )


@require_GET
@role_required(*PROGRAM_ROLES, Role.BANK, Role.ADMIN)
def report_export(request: HttpRequest) -> HttpResponse:
    """The quarter's post-loan reports and the loans without one, for the provincial centre (第十条: 报送省高新中心)."""
    import io

    from kedaitong.excel import Column, new_workbook, save, write_sheet

    year, quarter = _quarter(request)
    loans = Loan.objects.visible_to(request.user).select_related("enterprise", "bank")
    reports = (
        PostLoanReport.objects.visible_to(request.user)
        .filter(year=year, quarter=quarter)
        .select_related("loan__enterprise", "loan__bank", "filed_by")
        .order_by("loan__bank__code", "loan__contract_no")
    )
    log_action(
        actor=request.user,
        action="loans.post_loan_reports.exported",
        data={"year": year, "quarter": quarter, "rows": reports.count()},
        request=request,
    )
    wb = new_workbook()
    write_sheet(
        wb,
        f"{year}年第{quarter}季度贷后报告",
        [
            Column("贷款合同编号", 18),
            Column("银行", 20),
            Column("企业", 28),
            Column("放款金额（元）", 16, "money", total=True),
            Column("评价", 10),
            Column("经营及资金使用情况", 40),
            Column("还本付息情况", 30),
            Column("风险及措施", 40),
            Column("报送人", 12),
            Column("报送日期", 12, "date"),
        ],
        (
            (
                r.loan.contract_no,
                r.loan.bank.name,
                r.loan.enterprise.name,
                r.loan.principal,
                r.get_status_display(),
                r.operations,
                r.repayment,
                r.risks,
                str(r.filed_by),
                timezone.localdate(r.filed_at),
            )
            for r in reports
        ),
    )
    write_sheet(
        wb,
        "未报送",
        [
            Column("贷款合同编号", 18),
            Column("银行", 20),
            Column("企业", 28),
            Column("放款金额（元）", 16, "money", total=True),
            Column("放款日期", 12, "date"),
            Column("到期日期", 12, "date"),
        ],
        (
            (
                x.contract_no,
                x.bank.name,
                x.enterprise.name,
                x.principal,
                x.disbursement_date,
                x.maturity_date,
            )
            for x in selectors.loans_due_a_report(loans, year, quarter).order_by(
                "bank__code", "contract_no"
            )
        ),
    )
    out = io.BytesIO()
    save(wb, out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="post-loan-{year}Q{quarter}.xlsx"'
    return response
