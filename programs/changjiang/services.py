"""Operations on the Changjiang kind's own records: setting the annual credit plan and telling the office of banks
below it (第五条), opening joint recovery cases and recording their actions (第七条), producing the quarter's
post-loan report to the province and marking it sent (第十条).

Each runs in one transaction, locks what it changes, checks the rules and raises a typed refusal (the message
cites the article) before anything is saved, then writes one audit row; people are told through the core's
notifications (inbox now, e-mail at commit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applications.models import Program
from kedaitong import programs
from kedaitong.audit import log_action
from kedaitong.errors import Conflict, NotAllowed, Refused
from kedaitong.models import User
from kedaitong.notifications import notify_program, notify_users
from kedaitong.programs import Feature
from kedaitong.roles import Role
from loans.models import Bank, Loan
from programs.changjiang import rules, selectors
from programs.changjiang.models import (
    CreditPlan,
    CreditPlanAlert,
    CreditPlanChange,
    Party,
    ProvincialReport,
    RecoveryAction,
    RecoveryCase,
    RecoveryDocument,
)

ZERO = Decimal("0.00")
MAX_DOCUMENTS = 10  # per recovery action


class ChangjiangRefused(Refused):
    """A refused operation on the kind's own records; nothing was saved."""


class ChangjiangNotAllowed(ChangjiangRefused, NotAllowed):
    pass


class ChangjiangConflict(ChangjiangRefused, Conflict):
    pass


def _require_feature(program: Program | None, feature: str) -> Program:
    if program is None or not programs.has_feature(program, feature):
        raise ChangjiangNotAllowed(_("Your program does not run this."))
    return program


def _bank_users(bank_id: int) -> list[User]:
    return list(User.objects.filter(is_active=True, role=Role.BANK, bank=bank_id))


