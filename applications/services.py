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
from django.core import signing
from django.core.exceptions import ValidationError
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
    AccountClaim,
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
from kedaitong import errors, programs
from kedaitong.audit import log_action
from kedaitong.errors import Refused
from kedaitong.models import User
from kedaitong.pdf import sha256
from kedaitong.roles import Role
from kedaitong.uploads import check_upload, display_name

EDITABLE_STATES = (Application.State.DRAFT, Application.State.RETURNED)
COMPANY_INTRO_MAX = 500  # Quzhou 附件1 三、公司简介，限500字
PROJECT_INTRO_MAX = 1000  # Quzhou 附件1 四、项目介绍，限1000字


class DomainError(Refused):
    """An operation of the enterprise side refused, with every reason (translated, for the user)."""


class NotAllowed(DomainError, errors.NotAllowed):
    """The actor's role may not take this step (a view answers 403)."""


class Conflict(DomainError, errors.Conflict):
    """Someone else decided first, or the record moved on (a view answers 409)."""


class NotYours(NotAllowed):
    """Only the enterprise's own users may do this."""


# --- Registration and invitations ----------------------------------------------------------------------------


def enterprise_register(
    *,
    credit_code: str,
    name: str,
    username: str,
    display_name: str,
    email: str,
    password: str,
    base_url: str = "",
) -> User:
    """Create an enterprise account and its first user. One account per credit code (GB 32100 check character).

    An enterprise may already be on record without any user: a bank registered its loan, or the bureau imported
    its list. The first registration with that code claims the record (its name, loans and listings stay as they
    are; the audit trail keeps the name typed at registration). A code whose enterprise already has users is
    refused: the registrant is sent to a colleague's invitation, the password reset, or a dispute.

    Issue 17: the account is unconfirmed (it may fill drafts, not submit) until the bureau confirms it
    against the evidence the registrant files (`claim_file`); a signed link to `email` proves the address.
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
        enterprise = (
            Enterprise.objects.select_for_update(no_key=True).filter(credit_code=code).first()
        )
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
        if base_url:
            email_verification_send(user=user, base_url=base_url)
    return user


def enterprise_invite(*, actor: User, email: str, display_name: str, base_url: str) -> User:
    """Invite a colleague: a user of the same enterprise without a password, who sets one through a one-time link.

    The link is Django's password-reset link: its token stops working once the
    password is set (it hashes the password) and after PASSWORD_RESET_TIMEOUT.
    Inviting again a colleague of the same enterprise who has not set a password yet
    (the link expired or the mail was lost) sends a new link and kills the old one: the
    unusable password is drawn afresh, and the old token hashed the previous one.
    """
    enterprise = actor.enterprise
    if actor.effective_role != Role.ENTERPRISE or enterprise is None:
        raise DomainError(_("Only an enterprise's users may invite colleagues."))
    email = email.strip().lower()
    with transaction.atomic():
        existing = list(
            User.objects.select_for_update(no_key=True)
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
        link = password_link(user, base_url)
        subject = _("Invitation to Kedaitong for %(enterprise)s") % {"enterprise": enterprise.name}
        body = _(
            "%(inviter)s invites you to the Kedaitong portal account of %(enterprise)s.\n\n"
            "Set your password with this link (it works once):\n%(link)s\n\nYour user name is %(username)s."
        ) % {
            "inviter": actor.display_name or actor.username,
            "enterprise": enterprise.name,
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


def password_link(user: User, base_url: str) -> str:
    """A one-time link to set the password (Django's reset token: it dies once the password is set)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return base_url.rstrip("/") + reverse(
        "password_reset_confirm", args=[uid, default_token_generator.make_token(user)]
    )


# --- Who an enterprise account really is (issue 17) --------------------------------------------------------------

EMAIL_SALT = "kedaitong.email-verification"


def _mail_on_commit(subject: str, body: str, recipients: list[str]) -> None:
    recipients = sorted({r for r in recipients if r})
    if recipients:
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        )


def email_verification_token(user: User) -> str:
    """Signed (SECRET_KEY, timestamped): the user and the address the link was sent to."""
    return signing.dumps({"u": str(user.public_id), "e": user.email.lower()}, salt=EMAIL_SALT)


