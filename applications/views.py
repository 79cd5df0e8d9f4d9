"""Enterprise and application pages, each looked up within the user's scope.

Outsiders get 404 (scoped lookups), insiders without the enterprise role 403;
action URLs answer GET with 405 or a confirmation page.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications import documents, services
from applications.forms import (
    AnnualFigureForm,
    ChangjiangApplicationForm,
    EnterpriseForm,
    InviteForm,
    MaterialForm,
    PatentForm,
    QualificationForm,
    QuzhouApplicationForm,
    QuzhouDetailsForm,
    RegistrationForm,
    TeamMemberForm,
)
from applications.models import (
    AnnualFigure,
    Application,
    Enterprise,
    Material,
    Patent,
    Program,
    Qualification,
    QuzhouDetails,
)
from applications.selectors import eligibility_at_submission, eligibility_now, enterprise_checklist
from applications.sme import classify
from kedaitong.audit import log_action
from kedaitong.models import User
from kedaitong.money import wan_to_yuan
from kedaitong.permissions import get_visible_or_404, require_role, role_required
from kedaitong.roles import Role
from kedaitong.uploads import display_name, serve_upload
from loans.models import Loan

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


# --- Registration and colleagues ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
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
            )
        except services.DomainError as exc:
            code = data["credit_code"]
            form.add_error("credit_code", exc.problems[0])
            existing = Enterprise.objects.filter(credit_code=code).first()
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your enterprise is registered. Complete its profile now."))
            return redirect("applications:profile")
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
    loans = (
        Loan.objects.visible_to(request.user).filter(enterprise=enterprise).select_related("bank")
    )
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

FORMS = {
    Program.Kind.CHANGJIANG: ChangjiangApplicationForm,
    Program.Kind.QUZHOU: QuzhouApplicationForm,
}


@role_required(Role.ENTERPRISE)
@require_http_methods(["GET", "POST"])
def application_create(request: HttpRequest, program: str) -> HttpResponse:
    enterprise = _own_enterprise(request)
    program_obj = get_object_or_404(Program, code=program)
    version = program_obj.version_on(timezone.localdate())
    if version is None:
        raise Http404
    form = FORMS[program_obj.kind](request.POST or None, version=version)
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
    kind = version.program.kind
    form = FORMS[kind](request.POST or None, instance=application, version=version)
    details_form = None
    if kind == Program.Kind.QUZHOU:
        details = QuzhouDetails.objects.get_or_create(application=application)[0]
        details_form = QuzhouDetailsForm(request.POST or None, instance=details, prefix="qz")
    if request.method == "POST":
        valid = form.is_valid() and (details_form is None or details_form.is_valid())
        if valid:
            with transaction.atomic():
                locked = Application.objects.select_for_update().get(pk=application.pk)
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
        "problems": services.form_problems(application),
        "annexes": [
            (code, documents.ANNEX_TITLES[code]) for code in documents.ANNEXES.get(program.kind, {})
        ],
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
    details_form = None
    if version.program.kind == Program.Kind.QUZHOU:
        details_form = QuzhouDetailsForm(
            instance=QuzhouDetails.objects.get_or_create(application=application)[0], prefix="qz"
        )
    context = _edit_context(
        application,
        FORMS[version.program.kind](instance=application, version=version),
        details_form,
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
    details_form = QuzhouDetailsForm(
        instance=QuzhouDetails.objects.get_or_create(application=application)[0], prefix="qz"
    )
    context = _edit_context(
        application,
        FORMS[version.program.kind](instance=application, version=version),
        details_form,
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
        services.form_problems(application) if application.state in services.EDITABLE_STATES else []
    )
    return render(
        request,
        "applications/application_submit.html",
        {"application": application, "checklist": checklist, "problems": problems},
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
            "annexes": [
                (code, documents.ANNEX_TITLES[code])
                for code in documents.ANNEXES.get(application.program_version.program.kind, {})
            ],
        },
    )


@require_GET
@login_required
def annex_pdf(request: HttpRequest, public_id: uuid.UUID, annex: str) -> HttpResponse:
    application = _application(request, public_id)
    builder = documents.ANNEXES.get(application.program_version.program.kind, {}).get(annex)
    if builder is None:
        raise Http404
    response = HttpResponse(builder(application, request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{application.reference}-{annex}.pdf"'
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