def _day(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


# --- 第五条: the annual credit plan --------------------------------------------------------------------------------


def credit_plan_set(
    *,
    actor: User,
    program: Program,
    bank: Bank,
    year: int,
    amount: Decimal,
    count: int,
    reason: str,
    seen_change: int | None = None,
    request: HttpRequest | None = None,
) -> CreditPlan:
    """Changjiang 第五条 (领导专班办公室…协调指导年度信贷计划): the office sets or changes one bank's plan for a year.

    1. Only the leading group's office of the program (the leading-group role), for a bank cooperating in it.
    2. The amount is in yuan (≥ 0, to the fen), the number of loans ≥ 0; an amount needs a number and the other
       way round; the reason is required.
    3. Under a lock on the plan: if it changed since the form was loaded (`seen_change`: the id of the last change
       the user saw, 0 for none), nothing is saved and the refusal says who changed it to what.
    4. The change is kept (before, after, who, when, why), one audit row, the bank is told.
    """
    _require_feature(program, Feature.CREDIT_PLAN)
    if actor.effective_role != Role.LEADING_GROUP or actor.program_id != program.pk:
        raise ChangjiangNotAllowed(
            _("Only the leading group's office sets the annual credit plan (第五条).")
        )
    if not Bank.objects.filter(pk=bank.pk, agreements__program=program).exists():
        raise ChangjiangRefused(
            _("%(bank)s is not a cooperating bank of this program.") % {"bank": bank}
        )
    problems = []
    if not 2000 <= year <= 2100:
        problems.append(_("Give a year between 2000 and 2100."))
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        problems.append(_("The planned amount is in yuan, not negative, at most two decimals."))
    if count < 0:
        problems.append(_("The planned number of loans cannot be negative."))
    if (amount > 0) != (count > 0):
        problems.append(
            _(
                "A plan has both an amount and a number of loans, or neither (a year without lending)."
            )
        )
    reason = reason.strip()
    if not reason:
        problems.append(_("Say why the plan is set or changed."))
    if problems:
        raise ChangjiangRefused(problems)
    with transaction.atomic():
        plan = (
            CreditPlan.objects.select_for_update(no_key=True)
            .filter(program=program, bank=bank, year=year)
            .first()
        )
        last = plan.changes.select_related("changed_by").last() if plan is not None else None
        if last is not None and seen_change is not None and last.pk != seen_change:
            raise ChangjiangConflict(
                _(
                    "%(who)s changed this plan at %(when)s to %(amount)s yuan and %(count)s loans while you "
                    "were editing; nothing was saved. Check the figures and save again."
                )
                % {
                    "who": last.changed_by,
                    "when": _day(last.changed_at),
                    "amount": last.amount,
                    "count": last.count,
                }
            )
        if plan is not None and plan.amount == amount and plan.count == count:
            raise ChangjiangRefused(_("The plan already has these figures; nothing changed."))
        before = (plan.amount, plan.count) if plan is not None else (None, None)
        try:
            with transaction.atomic():
                if plan is None:
                    plan = CreditPlan.objects.create(
                        program=program,
                        bank=bank,
                        year=year,
                        amount=amount,
                        count=count,
                        updated_by=actor,
                    )
                else:
                    plan.amount, plan.count, plan.updated_by = amount, count, actor
                    plan.save(update_fields=["amount", "count", "updated_by", "updated_at"])
        except IntegrityError:
            raise ChangjiangConflict(
                _("Someone set this plan at the same moment; nothing was saved. Reload and check.")
            ) from None
        change = CreditPlanChange.objects.create(
            plan=plan,
            amount_before=before[0],
            count_before=before[1],
            amount=amount,
            count=count,
            reason=reason,
            changed_by=actor,
        )
        log_action(
            actor=actor,
            action="changjiang.credit_plan." + ("set" if before[0] is None else "changed"),
            obj=plan,
            comment=reason,
            data={
                "bank": bank.code,
                "year": year,
                "amount_before": None if before[0] is None else str(before[0]),
                "count_before": before[1],
                "amount": str(amount),
                "count": count,
                "change": change.pk,
            },
            request=request,
        )
        notify_users(
            _bank_users(bank.pk),
            message=_(
                "Annual credit plan %(year)s (第五条): %(amount)s yuan, %(count)s loans for %(bank)s."
            )
            % {"year": year, "amount": amount, "count": count, "bank": bank.name},
            body=reason,
        )
    return plan


def credit_plan_alerts_send(*, on: dt.date) -> list[CreditPlanAlert]:
    """Changjiang 第五条 (监督信贷计划的落实): after a quarter ends, tell the office of each bank below its pro-rata plan.

    1. The quarter is the last one closed before `on` (run daily: the first run of a new quarter tells, later runs
       of that quarter find the alerts made and tell nobody twice; a day the scheduler missed is caught up).
    2. For each plan of that year in a program running the credit plan: the plan as it stood at the quarter's
       end (its change history; a plan set later is not held against an earlier quarter), and the bank's loans
       disbursed from 1 January to that day.
    3. Below its share (rules.below_plan: amount or number) and not told yet: an alert row (one per plan and
       quarter, a database constraint), then one message per program to its leading group's office.
    """
    year, quarter = rules.last_closed_quarter(on)
    _first, last = rules.quarter_bounds(year, quarter)
    months = 3 * quarter
    end_of_day = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time()))
    made: list[CreditPlanAlert] = []
    for program in selectors.programs_with(Feature.CREDIT_PLAN):
        with transaction.atomic():
            plans = list(
                CreditPlan.objects.select_for_update(no_key=True)
                .filter(program=program, year=year)
                .exclude(alerts__quarter=quarter)
                .select_related("bank")
                .order_by("bank__code")
            )
            if not plans:
                continue
            disbursed = selectors.disbursed_by_month(
                program, year, [p.bank_id for p in plans], until=last
            )
            told = []
            for plan in plans:
                stood = selectors.plan_as_of(plan, end_of_day - dt.timedelta(microseconds=1))
                if stood is None:
                    continue
                n = sum(
                    disbursed.get((plan.bank_id, m), (0, ZERO))[0] for m in range(1, months + 1)
                )
                amount = sum(
                    (disbursed.get((plan.bank_id, m), (0, ZERO))[1] for m in range(1, months + 1)),
                    ZERO,
                )
                if not rules.below_plan(
                    planned_amount=stood.amount,
                    planned_count=stood.count,
                    months=months,
                    disbursed_amount=amount,
                    disbursed_count=n,
                ):
                    continue
                alert = CreditPlanAlert.objects.create(
                    plan=plan,
                    quarter=quarter,
                    quarter_end=last,
                    planned_amount=rules.pro_rata_amount(stood.amount, months),
                    planned_count=rules.pro_rata_count(stood.count, months),
                    disbursed_amount=amount,
                    disbursed_count=n,
                    sent_on=on,
                )
                log_action(
                    actor=None,
                    action="changjiang.credit_plan.below_plan",
                    obj=plan,
                    data={
                        "quarter": quarter,
                        "planned_amount": str(alert.planned_amount),
                        "planned_count": str(alert.planned_count),
                        "disbursed_amount": str(amount),
                        "disbursed_count": n,
                    },
                )
                told.append(alert)
            if told:
                lines = [
                    _(
                        "%(bank)s: plan to date %(plan_amount)s yuan / %(plan_count)s loans, "
                        "disbursed %(amount)s yuan / %(count)s loans"
                    )
                    % {
                        "bank": a.plan.bank.name,
                        "plan_amount": a.planned_amount,
                        "plan_count": a.planned_count,
                        "amount": a.disbursed_amount,
                        "count": a.disbursed_count,
                    }
                    for a in told
                ]
                notify_program(
                    roles=[Role.LEADING_GROUP],
                    program_id=program.pk,
                    message=_(
                        "Credit plan (第五条): %(n)s bank(s) below the pro-rata plan at the end of %(year)s Q%(quarter)s: "
                        "%(banks)s."
                    )
                    % {
                        "n": len(told),
                        "year": year,
                        "quarter": quarter,
                        "banks": "、".join(a.plan.bank.name for a in told),
                    },
                    body="\n".join(lines),
                )
                made += told
    return made


