"""Operations of the enterprise side: registration, invitations, profile, applications, materials, submission.

Each operation runs in one transaction, checks, changes, and writes an audit
row; e-mails leave at commit. Views and commands call these functions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applications import eligibility, lifecycle
from applications.credit_code import validate as validate_credit_code
from applications.models import (
    Application,
    Enterprise,
    Material,
    MaterialType,
    Program,
    ProgramVersion,
    ReferenceCounter,
    TeamMember,
)
from applications.selectors import eligibility_now
from kedaitong import programs
from kedaitong.audit import log_action
from kedaitong.errors import NotAllowed, Refused
from kedaitong.models import User
from kedaitong.pdf import sha256
from kedaitong.roles import Role
from kedaitong.uploads import check_upload, display_name

EDITABLE_STATES = (Application.State.DRAFT, Application.State.RETURNED)
COMPANY_INTRO_MAX = 500  # Quzhou 附件1 三、公司简介，限500字
PROJECT_INTRO_MAX = 1000  # Quzhou 附件1 四、项目介绍，限1000字


class DomainError(Refused):
    """An operation of the enterprise side refused, with every reason (translated, for the user)."""


class NotYours(DomainError, NotAllowed):
    """Only the enterprise's own users may do this."""


# --- Registration and invitations ----------------------------------------------------------------------------


def enterprise_register(
    *, credit_code: str, name: str, username: str, display_name: str, email: str, password: str
) -> User:
    """Create an enterprise account and its first user. One account per credit code (GB 32100 check character).

    An enterprise may already be on record without any user: a bank registered its loan, or the bureau imported
    its list. The first registration with that code claims the record (its name, loans and listings stay as they
    are; the audit trail keeps the name typed at registration). A code whose enterprise already has users is
    refused: the registrant is sent to a colleague's invitation or the password reset.
    """
    code = credit_code.strip().upper()
    reason = validate_credit_code(code)
    if reason:
        raise DomainError(reason)
    taken = _(
        "This credit code is already registered. Ask a colleague of that account to invite you, or reset your password."
    )
    with transaction.atomic():
        # The row lock makes two registrations claiming the same record run one after the other.
        enterprise = Enterprise.objects.select_for_update().filter(credit_code=code).first()
        claimed = enterprise is not None
        if enterprise is not None and User.objects.filter(enterprise=enterprise).exists():
            raise DomainError(taken)
        if enterprise is None:
            try:
                with transaction.atomic():
                    enterprise = Enterprise.objects.create(credit_code=code, name=name.strip())
            except IntegrityError:  # a concurrent registration of the same code won
                raise DomainError(taken) from None
        user = User(
            username=username,
            display_name=display_name,
            email=email,
            role=Role.ENTERPRISE,
            enterprise=enterprise,
        )
        user.set_password(password)
        user.save()
        if claimed:
            log_action(
                actor=user,
                action="applications.enterprise.claimed",
                obj=enterprise,
                data={
                    "credit_code": code,
                    "name_on_record": enterprise.name,
                    "name_typed": name.strip(),
                },
            )
        else:
            log_action(
                actor=user,
                action="applications.enterprise.registered",
                obj=enterprise,
                data={"credit_code": code},
            )
    return user


def enterprise_invite(*, actor: User, email: str, display_name: str, base_url: str) -> User:
    """Invite a colleague: a user of the same enterprise without a password, who sets one through a one-time link.

    The link is Django's password-reset link: its token stops working once the
    password is set (it hashes the password) and after PASSWORD_RESET_TIMEOUT.
    Inviting again a colleague of the same enterprise who has not set a password yet
    (the link expired or the mail was lost) sends a new link and kills the old one: the
    unusable password is drawn afresh, and the old token hashed the previous one.
    """
    if actor.effective_role != Role.ENTERPRISE or not actor.enterprise_id:
        raise DomainError(_("Only an enterprise's users may invite colleagues."))
    email = email.strip().lower()
    with transaction.atomic():
        existing = list(
            User.objects.select_for_update()
            .filter(Q(username__iexact=email) | Q(email__iexact=email))
            .order_by("pk")
        )
        resent = False
        if existing:
            user = existing[0]
            pending = (
                len(existing) == 1
                and user.enterprise_id == actor.enterprise_id
                and user.role == Role.ENTERPRISE
                and not user.has_usable_password()
                and user.is_active
            )
            if not pending:
                raise DomainError(_("A user with this e-mail address already exists."))
            resent = True
            user.display_name = display_name or user.display_name
            user.set_unusable_password()  # a new random marker: the previous link stops working
            user.save(update_fields=["display_name", "password"])
            log_action(
                actor=actor,
                action="applications.enterprise.invitation_resent",
                obj=actor.enterprise,
                data={"email": email},
            )
        else:
            user = User(
                username=email,
                email=email,
                display_name=display_name,
                role=Role.ENTERPRISE,
                enterprise_id=actor.enterprise_id,
            )
            user.set_unusable_password()
            user.save()
            log_action(
                actor=actor,
                action="applications.enterprise.invited",
                obj=actor.enterprise,
                data={"email": email},
            )
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        link = base_url.rstrip("/") + reverse(
            "password_reset_confirm", args=[uid, default_token_generator.make_token(user)]
        )
        subject = _("Invitation to Kedaitong for %(enterprise)s") % {
            "enterprise": actor.enterprise.name
        }
        body = _(
            "%(inviter)s invites you to the Kedaitong portal account of %(enterprise)s.\n\n"
            "Set your password with this link (it works once):\n%(link)s\n\nYour user name is %(username)s."
        ) % {
            "inviter": actor.display_name or actor.username,
            "enterprise": actor.enterprise.name,
            "link": link,
            "username": user.username,
        }
        if resent:
            body += "\n\n" + _(
                "This invitation replaces the earlier one, whose link no longer works."
            )
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
        )
    return user