def email_verification_send(*, user: User, base_url: str) -> None:
    """Mail a signed link to the user's address; following it (and confirming) proves the address."""
    if not user.email:
        raise DomainError(_("The account has no e-mail address to verify."))
    link = base_url.rstrip("/") + reverse(
        "applications:verify-email", args=[email_verification_token(user)]
    )
    days = settings.EMAIL_VERIFICATION_DAYS
    body = _(
        "Confirm that this e-mail address belongs to the Kedaitong account %(username)s by opening this "
        "link within %(days)d days:\n%(link)s\n\nIf you did not register, ignore this e-mail."
    ) % {"username": user.username, "days": days, "link": link}
    _mail_on_commit(_("Kedaitong: verify your e-mail address"), body, [user.email])


def email_verify(*, token: str) -> User:
    """The address is the user's: record when (once), and tell the bureau of a claim that was waiting for it."""
    try:
        data = signing.loads(
            token, salt=EMAIL_SALT, max_age=dt.timedelta(days=settings.EMAIL_VERIFICATION_DAYS)
        )
    except signing.SignatureExpired:
        raise DomainError(
            _("This link has expired. Log in and ask for a new one on your account page.")
        ) from None
    except signing.BadSignature:
        raise DomainError(_("This link is not valid.")) from None
    with transaction.atomic():
        user = User.objects.select_for_update(no_key=True).filter(public_id=data.get("u")).first()
        if user is None or user.email.lower() != data.get("e"):
            raise DomainError(_("This link is not valid."))
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            log_action(actor=user, action="applications.account.email_verified", obj=user)
            for claim in AccountClaim.objects.waiting().filter(claimant=user):
                _tell_bureau_of(claim)
    return user


def account_problems(*, enterprise: Enterprise, user: User | None = None) -> list[str]:
    """Why this account may not submit yet (issue 17): the bureau has not confirmed it, or the address is unproven."""
    problems = []
    if enterprise.account_confirmed_at is None:
        problems.append(
            _(
                "The bureau has not yet confirmed that this account speaks for %(enterprise)s. Upload the business "
                "licence and the signed authorization letter on the account page; drafts are kept meanwhile."
            )
            % {"enterprise": enterprise.name}
        )
    if user is not None and user.email_verified_at is None:
        problems.append(
            _("Your e-mail address is not verified yet: open the link we sent to %(email)s.")
            % {"email": user.email}
        )
    return problems


def _store_evidence(
    claim: AccountClaim, *, licence: UploadedFile, authorization: UploadedFile
) -> None:
    claim.licence_name = display_name(licence.name or "licence")
    claim.authorization_name = display_name(authorization.name or "authorization")
    claim.licence.save(licence.name or "licence", licence, save=False)
    claim.authorization.save(authorization.name or "authorization", authorization, save=False)


def _check_evidence(licence: UploadedFile, authorization: UploadedFile) -> None:
    """Both files are required and judged by content (PDF, JPEG, PNG), before anything is saved."""
    problems = []
    for upload, label in (
        (licence, _("Business licence")),
        (authorization, _("Authorization letter")),
    ):
        if upload is None:
            problems.append(_("%(field)s is missing.") % {"field": label})
            continue
        try:
            check_upload(upload)
        except ValidationError as exc:
            problems += [f"{label}: {m}" for m in exc.messages]
    if problems:
        raise DomainError(problems)


def _tell_bureau_of(claim: AccountClaim) -> None:
    """A claim is in the bureau's queue: e-mail its staff and head at commit."""
    bureau = User.objects.filter(
        is_active=True, program=claim.program_id, role__in=[Role.BUREAU_STAFF, Role.BUREAU_HEAD]
    )
    subject = _("Kedaitong: %(kind)s for %(enterprise)s waits for the bureau") % {
        "kind": claim.get_kind_display(),
        "enterprise": claim.enterprise.name,
    }
    body = subject + "\n\n" + claim.statement
    _mail_on_commit(subject, body, [u.email for u in bureau])