# --- 第七条: joint recovery ---------------------------------------------------------------------------------------


def recovery_cases_open(*, on: dt.date) -> list[RecoveryCase]:
    """Changjiang 第七条 (贷款主体在贷款期满未还清贷款本息的，由合作银行牵头…联合追偿): open a case for each loan of a
    program running joint recovery that is past its maturity on `on` with principal or overdue interest unpaid.

    Run daily after the delinquency refresh; each loan gets one case (a database constraint, and a lock on the
    loan), so a second run or two at once open nothing twice. The lead bank, the office and the bureau are told.
    """
    opened = []
    for candidate in selectors.loans_unpaid_at_maturity(on)[:5000]:
        with transaction.atomic():
            loan = Loan.objects.select_for_update(no_key=True).get(pk=candidate.pk)
            if RecoveryCase.objects.filter(loan=loan).exists():
                continue
            if not rules.unpaid_at_maturity(
                maturity_date=loan.maturity_date,
                on=on,
                principal=loan.principal,
                repaid=candidate.repaid,  # type: ignore[attr-defined]
                overdue_interest_open=candidate.overdue_interest_open,  # type: ignore[attr-defined]
            ):
                continue
            case = RecoveryCase.objects.create(
                program=candidate.program_version.program,
                loan=loan,
                bank_id=loan.bank_id,
                matured_on=loan.maturity_date,
                opened_on=on,
                unpaid_principal=max(loan.principal - candidate.repaid, ZERO),  # type: ignore[attr-defined]
                unpaid_interest=candidate.overdue_interest_open,  # type: ignore[attr-defined]
            )
            log_action(
                actor=None,
                action="changjiang.recovery_case.opened",
                obj=case,
                to_state=case.state,
                data={
                    "loan": loan.contract_no,
                    "matured_on": loan.maturity_date.isoformat(),
                    "unpaid_principal": str(case.unpaid_principal),
                    "unpaid_interest": str(case.unpaid_interest),
                },
            )
            _tell_case_parties(
                case,
                _(
                    "Joint recovery (第七条): %(contract)s %(enterprise)s was not repaid at maturity (%(matured)s); "
                    "%(bank)s leads the recovery with the office and the bureau."
                )
                % {
                    "contract": loan.contract_no,
                    "enterprise": candidate.enterprise.name,
                    "matured": loan.maturity_date.isoformat(),
                    "bank": candidate.bank.name,
                },
                body=_("Principal unpaid: %(principal)s yuan; overdue interest: %(interest)s yuan.")
                % {"principal": case.unpaid_principal, "interest": case.unpaid_interest},
            )
            opened.append(case)
    return opened


