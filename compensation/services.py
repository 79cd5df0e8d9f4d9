"""Operations on risk-compensation claims (Changjiang 第十一条); web views and tests call these.

Each runs in one transaction, locks what it changes, checks the rules and
raises `CompensationError` (message in Chinese, as `money.parse_amount` does)
before anything is saved, then writes one audit row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_fsm import can_proceed

from applications.models import Program
from compensation import rules
from compensation.models import (
    BudgetChange,
    Claim,
    ClaimMaterial,
    ClaimOpinion,
    ClaimState,
    CompensationBudget,
    Decision,
    DecisionReversal,
    LegalCost,
    MaterialKind,
    Payment,
    Recovery,
    RecoveryAgreement,
    ShareReturn,
    WriteOff,
)
from kedaitong import programs
from kedaitong.audit import log_action
from kedaitong.db import MoneySum
from kedaitong.errors import Refused
from kedaitong.models import User
from kedaitong.money import ZERO, to_fen
from kedaitong.roles import Role
from kedaitong.uploads import display_name
from kedaitong.workdays import add_workdays, unknown_years
from loans.models import Loan
from loans.selectors import overdue_spans_of
from loans.services import granted_credit

WRITE_OFF_WORKDAYS = 5  # 第十一条 4: 核销后5个工作日内


class CompensationError(Refused, ValueError):
    """A refused operation; nothing was saved."""


def _today(on: dt.date | None) -> dt.date:
    return on if on is not None else timezone.localdate()


def _money(value: Any, label: str, *, allow_zero: bool = False) -> Decimal:
    from kedaitong.money import parse_amount

    if value is None or str(value).strip() == "":
        raise CompensationError(f"请填写{label}")
    try:
        return parse_amount(value, allow_zero=allow_zero)
    except ValueError as exc:
        raise CompensationError(f"{label}：{exc}") from None


def _payment(claim: Claim) -> Payment:
    """The payment that stands; its absence in a state that needs one is refused, not assumed."""
    payment = claim.payment
    if payment is None:
        raise CompensationError("该贷款尚无有效的补偿拨付记录")
    return payment


def _lock(claim: Claim) -> Claim:
    return Claim.objects.select_for_update(no_key=True).get(pk=claim.pk)


def _transition(claim: Claim, name: str, message: str) -> str:
    method = getattr(claim, name)
    if not can_proceed(method):
        raise CompensationError(message.format(state=claim.get_state_display()))
    before = claim.state
    method()
    return before


# --- Budget ------------------------------------------------------------------------------------------


def budget_set(
    *,
    actor: User,
    program: Program,
    year: int,
    amount: Any,
    reason: str = "",
    request: HttpRequest | None = None,
) -> CompensationBudget:
    """第三条: the leading group sets the year's compensation budget; never below what is already decided.

    Append-only: each setting is a `BudgetChange` entry (the difference and the budget after it, with the
    reason), and the budget's amount is their running total, changed under the row lock. A change of an
    existing budget needs a reason.
    """
    value = _money(amount, "年度补偿预算")
    if not 2000 <= int(year) <= 2100:
        raise CompensationError(f"年度“{year}”无效")
    reason = (reason or "").strip()
    with transaction.atomic():
        budget = (
            CompensationBudget.objects.select_for_update(no_key=True)
            .filter(program=program, year=int(year))
            .first()
        )
        if budget is None:
            budget = CompensationBudget.objects.create(
                program=program, year=int(year), amount=value
            )
            before = None
            change = value
            reason = reason or "设定年度预算"
        else:
            before = budget.amount
            change = value - before
            if change == 0:
                raise CompensationError(f"{year}年度预算已是{value}元，没有变化")
            if not reason:
                raise CompensationError("调整已设定的年度预算须填写理由")
            if value < budget.committed:
                raise CompensationError(
                    f"{year}年度已决定补偿{budget.committed}元，预算不能低于该金额"
                )
            budget.amount = value
            budget.save(update_fields=["amount", "updated_at"])
        entry = BudgetChange.objects.create(
            budget=budget, change=change, amount_after=value, reason=reason, changed_by=actor
        )
        log_action(
            actor=actor,
            action="compensation.budget.set",
            obj=budget,
            request=request,
            comment=reason,
            data={
                "year": int(year),
                "amount": str(value),
                "before": str(before) if before is not None else None,
                "change": str(change),
                "entry": entry.pk,
            },
        )
    return budget


# --- Claims ------------------------------------------------------------------------------------------


# One claim per loan at a time (the `claim_one_open_per_loan` constraint): a rejected or withdrawn claim ends.
OPEN_CLAIM_MESSAGE = "该贷款已有一笔未结束的补偿申请，不能重复申请"


def claim_problems(loan: Loan, *, on: dt.date) -> list[str]:
    """Why a claim for `loan` cannot be opened on `on` (第十一条 1, 第十一条 2(1) with 第六条); empty when it can."""
    application = loan.application
    granted = granted_credit(application) if application is not None else None
    problems = rules.lending_met_article_6(
        program_has_pool=programs.has_feature(loan.program_version, programs.Feature.COMPENSATION),
        loan_bank_id=loan.bank_id,
        loan_enterprise_id=loan.enterprise_id,
        loan_principal=loan.principal,
        application_state=application.state if application is not None else None,
        application_bank_id=application.bank_id if application is not None else None,
        application_enterprise_id=application.enterprise_id if application is not None else None,
        granted=granted,
    )
    # the bank's overdue events, and past maturity with principal outstanding (issue 16 item 1)
    if not rules.overdue_long_enough(overdue_spans_of([loan], on)[loan.pk], on):
        problems.append("贷款逾期或欠息未超过1个月，尚不能申请风险补偿（第十一条第1款）")
    if (
        Claim.objects.filter(loan=loan)
        .exclude(state__in=[ClaimState.REJECTED, ClaimState.WITHDRAWN])
        .exists()
    ):
        problems.append(OPEN_CLAIM_MESSAGE)
    return problems


def claim_create(
    *,
    actor: User,
    loan: Loan,
    requested_amount: Any,
    loss_principal: Any,
    loss_interest: Any = "0",
    case_number: str,
    description: str,
    on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> Claim:
    """The bank drafts a claim for one of its loans."""
    day = _today(on)
    requested = _money(requested_amount, "申请补偿金额")
    principal = _money(loss_principal, "未还本金", allow_zero=True)
    interest = _money(loss_interest or "0", "未还利息", allow_zero=True)
    if requested > principal + interest:
        raise CompensationError(
            f"申请补偿金额{requested}元超过损失（本金加利息）{principal + interest}元"
        )
    if not (case_number or "").strip():
        raise CompensationError("请填写法院受理通知书或公安立案决定书的编号（第十一条第1款）")
    with transaction.atomic():
        loan = (
            Loan.objects.select_for_update(no_key=True, of=("self",))
            .select_related("program_version__program", "application")
            .get(pk=loan.pk)
        )
        problems = claim_problems(loan, on=day)
        if problems:
            raise CompensationError("；".join(problems))
        events = [
            e
            for e in overdue_spans_of([loan], day)[loan.pk]
            if e.started_on <= day and (e.cleared_on is None or e.cleared_on > day)
        ]
        claim = Claim(
            loan=loan,
            bank_id=loan.bank_id,
            program=loan.program_version.program,
            reference=f"BC{day:%Y%m%d}-{uuid.uuid4().hex[:6].upper()}",
            requested_amount=requested,
            loss_principal=principal,
            loss_interest=interest,
            overdue_since=min(e.started_on for e in events),
            case_number=case_number.strip(),
            description=description.strip(),
            created_by=actor,
        )
        try:
            with transaction.atomic():
                claim.save()
        except IntegrityError:
            raise CompensationError(OPEN_CLAIM_MESSAGE) from None
        log_action(
            actor=actor,
            action="compensation.claim.created",
            obj=claim,
            to_state=claim.state,
            request=request,
        )
    return claim


def material_add(
    *,
    actor: User,
    claim: Claim,
    kind: str,
    upload: UploadedFile,
    request: HttpRequest | None = None,
) -> ClaimMaterial:
    """第十一条 3: one of the five materials, while the bank may still change the claim."""
    if kind not in MaterialKind.values:
        raise CompensationError("材料类别无效")
    with transaction.atomic():
        claim = _lock(claim)
        if claim.state not in (ClaimState.DRAFT, ClaimState.RETURNED):
            raise CompensationError("申请已提交，不能再上传材料")
        material = ClaimMaterial(
            claim=claim, kind=kind, file_name=display_name(upload.name or ""), uploaded_by=actor
        )
        material.file.save(upload.name or "file", upload, save=False)
        material.save()
        log_action(
            actor=actor,
            action="compensation.material.added",
            obj=claim,
            data={"kind": kind, "file": material.file_name},
            request=request,
        )
    return material


def missing_materials(claim: Claim) -> list[str]:
    present = set(claim.materials.values_list("kind", flat=True))
    return [str(label) for value, label in MaterialKind.choices if value not in present]


def claim_submit(
    *, actor: User, claim: Claim, on: dt.date | None = None, request: HttpRequest | None = None
) -> Claim:
    """第十一条 2(1), 3: the bank submits with all five materials; the loan must still qualify."""
    day = _today(on)
    with transaction.atomic():
        claim = _lock(claim)
        missing = missing_materials(claim)
        if missing:
            raise CompensationError("缺少材料：" + "、".join(str(m) for m in missing))
        loan = Loan.objects.select_related("program_version__program", "application").get(
            pk=claim.loan_id
        )
        problems = [p for p in claim_problems(loan, on=day) if "重复申请" not in p]
        if problems:
            raise CompensationError("；".join(problems))
        before = _transition(claim, "submit", "当前状态（{state}）不能提交")
        claim.last_comment = ""
        claim.save()
        log_action(
            actor=actor,
            action="compensation.claim.submitted",
            obj=claim,
            from_state=before,
            to_state=claim.state,
            request=request,
        )
    return claim


def claim_withdraw(*, actor: User, claim: Claim, request: HttpRequest | None = None) -> Claim:
    with transaction.atomic():
        claim = _lock(claim)
        before = _transition(claim, "withdraw", "当前状态（{state}）不能撤回")
        claim.save()
        log_action(
            actor=actor,
            action="compensation.claim.withdrawn",
            obj=claim,
            from_state=before,
            to_state=claim.state,
            request=request,
        )
    return claim


# --- The bureau's review: maker-checker (第十一条 2(2)) ---------------------------------------------------

# `seen` of the opinion forms: the version of the open draft the user saw; NO_DRAFT when they saw none; None when
# the caller does not check (commands, the demo).
NO_DRAFT = 0


class OpinionRefused(CompensationError):
    """The actor's role may not take this step of the maker-checker (views answer 403)."""