def claim_file(
    *,
    actor: User,
    program: Program,
    licence: UploadedFile,
    authorization: UploadedFile,
    statement: str = "",
) -> AccountClaim:
    """The registrant asks the bureau of `program` to confirm that its account speaks for the enterprise.

    1. only a user of an unconfirmed enterprise, with no claim of its own already waiting;
    2. both files judged by content before anything is stored (all or nothing);
    3. the claim, its audit row; the bureau is told at once if the address is verified, else on verification.
    """
    if actor.effective_role != Role.ENTERPRISE or not actor.enterprise_id:
        raise NotAllowed(
            _("Only a user of the enterprise may ask for its account to be confirmed.")
        )
    _check_evidence(licence, authorization)
    with transaction.atomic():
        enterprise = Enterprise.objects.select_for_update(no_key=True).get(pk=actor.enterprise_id)
        if enterprise.account_confirmed_at is not None:
            raise Conflict(_("This account is already confirmed."))
        if AccountClaim.objects.filter(
            enterprise=enterprise,
            claimant__enterprise=enterprise,
            state=AccountClaim.State.PENDING,
        ).exists():  # the user's own, or a colleague's: one request waits at a time
            raise Conflict(_("Your request is already waiting for the bureau."))
        claim = AccountClaim(
            kind=AccountClaim.Kind.REGISTRATION,
            enterprise=enterprise,
            claimant=actor,
            program=program,
            statement=statement.strip(),
        )
        _store_evidence(claim, licence=licence, authorization=authorization)
        claim.save()
        log_action(
            actor=actor,
            action="applications.account.claim_filed",
            obj=claim,
            to_state=claim.state,
            data={
                "kind": claim.kind,
                "program": program.code,
                "enterprise": enterprise.credit_code,
            },
        )
        if actor.email_verified_at is not None:
            _tell_bureau_of(claim)
    return claim


def dispute_file(
    *,
    credit_code: str,
    username: str,
    display_name: str,
    email: str,
    password: str,
    program: Program,
    licence: UploadedFile,
    authorization: UploadedFile,
    statement: str,
    base_url: str = "",
) -> AccountClaim:
    """A company finds its credit code taken: an account without an enterprise and a dispute the bureau decides.

    The new user holds no role until the bureau upholds the dispute; the enterprise's current account keeps
    everything meanwhile. A signed link proves the address, and the bureau sees the dispute once it is proven.
    """
    code = credit_code.strip().upper()
    reason = validate_credit_code(code)
    if reason:
        raise DomainError(reason)
    if not statement.strip():
        raise DomainError(_("Say why this enterprise is yours and the other account is not."))
    _check_evidence(licence, authorization)
    with transaction.atomic():
        enterprise = (
            Enterprise.objects.select_for_update(no_key=True).filter(credit_code=code).first()
        )
        if enterprise is None or not enterprise.members.exists():
            raise DomainError(
                _("No account holds this credit code: register the enterprise instead.")
            )
        if User.objects.filter(username=username).exists():
            raise DomainError(_("This user name is taken; choose another."))
        user = User(username=username, display_name=display_name, email=email)
        user.set_password(password)
        user.save()
        claim = AccountClaim(
            kind=AccountClaim.Kind.DISPUTE,
            enterprise=enterprise,
            claimant=user,
            program=program,
            statement=statement.strip(),
        )
        _store_evidence(claim, licence=licence, authorization=authorization)
        claim.save()
        log_action(
            actor=user,
            action="applications.account.dispute_filed",
            obj=claim,
            to_state=claim.state,
            data={"program": program.code, "enterprise": code},
        )
        if base_url:
            email_verification_send(user=user, base_url=base_url)
    return claim


def may_decide_claims(user: User, claim: AccountClaim | None = None) -> bool:
    """Bureau staff and head of the claim's program decide (the administrator looks, as in the review)."""
    if user.effective_role not in (Role.BUREAU_STAFF, Role.BUREAU_HEAD) or not user.program_id:
        return False
    return claim is None or claim.program_id == user.program_id