def _tell_case_parties(
    case: RecoveryCase, message: str, *, body: str = "", but: User | None = None
) -> None:
    """The lead bank's users and the program's office and bureau staff (not the one who acted)."""
    recipients = _bank_users(case.bank_id) + list(
        User.objects.filter(
            is_active=True,
            program=case.program_id,
            role__in=[Role.LEADING_GROUP, Role.BUREAU_STAFF],
        )
    )
    notify_users(
        [u for u in recipients if but is None or u.pk != but.pk], message=message, body=body
    )


def parties_for(actor: User, case: RecoveryCase) -> list[str]:
    """The parties `actor` may record an action for: the lead bank's users for the bank; the office (leading group)
    and the bureau for themselves and for the service unit, which has no account of its own (第七条 配合)."""
    role = actor.effective_role
    if role == Role.BANK:
        return [Party.LEAD_BANK] if actor.bank_id == case.bank_id else []
    if actor.program_id != case.program_id:
        return []
    if role == Role.LEADING_GROUP:
        return [Party.OFFICE, Party.SERVICE_UNIT]
    if role in (Role.BUREAU_STAFF, Role.BUREAU_HEAD):
        return [Party.BUREAU, Party.SERVICE_UNIT]
    return []


def _lock_case(case: RecoveryCase) -> RecoveryCase:
    return (
        RecoveryCase.objects.select_for_update(no_key=True, of=("self",))
        .select_related("loan__enterprise", "bank")
        .get(pk=case.pk)
    )


def recovery_action_record(
    *,
    actor: User,
    case: RecoveryCase,
    party: str,
    acted_on: dt.date,
    what: str,
    result: str,
    documents: Sequence[UploadedFile] = (),
    request: HttpRequest | None = None,
) -> RecoveryAction:
    """Changjiang 第七条: a party records what it did on a case (date, what, result, documents).

    Every document is checked (PDF, JPEG or PNG by content, the size limit) before anything is saved: all are
    kept or none. The action is never changed afterwards (a correction is a new action).
    """
    from kedaitong.uploads import check_upload, display_name

    _require_feature(case.program, Feature.JOINT_RECOVERY)
    allowed = parties_for(actor, case)
    if not allowed:
        raise ChangjiangNotAllowed(
            _("Only the parties to the recovery record its actions (第七条).")
        )
    problems = []
    if party not in allowed:
        problems.append(_("You cannot record an action for this party."))
    if party == Party.SERVICE_UNIT and not case.service_unit:
        problems.append(_("Name the service unit of the case first."))
    today = timezone.localdate()
    if acted_on > today:
        problems.append(_("The date of an action cannot be in the future."))
    if acted_on < case.matured_on:
        problems.append(
            _("The recovery starts at maturity (%(day)s); record earlier reminders on the loan.")
            % {"day": case.matured_on.isoformat()}
        )
    what, result = what.strip(), result.strip()
    if not what:
        problems.append(_("Say what was done."))
    if not result:
        problems.append(_("Say what came of it (or that a reply is awaited)."))
    if len(documents) > MAX_DOCUMENTS:
        problems.append(_("At most %(n)s documents per action.") % {"n": MAX_DOCUMENTS})
    for upload in documents:
        try:
            check_upload(upload)
        except ValidationError as exc:
            problems.append(f"{display_name(upload.name or 'file')}：{' '.join(exc.messages)}")
    if problems:
        raise ChangjiangRefused(problems)
    with transaction.atomic():
        case = _lock_case(case)
        if case.state != RecoveryCase.State.OPEN:
            raise ChangjiangRefused(_("This case is closed; its actions are kept as they are."))
        action = RecoveryAction.objects.create(
            case=case, party=party, acted_on=acted_on, what=what, result=result, recorded_by=actor
        )
        names = []
        for upload in documents:
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            document = RecoveryDocument(
                action=action,
                original_name=display_name(upload.name or "file"),
                checksum=digest.hexdigest(),
            )
            document.file.save(upload.name or "file", upload, save=False)
            document.save()
            names.append({"file": document.original_name, "sha256": document.checksum})
        log_action(
            actor=actor,
            action="changjiang.recovery_action.recorded",
            obj=case,
            comment=what,
            data={
                "action": str(action.public_id),
                "party": party,
                "acted_on": acted_on.isoformat(),
                "result": result,
                "documents": names,
            },
            request=request,
        )
        _tell_case_parties(
            case,
            _("Joint recovery %(contract)s: %(party)s recorded an action of %(day)s.")
            % {
                "contract": case.loan.contract_no,
                "party": action.get_party_display(),
                "day": acted_on.isoformat(),
            },
            body=f"{what}\n{result}",
            but=actor,
        )
    return action


