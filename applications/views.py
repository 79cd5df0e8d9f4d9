"""Enterprise and application pages, each looked up within the user's scope.

Outsiders get 404 (scoped lookups), insiders without the enterprise role 403;
action URLs answer GET with 405 or a confirmation page.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications import scope, services
from applications.forms import (
    AnnualFigureForm,
    BankInviteForm,
    ClaimDecisionForm,
    ClaimForm,
    DisputeForm,
    EnterpriseForm,
    InviteForm,
    MaterialForm,
    PatentForm,
    QualificationForm,
    RegistrationForm,
    TeamMemberForm,
)
from applications.models import (
    AccountClaim,
    AnnualFigure,
    Application,
    Enterprise,
    Material,
    Patent,
    Program,
    Qualification,
)
from applications.selectors import eligibility_at_submission, eligibility_now, enterprise_checklist
from applications.sme import classify
from kedaitong import programs
from kedaitong.audit import log_action
from kedaitong.models import AuditEntry, User
from kedaitong.money import wan_to_yuan
from kedaitong.permissions import get_visible_or_404, require_role, role_required
from kedaitong.roles import Role
from kedaitong.throttle import throttle
from kedaitong.uploads import display_name, serve_upload

# --- Shared look-ups ---------------------------------------------------------------------------------------------


def _own_enterprise(request: HttpRequest) -> Enterprise:
    require_role(request.user, Role.ENTERPRISE)
    if not request.user.enterprise_id:
        raise PermissionDenied
    return request.user.enterprise


def _application(
    request: HttpRequest, public_id: uuid.UUID, *, enterprise_only: bool = False
) -> Application:
    application = get_visible_or_404(
        Application.objects.visible_to(request.user).select_related(
            "enterprise", "bank", "program_version__program", "product_type"
        ),
        public_id=public_id,
    )
    if enterprise_only:
        require_role(request.user, Role.ENTERPRISE)
    return application


def _refused(request: HttpRequest, exc: services.DomainError) -> None:
    for problem in exc.problems:
        messages.error(request, problem)


# --- The program switch --------------------------------------------------------------------------------------------


@require_POST
@login_required
def program_switch(request: HttpRequest) -> HttpResponse:
    """A bank in several programs, or the administrator, chooses the program to work in (kept in the session)."""
    program = scope.choose(request, request.POST.get("program", ""))
    if program is None:
        raise Http404
    messages.success(request, _("You are working in %(program)s.") % {"program": program.name})
    # Home, not the page it came from: a record of the other program is not in this one.
    return redirect("home")


# --- Registration and colleagues ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@throttle("register")
def register(request: HttpRequest) -> HttpResponse:
    """Public: a new enterprise account (one per credit code)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    existing = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.enterprise_register(
                credit_code=data["credit_code"],
                name=data["name"],
                username=data["username"],
                display_name=data["display_name"],
                email=data["email"],
                password=data["password1"],
                base_url=_base_url(request),
            )
        except services.DomainError as exc:
            code = data["credit_code"]
            form.add_error("credit_code", exc.problems[0])
            existing = Enterprise.objects.filter(credit_code=code).first()
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _(
                    "Your enterprise is registered. We sent a link to %(email)s to verify it; then upload "
                    "the business licence and the authorization letter so that the bureau confirms the account."
                )
                % {"email": user.email},
            )
            return redirect("applications:account")
    return render(request, "applications/register.html", {"form": form, "existing": existing})