def claim_decide(
    *, actor: User, claim: AccountClaim, confirm: bool, reason: str = ""
) -> AccountClaim:
    """The bureau decides a claim against its evidence.

    1. lock the claim (two clerks deciding at once: the second is told it is decided) and the enterprise;
    2. refusing needs a reason; the claimant is told it;
    3. confirming a registration confirms the enterprise's account;
    4. upholding a dispute gives the enterprise to the claimant: every user of the losing account loses
       access (it keeps its login, without a role), claims it stood on are superseded, its drafts stay
       with the enterprise (kept, not deleted), and both sides are told.
    """
    if not may_decide_claims(actor, claim):
        raise NotAllowed(_("Only the bureau of the claim's program decides it."))
    reason = reason.strip()
    if not confirm and not reason:
        raise DomainError(_("Give the reason for the refusal; the claimant is told it."))
    with transaction.atomic():
        locked = (
            AccountClaim.objects.select_for_update(no_key=True)
            .select_related("claimant", "enterprise")
            .get(pk=claim.pk)
        )
        if locked.state != AccountClaim.State.PENDING:
            raise Conflict(
                _("This claim was already decided (%(state)s) by %(who)s.")
                % {"state": locked.get_state_display(), "who": locked.decided_by or _("the system")}
            )
        if locked.claimant.email_verified_at is None:
            raise Conflict(_("The claimant has not verified the e-mail address yet."))
        enterprise = Enterprise.objects.select_for_update(no_key=True).get(pk=locked.enterprise_id)
        claimant = User.objects.select_for_update(no_key=True).get(pk=locked.claimant_id)
        if not confirm:
            locked.refuse(by=actor, reason=reason)
            locked.save()
            _log_claim(actor, locked, "refused")
            _mail_on_commit(
                _("Kedaitong: your claim for %(enterprise)s was refused")
                % {"enterprise": enterprise.name},
                _("The bureau refused your claim for %(enterprise)s:\n%(reason)s")
                % {"enterprise": enterprise.name, "reason": reason},
                [claimant.email],
            )
            return locked
        if (
            locked.kind == AccountClaim.Kind.REGISTRATION
            and claimant.enterprise_id != enterprise.pk
        ):
            raise Conflict(_("The claimant no longer belongs to this enterprise's account."))
        if locked.kind == AccountClaim.Kind.DISPUTE:
            _hand_over(actor=actor, claim=locked, enterprise=enterprise, claimant=claimant)
        locked.confirm(by=actor, reason=reason)
        locked.save()
        enterprise.account_confirmed_at = timezone.now()
        enterprise.account_confirmed_by = actor
        enterprise.save(update_fields=["account_confirmed_at", "account_confirmed_by"])
        _log_claim(actor, locked, "confirmed")
        _mail_on_commit(
            _("Kedaitong: your account for %(enterprise)s is confirmed")
            % {"enterprise": enterprise.name},
            _(
                "The bureau confirmed that your account speaks for %(enterprise)s; you may now submit applications."
            )
            % {"enterprise": enterprise.name},
            [claimant.email],
        )
    return locked


def _log_claim(actor: User, claim: AccountClaim, verb: str) -> None:
    log_action(
        actor=actor,
        action=f"applications.account.claim_{verb}",
        obj=claim,
        from_state=AccountClaim.State.PENDING,
        to_state=claim.state,
        comment=claim.reason,
        data={"kind": claim.kind, "enterprise": claim.enterprise.credit_code},
    )


def _hand_over(*, actor: User, claim: AccountClaim, enterprise: Enterprise, claimant: User) -> None:
    """An upheld dispute: the losing account's users leave the enterprise, the claimant joins it."""
    losers = list(
        User.objects.select_for_update(no_key=True)
        .filter(enterprise=enterprise)
        .exclude(pk=claimant.pk)
        .order_by("pk")  # the audit entry names them in the order they joined
    )
    # Every row this hand-over changes is locked before its first audit entry, which takes the chain's lock to
    # commit (kedaitong/auditchain.py): a writer holding one of these claims and waiting to log would deadlock.
    others = list(
        AccountClaim.objects.select_for_update(no_key=True)
        .filter(
            enterprise=enterprise,
            state__in=[AccountClaim.State.PENDING, AccountClaim.State.CONFIRMED],
        )
        .exclude(pk=claim.pk)
        .order_by("pk")
    )
    for user in losers:
        user.role, user.enterprise = "", None
        user.save(update_fields=["role", "enterprise"])
        log_action(
            actor=actor,
            action="applications.account.access_removed",
            obj=enterprise,
            data={"username": user.username, "dispute": str(claim.public_id)},
        )
    for other in others:
        other.supersede()
        other.save()
        _log_claim(actor, other, "superseded")
    claimant.role, claimant.enterprise = Role.ENTERPRISE, enterprise
    claimant.save(update_fields=["role", "enterprise"])
    drafts = enterprise.applications.filter(state=Application.State.DRAFT).count()
    log_action(
        actor=actor,
        action="applications.account.handed_over",
        obj=enterprise,
        comment=claim.reason,
        data={
            "to": claimant.username,
            "from": [u.username for u in losers],
            "drafts_kept": drafts,
        },
    )
    _mail_on_commit(
        _("Kedaitong: your access to %(enterprise)s was removed") % {"enterprise": enterprise.name},
        _(
            "The bureau upheld another party's claim to %(enterprise)s. Your account no longer has access "
            "to it; the drafts stay with the enterprise. If this is wrong, contact the bureau."
        )
        % {"enterprise": enterprise.name},
        [u.email for u in losers],
    )