def recovery_case_name_service_unit(
    *, actor: User, case: RecoveryCase, name: str, request: HttpRequest | None = None
) -> RecoveryCase:
    """第七条 (服务单位配合): the office or the bureau names the service unit that helps with the case."""
    if actor.effective_role not in (Role.LEADING_GROUP, Role.BUREAU_STAFF, Role.BUREAU_HEAD) or (
        actor.program_id != case.program_id
    ):
        raise ChangjiangNotAllowed(_("The office or the bureau names the service unit (第七条)."))
    name = name.strip()
    if not name:
        raise ChangjiangRefused(_("Give the service unit's name."))
    with transaction.atomic():
        case = _lock_case(case)
        if case.state != RecoveryCase.State.OPEN:
            raise ChangjiangRefused(_("This case is closed; its actions are kept as they are."))
        before = case.service_unit
        case.service_unit = name
        case.save(update_fields=["service_unit"])
        log_action(
            actor=actor,
            action="changjiang.recovery_case.service_unit",
            obj=case,
            data={"before": before, "after": name},
            request=request,
        )
    return case


def recovery_case_close(
    *,
    actor: User,
    case: RecoveryCase,
    outcome: str,
    request: HttpRequest | None = None,
) -> RecoveryCase:
    """Changjiang 第七条: the lead bank or the office closes a case with its outcome (repaid, recovered and written
    off, compensated ...); the parties are told. Its actions and links stay as they were."""
    role = actor.effective_role
    lead = role == Role.BANK and actor.bank_id == case.bank_id
    office = role == Role.LEADING_GROUP and actor.program_id == case.program_id
    if not (lead or office):
        raise ChangjiangNotAllowed(
            _("The lead bank or the office closes a recovery case (第七条).")
        )
    outcome = outcome.strip()
    if not outcome:
        raise ChangjiangRefused(_("Say how the recovery ended."))
    with transaction.atomic():
        case = _lock_case(case)
        if not can_proceed(case.close):
            raise ChangjiangRefused(_("This case is closed already."))
        case.close(by=actor, on=timezone.localdate(), outcome=outcome)
        case.save()
        log_action(
            actor=actor,
            action="changjiang.recovery_case.closed",
            obj=case,
            from_state=RecoveryCase.State.OPEN,
            to_state=case.state,
            comment=outcome,
            request=request,
        )
        _tell_case_parties(
            case,
            _("Joint recovery %(contract)s closed by %(who)s.")
            % {"contract": case.loan.contract_no, "who": actor},
            body=outcome,
            but=actor,
        )
    return case


# --- 第十条: the quarter's post-loan report to the province ------------------------------------------------------


def _bureau_staff(actor: User, program: Program) -> None:
    if actor.effective_role != Role.BUREAU_STAFF or actor.program_id != program.pk:
        raise ChangjiangNotAllowed(
            _("The science bureau reports post-loan management to the provincial centre (第十条).")
        )


