"""Pages of banks on file: the bank files, the four bodies decide, the bureau renews or ends the agreement."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.models import Program
from applications.scope import current_program
from kedaitong.pdf import Issue, render_pdf
from kedaitong.permissions import get_visible_or_404, require_role
from kedaitong.programs import Feature, has_feature, kinds_with
from kedaitong.roles import Role
from kedaitong.uploads import serve_upload
from loans.models import BankAgreement
from subsidy import filings
from subsidy.forms import ComplaintForm, FilingForm, OpinionForm
from subsidy.models import BankFiling, FilingOpinion, ReviewBody
from subsidy.services import StageRefused
from subsidy.views import attempt

BUREAU = (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.ADMIN)


def _filing_programs() -> list[Program]:
    """The programs that keep banks on file (一(三)), as their kinds register it."""
    return [p for p in Program.objects.order_by("pk") if has_feature(p, Feature.BANK_FILING)]


def _filing_program(request: HttpRequest) -> Program:
    """The program a bank files with: its current program, or — a bank in no program yet — the one it names.

    A bank working in a program without banks on file (Changjiang) has no filing pages (404).
    """
    user = request.user
    current = current_program(user)
    if has_feature(current, Feature.BANK_FILING):
        return current  # type: ignore[return-value]
    if current is None and user.effective_role == Role.BANK:
        candidates = _filing_programs()
        chosen = request.POST.get("program") or request.GET.get("program")
        found = next((p for p in candidates if p.code == chosen), None)
        if found is None and len(candidates) == 1:
            found = candidates[0]
        if found is not None:
            return found
    raise Http404


def _agreements_visible_to(user, program=None):
    """Agreements of `program` (default: every program that keeps banks on file) within the user's scope."""
    if program is not None:
        qs = BankAgreement.objects.filter(program=program)
    else:
        qs = BankAgreement.objects.filter(program__kind__in=kinds_with(Feature.BANK_FILING))
    qs = qs.select_related("bank", "program")
    role = user.effective_role
    if role == Role.ADMIN:
        return qs.filter(program=current_program(user))
    if role == Role.BANK and user.bank_id:
        return qs.filter(bank=user.bank_id)
    if user.is_program_scoped and user.program_id:
        return qs.filter(program=user.program_id)
    return qs.none()


@require_GET
@login_required
def filing_list(request: HttpRequest) -> HttpResponse:
    role = request.user.effective_role
    if role not in (Role.BANK, Role.ADMIN) and not (
        request.user.is_program_scoped and request.user.program_id
    ):
        raise Http404
    program = _filing_program(request)
    filings_qs = (
        BankFiling.objects.visible_to(request.user)
        .filter(program=program)
        .select_related("bank", "program", "agreement")
    )
    agreements = _agreements_visible_to(request.user, program)
    return render(
        request,
        "subsidy/filing_list.html",
        {
            "filings": filings_qs,
            "agreements": agreements,
            "form": FilingForm() if role == Role.BANK else None,
            "filing_program": program,
        },
    )


@require_POST
@login_required
def filing_create(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.BANK)
    program = _filing_program(request)
    form = FilingForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            filing = filings.filing_submit(
                actor=request.user,
                program=program,
                materials=form.cleaned_data["materials"],
                statement=form.cleaned_data["statement"],
                request=request,
            )
        except StageRefused as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("subsidy:filing-detail", pk=filing.pk)
    filings_qs = BankFiling.objects.visible_to(request.user)
    return render(
        request,
        "subsidy/filing_list.html",
        {"filings": filings_qs, "agreements": [], "form": form, "filing_program": program},
        status=400,
    )


def _filing_page(request: HttpRequest, filing: BankFiling, form=None, status: int = 200):  # type: ignore[no-untyped-def]
    done = set(filing.opinions.values_list("body", flat=True))
    bodies = [b for b in filings.bodies_for(request.user, filing.program) if b not in done]
    if form is None and bodies and filing.state in BankFiling.OPEN_STATES:
        form = OpinionForm(bodies=bodies, initial={"signed_on": timezone.localdate()})
    return render(
        request,
        "subsidy/filing_detail.html",
        {
            "filing": filing,
            "opinions": filing.opinions.select_related("recorded_by"),
            "missing": [ReviewBody(b).label for b in ReviewBody.values if b not in done],
            # A refused sign-off keeps its form (the reason and what was typed) whatever the state.
            "form": form if filing.state in BankFiling.OPEN_STATES or form is not None else None,
            "is_bureau": request.user.effective_role in BUREAU,
        },
        status=status,
    )


@require_GET
@login_required
def filing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filing = get_visible_or_404(
        BankFiling.objects.visible_to(request.user).select_related("bank", "program", "agreement"),
        pk=pk,
    )
    return _filing_page(request, filing)