class StaleOpinion(CompensationError):
    """The draft opinion changed since the user loaded the page (views answer 409); the message names who did what."""

    def __init__(self, claim: Claim, seen: int, latest: ClaimOpinion | None) -> None:
        self.claim, self.seen, self.latest = claim, seen, latest
        super().__init__(_stale_message(seen, latest))


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _opinion_words(opinion: ClaimOpinion) -> str:
    amount = f"，建议补偿{opinion.amount}元" if opinion.amount is not None else ""
    return f"第{opinion.version}稿（{opinion.get_recommendation_display()}{amount}：{opinion.text[:200]}）"


def _stale_message(seen: int, latest: ClaimOpinion | None) -> str:
    tail = "。本次操作未保存，您填写的内容保留在下方。"
    if latest is None:
        return "您看到的审核意见草稿已不存在" + tail
    if latest.version != seen and latest.is_open:
        return (
            f"{latest.handler}于{_when(latest.created_at)}保存了新的审核意见{_opinion_words(latest)}"
            + tail
        )
    if latest.signed_at is not None:
        return (
            f"{latest.head}已于{_when(latest.signed_at)}签发审核意见{_opinion_words(latest)}" + tail
        )
    if latest.sent_back_at is not None:
        return (
            f"{latest.sent_back_by}已于{_when(latest.sent_back_at)}将审核意见{_opinion_words(latest)}"
            f"退回经办人修改（{latest.sent_back_reason}）" + tail
        )
    return "审核意见草稿已变化" + tail


