"""Operations of the Changjiang review. Views and commands call these; each one locks, checks, transitions, logs.

Shape of every operation (CONVENTIONS.md): `transaction.atomic()` →
`select_for_update()` the application → refuse a stale form (the state the
user saw is not the state now: `StaleApplication` names who changed it) →
`can_proceed` and the transition's role → transition → save → audit row →
notifications (in-app now, e-mail on commit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applications.models import Application, Enterprise, Program
from kedaitong.audit import log_action
from kedaitong.models import AuditEntry, User
from kedaitong.roles import Role
from loans.models import Loan
from loans.services import LoanRefused, loan_register
from review import selectors
from review.models import (
    BankDecision,
    BlacklistEntry,
    LeadingGroupRole,
    Meeting,
    MeetingDecision,
    Notification,
    Objection,
    Opinion,
    PublicityBatch,
    PublicityEntry,
    publicity_end,
)


class ReviewError(Exception):
    """A refused operation; the message is shown to the user as it is (translated)."""


class StaleApplication(ReviewError):
    """Someone else changed the application since this user loaded it."""

    def __init__(self, application: Application, change: AuditEntry | None) -> None:
        self.application = application
        self.change = change
        if change is not None:
            who = change.actor_name or _("someone")
            state_from = (
                Application.State(change.from_state).label
                if change.from_state in Application.State.values
                else change.from_state
            )
            state_to = (
                Application.State(change.to_state).label
                if change.to_state in Application.State.values
                else change.to_state
            )
            message = _(
                "%(who)s changed this application from “%(from)s” to “%(to)s” at %(at)s. Nothing was saved; what you typed is kept below."
            ) % {
                "who": who,
                "from": state_from,
                "to": state_to,
                "at": timezone.localtime(change.at).strftime("%Y-%m-%d %H:%M"),
            }
        else:
            message = _(
                "Someone else changed this application meanwhile. Nothing was saved; what you typed is kept below."
            )
        super().__init__(message)


class StaleDraft(StaleApplication):
    """The draft opinion changed since this user loaded the page (same state, different text)."""

    def __init__(self, application: Application, draft: Opinion | None) -> None:
        self.application = application
        self.change = None
        self.draft = draft
        if draft is None:
            message = _(
                "The draft opinion you saw has been signed or replaced meanwhile. Nothing was saved; "
                "what you typed is kept below."
            )
        else:
            message = _(
                "%(who)s saved a new draft opinion (“%(recommendation)s”: %(text)s) at %(at)s. Nothing was "
                "saved; what you typed is kept below."
            ) % {
                "who": str(draft.handler),
                "recommendation": draft.get_recommendation_display(),
                "text": draft.text[:200],
                "at": timezone.localtime(draft.created_at).strftime("%Y-%m-%d %H:%M"),
            }
        ReviewError.__init__(self, message)


# `seen_draft` of the opinion operations: the pk of the unsigned draft the user saw, NO_DRAFT when
# they saw none, None when the caller does not check (commands, tests that do not care).
NO_DRAFT = 0


def _check_draft(application: Application, seen_draft: int | None) -> Opinion | None:
    """Optimistic locking on the draft itself: a new draft does not change the state, so the state check misses it."""
    draft = selectors.unsigned_bureau_draft(application)
    if seen_draft is not None and (draft.pk if draft else NO_DRAFT) != seen_draft:
        raise StaleDraft(application, draft)
    return draft


def _lock(application: Application, seen_state: str | None) -> Application:
    locked = (
        Application.objects.select_for_update()
        .select_related("program_version", "enterprise")
        .get(pk=application.pk)
    )
    if seen_state is not None and locked.state != seen_state:
        raise StaleApplication(locked, selectors.last_change(locked))
    return locked


def _permitted(method: Any, actor: User) -> bool:
    """The transition's role and scope only (conditions are checked apart, with their own message)."""
    meta = method._django_fsm
    found = meta.get_transition(meta.field.get_state(method.__self__))
    return found is not None and found.has_perm(method.__self__, actor)