def enterprise_invite_by_bank(
    *,
    actor: User,
    program: Program,
    credit_code: str,
    name: str,
    email: str,
    display_name: str,
    base_url: str,
) -> User:
    """A cooperating bank vouches for its customer: a confirmed account, and a link to set the password.

    Only a bank with an agreement in force in `program`, and only for a code no account holds yet (an
    account that is not the enterprise's is a matter for a dispute, which the bureau decides).
    """
    bank = actor.bank
    if actor.effective_role != Role.BANK or bank is None:
        raise NotAllowed(_("Only a cooperating bank's users may invite an enterprise."))
    banks = type(bank).objects  # the bank side's model, reached through the user (loans imports us)
    if not banks.cooperating_in(program).filter(pk=bank.pk).exists():
        raise DomainError(
            _("Your bank has no cooperation agreement in force in %(program)s.")
            % {"program": program.name}
        )
    code = credit_code.strip().upper()
    reason = validate_credit_code(code)
    if reason:
        raise DomainError(reason)
    email = email.strip().lower()
    with transaction.atomic():
        enterprise = (
            Enterprise.objects.select_for_update(no_key=True).filter(credit_code=code).first()
        )
        if enterprise is not None and enterprise.members.exists():
            raise Conflict(
                _(
                    "%(enterprise)s already has an account. If that account is not the enterprise's, the "
                    "enterprise files a dispute, which the bureau decides."
                )
                % {"enterprise": enterprise.name}
            )
        if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
            raise DomainError(_("A user with this e-mail address already exists."))
        if enterprise is None:
            enterprise = Enterprise.objects.create(credit_code=code, name=name.strip())
        user = User(
            username=email,
            email=email,
            display_name=display_name,
            role=Role.ENTERPRISE,
            enterprise=enterprise,
        )
        user.set_unusable_password()
        user.save()
        claim = AccountClaim(
            kind=AccountClaim.Kind.BANK_INVITATION,
            enterprise=enterprise,
            claimant=user,
            program=program,
            bank_id=actor.bank_id,
        )
        claim.confirm(by=actor)
        claim.save()
        enterprise.account_confirmed_at = timezone.now()
        enterprise.account_confirmed_by = actor
        enterprise.save(update_fields=["account_confirmed_at", "account_confirmed_by"])
        log_action(
            actor=actor,
            action="applications.account.bank_invited",
            obj=claim,
            to_state=claim.state,
            data={"enterprise": code, "email": email, "program": program.code},
        )
        body = _(
            "%(bank)s invites %(enterprise)s to the Kedaitong portal, where it applies for %(program)s.\n\n"
            "Set your password with this link (it works once):\n%(link)s\n\nYour user name is %(username)s."
        ) % {
            "bank": bank.name,
            "enterprise": enterprise.name,
            "program": program.name,
            "link": password_link(user, base_url),
            "username": user.username,
        }
        _mail_on_commit(
            _("Invitation to Kedaitong for %(enterprise)s") % {"enterprise": enterprise.name},
            body,
            [email],
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
    counter = ReferenceCounter.objects.select_for_update(no_key=True).get(
        program=program, year=year
    )
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
                spec.details_for(application).save()  # the kind's own record (Quzhou 附件1 tables)
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


def application_delete(*, actor: User, application: Application) -> None:
    """The enterprise deletes its own draft, with its materials and team (issue 18): nothing was submitted.

    Only a draft: an application once submitted (returned ones too) is part of the record and is withdrawn
    instead. The audit row keeps what was deleted.
    """
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(no_key=True)
            .select_related("enterprise")
            .filter(pk=application.pk)
            .first()
        )
        if locked is None:
            raise DomainError(_("This draft has already been deleted."))
        if actor.effective_role != Role.ENTERPRISE or actor.enterprise_id != locked.enterprise_id:
            raise NotYours(_("Only the enterprise's own users may delete its draft."))
        if locked.state != Application.State.DRAFT:
            raise DomainError(
                _("Only a draft can be deleted; a submitted application is withdrawn instead.")
            )
        log_action(
            actor=actor,
            action="applications.application.deleted",
            obj=locked,
            data={
                "amount": str(locked.amount),
                "materials": [m.original_name for m in locked.materials.all()],
            },
        )
        locked.delete()