# --- Applications ----------------------------------------------------------------------------------------------


def reference_next(*, program: Program, day: dt.date) -> str:
    """The next reference of `program` in the year of `day`: PREFIX-YEAR-NNNN, gap-free, for a submission.

    Call inside the submission's transaction: the year's counter row is locked (`select_for_update`) until
    the submission commits, so two submissions at once get consecutive numbers, and a submission that fails
    gives its number back with its rollback. A year's counter starts after the highest number already used
    (demo data, references typed by an import), and a number found taken is passed over, never repeated.
    """
    year = day.year
    prefix = program.reference_prefix
    try:
        with (
            transaction.atomic()
        ):  # a savepoint: another submission may create the year's row first
            ReferenceCounter.objects.get_or_create(
                program=program, year=year, defaults={"last": _highest_used(prefix, year)}
            )
    except IntegrityError:
        pass
    counter = ReferenceCounter.objects.select_for_update().get(program=program, year=year)
    while True:
        counter.last += 1
        reference = f"{prefix}-{year}-{counter.last:04d}"
        if not Application.objects.filter(reference=reference).exists():
            break
    counter.save(update_fields=["last"])
    return reference


def _highest_used(prefix: str, year: int) -> int:
    start = f"{prefix}-{year}-"
    numbers = [
        int(ref[len(start) :])
        for ref in Application.objects.filter(reference__startswith=start).values_list(
            "reference", flat=True
        )
        if ref[len(start) :].isdigit()
    ]
    return max(numbers, default=0)


def application_create(
    *, actor: User, enterprise: Enterprise, version: ProgramVersion, amount: Decimal, **fields: Any
) -> Application:
    """A new draft. Later edits go through the application's form until it is submitted.

    `creation_token` (the form's one-time token) makes the creation idempotent: the same form posted twice
    (double click, second tab) returns the draft the first post created.
    """
    token = fields.get("creation_token")

    def existing() -> Application | None:
        return (
            Application.objects.filter(creation_token=token, enterprise=enterprise).first()
            if token
            else None
        )

    found = existing()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            application = Application(  # a draft has no reference until it is submitted
                program_version=version,
                enterprise=enterprise,
                amount=amount,
                **fields,
            )
            application.save()
            spec = programs.spec(version)
            if spec.details_for is not None:
                spec.details_for(application)  # the kind's own record (Quzhou 附件1 tables)
            log_action(
                actor=actor,
                action="applications.application.created",
                obj=application,
                to_state=application.state,
            )
    except IntegrityError:  # the other post of the same form won the race
        found = existing()
        if found is None:
            raise
        return found
    return application


def ensure_editable(application: Application) -> None:
    if application.state not in EDITABLE_STATES:
        raise DomainError(
            _("A submitted application is frozen; only a reviewer's return reopens it.")
        )


def material_add(
    *, actor: User, application: Application, material_type: MaterialType, upload: UploadedFile
) -> Material:
    """Store one uploaded material, judged by content (PDF, JPEG, PNG) and size."""
    content_type = check_upload(upload)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        ensure_editable(locked)
        if material_type.program_id != locked.program_version.program_id:
            raise DomainError(_("This material does not belong to the application's program."))
        material = Material(
            application=locked,
            material_type=material_type,
            original_name=display_name(upload.name or "file"),
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=actor,
        )
        material.file.save(upload.name or "file", upload, save=False)
        material.save()
        log_action(
            actor=actor,
            action="applications.material.added",
            obj=locked,
            data={
                "material": material_type.number,
                "name": material.original_name,
                "size": material.size,
            },
        )
    return material


def material_remove(*, actor: User, material: Material) -> None:
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=material.application_id)
        ensure_editable(locked)
        log_action(
            actor=actor,
            action="applications.material.removed",
            obj=locked,
            data={"material": material.material_type.number, "name": material.original_name},
        )
        material.delete()


def team_member_add(*, actor: User, application: Application, member: TeamMember) -> TeamMember:
    """Add a main member of the project team (Quzhou 附件1); the ID number is checked by the form."""
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        ensure_editable(locked)
        member.application = locked
        member.save()
        log_action(
            actor=actor,
            action="applications.team_member.added",
            obj=locked,
            data={"name": member.name},
        )
    return member