def _transition(
    application: Application,
    name: str,
    *,
    actor: User | None,
    comment: str = "",
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Take transition `name` (state only), save it, log it and tell the parties. The caller holds the lock."""
    method = getattr(application, name)
    if not can_proceed(method, check_conditions=False):
        raise ReviewError(
            _("This step is not possible while the application is “%(state)s”.")
            % {"state": application.get_state_display()}
        )
    if actor is not None and not _permitted(method, actor):
        raise ReviewError(_("Your role may not take this step on this application."))
    if not can_proceed(method):
        raise ReviewError(_("The conditions of this step are not met yet."))
    from_state = application.state
    method()
    application.save()
    entry = log_action(
        actor=actor,
        action=f"review.application.{name}",
        obj=application,
        from_state=from_state,
        to_state=application.state,
        comment=comment,
        data=data,
        request=request,
    )
    _notify(application, entry)
    return entry


# --- notifications ------------------------------------------------------------------------------

# Whose queue an application joins when it reaches a state.
NEXT_ROLE = {
    Application.State.SUBMITTED: Role.BUREAU_STAFF,
    Application.State.BUREAU_REVIEW: Role.BUREAU_HEAD,
    Application.State.GROUP_REVIEW: Role.LEADING_GROUP,
    Application.State.PUBLICITY: Role.BUREAU_STAFF,
    Application.State.WITHDRAWN: Role.BUREAU_STAFF,  # the bureau learns that an application left its queue
}


def parties(application: Application) -> list[User]:
    """The enterprise's users, the bank's users once it is involved, and the role whose queue it joins."""
    users = User.objects.filter(is_active=True)
    found = list(users.filter(role=Role.ENTERPRISE, enterprise=application.enterprise_id))
    if application.bank_id and application.state not in (
        Application.State.SUBMITTED,
        Application.State.RETURNED,
        Application.State.BUREAU_REVIEW,
    ):
        found += list(users.filter(role=Role.BANK, bank=application.bank_id))
    next_role = NEXT_ROLE.get(application.state)
    if next_role:
        found += list(users.filter(role=next_role, program=application.program_version.program_id))
    return found


def _notify(application: Application, entry: AuditEntry) -> None:
    message = _("%(reference)s %(enterprise)s: %(state)s (by %(who)s)") % {
        "reference": application.reference,
        "enterprise": application.enterprise.name,
        "state": application.get_state_display(),
        "who": entry.actor_name,
    }
    recipients = parties(application)
    Notification.objects.bulk_create(
        Notification(user=u, application=application, message=message[:300]) for u in recipients
    )
    emails = sorted({u.email for u in recipients if u.email})
    if emails:
        body = message + ("\n\n" + entry.comment if entry.comment else "")
        transaction.on_commit(
            lambda: send_mail(
                message[:150], body, settings.DEFAULT_FROM_EMAIL, emails, fail_silently=True
            )
        )


def notify_users(
    recipients: Sequence[User],
    *,
    message: str,
    body: str = "",
    application: Application | None = None,
) -> None:
    """One inbox row per recipient now, and one e-mail to those with an address once the transaction commits."""
    Notification.objects.bulk_create(
        Notification(user=u, application=application, message=message[:300]) for u in recipients
    )
    emails = sorted({u.email for u in recipients if u.email})
    if emails:
        text = message + ("\n\n" + body if body else "")
        transaction.on_commit(
            lambda: send_mail(
                message[:150], text, settings.DEFAULT_FROM_EMAIL, emails, fail_silently=True
            )
        )


def notify_program(
    *,
    roles: Sequence[str],
    program_id: int | None,
    message: str,
    body: str = "",
    application: Application | None = None,
) -> list[User]:
    """Tell the users of `roles` in a program (every such user when no program): inbox now, e-mail on commit."""
    users = User.objects.filter(is_active=True, role__in=list(roles))
    if program_id is not None:
        users = users.filter(program=program_id)
    recipients = list(users)
    notify_users(recipients, message=message, body=body, application=application)
    return recipients


def notify_bureau(
    *, program_id: int | None, message: str, body: str = "", application: Application | None = None
) -> None:
    """Tell the bureau (staff and head of the program; every bureau user when no program): inbox now, e-mail on commit."""
    notify_program(
        roles=[Role.BUREAU_STAFF, Role.BUREAU_HEAD],
        program_id=program_id,
        message=message,
        body=body,
        application=application,
    )


def notify_leading_group(
    *, program_id: int | None, message: str, body: str = "", application: Application | None = None
) -> None:
    """Report to the leading group (领导专班) of the program: inbox now, e-mail on commit."""
    notify_program(
        roles=[Role.LEADING_GROUP],
        program_id=program_id,
        message=message,
        body=body,
        application=application,
    )


# --- bureau -------------------------------------------------------------------------------------


@transaction.atomic
def application_accept(
    *,
    actor: User,
    application: Application,
    seen_state: str | None = None,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Staff take a submitted application into review (its eligibility must not fail: 第六条)."""
    application = _lock(application, seen_state)
    _transition(application, "accept", actor=actor, comment=comment, request=request)
    return application


@transaction.atomic
def application_withdraw(
    *,
    actor: User,
    application: Application,
    reason: str = "",
    seen_state: str | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """The enterprise withdraws its own open application (DESIGN.md: any open state ─withdraw→ withdrawn).

    Open = before credit is granted; afterwards the bank's credit stands and the
    enterprise simply does not draw it. The transition (applications/workflow.py)
    names no role, so the enterprise check is here.
    """
    application = _lock(application, seen_state)
    if not (
        actor.effective_role == Role.ENTERPRISE and actor.enterprise_id == application.enterprise_id
    ):
        raise ReviewError(_("Your role may not take this step on this application."))
    _transition(application, "withdraw", actor=actor, comment=reason.strip(), request=request)
    return application


@dataclass(frozen=True)
class ReturnReason:
    item: str
    reason: str


@transaction.atomic
def application_return(
    *,
    actor: User,
    application: Application,
    reasons: Sequence[ReturnReason],
    comment: str = "",
    seen_state: str | None = None,
    request: HttpRequest | None = None,
) -> Opinion:
    """Staff return the application to the enterprise with a reason per item; the round stays in the history."""
    reasons = [r for r in reasons if r.reason.strip()]
    if not reasons:
        raise ReviewError(_("A return needs at least one reason."))
    application = _lock(application, seen_state)
    opinion = Opinion.objects.create(
        application=application,
        kind=Opinion.Kind.RETURN,
        text=comment,
        reasons=[{"item": r.item.strip(), "reason": r.reason.strip()} for r in reasons],
        handler=actor,
    )
    _transition(
        application,
        "return_for_changes",
        actor=actor,
        comment=comment or reasons[0].reason,
        data={"reasons": opinion.reasons},
        request=request,
    )
    return opinion


@transaction.atomic
def opinion_draft(
    *,
    actor: User,
    application: Application,
    recommendation: str,
    text: str,
    seen_state: str | None = None,
    seen_draft: int | None = None,
    request: HttpRequest | None = None,
) -> Opinion:
    """Staff draft the bureau's opinion (科技局意见); it waits for the head's signature (maker-checker).

    A new draft replaces the one waiting, so a form loaded before someone else's
    draft is refused (`seen_draft`), rather than silently replacing it.
    """
    application = _lock(application, seen_state)
    if not (
        actor.effective_role == Role.BUREAU_STAFF
        and actor.program_id == application.program_version.program_id
    ):
        raise ReviewError(_("Your role may not take this step on this application."))
    if application.state != Application.State.BUREAU_REVIEW:
        raise ReviewError(_("An opinion is drafted while the application is under bureau review."))
    if recommendation not in Opinion.Recommendation.values:
        raise ReviewError(_("Choose a recommendation."))
    if not text.strip():
        raise ReviewError(_("Write the opinion."))
    _check_draft(application, seen_draft)
    opinion = Opinion.objects.create(
        application=application,
        kind=Opinion.Kind.BUREAU,
        recommendation=recommendation,
        text=text.strip(),
        handler=actor,
    )
    entry = log_action(
        actor=actor,
        action="review.opinion.drafted",
        obj=application,
        comment=opinion.text,
        data={"recommendation": recommendation},
        request=request,
    )
    _notify(application, entry)
    return opinion


@transaction.atomic
def opinion_sign(
    *,
    actor: User,
    application: Application,
    comment: str = "",
    seen_state: str | None = None,
    seen_draft: int | None = None,
    request: HttpRequest | None = None,
) -> Opinion:
    """The head signs the staff draft; its recommendation decides the transition (approve or reject).

    The head signs the draft they read (`seen_draft`): a draft saved after the
    page was loaded is refused, naming who saved what and when.
    """
    application = _lock(application, seen_state)
    draft = _check_draft(application, seen_draft)
    if draft is None:
        raise ReviewError(_("There is no draft opinion to sign."))
    if draft.handler_id == actor.pk:
        raise ReviewError(_("The person who drafted an opinion may not sign it."))
    name = "approve" if draft.recommendation == Opinion.Recommendation.APPROVE else "bureau_reject"
    _transition(application, name, actor=actor, comment=comment or draft.text, request=request)
    draft.head = actor
    draft.signed_at = timezone.now()
    draft.save(update_fields=["head", "signed_at"])
    return draft


# --- leading group ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionInput:
    application: Application
    recommended: bool
    amount: Decimal | None
    opinion: str = ""


@transaction.atomic
def meeting_record(
    *,
    actor: User,
    program: Program,
    date: dt.date,
    attendees: Sequence[str],
    minutes: str,
    decisions: Sequence[DecisionInput],
    request: HttpRequest | None = None,
) -> Meeting:
    """A leading-group meeting decides several applications at once (第三条); all of them, or none."""
    if actor.effective_role != Role.LEADING_GROUP or actor.program_id != program.pk:
        raise ReviewError(_("Your role may not take this step on this application."))
    if not decisions:
        raise ReviewError(_("A meeting decides at least one application."))
    unknown = set(attendees) - set(LeadingGroupRole.values)
    if not attendees or unknown:
        raise ReviewError(_("Name the attendees from the leading group's roster."))
    meeting = Meeting.objects.create(
        program=program, date=date, attendees=list(attendees), minutes=minutes, created_by=actor
    )
    for d in decisions:
        application = _lock(d.application, Application.State.GROUP_REVIEW)
        if d.recommended:
            if d.amount is None or d.amount <= 0:
                raise ReviewError(
                    _("%(ref)s: a recommendation needs an amount.") % {"ref": application.reference}
                )
            cap = application.program_version.max_amount
            if cap is not None and d.amount > cap:
                raise ReviewError(
                    _("%(ref)s: the amount exceeds the program's maximum of %(cap)s yuan (第一条).")
                    % {"ref": application.reference, "cap": cap}
                )
        MeetingDecision.objects.create(
            meeting=meeting,
            application=application,
            recommended=d.recommended,
            recommended_amount=d.amount if d.recommended else None,
            opinion=d.opinion,
        )
        _transition(
            application,
            "recommend" if d.recommended else "group_reject",
            actor=actor,
            comment=d.opinion,
            data={
                "meeting": str(meeting.public_id),
                "amount": str(d.amount) if d.recommended else None,
            },
            request=request,
        )
    return meeting


# --- bank ---------------------------------------------------------------------------------------


@transaction.atomic
def bank_decide(
    *,
    actor: User,
    application: Application,
    approved: bool,
    opinion: str,
    credit_amount: Decimal | None = None,
    annual_rate: Decimal | None = None,
    term_months: int | None = None,
    head_name: str = "",
    seen_state: str | None = None,
    request: HttpRequest | None = None,
) -> BankDecision:
    """The bank's own decision (第一条): approve with amount, rate and term, or reject with a reason."""
    application = _lock(application, seen_state)
    if not opinion.strip():
        raise ReviewError(_("Give the bank's opinion or reason."))
    if approved:
        if not (
            credit_amount and credit_amount > 0 and annual_rate and annual_rate > 0 and term_months
        ):
            raise ReviewError(_("An approval needs the credit amount, the rate and the term."))
        cap = application.program_version.max_amount
        if cap is not None and credit_amount > cap:
            raise ReviewError(
                _("The credit exceeds the program's maximum of %(cap)s yuan (第一条).")
                % {"cap": cap}
            )
    name = "bank_approve" if approved else "bank_reject"
    decision = BankDecision.objects.create(
        application=application,
        approved=approved,
        credit_amount=credit_amount if approved else None,
        annual_rate=annual_rate if approved else None,
        term_months=term_months if approved else None,
        opinion=opinion.strip(),
        head_name=head_name.strip(),
        decided_by=actor,
    )
    _transition(
        application,
        name,
        actor=actor,
        comment=opinion.strip(),
        request=request,
        data={
            "credit_amount": str(credit_amount) if approved else None,
            "annual_rate": str(annual_rate) if approved else None,
            "term_months": term_months if approved else None,
        },
    )
    return decision


@transaction.atomic
def application_disburse(
    *,
    actor: User,
    application: Application,
    contract_no: str,
    disbursement_date: dt.date,
    maturity_date: dt.date,
    principal: Decimal,
    annual_rate: Decimal,
    seen_state: str | None = None,
    request: HttpRequest | None = None,
    contract_date: dt.date | None = None,
) -> Loan:
    """The bank disburses after publicity granted credit: the loan opens in `loans/` (raises `LoanRefused`)."""
    application = _lock(application, seen_state)
    method = application.disburse
    if not can_proceed(method, check_conditions=False):
        raise ReviewError(
            _("This step is not possible while the application is “%(state)s”.")
            % {"state": application.get_state_display()}
        )
    if not _permitted(method, actor):
        raise ReviewError(_("Your role may not take this step on this application."))
    granted = selectors.granted_credit(application)
    if granted is not None and principal > granted:
        raise LoanRefused(
            [
                _("The principal exceeds the credit granted after publicity (%(amount)s yuan).")
                % {"amount": granted}
            ]
        )
    if application.bank is None:
        raise ReviewError(_("The application names no bank."))
    loan = loan_register(
        actor=actor,
        program_version=application.program_version,
        enterprise=application.enterprise,
        bank=application.bank,
        contract_no=contract_no,
        disbursement_date=disbursement_date,
        maturity_date=maturity_date,
        principal=principal,
        annual_rate=annual_rate,
        application=application,
        product_type=application.product_type,
        purpose=application.purpose,
        request=request,
        contract_date=contract_date,
    )  # loan_register takes the `disburse` step, the same one an imported disbursement takes
    return loan


# --- publicity (第八条) --------------------------------------------------------------------------


@transaction.atomic
def publicity_batch_create(
    *,
    actor: User,
    program: Program,
    start_date: dt.date,
    end_date: dt.date | None = None,
    request: HttpRequest | None = None,
) -> PublicityBatch:
    """Open a publicity batch of every application the banks approved that is not yet publicized.

    第八条: the period starts on the day the batch is published or later, never before (a batch dated in
    the past would be over, and grant credit, the day it appears), and lasts at least the program's working
    days counted from its start (`publicity_end`).
    """
    if actor.effective_role != Role.BUREAU_STAFF or actor.program_id != program.pk:
        raise ReviewError(_("Your role may not take this step on this application."))
    today = timezone.localdate()
    if start_date < today:
        raise ReviewError(
            _(
                "Publicity starts today (%(today)s) or later, not on %(start)s: the period counts from its "
                "publication (第八条)."
            )
            % {"today": today.isoformat(), "start": start_date.isoformat()}
        )
    minimum_end = publicity_end(program, start_date)
    end_date = end_date or minimum_end
    if end_date < start_date:
        raise ReviewError(_("The publicity period cannot end before it starts."))
    if end_date < minimum_end:
        raise ReviewError(
            _("The publicity period must last until at least %(end)s (working days).")
            % {"end": minimum_end.isoformat()}
        )
    waiting = list(
        Application.objects.select_for_update(
            of=("self",)
        )  # the outer join to the entry cannot be locked
        .filter(
            program_version__program=program,
            state=Application.State.PUBLICITY,
            publicity_entry__isnull=True,
        )
        .select_related("enterprise", "bank")
    )
    if not waiting:
        raise ReviewError(_("No approved application is waiting for publicity."))
    batch = PublicityBatch.objects.create(
        program=program, start_date=start_date, end_date=end_date, created_by=actor
    )
    for application in waiting:
        decision = selectors.latest_bank_decision(application)
        assert (
            decision is not None and decision.credit_amount is not None
        )  # bank_approve's condition
        PublicityEntry.objects.create(
            batch=batch, application=application, credit_amount=decision.credit_amount
        )
        log_action(
            actor=actor,
            action="review.publicity.started",
            obj=application,
            request=request,
            comment=f"{batch}",
            data={"batch": str(batch.public_id)},
        )
    notify_bureau(
        program_id=program.pk,
        message=_("Publicity batch %(batch)s opened by %(who)s: %(n)d applications.")
        % {"batch": str(batch), "who": str(actor), "n": len(waiting)},
        body="\n".join(f"{a.reference} {a.enterprise.name}" for a in waiting),
    )
    return batch


@transaction.atomic
def objection_submit(
    *,
    entry: PublicityEntry,
    name: str,
    contact: str,
    reason: str,
    attachment: Any = None,
    ip_address: str | None = None,
) -> Objection:
    """Anyone may object while the period runs (第八条)."""
    entry = PublicityEntry.objects.select_related("batch", "application__enterprise").get(
        pk=entry.pk
    )
    if not entry.batch.is_running():
        raise ReviewError(_("Objections are accepted only while the publicity period runs."))
    objection = Objection(
        entry=entry,
        name=name.strip(),
        contact=contact.strip(),
        reason=reason.strip(),
        ip_address=ip_address,
    )
    if attachment is not None:
        from kedaitong.uploads import display_name

        objection.attachment_name = display_name(attachment.name)
        objection.attachment = attachment
    objection.save()
    log_action(
        actor=None,
        action="review.objection.submitted",
        obj=entry.application,
        comment=objection.reason,
        data={"objection": str(objection.public_id)},
    )
    notify_bureau(
        program_id=entry.batch.program_id,
        application=entry.application,
        body=objection.reason,
        message=_(
            "New objection against %(reference)s %(enterprise)s: rule on it before the batch closes."
        )
        % {
            "reference": entry.application.reference,
            "enterprise": entry.application.enterprise.name,
        },
    )
    return objection


@transaction.atomic
def objection_rule(
    *,
    actor: User,
    objection: Objection,
    upheld: bool,
    note: str,
    request: HttpRequest | None = None,
) -> Objection:
    """The bureau rules on an objection; upheld stops the credit at once (第八条: 公示有不良影响的，不能获得贷款)."""
    objection = (
        Objection.objects.select_for_update()
        .select_related("entry__application")
        .get(pk=objection.pk)
    )
    application = objection.entry.application
    if not (
        actor.effective_role == Role.BUREAU_STAFF
        and actor.program_id == application.program_version.program_id
    ):
        raise ReviewError(_("Your role may not take this step on this application."))
    if objection.ruling != Objection.Ruling.PENDING:
        raise ReviewError(_("This objection has been ruled on already."))
    if not note.strip():
        raise ReviewError(_("Give the reason for the ruling."))
    objection.ruling = Objection.Ruling.UPHELD if upheld else Objection.Ruling.DISMISSED
    objection.ruling_note = note.strip()
    objection.ruled_by = actor
    objection.ruled_at = timezone.now()
    objection.save()
    application = _lock(application, None)
    log_action(
        actor=actor,
        action=f"review.objection.{objection.ruling}",
        obj=application,
        comment=objection.ruling_note,
        data={"objection": str(objection.public_id)},
        request=request,
    )
    if upheld and application.state == Application.State.PUBLICITY:
        _transition(
            application,
            "objection_reject",
            actor=actor,
            comment=objection.ruling_note,
            request=request,
        )
    return objection


@transaction.atomic
def publicity_batch_close(
    *, actor: User | None, batch: PublicityBatch, request: HttpRequest | None = None
) -> list[Application]:
    """After the period: each entry without an upheld objection gets its credit granted. Returns those granted."""
    batch = PublicityBatch.objects.select_for_update().get(pk=batch.pk)
    if actor is not None and not (
        actor.effective_role == Role.BUREAU_STAFF and actor.program_id == batch.program_id
    ):
        raise ReviewError(_("Your role may not take this step on this application."))
    if batch.closed_at is not None:
        raise ReviewError(_("This publicity batch is closed already."))
    if not batch.is_over():
        raise ReviewError(
            _("The publicity period runs until %(end)s.") % {"end": batch.period_end.isoformat()}
        )
    if Objection.objects.filter(entry__batch=batch, ruling=Objection.Ruling.PENDING).exists():
        raise ReviewError(_("Rule on every objection before closing the batch."))
    granted = []
    for entry in batch.entries.select_related("application"):
        application = _lock(entry.application, None)
        if application.state == Application.State.PUBLICITY and not entry.has_upheld_objection():
            _transition(application, "grant", actor=actor, request=request, comment=str(batch))
            granted.append(application)
    batch.closed_at = timezone.now()
    batch.save(update_fields=["closed_at"])
    return granted


# --- blacklist (第九条) --------------------------------------------------------------------------


@transaction.atomic
def blacklist_add(
    *,
    actor: User,
    enterprise: Enterprise,
    reason: str,
    details: str,
    loan: Loan | None = None,
    evidence: Any = None,
    force_majeure_note: str = "",
    request: HttpRequest | None = None,
) -> BlacklistEntry:
    """Changjiang 第九条: list an enterprise (overdue > 6 months, or money used outside the business).

    An overdue caused by force majeure (重大自然灾害、重大动植物疫病等不可抗力) is
    recorded as an exemption and does not block.
    """
    if actor.effective_role != Role.BUREAU_STAFF:
        raise ReviewError(_("Your role may not take this step on this application."))
    if reason not in BlacklistEntry.Reason.values:
        raise ReviewError(_("Choose a reason."))
    if not details.strip():
        raise ReviewError(_("Describe the facts and the evidence."))
    exempted = bool(force_majeure_note.strip())
    if exempted and reason != BlacklistEntry.Reason.OVERDUE_6_MONTHS:
        raise ReviewError(_("The force-majeure exception applies to overdue loans only (第九条)."))
    entry = BlacklistEntry(
        enterprise=enterprise,
        reason=reason,
        details=details.strip(),
        loan=loan,
        force_majeure_note=force_majeure_note.strip(),
        status=BlacklistEntry.Status.EXEMPTED if exempted else BlacklistEntry.Status.LISTED,
        listed_at=None if exempted else timezone.now(),
        listed_by=actor,
    )
    if evidence is not None:
        from kedaitong.uploads import display_name

        entry.evidence_name = display_name(evidence.name)
        entry.evidence = evidence
    entry.save()
    log_action(
        actor=actor,
        action="review.blacklist." + ("exempted" if exempted else "listed"),
        obj=entry,
        comment=entry.details,
        data={"reason": reason, "enterprise": enterprise.credit_code},
        request=request,
    )
    _report_decision(
        entry, loan.program_version.program_id if loan else actor.program_id, entry.details
    )
    return entry


def _entry_program(entry: BlacklistEntry) -> int | None:
    return entry.loan.program_version.program_id if entry.loan is not None else None


def blacklist_proposed(*, entry: BlacklistEntry) -> None:
    """A proposal was made (loans' `refresh_delinquency`, loans over six months overdue): the bureau decides it.

    第九条 (纳入…黑名单并报领导专班): the leading group is told of the proposal too, and of the bureau's decision
    (`blacklist_decide`), so that a listing never reaches it late.
    """
    notify_bureau(
        program_id=_entry_program(entry),
        message=_("Blacklist proposal: %(enterprise)s (%(reason)s); confirm or dismiss it.")
        % {"enterprise": entry.enterprise.name, "reason": entry.get_reason_display()},
        body=entry.details,
    )
    notify_leading_group(
        program_id=_entry_program(entry),
        message=_(
            "Reported to the leading group (第九条): blacklist proposal for %(enterprise)s (%(reason)s); "
            "the bureau confirms or dismisses it."
        )
        % {"enterprise": entry.enterprise.name, "reason": entry.get_reason_display()},
        body=entry.details,
    )


def _report_decision(entry: BlacklistEntry, program_id: int | None, reason: str) -> None:
    """第九条 并报领导专班: the leading group learns how a listing or proposal was decided."""
    notify_leading_group(
        program_id=program_id,
        message=_(
            "Reported to the leading group (第九条): %(enterprise)s — blacklist %(status)s (%(reason)s)."
        )
        % {
            "enterprise": entry.enterprise.name,
            "status": entry.get_status_display(),
            "reason": entry.get_reason_display(),
        },
        body=reason,
    )


@transaction.atomic
def blacklist_decide(
    *,
    actor: User,
    entry: BlacklistEntry,
    decision: str,
    reason: str,
    request: HttpRequest | None = None,
) -> BlacklistEntry:
    """The bureau decides a proposed entry (第九条): confirm (listed, it blocks), exempt (force majeure) or dismiss.

    Each decision needs its reason and writes an audit row; an entry decided
    once is not decided again here (lifting a listing is a separate matter).
    """
    entry = (
        BlacklistEntry.objects.select_for_update(of=("self",))
        .select_related("enterprise", "loan__program_version")
        .get(pk=entry.pk)
    )
    program = _entry_program(entry)
    if actor.effective_role != Role.BUREAU_STAFF or (
        program is not None and actor.program_id != program
    ):
        raise ReviewError(_("Your role may not take this step on this application."))
    if entry.status != BlacklistEntry.Status.PROPOSED:
        raise ReviewError(
            _("This entry has been decided already (%(status)s).")
            % {"status": entry.get_status_display()}
        )
    reason = reason.strip()
    if not reason:
        raise ReviewError(_("Give the reason for the decision."))
    Status = BlacklistEntry.Status
    if decision == Status.EXEMPTED and entry.reason != BlacklistEntry.Reason.OVERDUE_6_MONTHS:
        raise ReviewError(_("The force-majeure exception applies to overdue loans only (第九条)."))
    if decision not in (Status.LISTED, Status.EXEMPTED, Status.DISMISSED):
        raise ReviewError(_("Choose a decision."))
    now = timezone.now()
    from_status = entry.status
    entry.status = decision
    entry.decided_at, entry.decided_by, entry.decision_note = now, actor, reason
    if decision == Status.LISTED:
        entry.listed_at, entry.listed_by = now, actor
    if decision == Status.EXEMPTED:
        entry.force_majeure_note = reason
    entry.save()
    actions: dict[str, str] = {
        Status.LISTED: "confirmed",
        Status.EXEMPTED: "exempted",
        Status.DISMISSED: "dismissed",
    }
    action = actions[decision]
    log_action(
        actor=actor,
        action=f"review.blacklist.{action}",
        obj=entry,
        from_state=from_status,
        to_state=decision,
        comment=reason,
        data={"enterprise": entry.enterprise.credit_code},
        request=request,
    )
    _report_decision(entry, program if program is not None else actor.program_id, reason)
    return entry


__all__ = [
    "NO_DRAFT",
    "LoanRefused",
    "ReviewError",
    "StaleApplication",
    "StaleDraft",
    "publicity_end",
]