def open_opinion(claim: Claim) -> ClaimOpinion | None:
    """The draft waiting for the head's signature in this round of review (since the claim's last submission)."""
    latest = claim.opinions.select_related("handler").order_by("-version").first()
    if latest is None or not latest.is_open:
        return None
    if claim.submitted_at is not None and latest.created_at < claim.submitted_at:
        return (
            None  # a draft of an earlier round: the claim was returned to the bank and filed again
        )
    return latest


def _check_seen(claim: Claim, seen: int | None) -> ClaimOpinion | None:
    """Optimistic locking on the draft (a new draft does not change the claim's state, so the state cannot tell)."""
    draft = open_opinion(claim)
    if seen is not None and (draft.version if draft else NO_DRAFT) != seen:
        raise StaleOpinion(claim, seen, claim.opinions.order_by("-version").first())
    return draft


def _bureau(actor: User, claim: Claim, role: str) -> None:
    if actor.effective_role != role or actor.program_id != claim.program_id:
        raise OpinionRefused(
            "审核意见由区科技局经办人拟写、负责人签发，您的角色不能办理此步骤（第十一条第2款(2)）"
        )


def claim_opinion_draft(
    *,
    actor: User,
    claim: Claim,
    recommendation: str,
    text: str,
    amount: Any = None,
    seen: int | None = None,
    request: HttpRequest | None = None,
) -> ClaimOpinion:
    """第十一条 2(2): bureau staff draft the bureau's opinion and the compensation they propose; the head signs.

    Steps: check the input; lock the claim; only staff of the claim's program, only in bureau review; refuse a
    form that showed another draft than the one waiting (`seen`: `StaleOpinion`, 409); store the draft as the
    claim's next version; audit; tell the program's bureau heads.
    """
    from kedaitong.notifications import notify_program

    if recommendation not in ClaimOpinion.Recommendation.values:
        raise CompensationError("请选择审核建议（同意提交领导专班或不予补偿）")
    text = (text or "").strip()
    if not text:
        raise CompensationError("请填写审核意见")
    value = None
    if recommendation == ClaimOpinion.Recommendation.APPROVE:
        value = _money(amount, "建议补偿金额")
    with transaction.atomic():
        claim = _lock(claim)
        _bureau(actor, claim, Role.BUREAU_STAFF)
        _check_seen(
            claim, seen
        )  # before the state: a draft signed meanwhile is named, not just refused
        if claim.state != ClaimState.SUBMITTED:
            raise CompensationError(
                f"当前状态（{claim.get_state_display()}）不能拟写区科技局审核意见"
            )
        if value is not None:
            loss = claim.loss_principal + claim.loss_interest
            if value > claim.requested_amount:
                raise CompensationError(
                    f"建议补偿金额{value}元超过银行申请的{claim.requested_amount}元"
                )
            if value > loss:
                raise CompensationError(f"建议补偿金额{value}元超过损失（本金加利息）{loss}元")
        version = (claim.opinions.aggregate(v=models.Max("version"))["v"] or 0) + 1
        opinion = ClaimOpinion.objects.create(
            claim=claim,
            version=version,
            recommendation=recommendation,
            amount=value,
            text=text,
            handler=actor,
        )
        log_action(
            actor=actor,
            action="compensation.opinion.drafted",
            obj=claim,
            comment=text,
            request=request,
            data={
                "version": version,
                "recommendation": recommendation,
                "amount": str(value) if value is not None else None,
            },
        )
        notify_program(
            roles=[Role.BUREAU_HEAD],
            program_id=claim.program_id,
            message=f"补偿申请{claim.reference}（{claim.bank.name}）：{actor}拟写了审核意见{_opinion_words(opinion)}，请签发或退回修改",
            body=text,
        )
    return opinion