def ensure_editable(application: Application) -> None:
    if application.state not in EDITABLE_STATES:
        raise DomainError(
            _("A submitted application is frozen; only a reviewer's return reopens it.")
        )


def _material_store(
    *,
    application: Application,
    material_type: MaterialType,
    upload: UploadedFile,
    content_type: str,
    actor: User,
) -> Material:
    """Save a checked upload as the application's material (the file under its display name's record)."""
    material = Material(
        application=application,
        material_type=material_type,
        original_name=display_name(upload.name or "file"),
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=actor,
    )
    material.file.save(upload.name or "file", upload, save=False)
    material.save()
    return material


def material_add(
    *, actor: User, application: Application, material_type: MaterialType, upload: UploadedFile
) -> Material:
    """Store one uploaded material, judged by content (PDF, JPEG, PNG) and size."""
    content_type = check_upload(upload)
    with transaction.atomic():
        locked = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
        ensure_editable(locked)
        if material_type.program_id != locked.program_version.program_id:
            raise DomainError(_("This material does not belong to the application's program."))
        if material_type.supplied_by_bank:
            raise DomainError(
                _(
                    "Material %(number)d is issued by the cooperating bank and added by the bank at its "
                    "review (附件2: 由合作银行出具，银行审核阶段补齐)."
                )
                % {"number": material_type.number}
            )
        material = _material_store(
            application=locked,
            material_type=material_type,
            upload=upload,
            content_type=content_type,
            actor=actor,
        )
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


def material_supply_by_bank(
    *,
    actor: User,
    application: Application,
    material_type: MaterialType,
    upload: UploadedFile,
    request: HttpRequest | None = None,
) -> Material:
    """Changjiang 附件2 第11项 “由合作银行出具，银行审核阶段补齐”: the application's bank adds it at its review.

    1. The file is judged by content (PDF, JPEG, PNG) and size, as every upload (`check_upload`).
    2. The application row is locked: only a user of the application's bank, while the application is at
       the bank's review (before the bank's decision), for a material the program marks as the bank's.
    3. A file already there for that material is replaced (one file each): the old row goes, the audit
       entry names the file it replaced. The enterprise's 附件2 PDF lists the new file as provided.
    """
    try:
        content_type = check_upload(upload)
    except ValidationError as exc:
        raise DomainError(exc.messages) from None
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update(no_key=True)
            .select_related("program_version")
            .get(pk=application.pk)
        )
        if not (
            actor.effective_role == Role.BANK
            and actor.bank_id is not None
            and actor.bank_id == locked.bank_id
        ):
            raise NotAllowed(_("Only the application's bank adds the materials it issues."))
        if not material_type.supplied_by_bank:
            raise DomainError(_("This material is the enterprise's: the bank adds only its own."))
        if material_type.program_id != locked.program_version.program_id:
            raise DomainError(_("This material does not belong to the application's program."))
        if locked.state != Application.State.BANK_REVIEW:
            raise Conflict(
                _(
                    "The bank's materials are added or replaced during its review, before its "
                    "decision; this application is now: %(state)s."
                )
                % {"state": locked.get_state_display()}
            )
        replaced = list(Material.objects.filter(application=locked, material_type=material_type))
        for old in replaced:
            old.delete()
        material = _material_store(
            application=locked,
            material_type=material_type,
            upload=upload,
            content_type=content_type,
            actor=actor,
        )
        log_action(
            actor=actor,
            action="applications.material.replaced_by_bank"
            if replaced
            else "applications.material.added_by_bank",
            obj=locked,
            data={
                "material": material_type.number,
                "name": material.original_name,
                "size": material.size,
                "replaced": [old.original_name for old in replaced],
            },
            request=request,
        )
    return material


def material_remove(*, actor: User, material: Material) -> None:
    with transaction.atomic():
        locked = Application.objects.select_for_update(no_key=True).get(pk=material.application_id)
        ensure_editable(locked)
        if material.material_type.supplied_by_bank:
            raise DomainError(
                _("The bank's material (附件2 第11项) is replaced by the bank, not removed.")
            )
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
        locked = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
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
        locked = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
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
            label = getattr(Enterprise._meta.get_field(name), "verbose_name", name)
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
        # Issue 17: an unconfirmed account fills drafts but does not submit.
        problems = account_problems(enterprise=locked.enterprise, user=actor)
        problems += form_problems(locked)
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
            pdf = documents.submission_pdf(app, actor)
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