def provincial_report_produce(
    *,
    actor: User,
    program: Program,
    year: int,
    quarter: int,
    request: HttpRequest | None = None,
) -> ProvincialReport:
    """Changjiang 第十条 (由区科技局将贷后管理情况报送省高新中心): the bureau makes a closed quarter's report from the
    banks' filed post-loan reports: one PDF and one Excel file, the banks that have not reported listed.

    Made again (files replaced, the audit trail keeps each one's checksum) until it is marked sent; once sent it
    is kept as sent.
    """
    from programs.changjiang import province

    _require_feature(program, Feature.PROVINCIAL_REPORTS)
    _bureau_staff(actor, program)
    if not 1 <= quarter <= 4 or not 2000 <= year <= 2100:
        raise ChangjiangRefused(_("Choose a year and a quarter."))
    if (year, quarter) > rules.last_closed_quarter(timezone.localdate()):
        raise ChangjiangRefused(
            _("%(year)s Q%(quarter)s has not ended; its report is made once it has (第十条).")
            % {"year": year, "quarter": quarter}
        )
    now = timezone.now()
    with transaction.atomic():
        report = (
            ProvincialReport.objects.select_for_update(no_key=True)
            .filter(program=program, year=year, quarter=quarter)
            .first()
        )
        if report is not None and report.state == ProvincialReport.State.SENT:
            raise ChangjiangRefused(
                _("This report was sent on %(day)s (%(reference)s); it is kept as sent.")
                % {
                    "day": report.sent_on.isoformat() if report.sent_on else "",
                    "reference": report.reference,
                }
            )
        content = province.build(program, year, quarter, produced_at=now, produced_by=actor)
        if report is None:
            report = ProvincialReport(program=program, year=year, quarter=quarter)
        else:
            report.pdf.delete(save=False)
            report.xlsx.delete(save=False)
        report.produced_at, report.produced_by = now, actor
        report.figures = content.figures
        report.pdf_sha256 = hashlib.sha256(content.pdf).hexdigest()
        report.xlsx_sha256 = hashlib.sha256(content.xlsx).hexdigest()
        report.pdf.save("report.pdf", ContentFile(content.pdf), save=False)
        report.xlsx.save("report.xlsx", ContentFile(content.xlsx), save=False)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            raise ChangjiangConflict(
                _("Someone produced this report at the same moment; reload the page.")
            ) from None
        log_action(
            actor=actor,
            action="changjiang.provincial_report.produced",
            obj=report,
            to_state=report.state,
            data={
                "year": year,
                "quarter": quarter,
                "pdf_sha256": report.pdf_sha256,
                "xlsx_sha256": report.xlsx_sha256,
                "due": content.figures["due"],
                "filed": content.figures["filed"],
                "banks_not_reported": [b["code"] for b in content.figures["banks_not_reported"]],
            },
            request=request,
        )
    return report


def provincial_report_mark_sent(
    *,
    actor: User,
    report: ProvincialReport,
    sent_on: dt.date,
    reference: str,
    request: HttpRequest | None = None,
) -> ProvincialReport:
    """Changjiang 第十条: the bureau records that the report went to the provincial high-tech centre (date and
    reference, e.g. the letter's number); the leading group is told (及时通报领导专班)."""
    _bureau_staff(actor, report.program)
    reference = reference.strip()
    problems = []
    if not reference:
        problems.append(_("Give the reference of the sending (letter or system number)."))
    if sent_on > timezone.localdate():
        problems.append(_("The date sent cannot be in the future."))
    if sent_on < timezone.localdate(report.produced_at):
        problems.append(_("The date sent cannot be before the report was produced."))
    if problems:
        raise ChangjiangRefused(problems)
    with transaction.atomic():
        report = (
            ProvincialReport.objects.select_for_update(no_key=True)
            .select_related("program")
            .get(pk=report.pk)
        )
        if not can_proceed(report.mark_sent):
            raise ChangjiangRefused(
                _("This report was marked sent already (%(day)s, %(reference)s).")
                % {
                    "day": report.sent_on.isoformat() if report.sent_on else "",
                    "reference": report.reference,
                }
            )
        report.mark_sent(by=actor, on=sent_on, reference=reference)
        report.save()
        log_action(
            actor=actor,
            action="changjiang.provincial_report.sent",
            obj=report,
            from_state=ProvincialReport.State.PRODUCED,
            to_state=report.state,
            data={
                "sent_on": sent_on.isoformat(),
                "reference": reference,
                "pdf_sha256": report.pdf_sha256,
            },
            request=request,
        )
        notify_program(
            roles=[Role.LEADING_GROUP, Role.BUREAU_HEAD],
            program_id=report.program_id,
            message=_(
                "Post-loan report %(year)s Q%(quarter)s sent to the provincial high-tech centre on %(day)s "
                "(%(reference)s) (第十条)."
            )
            % {
                "year": report.year,
                "quarter": report.quarter,
                "day": sent_on.isoformat(),
                "reference": reference,
            },
        )
    return report