def claim_opinion_sign(
    *,
    actor: User,
    claim: Claim,
    seen: int | None = None,
    comment: str = "",
    request: HttpRequest | None = None,
) -> ClaimOpinion:
    """第十一条 2(2) 审核同意后提交领导专班: the bureau head signs the draft staff prepared.

    An approval sends the claim to the leading group with the amount proposed; a rejection rejects it. The
    head signs the draft they read (`seen`); the one who drafted it may not sign it.
    """
    from kedaitong.notifications import notify_program, notify_users

    with transaction.atomic():
        claim = _lock(claim)
        _bureau(actor, claim, Role.BUREAU_HEAD)
        draft = _check_seen(claim, seen)
        if claim.state != ClaimState.SUBMITTED:
            raise CompensationError(f"当前状态（{claim.get_state_display()}）不能签发审核意见")
        if draft is None:
            raise CompensationError("经办人尚未拟写审核意见，没有可签发的草稿")
        if draft.handler_id == actor.pk:
            raise OpinionRefused("拟写审核意见的人不能签发同一意见")
        approve = draft.recommendation == ClaimOpinion.Recommendation.APPROVE
        name, verb = ("approve_review", "reviewed") if approve else ("reject", "rejected")
        before = _transition(claim, name, "当前状态（{state}）不能签发审核意见")
        claim.last_comment = draft.text
        claim.save()
        draft.head, draft.signed_at = actor, timezone.now()
        draft.save(update_fields=["head", "signed_at"])
        log_action(
            actor=actor,
            action=f"compensation.claim.{verb}",
            obj=claim,
            from_state=before,
            to_state=claim.state,
            comment=comment.strip() or draft.text,
            request=request,
            data={
                "version": draft.version,
                "handler": str(draft.handler),
                "amount": str(draft.amount) if draft.amount is not None else None,
            },
        )
        message = f"补偿申请{claim.reference}（{claim.bank.name}，{claim.loan.enterprise.name}）：{claim.get_state_display()}（区科技局{_opinion_words(draft)}，负责人{actor}签发）"
        if approve:
            notify_program(
                roles=[Role.LEADING_GROUP],
                program_id=claim.program_id,
                message=message,
                body=draft.text,
            )
        notify_users(
            list(User.objects.filter(is_active=True, role=Role.BANK, bank=claim.bank_id)),
            message=message,
            body=draft.text,
        )
    return draft


def claim_opinion_send_back(
    *,
    actor: User,
    claim: Claim,
    reason: str,
    seen: int | None = None,
    request: HttpRequest | None = None,
) -> ClaimOpinion:
    """The bureau head does not sign the draft and sends it back to the staff who wrote it, with a reason.

    The claim stays in bureau review; staff write the next version.
    """
    from kedaitong.notifications import notify_users

    reason = (reason or "").strip()
    if not reason:
        raise CompensationError("退回经办人修改须填写理由")
    with transaction.atomic():
        claim = _lock(claim)
        _bureau(actor, claim, Role.BUREAU_HEAD)
        draft = _check_seen(claim, seen)
        if claim.state != ClaimState.SUBMITTED:
            raise CompensationError(f"当前状态（{claim.get_state_display()}）不能退回审核意见")
        if draft is None:
            raise CompensationError("没有待签发的审核意见草稿")
        draft.sent_back_by, draft.sent_back_at, draft.sent_back_reason = (
            actor,
            timezone.now(),
            reason,
        )
        draft.save(update_fields=["sent_back_by", "sent_back_at", "sent_back_reason"])
        log_action(
            actor=actor,
            action="compensation.opinion.sent_back",
            obj=claim,
            comment=reason,
            request=request,
            data={"version": draft.version},
        )
        notify_users(
            [draft.handler],
            message=f"补偿申请{claim.reference}：负责人{actor}将审核意见第{draft.version}稿退回修改：{reason}"[
                :300
            ],
            body=draft.text,
        )
    return draft


def claim_send_back(
    *, actor: User, claim: Claim, reject: bool, comment: str, request: HttpRequest | None = None
) -> Claim:
    """The bureau or the leading group returns the claim to the bank for changes, or rejects it; a reason is required.

    In the bureau's review a rejection is the head's signature on a draft (`claim_opinion_sign`, maker-checker);
    returning the claim to the bank for missing or wrong materials needs no signature.
    """
    if not (comment or "").strip():
        raise CompensationError("退回或不予补偿须填写理由")
    with transaction.atomic():
        claim = _lock(claim)
        if reject and claim.state == ClaimState.SUBMITTED:
            raise CompensationError(
                "区科技局不予补偿须由经办人拟写审核意见、负责人签发（第十一条第2款(2)）"
            )
        name, verb = ("reject", "rejected") if reject else ("return_to_bank", "returned")
        before = _transition(claim, name, "当前状态（{state}）不能退回或不予补偿")
        claim.last_comment = comment.strip()
        claim.save()
        log_action(
            actor=actor,
            action=f"compensation.claim.{verb}",
            obj=claim,
            from_state=before,
            to_state=claim.state,
            comment=comment,
            request=request,
        )
    return claim


