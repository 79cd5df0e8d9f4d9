"""Operations of the review: the bureau, leading group and bank steps of each kind, publicity, blacklist.

Shape of every operation (CONVENTIONS.md): `transaction.atomic()` → lock the
application (`applications.lifecycle.lock`; a stale form — the state the user
saw is not the state now — raises `StaleApplication` naming who changed it) →
the operation's own records → the step through the one lifecycle
(`applications.lifecycle.step`: the kind's workflow, role and conditions,
transition, save, audit row, notifications in-app now and e-mail on commit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import lifecycle
from applications.lifecycle import StaleApplication, StepNotAllowed, StepRefused
from applications.models import Application, Enterprise, Program
from kedaitong import programs
from kedaitong.audit import log_action
from kedaitong.models import AuditEntry, User
from kedaitong.notifications import notify_program, notify_users  # noqa: F401  (kept importable here)
from kedaitong.roles import Role
from loans.models import Loan
from loans.services import (
    application_disburse,  # noqa: F401  (the disbursement is the bank side's operation)
    overdue_details,
)
from review import selectors
from review.models import (
    BankDecision,
    BlacklistEntry,
    LeadingGroupRole,
    Meeting,
    MeetingDecision,
    Objection,
    Opinion,
    PublicityBatch,
    PublicityEntry,
    publicity_end,
)

# The review's refusals are the lifecycle's (one hierarchy on kedaitong.errors): a refused step (400), a role or
# scope that may not take it (NotAllowed, 403), a stale form (Conflict, 409).
ReviewError = StepRefused
ReviewNotAllowed = StepNotAllowed


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
        StepRefused.__init__(self, message)


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
    return lifecycle.lock(application, seen_state)


def _transition(
    application: Application,
    name: str,
    *,
    actor: User | None,
    comment: str = "",
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Take transition `name` through the one lifecycle (applications/lifecycle.py). The caller holds the lock."""
    return lifecycle.step(
        application, name, actor=actor, comment=comment, data=data, request=request
    )


def _refuse_role() -> None:
    raise ReviewNotAllowed()


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
        _refuse_role()
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
        _refuse_role()
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
    lifecycle.tell_parties(application, entry)
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
        _refuse_role()
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
    letter: Any = None,
    seen_state: str | None = None,
    request: HttpRequest | None = None,
) -> BankDecision:
    """The bank's own decision: approve with amount, rate and term, or reject with a reason.

    Changjiang 第一条 (由合作银行独立审核): the approval goes to publicity. Quzhou 二 (独立进行贷款审核，审批通过后出具
    同意放贷意见书): the approval is the bank's 同意放贷意见书 — the signed one uploaded as `letter`, or printed by the
    portal from this decision — and the credit is granted at once. The kind names the two transitions.
    """
    application = _lock(application, seen_state)
    workflow = programs.spec(application).workflow
    if workflow.bank_decision is None:
        raise ReviewError(
            _("This step is not possible while the application is “%(state)s”.")
            % {"state": application.get_state_display()}
        )
    name = workflow.bank_decision[0 if approved else 1]
    if not lifecycle.possible(application, name):
        raise ReviewError(
            _("This step is not possible while the application is “%(state)s”.")
            % {"state": application.get_state_display()}
        )
    if not lifecycle.permitted(application, name, actor):
        _refuse_role()
    if not opinion.strip():
        raise ReviewError(_("Give the bank's opinion or reason."))
    if approved:
        if not (
            credit_amount and credit_amount > 0 and annual_rate and annual_rate > 0 and term_months
        ):
            raise ReviewError(_("An approval needs the credit amount, the rate and the term."))
        version = application.program_version
        cap = version.max_amount
        if cap is not None and credit_amount > cap:
            raise ReviewError(
                _("The credit exceeds the program's maximum of %(cap)s yuan (%(article)s).")
                % {"cap": cap, "article": programs.cite(application, "max_amount")}
            )
        if version.max_term_months is not None and term_months > version.max_term_months:
            raise ReviewError(
                _("A single loan's term is at most %(limit)d months (%(article)s).")
                % {"limit": version.max_term_months, "article": programs.cite(application, "term")}
            )
    decision = BankDecision(
        application=application,
        approved=approved,
        credit_amount=credit_amount if approved else None,
        annual_rate=annual_rate if approved else None,
        term_months=term_months if approved else None,
        opinion=opinion.strip(),
        head_name=head_name.strip(),
        decided_by=actor,
    )
    if approved and letter is not None:
        from kedaitong.uploads import check_upload, display_name

        check_upload(letter)
        decision.letter_name = display_name(letter.name or "letter")
        decision.letter.save(letter.name or "letter", letter, save=False)
    decision.save()
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
            "letter": decision.letter_name,
        },
    )
    return decision