@role_required(Role.ENTERPRISE)
@require_http_methods(["GET", "POST"])
def colleagues(request: HttpRequest) -> HttpResponse:
    enterprise = _own_enterprise(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_invite(
                actor=request.user,
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                base_url=request.build_absolute_uri("/"),
            )
        except services.DomainError as exc:
            form.add_error("email", exc.problems[0])
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("applications:colleagues")
    users = User.objects.filter(enterprise=enterprise).order_by("username")
    return render(
        request,
        "applications/colleagues.html",
        {"enterprise": enterprise, "form": form, "users": users},
    )


# --- Who an enterprise account really is (issue 17) ----------------------------------------------------------------


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@require_http_methods(["GET", "POST"])
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The account's standing: the e-mail address, the bureau's confirmation, the claims filed and their outcome.

    A user of an unconfirmed enterprise files its evidence here; a claimant without an enterprise (a
    dispute) follows its claim here. Other roles have no account of this kind (403).
    """
    user = request.user
    role = user.effective_role
    enterprise = user.enterprise if role == Role.ENTERPRISE else None
    # The user's own claims, and those its colleagues filed for the same enterprise.
    mine = Q(claimant=user)
    if enterprise is not None:
        mine |= Q(enterprise=enterprise, claimant__enterprise=enterprise)
    claims = AccountClaim.objects.filter(mine).select_related("enterprise", "program", "claimant")
    if role != Role.ENTERPRISE and not (role == "" and claims.exists()):
        raise PermissionDenied
    waiting = claims.filter(state=AccountClaim.State.PENDING).exists()
    may_file = enterprise is not None and enterprise.account_confirmed_at is None and not waiting
    form = ClaimForm(request.POST or None, request.FILES or None) if may_file else None
    status = 200
    if request.method == "POST":
        if enterprise is None:
            raise PermissionDenied  # a dispute's claimant files nothing more here
        if form is None:
            messages.error(
                request,
                _("This account is already confirmed.")
                if enterprise.account_confirmed_at
                else _("Your request is already waiting for the bureau."),
            )
            status = 409
        elif form.is_valid():
            try:
                services.claim_file(actor=user, **form.cleaned_data)
            except services.DomainError as exc:
                form.add_error(None, exc.problems)
            else:
                messages.success(request, _("Your evidence is filed; the bureau will decide."))
                return redirect("applications:account")
            status = 400
        else:
            status = 400
    return render(
        request,
        "applications/account.html",
        {
            "enterprise": enterprise,
            "claims": claims,
            "form": form,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the verification e-mail. GET asks to confirm (mail scanners open links); POST verifies."""
    if request.method == "POST":
        try:
            user = services.email_verify(token=token)
        except services.DomainError as exc:
            return render(
                request, "applications/verify_email.html", {"error": exc.problems[0]}, status=400
            )
        messages.success(
            request, _("Your e-mail address %(email)s is verified.") % {"email": user.email}
        )
        return redirect("applications:account" if request.user == user else "login")
    return render(request, "applications/verify_email.html", {"token": token})


@require_POST
@login_required
@throttle("email-verification", key="user")
def verify_email_resend(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.effective_role != Role.ENTERPRISE and not user.account_claims.exists():
        raise PermissionDenied  # only accounts that have the account page
    if user.email_verified_at is not None:
        messages.info(request, _("Your e-mail address is already verified."))
    else:
        services.email_verification_send(user=user, base_url=_base_url(request))
        messages.success(request, _("A new link was sent to %(email)s.") % {"email": user.email})
    return redirect("applications:account")


@require_http_methods(["GET", "POST"])
@throttle("dispute")
def dispute(request: HttpRequest) -> HttpResponse:
    """Public: a company that finds its credit code taken files a dispute with its own evidence."""
    if request.user.is_authenticated:
        return redirect("home")
    form = DisputeForm(
        request.POST or None,
        request.FILES or None,
        initial={"credit_code": request.GET.get("credit_code", "")[:18]},
    )
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                claim = services.dispute_file(
                    credit_code=data["credit_code"],
                    username=data["username"],
                    display_name=data["display_name"],
                    email=data["email"],
                    password=data["password1"],
                    program=data["program"],
                    licence=data["licence"],
                    authorization=data["authorization"],
                    statement=data["statement"],
                    base_url=_base_url(request),
                )
            except services.DomainError as exc:
                form.add_error(None, exc.problems)
            else:
                login(request, claim.claimant, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    _(
                        "Your dispute is filed. Verify your e-mail address; then the bureau decides."
                    ),
                )
                return redirect("applications:account")
        return render(request, "applications/dispute.html", {"form": form}, status=400)
    return render(request, "applications/dispute.html", {"form": form})


@role_required(Role.BANK)
@require_http_methods(["GET", "POST"])
def bank_invite(request: HttpRequest) -> HttpResponse:
    """A cooperating bank invites its customer: a confirmed account and a link to set the password."""
    # The bank invites for the program it works in (the header's switch), where it has an agreement.
    program = scope.current_program_id(request.user)
    form = BankInviteForm(
        request.POST or None,
        programs=Program.objects.filter(
            pk=program, agreements__bank=request.user.bank_id
        ).distinct(),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.enterprise_invite_by_bank(
                    actor=request.user, base_url=_base_url(request), **form.cleaned_data
                )
            except services.Conflict as exc:
                form.add_error("credit_code", exc.problems[0])
                status = 409
            except services.DomainError as exc:
                form.add_error(None, exc.problems)
                status = 400
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
                )
                return redirect("applications:bank-invite")
        else:
            status = 400
    invitations = AccountClaim.objects.filter(
        kind=AccountClaim.Kind.BANK_INVITATION, bank=request.user.bank_id, program=program
    ).select_related("enterprise", "claimant", "program", "decided_by")
    return render(
        request,
        "applications/bank_invite.html",
        {"form": form, "invitations": invitations},
        status=status,
    )


CLAIM_READERS = (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.ADMIN)


@require_GET
@role_required(*CLAIM_READERS)
def claim_list(request: HttpRequest) -> HttpResponse:
    """The bureau's queue of account claims: waiting first (oldest first), then the latest decided."""
    claims = AccountClaim.objects.visible_to(request.user).select_related(
        "enterprise", "claimant", "program", "decided_by", "bank"
    )
    if request.user.effective_role != Role.ADMIN:
        claims = claims.filter(program=request.user.program_id)
    return render(
        request,
        "applications/claim_list.html",
        {
            "waiting": claims.waiting().order_by("filed_at"),
            "unverified": claims.filter(
                state=AccountClaim.State.PENDING, claimant__email_verified_at__isnull=True
            ),
            "decided": claims.exclude(state=AccountClaim.State.PENDING)[:100],
        },
    )


def _claim(request: HttpRequest, public_id: uuid.UUID) -> AccountClaim:
    claim = get_visible_or_404(
        AccountClaim.objects.visible_to(request.user).select_related(
            "enterprise", "claimant", "program", "decided_by", "bank"
        ),
        public_id=public_id,
    )
    require_role(request.user, *CLAIM_READERS)
    return claim


def _claim_page(
    request: HttpRequest,
    claim: AccountClaim,
    form: ClaimDecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    enterprise = claim.enterprise
    may_decide = services.may_decide_claims(request.user, claim)
    return render(
        request,
        "applications/claim_detail.html",
        {
            "claim": claim,
            "enterprise": enterprise,
            "members": User.objects.filter(enterprise=enterprise).order_by("date_joined"),
            "others": AccountClaim.objects.filter(enterprise=enterprise)
            .exclude(pk=claim.pk)
            .select_related("claimant", "program", "decided_by", "bank"),
            "drafts": enterprise.applications.filter(state=Application.State.DRAFT).count(),
            "submitted": enterprise.applications.exclude(state=Application.State.DRAFT).count(),
            "form": (form or ClaimDecisionForm())
            if may_decide and claim.state == AccountClaim.State.PENDING
            else None,
            "verified": claim.claimant.email_verified_at is not None,
        },
        status=status,
    )


@require_GET
@login_required
def claim_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _claim_page(request, _claim(request, public_id))


@require_POST
@login_required
def claim_decide(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Confirm or refuse a claim; a dispute upheld hands the enterprise over (services.claim_decide)."""
    claim = _claim(request, public_id)
    if not services.may_decide_claims(request.user, claim):
        raise PermissionDenied
    form = ClaimDecisionForm(request.POST)
    if not form.is_valid():
        return _claim_page(request, claim, form, status=400)
    try:
        services.claim_decide(
            actor=request.user,
            claim=claim,
            confirm=form.cleaned_data["decision"] == "confirm",
            reason=form.cleaned_data["reason"],
        )
    except services.NotAllowed:
        raise PermissionDenied from None
    except services.Conflict as exc:
        _refused(request, exc)
        claim.refresh_from_db()
        return _claim_page(request, claim, form, status=409)
    except services.DomainError as exc:
        form.add_error(None, exc.problems)
        return _claim_page(request, claim, form, status=400)
    messages.success(request, _("Decision recorded."))
    return redirect("applications:claim-detail", claim.public_id)


@require_GET
@login_required
def claim_file(request: HttpRequest, public_id: uuid.UUID, which: str) -> HttpResponse:
    """The evidence, to the claimant and to the bureau that decides (and the administrator)."""
    claim = get_visible_or_404(AccountClaim.objects.visible_to(request.user), public_id=public_id)
    if claim.claimant_id != request.user.pk:
        require_role(request.user, *CLAIM_READERS)
    stored = {
        "licence": (claim.licence, claim.licence_name),
        "authorization": (claim.authorization, claim.authorization_name),
    }.get(which)
    if stored is None or not stored[0]:
        raise Http404
    return serve_upload(stored[0], filename=stored[1] or which)


# --- Profile and qualifications ----------------------------------------------------------------------------------


@require_GET
@login_required
def enterprise_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    enterprise = get_visible_or_404(
        Enterprise.objects.visible_to(request.user), public_id=public_id
    )
    applications = (
        Application.objects.visible_to(request.user)
        .filter(enterprise=enterprise)
        .select_related("bank", "program_version__program")
    )
    loans = enterprise.loans.visible_to(request.user).select_related("bank")
    return render(
        request,
        "applications/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "applications": applications,
            "loans": loans,
            "size": classify(
                enterprise.industry,
                enterprise.employees,
                enterprise.revenue,
                enterprise.total_assets,
            ),
            "qualifications": enterprise.qualifications.all(),
            "is_own": request.user.effective_role == Role.ENTERPRISE
            and request.user.enterprise_id == enterprise.pk,
        },
    )


@role_required(Role.ENTERPRISE)
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    enterprise = _own_enterprise(request)
    form = EnterpriseForm(request.POST or None, instance=enterprise)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            log_action(
                actor=request.user,
                action="applications.enterprise.updated",
                obj=enterprise,
                data={"fields": form.changed_data},
                request=request,
            )
        messages.success(request, _("Profile saved."))
        return redirect("applications:profile")
    return render(
        request,
        "applications/profile.html",
        {
            "enterprise": enterprise,
            "form": form,
            "size": classify(
                enterprise.industry,
                enterprise.employees,
                enterprise.revenue,
                enterprise.total_assets,
            ),
            "patent_form": PatentForm(),
            # Its own ids: the profile form above has a "revenue" field too.
            "figure_form": AnnualFigureForm(auto_id="id_figure_%s"),
            "patents": enterprise.patents.all(),
            "figures": enterprise.annual_figures.all(),
        },
    )


@role_required(Role.ENTERPRISE)
@require_http_methods(["GET", "POST"])
def qualifications(request: HttpRequest) -> HttpResponse:
    enterprise = _own_enterprise(request)
    form = QualificationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            qualification = form.save(commit=False)
            qualification.enterprise = enterprise
            upload = form.cleaned_data.get("evidence")
            if upload:
                qualification.evidence_name = display_name(upload.name)
            qualification.save()
            log_action(
                actor=request.user,
                action="applications.qualification.added",
                obj=enterprise,
                data={"kind": qualification.kind, "number": qualification.number},
                request=request,
            )
        messages.success(request, _("Qualification added."))
        return redirect("applications:qualifications")
    return render(
        request,
        "applications/qualifications.html",
        {
            "enterprise": enterprise,
            "form": form,
            "qualifications": enterprise.qualifications.all(),
            "checklists": [(p, enterprise_checklist(enterprise, p)) for p in Program.objects.all()],
        },
    )


@require_POST
@role_required(Role.ENTERPRISE)
def qualification_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    enterprise = _own_enterprise(request)
    qualification = get_object_or_404(Qualification, public_id=public_id, enterprise=enterprise)
    with transaction.atomic():
        log_action(
            actor=request.user,
            action="applications.qualification.removed",
            obj=enterprise,
            data={"kind": qualification.kind, "number": qualification.number},
            request=request,
        )
        qualification.delete()
    return redirect("applications:qualifications")


@require_GET
@login_required
def qualification_evidence(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    qualification = get_object_or_404(
        Qualification.objects.filter(enterprise__in=Enterprise.objects.visible_to(request.user)),
        public_id=public_id,
    )
    if not qualification.evidence:
        raise Http404
    return serve_upload(qualification.evidence, filename=qualification.evidence_name or "evidence")


def _row_add(request: HttpRequest, form_class: type, label: str) -> HttpResponse:
    enterprise = _own_enterprise(request)
    form = form_class(request.POST)
    if form.is_valid():
        row = form.save(commit=False)
        row.enterprise = enterprise
        try:
            with transaction.atomic():
                row.save()
                log_action(
                    actor=request.user,
                    action=f"applications.{label}.added",
                    obj=enterprise,
                    data=form.cleaned_data,
                    request=request,
                )
        except IntegrityError:  # the unique (enterprise, number/year) constraint
            messages.error(request, _("This row exists already."))
    else:
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(
                    request,
                    f"{form.fields[field].label if field in form.fields else ''} {error}".strip(),
                )
    return redirect(reverse("applications:profile") + "#annex1")


@require_POST
@role_required(Role.ENTERPRISE)
def patent_add(request: HttpRequest) -> HttpResponse:
    return _row_add(request, PatentForm, "patent")


@require_POST
@role_required(Role.ENTERPRISE)
def figure_add(request: HttpRequest) -> HttpResponse:
    return _row_add(request, AnnualFigureForm, "annual_figure")


@require_POST
@role_required(Role.ENTERPRISE)
def patent_delete(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = _own_enterprise(request)
    patent = get_object_or_404(Patent, pk=pk, enterprise=enterprise)
    with transaction.atomic():
        log_action(
            actor=request.user,
            action="applications.patent.removed",
            obj=enterprise,
            data={"number": patent.number},
            request=request,
        )
        patent.delete()
    return redirect(reverse("applications:profile") + "#annex1")


@require_POST
@role_required(Role.ENTERPRISE)
def figure_delete(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = _own_enterprise(request)
    figure = get_object_or_404(AnnualFigure, pk=pk, enterprise=enterprise)
    with transaction.atomic():
        log_action(
            actor=request.user,
            action="applications.annual_figure.removed",
            obj=enterprise,
            data={"year": figure.year},
            request=request,
        )
        figure.delete()
    return redirect(reverse("applications:profile") + "#annex1")


# --- Applications ------------------------------------------------------------------------------------------------


def _form_class(program: Program) -> Any:
    """The application form of the program's kind (Changjiang 附件3/附件4 fields, Quzhou 附件1)."""
    return programs.spec(program).application_form


def _details_form(application: Application, data: Any = None) -> Any:
    """The form of the kind's own record (Quzhou 附件1's tables), or None where the kind has none."""
    spec = programs.spec(application)
    if spec.details_form is None or spec.details_for is None:
        return None
    return spec.details_form(data, instance=spec.details_for(application), prefix="qz")


def _annexes(application: Application) -> list[tuple[str, str]]:
    return [(annex.code, annex.title) for annex in programs.spec(application).annexes]


@role_required(Role.ENTERPRISE)
@require_http_methods(["GET", "POST"])
def application_create(request: HttpRequest, program: str) -> HttpResponse:
    enterprise = _own_enterprise(request)
    program_obj = get_object_or_404(Program, code=program)
    version = program_obj.version_on(timezone.localdate())
    if version is None:
        raise Http404
    form = _form_class(program_obj)(request.POST or None, version=version)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "amount_wan"}
        application = services.application_create(
            actor=request.user,
            enterprise=enterprise,
            version=version,
            amount=wan_to_yuan(form.cleaned_data["amount_wan"]),
            **fields,
        )
        messages.success(request, _("Draft saved."))
        return redirect("applications:application-edit", application.public_id)
    return render(
        request,
        "applications/application_form.html",
        {"form": form, "program": program_obj, "version": version},
    )


@require_http_methods(["GET", "POST"])
@login_required
def application_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _application(request, public_id, enterprise_only=True)
    if application.state not in services.EDITABLE_STATES:
        messages.info(
            request, _("A submitted application is frozen; only a reviewer's return reopens it.")
        )
        return redirect("applications:application-detail", application.public_id)
    version = application.program_version
    form = _form_class(version.program)(request.POST or None, instance=application, version=version)
    details_form = _details_form(application, request.POST or None)
    if request.method == "POST":
        valid = form.is_valid() and (details_form is None or details_form.is_valid())
        if valid:
            with transaction.atomic():
                locked = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
                if locked.state not in services.EDITABLE_STATES:
                    messages.error(
                        request,
                        _(
                            "A submitted application is frozen; only a reviewer's return reopens it."
                        ),
                    )
                    return redirect("applications:application-detail", application.public_id)
                form.save()
                if details_form is not None:
                    details_form.save()
                log_action(
                    actor=request.user,
                    action="applications.application.saved",
                    obj=application,
                    request=request,
                )
            messages.success(request, _("Draft saved."))
            return redirect("applications:application-edit", application.public_id)
    return render(
        request,
        "applications/application_edit.html",
        _edit_context(application, form, details_form),
    )


def _edit_context(
    application: Application, form: object, details_form: object, **extra: object
) -> dict[str, object]:
    program = application.program_version.program
    return {
        "application": application,
        "form": form,
        "details_form": details_form,
        "material_form": extra.pop("material_form", None) or MaterialForm(program=program),
        "team_form": extra.pop("team_form", None) or TeamMemberForm(),
        "materials": application.materials.select_related("material_type"),
        "material_types": program.material_types.all(),
        "team": application.team.all(),
        "checklist": eligibility_now(application),
        "problems": services.account_problems(enterprise=application.enterprise)
        + services.form_problems(application),
        "annexes": _annexes(application),
        "details_template": programs.spec(application).detail_template,
        **extra,
    }


@require_POST
@login_required
def material_add(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _application(request, public_id, enterprise_only=True)
    form = MaterialForm(request.POST, request.FILES, program=application.program_version.program)
    if form.is_valid():
        try:
            services.material_add(
                actor=request.user,
                application=application,
                material_type=form.cleaned_data["material_type"],
                upload=form.cleaned_data["file"],
            )
        except services.DomainError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Material uploaded."))
        return redirect(
            reverse("applications:application-edit", args=[application.public_id]) + "#materials"
        )
    # Show the whole page again, everything typed kept, the upload's reason next to it.
    version = application.program_version
    context = _edit_context(
        application,
        _form_class(version.program)(instance=application, version=version),
        _details_form(application),
        material_form=form,
    )
    return render(request, "applications/application_edit.html", context, status=400)


@require_GET
@login_required
def material_download(
    request: HttpRequest, public_id: uuid.UUID, material_id: uuid.UUID
) -> HttpResponse:
    application = _application(request, public_id)
    material = get_object_or_404(Material, public_id=material_id, application=application)
    return serve_upload(material.file, filename=material.original_name)


@require_POST
@login_required
def material_delete(
    request: HttpRequest, public_id: uuid.UUID, material_id: uuid.UUID
) -> HttpResponse:
    application = _application(request, public_id, enterprise_only=True)
    material = get_object_or_404(Material, public_id=material_id, application=application)
    try:
        services.material_remove(actor=request.user, material=material)
    except services.DomainError as exc:
        _refused(request, exc)
    return redirect(
        reverse("applications:application-edit", args=[application.public_id]) + "#materials"
    )


@require_POST
@login_required
def team_add(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _application(request, public_id, enterprise_only=True)
    form = TeamMemberForm(request.POST)
    if form.is_valid():
        try:
            services.team_member_add(
                actor=request.user, application=application, member=form.save(commit=False)
            )
        except services.DomainError as exc:
            _refused(request, exc)
            return redirect("applications:application-detail", application.public_id)
        return redirect(
            reverse("applications:application-edit", args=[application.public_id]) + "#team"
        )
    if application.state not in services.EDITABLE_STATES:
        messages.error(
            request, _("A submitted application is frozen; only a reviewer's return reopens it.")
        )
        return redirect("applications:application-detail", application.public_id)
    version = application.program_version
    context = _edit_context(
        application,
        _form_class(version.program)(instance=application, version=version),
        _details_form(application),
        team_form=form,
    )
    return render(request, "applications/application_edit.html", context, status=400)


@require_POST
@login_required
def team_delete(request: HttpRequest, public_id: uuid.UUID, pk: int) -> HttpResponse:
    application = _application(request, public_id, enterprise_only=True)
    try:
        services.team_member_remove(actor=request.user, application=application, member_id=pk)
    except services.DomainError as exc:
        _refused(request, exc)
    return redirect(
        reverse("applications:application-edit", args=[application.public_id]) + "#team"
    )


@require_http_methods(["GET", "POST"])
@login_required
def application_submit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """GET: the checklist and every remaining problem; POST: submit through the service."""
    application = _application(request, public_id, enterprise_only=True)
    if request.method == "POST":
        try:
            services.application_submit(
                actor=request.user, application=application, request=request
            )
        except services.DomainError as exc:
            _refused(request, exc)
            return redirect("applications:application-submit", application.public_id)
        messages.success(request, _("Application submitted."))
        return redirect("applications:application-detail", application.public_id)
    checklist = eligibility_now(application)
    problems = (
        services.account_problems(enterprise=application.enterprise, user=request.user)
        + services.form_problems(application)
        if application.state in services.EDITABLE_STATES
        else []
    )
    return render(
        request,
        "applications/application_submit.html",
        {"application": application, "checklist": checklist, "problems": problems},
    )


@require_http_methods(["GET", "POST"])
@login_required
def application_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The enterprise deletes its draft: GET restates what goes (and asks), POST deletes."""
    application = _application(request, public_id, enterprise_only=True)
    if request.method == "POST":
        try:
            services.application_delete(actor=request.user, application=application)
        except services.NotAllowed as exc:
            raise PermissionDenied from exc
        except services.DomainError as exc:
            _refused(request, exc)
            return redirect("applications:application-detail", application.public_id)
        messages.success(request, _("The draft is deleted."))
        return redirect("home")
    return render(
        request,
        "applications/application_delete.html",
        {
            "application": application,
            "deletable": application.state == Application.State.DRAFT,
            "materials": application.materials.select_related("material_type"),
        },
    )


@require_GET
@login_required
def application_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _application(request, public_id)
    is_own = request.user.effective_role == Role.ENTERPRISE
    return render(
        request,
        "applications/application_detail.html",
        {
            "application": application,
            "is_own": is_own,
            "editable": is_own and application.state in services.EDITABLE_STATES,
            "materials": application.materials.select_related("material_type"),
            "team": application.team.all(),
            "checklist_now": eligibility_now(application),
            "checklist_submitted": eligibility_at_submission(application),
            "annexes": _annexes(application),
            "details_template": programs.spec(application).detail_template,
            "steps": _steps(application),
            "next_role": _next_role(application),
            "opinions": _opinions_for_enterprise(application),
            "may_withdraw": is_own
            and application.state != Application.State.DRAFT
            and application.state in programs.spec(application).workflow.open_states,
            "may_delete": is_own and application.state == Application.State.DRAFT,
        },
    )


def _next_role(application: Application) -> str:
    """Who acts next, in words (the kind's `next_role`); the enterprise itself for a draft or a return."""
    if application.state in services.EDITABLE_STATES:
        return str(Role.ENTERPRISE.label)
    role = programs.spec(application).workflow.next_role.get(application.state)
    return str(Role(role).label) if role else ""


def _opinions_for_enterprise(application: Application) -> list[Any]:
    """What the bureau said to the enterprise: every return with its reasons, and each signed opinion."""
    return [
        o
        for o in application.opinions.select_related("handler", "head")  # type: ignore[attr-defined]
        if o.kind == "return" or o.signed_at is not None
    ]


def _steps(application: Application) -> list[dict[str, Any]]:
    """The kind's steps as the enterprise sees them: done, current, or to come.

    A rejected or withdrawn application shows the steps it went through as done, and none as current.
    """
    workflow = programs.spec(application).workflow
    current = workflow.step_index(application.state)
    if current is None:  # draft, rejected, withdrawn: how far it got, from its history
        visited = [
            workflow.step_index(state)
            for state in AuditEntry.objects.for_object(application)
            .exclude(to_state="")
            .values_list("to_state", flat=True)
        ]
        reached = max((n for n in visited if n is not None), default=-1)
        return [
            {"label": step.label, "status": "done" if n <= reached else "todo"}
            for n, step in enumerate(workflow.steps)
        ]
    return [
        {
            "label": step.label,
            "status": "done" if n < current else "current" if n == current else "todo",
        }
        for n, step in enumerate(workflow.steps)
    ]


@require_GET
@login_required
def annex_pdf(request: HttpRequest, public_id: uuid.UUID, annex: str) -> HttpResponse:
    application = _application(request, public_id)
    found = programs.spec(application).annex(annex)
    if found is None:
        raise Http404
    response = HttpResponse(found.build(application, request.user), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{application.file_stem}-{annex}.pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
def submitted_pdf(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _application(request, public_id)
    if not application.submitted_pdf:
        raise Http404
    response = serve_upload(application.submitted_pdf, filename=f"{application.reference}.pdf")
    response["X-Checksum-SHA256"] = application.submitted_pdf_sha256
    return response