def claim_decide(
    *,
    actor: User,
    claim: Claim,
    amount: Any,
    covered_loss: Any,
    minutes: str = "",
    on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> Decision:
    """第十一条 2(3)(4): the leading group decides the amount within what remains of the year's budget.

    Steps: 1. lock the claim; 2. lock the year's budget row (so concurrent
    decisions queue on it); 3. refuse if the amount does not fit what remains;
    4. raise the committed total, which the database also checks ≤ budget;
    5. store the decision and move the claim on.
    """
    day = _today(on)
    value = _money(amount, "补偿金额")
    covered = _money(covered_loss, "补偿对应的损失金额")
    if value > covered:
        raise CompensationError(f"补偿金额{value}元不能超过其对应的损失{covered}元")
    with transaction.atomic():
        claim = _lock(claim)
        if not can_proceed(claim.decide):
            raise CompensationError(f"当前状态（{claim.get_state_display()}）不能作出补偿决定")
        loss = claim.loss_principal + claim.loss_interest
        if covered > loss:
            raise CompensationError(f"对应损失{covered}元超过申请的损失{loss}元")
        if value > claim.requested_amount:
            raise CompensationError(f"补偿金额{value}元超过银行申请的{claim.requested_amount}元")
        budget = (
            CompensationBudget.objects.select_for_update(no_key=True)
            .filter(program=claim.program_id, year=day.year)
            .first()
        )
        if budget is None:
            raise CompensationError(f"领导专班尚未设定{day.year}年度风险补偿预算")
        new_committed = rules.remaining_after(budget.amount, budget.committed, value)
        if new_committed is None:
            raise CompensationError(
                f"补偿金额{value}元超过{day.year}年度预算余额{budget.remaining}元"
            )
        budget.committed = new_committed
        budget.save(update_fields=["committed", "updated_at"])
        decision = Decision.objects.create(
            claim=claim,
            budget=budget,
            amount=value,
            covered_loss=covered,
            decided_on=day,
            minutes=minutes.strip(),
            decided_by=actor,
        )
        before = claim.state
        claim.decide()
        claim.save()
        log_action(
            actor=actor,
            action="compensation.claim.decided",
            obj=claim,
            from_state=before,
            to_state=claim.state,
            comment=minutes,
            data={"amount": str(value), "covered_loss": str(covered), "year": day.year},
            request=request,
        )
    return decision


def decision_revoke(
    *, actor: User, claim: Claim, reason: str, request: HttpRequest | None = None
) -> DecisionReversal:
    """A decision taken in error is revoked before payment by a reversing entry with a reason, never edited.

    Steps: lock the claim, then the budget row; give the amount back to the
    year's budget; record the reversal; the claim ends as rejected (the bank
    may file again). Once paid, a decision can no longer be revoked.
    """
    if not (reason or "").strip():
        raise CompensationError("撤销补偿决定须填写理由")
    with transaction.atomic():
        claim = _lock(claim)
        if not can_proceed(claim.revoke_decision):
            raise CompensationError(
                f"当前状态（{claim.get_state_display()}）不能撤销补偿决定（已拨付的不能撤销）"
            )
        decision = Decision.objects.get(claim=claim)
        budget = CompensationBudget.objects.select_for_update(no_key=True).get(
            pk=decision.budget_id
        )
        budget.committed = budget.committed - decision.amount
        budget.save(update_fields=["committed", "updated_at"])
        reversal = DecisionReversal.objects.create(
            decision=decision, amount=-decision.amount, reason=reason.strip(), reversed_by=actor
        )
        before = claim.state
        claim.revoke_decision()
        claim.last_comment = reason.strip()
        claim.save()
        log_action(
            actor=actor,
            action="compensation.decision.revoked",
            obj=claim,
            from_state=before,
            to_state=claim.state,
            comment=reason,
            data={"amount": str(decision.amount), "year": budget.year},
            request=request,
        )
    return reversal


def claim_pay(
    *,
    actor: User,
    claim: Claim,
    paid_on: dt.date,
    voucher_no: str,
    request: HttpRequest | None = None,
) -> Payment:
    """第十一条 2(4): the decided amount was paid to the bank (date and voucher)."""
    if not (voucher_no or "").strip():
        raise CompensationError("请填写拨付凭证号")
    with transaction.atomic():
        claim = _lock(claim)
        if not can_proceed(claim.pay):
            raise CompensationError(f"当前状态（{claim.get_state_display()}）不能登记拨付")
        decision = Decision.objects.get(claim=claim)
        if paid_on < decision.decided_on:
            raise CompensationError(f"拨付日期{paid_on}早于决定日期{decision.decided_on}")
        payment = Payment.objects.create(
            claim=claim,
            amount=decision.amount,
            paid_on=paid_on,
            voucher_no=voucher_no.strip(),
            recorded_by=actor,
        )
        before = claim.state
        claim.pay()
        claim.save()
        log_action(
            actor=actor,
            action="compensation.claim.paid",
            obj=claim,
            from_state=before,
            to_state=claim.state,
            data={
                "amount": str(payment.amount),
                "paid_on": str(paid_on),
                "voucher": payment.voucher_no,
            },
            request=request,
        )
    return payment


def payment_reverse(
    *, actor: User, claim: Claim, reason: str, request: HttpRequest | None = None
) -> Payment:
    """A payment recorded by mistake is cancelled by a reversing entry with a reason; the claim goes back to decided.

    Only the bureau head (the view checks the role), only while the claim is paid and nothing was built on the
    payment yet: no recovery agreement (so no recovery) and no write-off. The decision and its share of the
    budget stand; the right payment is then recorded as usual.
    """
    if not (reason or "").strip():
        raise CompensationError("冲销拨付须填写理由")
    with transaction.atomic():
        claim = _lock(claim)
        if not can_proceed(claim.reverse_payment):
            raise CompensationError(
                f"当前状态（{claim.get_state_display()}）不能冲销拨付（已登记追偿协议或清收的不能冲销）"
            )
        if claim.recoveries.exists() or RecoveryAgreement.objects.filter(claim=claim).exists():
            raise CompensationError("已登记追偿协议或清收，不能冲销拨付")
        if WriteOff.objects.filter(claim=claim).exists():
            raise CompensationError("该贷款已登记核销，不能冲销拨付")
        original = (
            Payment.objects.select_for_update(no_key=True, of=("self",))
            .filter(claim=claim, reverses__isnull=True, reversed_by__isnull=True)
            .get()
        )
        reversal = Payment.objects.create(
            claim=claim,
            amount=-original.amount,
            paid_on=timezone.localdate(),
            voucher_no=original.voucher_no,
            note=reason.strip(),
            reverses=original,
            recorded_by=actor,
        )
        before = claim.state
        claim.reverse_payment()
        claim.last_comment = reason.strip()
        claim.save()
        log_action(
            actor=actor,
            action="compensation.payment.reversed",
            obj=claim,
            from_state=before,
            to_state=claim.state,
            comment=reason,
            request=request,
            data={
                "payment": original.pk,
                "amount": str(original.amount),
                "paid_on": str(original.paid_on),
                "voucher": original.voucher_no,
            },
        )
    return reversal


def agreement_record(
    *,
    actor: User,
    claim: Claim,
    signed_on: dt.date,
    upload: UploadedFile,
    request: HttpRequest | None = None,
) -> RecoveryAgreement:
    """第十一条 2(5): the recovery agreement, signed once the compensation is paid."""
    with transaction.atomic():
        claim = _lock(claim)
        if not can_proceed(claim.start_recovery):
            raise CompensationError(f"当前状态（{claim.get_state_display()}）不能登记追偿协议")
        paid_on = _payment(claim).paid_on
        if signed_on < paid_on:
            raise CompensationError(f"追偿协议签署日期{signed_on}早于拨付日期{paid_on}")
        agreement = RecoveryAgreement(
            claim=claim,
            signed_on=signed_on,
            file_name=display_name(upload.name or ""),
            recorded_by=actor,
        )
        agreement.file.save(upload.name or "file", upload, save=False)
        agreement.save()
        before = claim.state
        claim.start_recovery()
        claim.save()
        log_action(
            actor=actor,
            action="compensation.claim.agreement_signed",
            obj=claim,
            from_state=before,
            to_state=claim.state,
            request=request,
        )
    return agreement


@dataclass(frozen=True)
class CostInput:
    kind: str
    amount: Any
    receipt: UploadedFile


def recovery_record(
    *,
    actor: User,
    claim: Claim,
    received_on: dt.date,
    gross: Any,
    costs: Sequence[CostInput] = (),
    note: str = "",
    request: HttpRequest | None = None,
) -> Recovery:
    """第十一条 2(5), 4: a recovery; net = gross − legal costs; the pool's share = net × amount / covered loss.

    The share is capped so that the shares of one claim never exceed what the
    pool paid on it. Recoveries after a write-off are recorded the same way.
    """
    gross_v = _money(gross, "清收金额")
    cost_values = []
    for cost in costs:
        from compensation.models import CostKind

        if cost.kind not in CostKind.values:
            raise CompensationError("费用类别无效（诉讼、仲裁、执行）")
        if cost.receipt is None:
            raise CompensationError("每项法定费用都须提供费用单证")
        cost_values.append(_money(cost.amount, "法定费用"))
    try:
        cost_total, net = rules.recovery_figures(gross_v, cost_values)
    except ValueError as exc:
        raise CompensationError(str(exc)) from None
    with transaction.atomic():
        claim = _lock(claim)
        if claim.state != ClaimState.RECOVERING:
            raise CompensationError("须先登记追偿协议，才能登记清收款（第十一条第2款(5)）")
        payment = _payment(claim)
        if received_on < payment.paid_on:
            raise CompensationError(f"清收日期{received_on}早于补偿拨付日期{payment.paid_on}")
        decision = claim.decision
        so_far = claim.recoveries.aggregate(s=MoneySum("share"))["s"] or ZERO
        share = rules.capped_share(
            rules.pool_share(net, decision.amount, decision.covered_loss),
            payment.amount,
            to_fen(so_far),
        )
        recovery = Recovery.objects.create(
            claim=claim,
            received_on=received_on,
            gross=gross_v,
            costs=cost_total,
            net=net,
            share=share,
            note=note.strip(),
            recorded_by=actor,
        )
        for cost, value in zip(costs, cost_values, strict=True):
            item = LegalCost(
                recovery=recovery,
                kind=cost.kind,
                amount=value,
                receipt_name=display_name(cost.receipt.name or ""),
            )
            item.receipt.save(cost.receipt.name or "receipt", cost.receipt, save=False)
            item.save()
        log_action(
            actor=actor,
            action="compensation.recovery.recorded",
            obj=claim,
            request=request,
            data={
                "gross": str(gross_v),
                "costs": str(cost_total),
                "net": str(net),
                "share": str(share),
                "received_on": str(received_on),
            },
        )
    return recovery


def recovery_reverse(
    *, actor: User, recovery: Recovery, reason: str, request: HttpRequest | None = None
) -> Recovery:
    """A wrong recovery is never edited: a reversing entry with the negated figures and a reason."""
    if not (reason or "").strip():
        raise CompensationError("冲销须填写理由")
    with transaction.atomic():
        _lock(recovery.claim)
        original = Recovery.objects.select_for_update(no_key=True).get(pk=recovery.pk)
        if original.reverses_id is not None:
            raise CompensationError("冲销记录本身不能再冲销")
        if Recovery.objects.filter(reverses=original).exists():
            raise CompensationError("该清收记录已冲销")
        if original.returned != 0:  # returns that were themselves reversed add up to zero
            raise CompensationError("该清收记录已登记交回，不能冲销（须先冲销交回）")
        reversal = Recovery.objects.create(
            claim_id=original.claim_id,
            received_on=timezone.localdate(),
            gross=-original.gross,
            costs=-original.costs,
            net=-original.net,
            share=-original.share,
            note=reason.strip(),
            reverses=original,
            recorded_by=actor,
        )
        log_action(
            actor=actor,
            action="compensation.recovery.reversed",
            obj=original.claim,
            comment=reason,
            data={"recovery": original.pk},
            request=request,
        )
    return reversal


def return_record(
    *,
    actor: User,
    recovery: Recovery,
    amount: Any,
    returned_on: dt.date,
    voucher_no: str,
    request: HttpRequest | None = None,
) -> ShareReturn:
    """The bank returned (part of) a recovery's share to the finance bureau; never more than is owed."""
    value = _money(amount, "交回金额")
    if not (voucher_no or "").strip():
        raise CompensationError("请填写交回凭证号")
    with transaction.atomic():
        recovery = Recovery.objects.select_for_update(no_key=True).get(pk=recovery.pk)
        if recovery.reverses_id is not None or Recovery.objects.filter(reverses=recovery).exists():
            raise CompensationError("已冲销的清收记录不能登记交回")
        owed = recovery.share - recovery.returned
        if value > owed:
            raise CompensationError(f"交回金额{value}元超过尚应交回的{owed}元")
        if returned_on < recovery.received_on:
            raise CompensationError(f"交回日期{returned_on}早于清收日期{recovery.received_on}")
        recovery.returned = recovery.returned + value
        recovery.save(update_fields=["returned"])
        share_return = ShareReturn.objects.create(
            recovery=recovery,
            amount=value,
            returned_on=returned_on,
            voucher_no=voucher_no.strip(),
            recorded_by=actor,
        )
        log_action(
            actor=actor,
            action="compensation.return.recorded",
            obj=recovery.claim,
            request=request,
            data={
                "recovery": recovery.pk,
                "amount": str(value),
                "returned_on": str(returned_on),
                "voucher": share_return.voucher_no,
            },
        )
    return share_return


def return_confirm(
    *, actor: User, share_return: ShareReturn, request: HttpRequest | None = None
) -> ShareReturn:
    """第十一条 2(5): the finance bureau confirms it received the returned share (区财政局按规定程序收回)."""
    with transaction.atomic():
        share_return = ShareReturn.objects.select_for_update(no_key=True).get(pk=share_return.pk)
        if share_return.confirmed_at is not None:
            raise CompensationError("该笔交回已确认")
        if (
            share_return.reverses_id is not None
            or ShareReturn.objects.filter(reverses=share_return).exists()
        ):
            raise CompensationError("已冲销的交回不能确认")
        share_return.confirmed_at = timezone.now()
        share_return.confirmed_by = actor
        share_return.save(update_fields=["confirmed_at", "confirmed_by"])
        log_action(
            actor=actor,
            action="compensation.return.confirmed",
            obj=share_return.recovery.claim,
            data={"return": share_return.pk, "amount": str(share_return.amount)},
            request=request,
        )
    return share_return


def return_reverse(
    *, actor: User, share_return: ShareReturn, reason: str, request: HttpRequest | None = None
) -> ShareReturn:
    """A return recorded by mistake is cancelled by a reversing entry with a reason, never edited or deleted.

    Only an unconfirmed return can be reversed: once the finance bureau has
    confirmed the money arrived there is nothing to correct. The recovery's
    running `returned` goes down by the same amount, so the share is owed again.
    """
    if not (reason or "").strip():
        raise CompensationError("冲销须填写理由")
    with transaction.atomic():
        recovery = Recovery.objects.select_for_update(no_key=True).get(pk=share_return.recovery_id)
        original = ShareReturn.objects.select_for_update(no_key=True).get(pk=share_return.pk)
        if original.reverses_id is not None:
            raise CompensationError("冲销记录本身不能再冲销")
        if ShareReturn.objects.filter(reverses=original).exists():
            raise CompensationError("该笔交回已冲销")
        if original.confirmed_at is not None:
            raise CompensationError("区财政局已确认收到该笔交回，不能冲销")
        recovery.returned = recovery.returned - original.amount
        recovery.save(update_fields=["returned"])
        reversal = ShareReturn.objects.create(
            recovery=recovery,
            amount=-original.amount,
            returned_on=timezone.localdate(),
            voucher_no=original.voucher_no,
            note=reason.strip(),
            reverses=original,
            recorded_by=actor,
        )
        log_action(
            actor=actor,
            action="compensation.return.reversed",
            obj=recovery.claim,
            comment=reason,
            data={"return": original.pk, "amount": str(original.amount)},
            request=request,
        )
    return reversal


def certificate_due(written_off_on: dt.date) -> tuple[dt.date, list[int]]:
    """第十一条 4: the certificate is due on the 5th working day after the write-off; years the calendar lacks."""
    due = add_workdays(written_off_on, WRITE_OFF_WORKDAYS)
    return due, unknown_years(written_off_on, due)


def writeoff_record(
    *, actor: User, claim: Claim, written_off_on: dt.date, request: HttpRequest | None = None
) -> WriteOff:
    """第十一条 4: the bank wrote the compensated loan off; the certificate's due day is fixed now."""
    with transaction.atomic():
        claim = _lock(claim)
        if claim.state not in (ClaimState.PAID, ClaimState.RECOVERING):
            raise CompensationError("只有已补偿的贷款才能登记核销")
        if WriteOff.objects.filter(claim=claim).exists():
            raise CompensationError("该笔贷款已登记核销")
        paid_on = _payment(claim).paid_on
        if written_off_on < paid_on:
            raise CompensationError(f"核销日期{written_off_on}早于补偿拨付日期{paid_on}")
        due, unknown = certificate_due(written_off_on)
        write_off = WriteOff.objects.create(
            claim=claim,
            written_off_on=written_off_on,
            certificate_due_on=due,
            calendar_unknown=bool(unknown),
            recorded_by=actor,
        )
        log_action(
            actor=actor,
            action="compensation.writeoff.recorded",
            obj=claim,
            data={"written_off_on": str(written_off_on), "due": str(due)},
            request=request,
        )
    return write_off


def writeoff_due_refresh(*, years: Sequence[int] | None = None, actor: User | None = None) -> int:
    """第十一条 4: recompute write-off due days from the calendar as it now stands; returns how many moved.

    The due day is the 5th working day by the official calendar. For a year the calendar lacked it was
    counted by weekends only (`calendar_unknown`, warned on every page); when an admin adds or corrects a
    year's holidays or adjusted working days, every write-off whose window touches that year takes the
    corrected day, whether its certificate is handed in or not (a certificate is judged by the official
    calendar, not by a provisional count), and each move is audited with the day before and after.
    `years`: only write-offs whose window may touch these years (the 5 working days after a write-off late
    in December reach into the next year); None: all of them (the daily check, after a bulk load).
    """
    candidates = WriteOff.objects.all()
    if years:
        candidates = candidates.filter(
            written_off_on__year__in={y for year in years for y in (year - 1, year)}
        )
    moved = 0
    for write_off in candidates.select_related("claim"):
        due, unknown = certificate_due(write_off.written_off_on)
        if (due, bool(unknown)) == (write_off.certificate_due_on, write_off.calendar_unknown):
            continue
        changed = WriteOff.objects.filter(
            pk=write_off.pk,
            certificate_due_on=write_off.certificate_due_on,
            calendar_unknown=write_off.calendar_unknown,
        ).update(certificate_due_on=due, calendar_unknown=bool(unknown))
        if changed == 1:
            moved += 1
            log_action(
                actor=actor,
                action="compensation.writeoff.due_recomputed",
                obj=write_off.claim,
                data={
                    "before": str(write_off.certificate_due_on),
                    "due": str(due),
                    "calendar_unknown": bool(unknown),
                    "years": list(years or []),
                },
            )
    return moved


def writeoff_certificate(
    *,
    actor: User,
    claim: Claim,
    upload: UploadedFile,
    on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> WriteOff:
    """The write-off certificate handed in; a late one stays flagged on the bureau's pages."""
    day = _today(on)
    with transaction.atomic():
        claim = _lock(claim)
        write_off = WriteOff.objects.select_for_update(no_key=True).filter(claim=claim).first()
        if write_off is None:
            raise CompensationError("请先登记核销日期")
        if write_off.certificate:
            raise CompensationError("核销凭据已提交")
        write_off.certificate.save(upload.name or "certificate", upload, save=False)
        write_off.certificate_name = display_name(upload.name or "")
        write_off.certificate_submitted_on = day
        write_off.save()
        log_action(
            actor=actor,
            action="compensation.writeoff.certificate",
            obj=claim,
            data={"submitted_on": str(day), "late": write_off.is_late()},
            request=request,
        )
    return write_off


def claim_close(
    *, actor: User, claim: Claim, comment: str = "", request: HttpRequest | None = None
) -> Claim:
    """The bank has finished recovery (书面通知区科技局); closing is refused while a share is still owed."""
    with transaction.atomic():
        claim = _lock(claim)
        owed = sum(
            (
                r.share - r.returned
                for r in claim.recoveries.filter(reverses__isnull=True, reversed_by__isnull=True)
            ),
            ZERO,
        )
        if owed > 0:
            raise CompensationError(f"尚有{owed}元应交回区财政，不能结案")
        before = _transition(claim, "close", "当前状态（{state}）不能结案")
        claim.last_comment = comment
        claim.save()
        log_action(
            actor=actor,
            action="compensation.claim.closed",
            obj=claim,
            from_state=before,
            to_state=claim.state,
            comment=comment,
            request=request,
        )
    return claim