@require_POST
@login_required
def filing_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    """One body's sign-off (一(三)), typed from the signed joint-review form; refusals by type (403, 400, 409)."""
    filing = get_visible_or_404(
        BankFiling.objects.visible_to(request.user).select_related("bank", "program", "agreement"),
        pk=pk,
    )
    bodies = filings.bodies_for(request.user, filing.program)
    if not bodies:
        raise PermissionDenied
    form = OpinionForm(request.POST, request.FILES, bodies=bodies)
    status = 400
    if form.is_valid():
        refusal = attempt(
            form,
            lambda: filings.filing_record_opinion(
                actor=request.user, filing=filing, request=request, **form.cleaned_data
            ),
        )
        if refusal is None:
            messages.success(request, _("Sign-off recorded."))
            return redirect("subsidy:filing-detail", pk=filing.pk)
        status = refusal
    return _filing_page(request, filing, form, status)


@require_GET
@login_required
def filing_opinion_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The scanned page of one body's sign-off."""
    opinion = get_visible_or_404(
        FilingOpinion.objects.filter(
            filing__in=BankFiling.objects.visible_to(request.user)
        ).exclude(file=""),
        pk=pk,
    )
    return serve_upload(opinion.file, filename=opinion.file_name or "signed")


@require_GET
@login_required
def filing_materials(request: HttpRequest, pk: int) -> HttpResponse:
    filing = get_visible_or_404(BankFiling.objects.visible_to(request.user), pk=pk)
    return serve_upload(filing.materials, filename=filing.materials_name)


@require_GET
@login_required
def agreement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """附件2, filled: the parties, the term, the number."""
    agreement = get_visible_or_404(_agreements_visible_to(request.user), pk=pk)
    program = agreement.program
    # Every figure from the version in force when the agreement starts (附件2 三、四、六: caps, share).
    version = (
        program.version_on(agreement.starts_on)
        or program.versions.order_by("-effective_from").first()
    )
    pdf = render_pdf(
        "pdf/subsidy_agreement.html",
        {"agreement": agreement, "bank": agreement.bank, "program": program, "version": version},
        issue=Issue(
            kind="subsidy.agreement",
            title="附件2 衢州市科技金融合作贷款合作协议",
            issuer=program.authority,
            subject=agreement,
            actor=request.user,
        ),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="agreement-{agreement.bank.code}-{agreement.starts_on:%Y}.pdf"'
    )
    return response


@require_http_methods(["GET", "POST"])
@login_required
def agreement_renew(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_visible_or_404(_agreements_visible_to(request.user), pk=pk)
    require_role(request.user, *BUREAU)
    if request.method == "GET":
        return render(request, "subsidy/agreement_confirm.html", {"agreement": agreement})
    try:
        filings.agreement_renew(actor=request.user, agreement=agreement, request=request)
    except StageRefused as exc:
        messages.error(request, str(exc))
    return redirect("subsidy:filing-list")


@require_http_methods(["GET", "POST"])
@login_required
def agreement_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_visible_or_404(_agreements_visible_to(request.user), pk=pk)
    require_role(request.user, *BUREAU)
    form = ComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            filings.agreement_terminate(
                actor=request.user, agreement=agreement, request=request, **form.cleaned_data
            )
        except StageRefused as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("subsidy:filing-list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "subsidy/agreement_terminate.html",
        {"agreement": agreement, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def fraud_list(request: HttpRequest) -> HttpResponse:
    """Quzhou 六: the fraud records of the program, and (bureau) the form to add one."""
    from applications.models import Enterprise
    from loans.models import Bank
    from subsidy.forms import FraudForm
    from subsidy.models import FraudRecord
    from subsidy.views import subsidy_program

    program = subsidy_program(request.user)
    records = FraudRecord.objects.filter(program=program).select_related(
        "bank", "enterprise", "recorded_by"
    )
    can_record = request.user.effective_role in BUREAU
    form = FraudForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        require_role(request.user, *BUREAU)
        if form.is_valid():
            data = form.cleaned_data
            bank = enterprise = None
            if data["kind"] == "bank":
                bank = Bank.objects.filter(code=data["code"].strip()).first()
            else:
                enterprise = Enterprise.objects.filter(
                    credit_code=data["code"].strip().upper()
                ).first()
            if bank is None and enterprise is None:
                form.add_error("code", "没有找到该银行或企业")
            else:
                try:
                    filings.fraud_record(
                        actor=request.user,
                        program=program,
                        bank=bank,
                        enterprise=enterprise,
                        found_on=data["found_on"],
                        description=data["description"],
                        evidence=data["evidence"],
                        request=request,
                    )
                except StageRefused as exc:
                    form.add_error(None, str(exc))
                else:
                    return redirect("subsidy:fraud-list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "subsidy/fraud_list.html",
        {"records": records, "form": form if can_record else None},
        status=status,
    )