def team_member_remove(*, actor: User, application: Application, member_id: int) -> None:
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        ensure_editable(locked)
        member = TeamMember.objects.filter(pk=member_id, application=locked).first()
        if member is None:
            raise DomainError(_("This team member does not exist."))
        log_action(
            actor=actor,
            action="applications.team_member.removed",
            obj=locked,
            data={"name": member.name},
        )
        member.delete()


def missing_materials(application: Application) -> list[MaterialType]:
    present = set(application.materials.values_list("material_type", flat=True))
    return [
        m
        for m in application.program_version.program.material_types.filter(required=True)
        if m.pk not in present
    ]


QUZHOU_FIGURE_YEARS = 3  # 附件1 近3年产品销售（技术服务）收入 / 近3年利润


def figure_years(today: dt.date | None = None) -> list[int]:
    """Quzhou 附件1 近3年: the three calendar years before the year of submission."""
    year = (today or timezone.localdate()).year
    return list(range(year - QUZHOU_FIGURE_YEARS, year))


def profile_field_problems(enterprise: Enterprise, fields: Any, annex: str) -> list[str]:
    """The `fields` of the profile that `annex` prints and the enterprise has not filled (a zero is an answer)."""
    problems = []
    for name in fields:
        value = getattr(enterprise, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            label = Enterprise._meta.get_field(name).verbose_name
            problems.append(
                _("The profile lacks “%(field)s”, which %(annex)s prints.")
                % {"field": label, "annex": annex}
            )
    return problems


def figure_problems(enterprise: Enterprise, annex: str, today: dt.date | None = None) -> list[str]:
    """附件1 近3年: the sales revenue and profit of each of the three years before the submission year."""
    complete = {
        f.year
        for f in enterprise.annual_figures.filter(year__in=figure_years(today))
        if f.revenue is not None and f.profit is not None
    }
    missing = [str(year) for year in figure_years(today) if year not in complete]
    if not missing:
        return []
    return [
        _(
            "The profile lacks the sales revenue and profit of %(years)s, which %(annex)s prints (近3年)."
        )
        % {"years": "、".join(missing), "annex": annex}
    ]


def profile_problems(enterprise: Enterprise, kind: Any, today: dt.date | None = None) -> list[str]:
    """The profile fields the annex of `kind` (a kind, a program ...) prints and the enterprise has not filled."""
    spec = programs.spec(kind)
    return spec.profile_problems(enterprise, today) if spec.profile_problems else []


def form_problems(application: Application) -> list[str]:
    """What the forms still lack for a submission (every problem, not the first): the kind's own fields too."""
    problems: list[str] = []

    def need(value: Any, label: str) -> None:
        if value in (None, ""):
            problems.append(_("%(field)s is missing.") % {"field": label})

    need(application.bank_id, _("Bank"))
    need(application.term_months, _("Term (months)"))
    need(application.planned_disbursement_on, _("Planned disbursement date"))
    spec = programs.spec(application)
    problems += profile_problems(application.enterprise, spec)
    if spec.form_problems is not None:
        problems += spec.form_problems(application)
    return problems


def application_submit(
    *, actor: User, application: Application, request: HttpRequest | None = None
) -> Application:
    """Submit (or resubmit after a return): check everything, store the checklist, the record and the PDF, then submit.

    1. lock the application; a second submission (two tabs, double click) finds it submitted and is refused;
    2. gather every problem: missing fields and materials, the eligibility and submit-time rules;
    3. keep the enterprise record as it is now (the application no longer follows the profile),
       the checklist, and the PDF with its SHA-256;
    4. the `submit` transition, the save, the audit row.
    """
    from applications import documents

    with transaction.atomic():
        locked = lifecycle.lock(application)
        if actor.effective_role != Role.ENTERPRISE or actor.enterprise_id != locked.enterprise_id:
            raise NotYours(_("Only the enterprise's own users may submit its application."))
        spec = programs.spec(locked)
        if not can_proceed(getattr(locked, spec.workflow.submit)):
            raise DomainError(_("This application has already been submitted."))
        checklist = eligibility_now(locked)
        problems = form_problems(locked)
        problems += [
            f"{r.reason}（{r.article}）" if r.article else r.reason
            for r in eligibility.problems(checklist)
        ]
        if problems:
            raise DomainError(problems)
        if not locked.reference:  # the first submission numbers it; a resubmission keeps its number
            locked.reference = reference_next(
                program=locked.program_version.program, day=timezone.localdate()
            )
        locked.snapshot = documents.build_snapshot(locked)
        locked.eligibility_result = eligibility.to_json(checklist)

        def keep_pdf(app: Application) -> dict[str, Any]:
            # After the transition, which sets submitted_at, the date the kept PDF is signed with; the PDF
            # reads the snapshot just taken (a failure rolls the whole submission back).
            pdf = documents.submission_pdf(app)
            app.submitted_pdf_sha256 = sha256(pdf)
            app.submitted_pdf.save(f"{app.reference}.pdf", ContentFile(pdf), save=False)
            return {"sha256": app.submitted_pdf_sha256, "amount": app.amount}

        lifecycle.step(
            locked,
            spec.workflow.submit,
            actor=actor,
            request=request,
            prepare=keep_pdf,
            action="applications.application.submitted",
        )
    return locked