# --- the city bureau receives the bank's report (Quzhou 二) --------------------------------------


@transaction.atomic
def report_acknowledge(
    *,
    actor: User,
    application: Application,
    comment: str = "",
    seen_state: str | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """Quzhou 二: the city bureau has 附件1 and the disbursement voucher the bank reported, and acknowledges them."""
    application = _lock(application, seen_state)
    _transition(application, "acknowledge", actor=actor, comment=comment.strip(), request=request)
    return application


@transaction.atomic
def report_correction_request(
    *,
    actor: User,
    application: Application,
    reason: str,
    seen_state: str | None = None,
    request: HttpRequest | None = None,
) -> Application:
    """Quzhou 二: the bureau asks the lending bank to correct its report (what is wrong, in `reason`)."""
    application = _lock(application, seen_state)
    if not reason.strip():
        raise ReviewError(_("Say what the bank must correct."))
    _transition(
        application, "request_correction", actor=actor, comment=reason.strip(), request=request
    )
    return application


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
        _refuse_role()
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
            no_key=True, of=("self",)
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
        Objection.objects.select_for_update(no_key=True)
        .select_related("entry__application")
        .get(pk=objection.pk)
    )
    application = objection.entry.application
    if not (
        actor.effective_role == Role.BUREAU_STAFF
        and actor.program_id == application.program_version.program_id
    ):
        _refuse_role()
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
    batch = PublicityBatch.objects.select_for_update(no_key=True).get(pk=batch.pk)
    if actor is not None and not (
        actor.effective_role == Role.BUREAU_STAFF and actor.program_id == batch.program_id
    ):
        _refuse_role()
    if batch.closed_at is not None:
        raise ReviewError(_("This publicity batch is closed already."))
    if not batch.is_over():
        raise ReviewError(
            _(
                "The publicity period runs until %(end)s: the batch can be closed only after it (第八条)."
            )
            % {"end": batch.period_end.isoformat()}
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


def _blacklist_staff(actor: User, program: Any) -> None:
    """Only bureau staff of the program whose blacklist it is (第九条: the program's bureau decides)."""
    if actor.effective_role != Role.BUREAU_STAFF or actor.program_id != getattr(
        program, "pk", program
    ):
        _refuse_role()


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
    """Changjiang 第九条: list an enterprise of the staff's program (overdue > 6 months, or money used outside the
    business) on that program's blacklist.

    An overdue caused by force majeure (重大自然灾害、重大动植物疫病等不可抗力) is recorded as an exemption and does
    not block. The enterprise must be one of the program's (an application or a loan there).
    """
    if actor.effective_role != Role.BUREAU_STAFF or actor.program_id is None:
        _refuse_role()
    program = actor.program
    if not programs.has_feature(program, programs.Feature.BLACKLIST):
        _refuse_role()
    if not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        raise ReviewError(_("This enterprise has no application or loan in your program."))
    if reason not in BlacklistEntry.Reason.values:
        raise ReviewError(_("Choose a reason."))
    if not details.strip():
        raise ReviewError(_("Describe the facts and the evidence."))
    if reason == BlacklistEntry.Reason.MISUSE:
        # 第九条 贷款用于非企业经营活动: proposed on the loan with evidence, then decided as the overdue ground is.
        raise ReviewError(
            _(
                "A loan used outside the business is proposed on the loan's page with its evidence, "
                "then decided like an overdue proposal (第九条)."
            )
        )
    exempted = bool(force_majeure_note.strip())
    if exempted and reason != BlacklistEntry.Reason.OVERDUE_6_MONTHS:
        raise ReviewError(_("The force-majeure exception applies to overdue loans only (第九条)."))
    entry = BlacklistEntry(
        program=program, enterprise=enterprise, reason=reason, details=details.strip(), loan=loan
    )
    now = timezone.now()
    if exempted:
        entry.exempt(note=force_majeure_note.strip())
        entry.listed_by = actor
    else:
        entry.list_entry(by=actor, at=now)
    if evidence is not None:
        from kedaitong.uploads import display_name

        entry.evidence_name = display_name(evidence.name)
        entry.evidence = evidence
    entry.save()
    log_action(
        actor=actor,
        action="review.blacklist." + ("exempted" if exempted else "listed"),
        obj=entry,
        to_state=entry.status,
        comment=entry.details,
        data={"reason": reason, "enterprise": enterprise.credit_code},
        request=request,
    )
    _report_decision(entry, entry.program_id, entry.details)
    return entry


def blacklist_propose_for_loan(*, loan: Loan, days: int, on: dt.date, spans: list[Any]) -> bool:
    """Changjiang 第九条: a loan more than six months overdue is proposed for its program's blacklist, once.

    Not while the enterprise already has a proposed or listed overdue entry. The program's bureau is told and
    confirms, exempts (force majeure) or dismisses it (`blacklist_decide`). Called by the daily delinquency
    refresh (loans.services.delinquency_refresh) through the kind's `long_overdue` hook.
    """
    overdue = BlacklistEntry.Reason.OVERDUE_6_MONTHS
    if BlacklistEntry.objects.filter(loan=loan, reason=overdue).exists():
        return False
    if BlacklistEntry.objects.filter(
        enterprise=loan.enterprise,
        reason=overdue,
        status__in=[BlacklistEntry.Status.PROPOSED, BlacklistEntry.Status.LISTED],
    ).exists():
        return False
    entry = BlacklistEntry.objects.create(
        program=loan.program_version.program,
        enterprise=loan.enterprise,
        loan=loan,
        reason=overdue,
        details=f"{overdue_details(loan, spans, on, days)}（{programs.cite(loan, 'blacklist')}，系统自动提出）",
    )
    log_action(
        actor=None,
        action="review.blacklist.proposed",
        obj=entry,
        to_state=entry.status,
        data={"loan": loan.contract_no},
    )
    blacklist_proposed(entry=entry)
    return True


class BlacklistProposalRefused(ReviewError):
    pass


def may_propose_misuse(actor: User, loan: Loan) -> bool:
    """第九条: the loan's bank, or the bureau (staff or head) of the loan's program, where the program keeps a
    blacklist."""
    if not programs.has_feature(loan.program_version, programs.Feature.BLACKLIST):
        return False
    role = actor.effective_role
    if role == Role.BANK:
        return actor.bank_id == loan.bank_id
    return role in (Role.BUREAU_STAFF, Role.BUREAU_HEAD) and (
        actor.program_id == loan.program_version.program_id
    )


@transaction.atomic
def blacklist_propose(
    *,
    actor: User,
    loan: Loan,
    details: str,
    evidence: Any,
    request: HttpRequest | None = None,
) -> BlacklistEntry:
    """Changjiang 第九条 (贷款用于非企业经营活动的): the lending bank or the bureau proposes the loan's enterprise for
    the program's blacklist on the ground that the loan was used outside its business, with the facts and an
    evidence file (PDF, JPEG or PNG).

    The proposal goes through the same decision as the overdue ground (`blacklist_decide`: the program's bureau
    staff confirm or dismiss it; force majeure does not apply to this ground); the bureau and the leading group
    are told now, citing the ground. One open proposal per loan on this ground.
    """
    from kedaitong.uploads import check_upload, display_name

    if not may_propose_misuse(actor, loan):
        _refuse_role()
    problems = []
    details = details.strip()
    if not details:
        problems.append(_("Describe how the loan was used outside the business."))
    if evidence is None:
        problems.append(_("Attach the evidence (第九条: a proposal rests on evidence)."))
    else:
        from django.core.exceptions import ValidationError

        try:
            check_upload(evidence)
        except ValidationError as exc:
            problems.append(" ".join(exc.messages))
    if problems:
        raise BlacklistProposalRefused(problems)
    Loan.objects.select_for_update(no_key=True).get(pk=loan.pk)
    misuse = BlacklistEntry.Reason.MISUSE
    pending = BlacklistEntry.objects.filter(
        enterprise=loan.enterprise,
        reason=misuse,
        status__in=[BlacklistEntry.Status.PROPOSED, BlacklistEntry.Status.LISTED],
    ).first()
    if pending is not None:
        raise BlacklistProposalRefused(
            _("%(enterprise)s is already %(status)s on this ground (第九条).")
            % {"enterprise": loan.enterprise.name, "status": pending.get_status_display()}
        )
    entry = BlacklistEntry(
        program=loan.program_version.program,
        enterprise=loan.enterprise,
        loan=loan,
        reason=misuse,
        details=details,
        proposed_by=actor,
        evidence_name=display_name(evidence.name or "evidence"),
    )
    entry.evidence = evidence
    entry.save()
    log_action(
        actor=actor,
        action="review.blacklist.proposed",
        obj=entry,
        to_state=entry.status,
        comment=details,
        data={
            "reason": misuse,
            "loan": loan.contract_no,
            "enterprise": loan.enterprise.credit_code,
            "evidence": entry.evidence_name,
        },
        request=request,
    )
    blacklist_proposed(entry=entry)
    return entry


def blacklist_proposed(*, entry: BlacklistEntry) -> None:
    """A proposal was made (loans over six months overdue): the program's bureau decides it (inbox, e-mail).

    第九条 (纳入…黑名单并报领导专班): the leading group is told of the proposal too, and of the bureau's decision
    (`blacklist_decide`), so that a listing never reaches it late.
    """
    proposer = (
        _("Proposed by %(who)s.") % {"who": entry.proposed_by} if entry.proposed_by_id else ""
    )
    body = "\n".join(part for part in (entry.details, proposer) if part)
    notify_bureau(
        program_id=entry.program_id,
        message=_("Blacklist proposal: %(enterprise)s (%(reason)s); confirm or dismiss it.")
        % {"enterprise": entry.enterprise.name, "reason": entry.ground},
        body=body,
    )
    notify_leading_group(
        program_id=entry.program_id,
        message=_(
            "Reported to the leading group (第九条): blacklist proposal for %(enterprise)s (%(reason)s); "
            "the bureau confirms or dismisses it."
        )
        % {"enterprise": entry.enterprise.name, "reason": entry.ground},
        body=body,
    )


def _report_decision(entry: BlacklistEntry, program_id: int | None, reason: str) -> None:
    """第九条 并报领导专班: the leading group learns how a listing or proposal was decided; whoever proposed it (a
    bank, the bureau) learns the decision, and a listed enterprise is given notice of the listing, each citing the
    ground (the article and which of its two grounds)."""
    values = {
        "enterprise": entry.enterprise.name,
        "status": entry.get_status_display(),
        "reason": entry.ground,
    }
    notify_leading_group(
        program_id=program_id,
        message=_(
            "Reported to the leading group (第九条): %(enterprise)s — blacklist %(status)s (%(reason)s)."
        )
        % values,
        body=reason,
    )
    proposer = entry.proposed_by
    if proposer is not None and proposer.is_active and entry.status != "proposed":
        notify_users(
            [proposer],
            message=_(
                "Your blacklist proposal for %(enterprise)s was decided: %(status)s (%(reason)s)."
            )
            % values,
            body=reason,
        )
    if entry.status == BlacklistEntry.Status.LISTED:
        notify_users(
            list(
                User.objects.filter(
                    is_active=True, role=Role.ENTERPRISE, enterprise=entry.enterprise_id
                )
            ),
            message=_(
                "Notice: %(enterprise)s is listed on the blacklist of %(program)s on the ground %(reason)s; "
                "it gets no further financial support."
            )
            % (values | {"program": entry.program.name}),
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
    """The program's bureau decides a proposed entry (第九条): confirm (listed, it blocks), exempt (force majeure) or
    dismiss.

    Each decision needs its reason and writes an audit row; an entry decided
    once is not decided again here (lifting a listing is a separate matter).
    """
    entry = (
        BlacklistEntry.objects.select_for_update(no_key=True, of=("self",))
        .select_related("enterprise", "program")
        .get(pk=entry.pk)
    )
    _blacklist_staff(actor, entry.program_id)
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
    if decision == Status.LISTED:
        entry.list_entry(by=actor, at=now)
    elif decision == Status.EXEMPTED:
        entry.exempt(note=reason)
    else:
        entry.dismiss()
    entry.record_decision(by=actor, at=now, note=reason)
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
    _report_decision(entry, entry.program_id, reason)
    return entry


__all__ = [
    "NO_DRAFT",
    "ReviewError",
    "ReviewNotAllowed",
    "StaleApplication",
    "StaleDraft",
    "publicity_end",
]
