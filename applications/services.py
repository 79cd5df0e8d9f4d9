"""Operations of the enterprise side: registration, invitations, profile, applications, materials, submission.

Each operation runs in one transaction, checks, changes, and writes an audit
row; e-mails leave at commit. Views and commands call these functions.
"""

from __future__ import annotations

import datetime as dt
import uuid
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

from applications import eligibility
from applications.credit_code import validate as validate_credit_code
from applications.models import (
    Application,
    Enterprise,
    Material,
    MaterialType,
    Program,
    ProgramVersion,
    QuzhouDetails,
    TeamMember,
)
from applications.selectors import eligibility_now
from kedaitong.audit import log_action
from kedaitong.models import User
from kedaitong.pdf import sha256
from kedaitong.roles import Role
from kedaitong.uploads import check_upload, display_name

EDITABLE_STATES = (Application.State.DRAFT, Application.State.RETURNED)
COMPANY_INTRO_MAX = 500  # Quzhou 附件1 三、公司简介，限500字
PROJECT_INTRO_MAX = 1000  # Quzhou 附件1 四、项目介绍，限1000字
REFERENCE_PREFIX = {Program.Kind.CHANGJIANG: "CJ", Program.Kind.QUZHOU: "QZ"}


class DomainError(Exception):
    """An operation refused, with every reason (translated, for the user)."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("；".join(self.problems))


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


def _new_reference(program: Program) -> str:
    prefix = REFERENCE_PREFIX.get(program.kind, "AP")
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


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
            application = Application(
                reference=_new_reference(version.program),
                program_version=version,
                enterprise=enterprise,
                amount=amount,
                **fields,
            )
            application.save()
            if version.program.kind == Program.Kind.QUZHOU:
                QuzhouDetails.objects.create(application=application)
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


# The profile fields each annex prints; an empty one would leave a blank on the signed form.
# Changjiang 附件3: **公司位于…，成立于…，法人代表为…，联系电话…，主要经营…。公司注册资本…，实缴资本…，近一年销售额…，实现纳税….
CHANGJIANG_ANNEX3_FIELDS = (
    "address",
    "founded_on",
    "legal_representative",
    "contact_phone",
    "main_business",
    "registered_capital",
    "paid_in_capital",
    "last_year_sales",
    "last_year_tax",
)
# Changjiang 附件4 借款企业基本信息: 名称, 地址, 法定代表人 and 联系方式 (附件3's above), 联系人 and 联系方式 (the
# contact person's: mobile, or the enterprise's phone when the contact has none).
CHANGJIANG_ANNEX4_FIELDS = ("contact_name",)
QUZHOU_ANNEX1_FIELDS = (
    "ip_invention",
    "ip_utility",
    "ip_design",
    "ip_software",
    "ip_ic_layout",
    "ip_plant_variety",
    "ip_other",
    "employees",
    "staff_college_tech",
    "staff_rnd",
    "staff_rnd_recruited",
    "high_tech_revenue",
    "rnd_expense",
)
QUZHOU_FIGURE_YEARS = 3  # 附件1 近3年产品销售（技术服务）收入 / 近3年利润


def figure_years(today: dt.date | None = None) -> list[int]:
    """Quzhou 附件1 近3年: the three calendar years before the year of submission."""
    year = (today or timezone.localdate()).year
    return list(range(year - QUZHOU_FIGURE_YEARS, year))


def profile_problems(enterprise: Enterprise, kind: str, today: dt.date | None = None) -> list[str]:
    """The profile fields the program's annex prints and the enterprise has not filled (every one, naming the annex).

    Changjiang 附件3 (申请报告): address, founding date, legal representative, contact phone (联系电话), main
    business (主要经营), registered and paid-in capital, last year's sales and tax; 附件4 (备案审核表): the contact
    person (联系人). Quzhou 附件1 (申请表): IP counts by kind, staff figures, high-tech revenue and
    R&D expense of the last year, and sales revenue and profit of each of the last three years. A zero is an
    answer; only an empty field is a problem.
    """
    if kind == Program.Kind.CHANGJIANG:
        groups = [
            (CHANGJIANG_ANNEX3_FIELDS, _("Changjiang annex 3")),
            (CHANGJIANG_ANNEX4_FIELDS, _("Changjiang annex 4")),
        ]
    elif kind == Program.Kind.QUZHOU:
        groups = [(QUZHOU_ANNEX1_FIELDS, _("Quzhou annex 1"))]
    else:
        return []
    annex = groups[0][1]
    problems = []
    for fields, annex_name in groups:
        for name in fields:
            value = getattr(enterprise, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                label = Enterprise._meta.get_field(name).verbose_name
                problems.append(
                    _("The profile lacks “%(field)s”, which %(annex)s prints.")
                    % {"field": label, "annex": annex_name}
                )
    if kind == Program.Kind.QUZHOU:
        complete = {
            f.year
            for f in enterprise.annual_figures.filter(year__in=figure_years(today))
            if f.revenue is not None and f.profit is not None
        }
        missing = [str(year) for year in figure_years(today) if year not in complete]
        if missing:
            problems.append(
                _(
                    "The profile lacks the sales revenue and profit of %(years)s, which %(annex)s prints (近3年)."
                )
                % {"years": "、".join(missing), "annex": annex}
            )
    return problems


def form_problems(application: Application) -> list[str]:
    """What the forms still lack for a submission (every problem, not the first)."""
    problems: list[str] = []

    def need(value: Any, label: str) -> None:
        if value in (None, ""):
            problems.append(_("%(field)s is missing.") % {"field": label})

    need(application.bank_id, _("Bank"))
    need(application.term_months, _("Term (months)"))
    need(application.planned_disbursement_on, _("Planned disbursement date"))
    kind = application.program_version.program.kind
    problems += profile_problems(application.enterprise, kind)
    if kind == Program.Kind.CHANGJIANG:
        need(application.purpose.strip(), _("Reason for the loan"))
        need(application.annual_rate, _("Annual rate (%)"))
        need(application.product_type_id, _("Product type"))
        for material in missing_materials(application):
            problems.append(
                _("Material %(number)s “%(name)s” is not uploaded.")
                % {"number": material.number, "name": material.name}
            )
    if kind == Program.Kind.QUZHOU:
        details = QuzhouDetails.objects.get_or_create(application=application)[0]
        need(details.project_name.strip(), _("Project name"))
        need(details.company_intro.strip(), _("Company introduction"))
        need(details.project_intro.strip(), _("Project introduction"))
        # 附件1 二: 联系人 and 联系电话 are blanks of the form (mobile and e-mail are alternatives to reach them).
        need(details.contact_name.strip(), _("Contact person (Quzhou annex 1)"))
        need(details.contact_phone.strip(), _("Contact phone (Quzhou annex 1)"))
        if len(details.company_intro) > COMPANY_INTRO_MAX:
            problems.append(
                _("The company introduction has %(count)d characters; at most %(max)d (附件1).")
                % {"count": len(details.company_intro), "max": COMPANY_INTRO_MAX}
            )
        if len(details.project_intro) > PROJECT_INTRO_MAX:
            problems.append(
                _("The project introduction has %(count)d characters; at most %(max)d (附件1).")
                % {"count": len(details.project_intro), "max": PROJECT_INTRO_MAX}
            )
        if not application.team.exists():
            problems.append(_("Add at least one main member of the project team."))
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
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("enterprise", "bank", "program_version__program", "product_type")
            .get(pk=application.pk)
        )
        if actor.effective_role != Role.ENTERPRISE or actor.enterprise_id != locked.enterprise_id:
            raise DomainError(_("Only the enterprise's own users may submit its application."))
        if not can_proceed(locked.submit):
            raise DomainError(_("This application has already been submitted."))
        checklist = eligibility_now(locked)
        problems = form_problems(locked)
        problems += [f"{r.reason}（{r.article}）" for r in eligibility.problems(checklist)]
        if problems:
            raise DomainError(problems)
        from_state = locked.state
        locked.snapshot = documents.build_snapshot(locked)
        locked.eligibility_result = eligibility.to_json(checklist)
        # The transition first: it sets submitted_at, the date the kept PDF is signed with, and the PDF
        # then reads the snapshot just taken (a failure below rolls the whole submission back).
        locked.submit()
        pdf = documents.submission_pdf(locked, actor)
        locked.submitted_pdf_sha256 = sha256(pdf)
        locked.submitted_pdf.save(f"{locked.reference}.pdf", ContentFile(pdf), save=False)
        locked.save()
        log_action(
            actor=actor,
            action="applications.application.submitted",
            obj=locked,
            from_state=from_state,
            to_state=locked.state,
            data={"sha256": locked.submitted_pdf_sha256, "amount": locked.amount},
            request=request,
        )
    return locked
