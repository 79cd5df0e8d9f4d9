"""Banks on file (备案制, Quzhou 一(三)) and their three-year agreements (附件2 十一).

1. The bank files its materials (报送至市人行货币信贷管理科): the filing is "filed".
2. The four bodies decide jointly (市人行会同市科技局、市金融办、市财政局联合审定). Bureau staff record
   each body's sign-off from the signed joint-review form, one at a time: who signed for the body, on
   which day, its opinion, and optionally the scanned page. The first sign-off puts the filing "under
   review"; a refusal by any body ends it ("rejected") with that body's reason.
3. When the last of the four has approved, the filing is "approved" and the bank's three-year agreement
   (附件2 十一(一)) is created, in force from the day of the last signature.

The agreement can be renewed (十一(二)) and the bureau can end it when a borrower's complaint that the
bank added charges is verified (十一(二)); its loans then get no subsidy. Its status changes only by
its transitions (`BankAgreement.expire`, `BankAgreement.terminate`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from applications.models import Program
from kedaitong.audit import log_action
from kedaitong.models import User
from kedaitong.roles import Role
from kedaitong.uploads import display_name
from loans.models import BankAgreement
from subsidy.models import BankFiling, Complaint, FilingOpinion, ReviewBody
from subsidy.notify import notify_filing
from subsidy.services import NotAllowed, StageRefused, SubsidyInputError

AGREEMENT_YEARS = 3  # 附件2 十一(一): 有效期为三年


def three_years_from(start: dt.date) -> dt.date:
    """附件2 十一(一): the last day of a three-year agreement that starts on `start`."""
    try:
        end = start.replace(year=start.year + AGREEMENT_YEARS)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + AGREEMENT_YEARS, day=28) + dt.timedelta(days=1)
    return end - dt.timedelta(days=1)


def bodies_for(user: User, program: Program) -> list[str]:
    """The reviewing bodies a user may record a sign-off for (see docs/decisions.md, issue 15).

    The four bodies sign one paper joint-review form; the bureau's staff and head transcribe each
    signature (and may attach the scan). No other role records a sign-off: the PBoC branch, the
    financial work office and the finance bureau have no part in the portal for this, and the
    administrator takes no step of a filing.
    """
    if (
        user.effective_role in (Role.BUREAU_STAFF, Role.BUREAU_HEAD)
        and user.program_id == program.pk
    ):
        return list(ReviewBody.values)
    return []


def filing_submit(
    *,
    actor: User,
    program: Program,
    materials: UploadedFile,
    statement: str = "",
    request: Any = None,
) -> BankFiling:
    """一(三): 有意愿参与的银行…将申报材料报送至市人行货币信贷管理科 — the bank files its materials."""
    if actor.effective_role != Role.BANK or not actor.bank_id:
        raise NotAllowed("只有银行用户可以申请备案")
    with transaction.atomic():
        from subsidy.selectors import fraud_bar

        record = fraud_bar(bank=actor.bank_id, program=program).first()
        if record is not None:
            raise StageRefused(
                f"{record.bank}已被认定骗取科技金融合作贷款或贴息（{record.found_on:%Y-%m-%d}：{record.description}），"
                "不得再参与，不能申请备案（衢州方案六）"
            )
        if BankFiling.objects.filter(
            bank=actor.bank_id, program=program, state__in=BankFiling.OPEN_STATES
        ).exists():
            raise StageRefused("已有审定中的备案申请")
        filing = BankFiling(
            bank_id=actor.bank_id, program=program, statement=statement, submitted_by=actor
        )
        filing.materials_name = display_name(materials.name or "materials.pdf")
        filing.materials.save(materials.name or "materials.pdf", materials, save=False)
        filing.save()
        log_action(
            actor=actor,
            action="subsidy.filing.submitted",
            obj=filing,
            to_state=filing.state,
            request=request,
        )
        notify_filing(filing)
    return filing


def filing_record_opinion(
    *,
    actor: User,
    filing: BankFiling,
    body: str,
    approved: bool,
    signer: str,
    signed_on: dt.date,
    opinion: str = "",
    file: UploadedFile | None = None,
    request: Any = None,
) -> FilingOpinion:
    """一(三): 市人行会同市科技局、市金融办、市财政局联合审定 — one body's sign-off; all four approve → on file.

    A refusal needs its reason (the body's opinion) and ends the filing. The agreement starts on the day
    of the last signature: the joint approval is complete that day, not before.
    """
    if body not in bodies_for(actor, filing.program):
        raise NotAllowed(
            "当前角色无权录入联合审定单位的意见（由市科技局经办人或负责人按联合审定表录入）"
        )
    if not signer.strip():
        raise SubsidyInputError("请填写代表该单位签署的人员")
    if not approved and not opinion.strip():
        raise SubsidyInputError(f"{ReviewBody(body).label}不同意备案：请填写其意见（不同意的理由）")
    if signed_on > timezone.localdate():
        raise SubsidyInputError(f"签署日期{signed_on:%Y-%m-%d}晚于今天，请核对")
    with transaction.atomic():
        locked = BankFiling.objects.select_for_update(no_key=True).get(pk=filing.pk)
        if locked.state not in BankFiling.OPEN_STATES:
            raise StageRefused(
                f"该备案申请的联合审定已结束（{locked.get_state_display()}），不能再录入意见"
            )
        filed_on = timezone.localtime(locked.submitted_at).date()
        if signed_on < filed_on:
            raise SubsidyInputError(
                f"签署日期{signed_on:%Y-%m-%d}早于银行报送备案申请的日期{filed_on:%Y-%m-%d}，请核对"
            )
        if locked.opinions.filter(body=body).exists():
            raise StageRefused(f"{ReviewBody(body).label}的意见已录入")
        entry = FilingOpinion(
            filing=locked,
            body=body,
            approved=approved,
            signer=signer.strip(),
            signed_on=signed_on,
            opinion=opinion.strip(),
            recorded_by=actor,
        )
        if file is not None:
            entry.file_name = display_name(file.name or "signed.pdf")
            entry.file.save(file.name or "signed.pdf", file, save=False)
        entry.save()
        log_action(
            actor=actor,
            action="subsidy.filing.opinion",
            obj=locked,
            comment=opinion,
            request=request,
            data={"body": body, "approved": approved, "signer": signer, "signed_on": signed_on},
        )
        before = locked.state
        if not approved:
            locked.reject()
        else:
            if locked.state == BankFiling.State.FILED:
                locked.start_review()
            signed = dict(locked.opinions.filter(approved=True).values_list("body", "signed_on"))
            if set(signed) == set(ReviewBody.values):
                locked.approve()
                start = max(signed.values())
                locked.agreement = BankAgreement.objects.create(
                    bank=locked.bank,
                    program=locked.program,
                    starts_on=start,
                    ends_on=three_years_from(start),
                    number=agreement_number(locked.program, locked.bank, start),
                )
        locked.save()
        if locked.state != before:
            log_action(
                actor=actor,
                action=f"subsidy.filing.{locked.state}",
                obj=locked,
                from_state=before,
                to_state=locked.state,
                request=request,
            )
            notify_filing(locked)
    return entry


def agreement_number(program: Program, bank: Any, start: dt.date) -> str:
    return f"{program.code.upper()}-{start:%Y}-{bank.code}"


def _check_bureau(actor: User, agreement: BankAgreement, what: str) -> None:
    role = actor.effective_role
    if role == Role.ADMIN:
        return
    if (
        role not in (Role.BUREAU_STAFF, Role.BUREAU_HEAD)
        or actor.program_id != agreement.program_id
    ):
        raise NotAllowed(f"当前角色无权{what}")


def agreement_renew(*, actor: User, agreement: BankAgreement, request: Any = None) -> BankAgreement:
    """附件2 十一(二): 协议期满，双方如无异议，可重新签定合作协议，执行期限为三年."""
    _check_bureau(actor, agreement, "续签协议")
    with transaction.atomic():
        locked = BankAgreement.objects.select_for_update(no_key=True).get(pk=agreement.pk)
        if locked.status == BankAgreement.Status.TERMINATED:
            raise StageRefused("协议已终止，不能续签")
        if BankAgreement.objects.filter(
            bank=locked.bank, program=locked.program, starts_on__gt=locked.starts_on
        ).exists():
            raise StageRefused("该协议已续签")
        start = locked.ends_on + dt.timedelta(days=1)
        renewed = BankAgreement.objects.create(
            bank=locked.bank,
            program=locked.program,
            starts_on=start,
            ends_on=three_years_from(start),
            number=agreement_number(locked.program, locked.bank, start),
            notes=f"续签自协议 {locked.number or locked.pk}",
        )
        log_action(
            actor=actor,
            action="subsidy.agreement.renewed",
            obj=renewed,
            request=request,
            data={"previous": locked.pk},
        )
    return renewed


def agreement_terminate(
    *,
    actor: User,
    agreement: BankAgreement,
    received_on: dt.date,
    complainant: str,
    description: str,
    evidence: UploadedFile,
    request: Any = None,
) -> Complaint:
    """附件2 十一(二): 乙方增加借款人负担且遭投诉，一经查实，甲方可终止协议，且对借款人的贷款不予财政贴息."""
    _check_bureau(actor, agreement, "终止协议")
    with transaction.atomic():
        locked = BankAgreement.objects.select_for_update(no_key=True).get(pk=agreement.pk)
        if locked.status == BankAgreement.Status.TERMINATED:
            raise StageRefused("协议已终止")
        complaint = Complaint(
            agreement=locked,
            received_on=received_on,
            complainant=complainant,
            description=description,
            recorded_by=actor,
        )
        complaint.evidence_name = display_name(evidence.name or "evidence.pdf")
        complaint.evidence.save(evidence.name or "evidence.pdf", evidence, save=False)
        complaint.save()
        before = locked.status
        locked.terminate()
        locked.notes = (
            locked.notes + "\n" if locked.notes else ""
        ) + f"{received_on:%Y-%m-%d} 投诉查实，协议终止（附件2 十一(二)）"
        locked.save(update_fields=["status", "notes"])
        log_action(
            actor=actor,
            action="subsidy.agreement.terminated",
            obj=locked,
            from_state=before,
            to_state=locked.status,
            comment=description,
            request=request,
            data={"complaint": complaint.pk, "complainant": complainant},
        )
    return complaint


def fraud_record(
    *,
    actor: User,
    program: Program,
    bank: Any = None,
    enterprise: Any = None,
    found_on: dt.date,
    description: str,
    evidence: UploadedFile,
    request: Any = None,
) -> Any:
    """Quzhou 六: record a bank or enterprise found to have defrauded; later runs and registrations exclude it."""
    from subsidy.models import FraudRecord

    role = actor.effective_role
    if role != Role.ADMIN and (
        role not in (Role.BUREAU_STAFF, Role.BUREAU_HEAD) or actor.program_id != program.pk
    ):
        raise NotAllowed("当前角色无权登记骗取贴息记录")
    if (bank is None) == (enterprise is None):
        raise StageRefused("请指定一家银行或一家企业")
    with transaction.atomic():
        record = FraudRecord(
            program=program,
            bank=bank,
            enterprise=enterprise,
            found_on=found_on,
            description=description,
            recorded_by=actor,
        )
        record.evidence_name = display_name(evidence.name or "evidence.pdf")
        record.evidence.save(evidence.name or "evidence.pdf", evidence, save=False)
        record.save()
        log_action(
            actor=actor,
            action="subsidy.fraud.recorded",
            obj=record,
            comment=description,
            request=request,
        )
    return record
