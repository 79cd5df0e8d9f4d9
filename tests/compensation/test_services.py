"""Claims through their states, and every bad input refused with a reason and nothing saved (Changjiang 第十一条)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from compensation import services
from compensation.models import (
    Claim,
    ClaimState,
    CompensationBudget,
    Decision,
    Recovery,
    ShareReturn,
)
from compensation.services import CompensationError, CostInput
from kedaitong.models import AuditEntry
from loans.models import OverdueEvent
from tests.compensation.helpers import (
    ON,
    bad_loan,
    budget,
    bureau_approves,
    decided,
    draft,
    in_group_review,
    paid,
    pdf,
    recovering,
    submitted,
    with_recovery,
)
from tests.factories import LoanFactory, version

pytestmark = pytest.mark.django_db


def create(cast, loan, on=ON, **kw):
    args = {
        "requested_amount": "400000.00",
        "loss_principal": "800000.00",
        "loss_interest": "0",
        "case_number": "X-1",
        "description": "d",
    }
    return services.claim_create(actor=cast.bank_x_user, loan=loan, on=on, **(args | kw))


# --- 第十一条 1: more than one month overdue -----------------------------------------------------------


def test_a_loan_overdue_more_than_a_month_may_be_claimed(cast):
    claim = create(cast, bad_loan(cast, overdue_since=dt.date(2026, 10, 19)))
    assert claim.state == ClaimState.DRAFT and claim.overdue_since == dt.date(2026, 10, 19)
    assert AuditEntry.objects.filter(action="compensation.claim.created").count() == 1


def test_a_loan_not_yet_a_month_overdue_is_refused(cast):
    loan = bad_loan(
        cast, overdue_since=dt.date(2026, 10, 20)
    )  # one month later is 11-20, not before ON
    with pytest.raises(CompensationError, match="未超过1个月"):
        create(cast, loan)
    assert not Claim.objects.exists()


def test_a_loan_whose_arrears_were_cleared_is_refused(cast):
    loan = bad_loan(cast)
    OverdueEvent.objects.filter(loan=loan).update(cleared_on=dt.date(2026, 11, 1))
    with pytest.raises(CompensationError, match="未超过1个月"):
        create(cast, loan)


# --- 第十一条 2(1) with 第六条 -----------------------------------------------------------------------


def test_a_loan_without_a_granted_application_is_refused(cast):
    loan = bad_loan(cast, state="bank_review")
    with pytest.raises(CompensationError, match="尚未取得授信"):
        create(cast, loan)


def test_a_loan_from_another_bank_than_the_application_is_refused(cast):
    loan = bad_loan(cast)
    loan.application.bank = cast.bank_y
    loan.application.save()
    with pytest.raises(CompensationError, match="发放银行"):
        create(cast, loan)


def test_a_loan_outside_the_program_is_refused(cast):
    loan = LoanFactory(
        enterprise=cast.enterprise_a, bank=cast.bank_x, program_version=version("quzhou")
    )
    OverdueEvent.objects.create(
        loan=loan, started_on=dt.date(2026, 9, 1), overdue_principal=Decimal("1.00")
    )
    with pytest.raises(CompensationError, match="不设风险补偿"):
        create(cast, loan)


def test_a_second_open_claim_for_the_same_loan_is_refused(cast):
    claim = draft(cast, materials=False)
    with pytest.raises(CompensationError, match="重复申请"):
        create(cast, claim.loan)
    assert Claim.objects.count() == 1
    services.claim_withdraw(actor=cast.bank_x_user, claim=claim)
    assert (
        create(cast, claim.loan).state == ClaimState.DRAFT
    )  # a withdrawn claim lets the bank file again


def test_a_request_above_the_loss_is_refused(cast):
    with pytest.raises(CompensationError, match="超过损失"):
        create(cast, bad_loan(cast), requested_amount="800000.01")


# --- 第十一条 3: the five materials ----------------------------------------------------------------


def test_submitting_without_all_five_materials_is_refused(cast):
    claim = draft(cast, materials=False)
    services.material_add(
        actor=cast.bank_x_user, claim=claim, kind="application_form", upload=pdf()
    )
    with pytest.raises(CompensationError, match="缺少材料") as exc:
        services.claim_submit(actor=cast.bank_x_user, claim=claim, on=ON)
    assert "催收证明" in str(exc.value) or "collection" in str(exc.value).lower()
    assert Claim.objects.get().state == ClaimState.DRAFT


def test_a_claim_with_its_materials_goes_through_bureau_and_group(cast):
    claim = submitted(cast)
    assert claim.state == ClaimState.SUBMITTED
    claim = bureau_approves(cast, claim)
    assert claim.state == ClaimState.GROUP_REVIEW


def test_return_needs_a_reason_and_lets_the_bank_resubmit(cast):
    claim = submitted(cast)
    with pytest.raises(CompensationError, match="理由"):
        services.claim_send_back(actor=cast.bureau_staff, claim=claim, reject=False, comment=" ")
    claim = services.claim_send_back(
        actor=cast.bureau_staff, claim=claim, reject=False, comment="请补充催收记录"
    )
    assert claim.state == ClaimState.RETURNED and claim.last_comment == "请补充催收记录"
    services.material_add(
        actor=cast.bank_x_user, claim=claim, kind="collection_proof", upload=pdf()
    )
    assert (
        services.claim_submit(actor=cast.bank_x_user, claim=claim, on=ON).state
        == ClaimState.SUBMITTED
    )


def test_group_may_reject(cast):
    claim = services.claim_send_back(
        actor=cast.leading_group, claim=in_group_review(cast), reject=True, comment="不符合条件"
    )
    assert claim.state == ClaimState.REJECTED


# --- Budget and decision (第十一条 2(3)) ------------------------------------------------------------


def test_a_decision_within_budget_commits_it_and_keeps_both_numbers(cast):
    claim = decided(cast, amount="300000.00", covered="800000.00")
    decision = Decision.objects.get(claim=claim)
    assert (decision.amount, decision.covered_loss) == (Decimal("300000.00"), Decimal("800000.00"))
    assert decision.ratio == Decimal("37.5000")
    assert CompensationBudget.objects.get().committed == Decimal("300000.00")
    assert claim.state == ClaimState.DECIDED


def test_a_decision_above_the_remaining_budget_is_refused_and_nothing_saved(cast):
    budget(cast, "500000.00")
    decided(cast, amount="300000.00")
    claim = in_group_review(cast, bad_loan(cast, enterprise=cast.enterprise_b, contract="HT-2"))
    with pytest.raises(CompensationError, match="预算余额200000.00元"):
        services.claim_decide(
            actor=cast.leading_group, claim=claim, amount="200000.01", covered_loss="800000", on=ON
        )
    assert CompensationBudget.objects.get().committed == Decimal("300000.00")
    assert (
        Decision.objects.count() == 1
        and Claim.objects.get(pk=claim.pk).state == ClaimState.GROUP_REVIEW
    )
    services.claim_decide(
        actor=cast.leading_group, claim=claim, amount="200000.00", covered_loss="800000", on=ON
    )
    assert CompensationBudget.objects.get().remaining == Decimal("0.00")


def test_a_decision_without_a_budget_for_the_year_is_refused(cast):
    claim = in_group_review(cast)
    with pytest.raises(CompensationError, match="尚未设定2026年度"):
        services.claim_decide(
            actor=cast.leading_group, claim=claim, amount="1", covered_loss="1", on=ON
        )


def test_a_budget_cannot_drop_below_what_is_decided(cast):
    decided(cast, amount="300000.00")
    with pytest.raises(CompensationError, match="不能低于"):
        budget(cast, "299999.99")
    assert budget(cast, "300000.00").remaining == Decimal("0.00")


def test_the_amount_cannot_exceed_the_covered_loss(cast):
    budget(cast)
    with pytest.raises(CompensationError, match="不能超过其对应的损失"):
        services.claim_decide(
            actor=cast.leading_group,
            claim=in_group_review(cast),
            amount="2",
            covered_loss="1",
            on=ON,
        )


# --- Payment, agreement, recoveries (第十一条 2(5)) ---------------------------------------------------


def test_a_decision_is_revoked_before_payment_by_a_reversing_entry_and_the_budget_freed(cast):
    from compensation.models import DecisionReversal

    claim = decided(cast)  # 300000.00 of a 1000000.00 budget
    with pytest.raises(CompensationError, match="理由"):
        services.decision_revoke(actor=cast.leading_group, claim=claim, reason="")
    reversal = services.decision_revoke(
        actor=cast.leading_group, claim=claim, reason="金额录入错误"
    )
    assert reversal.amount == Decimal("-300000.00") and Decision.objects.get(
        claim=claim
    ).amount == Decimal("300000.00")
    assert CompensationBudget.objects.get().committed == Decimal("0.00")
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.REJECTED
    with pytest.raises(CompensationError, match="不能撤销"):
        services.decision_revoke(actor=cast.leading_group, claim=claim, reason="again")
    assert DecisionReversal.objects.count() == 1
    # The bank may file again for the same loan, and the freed budget can be decided anew.
    new_claim = services.claim_create(
        actor=cast.bank_x_user,
        loan=claim.loan,
        requested_amount="400000.00",
        loss_principal="800000.00",
        case_number="c",
        description="d",
        on=ON,
    )
    assert new_claim.state == ClaimState.DRAFT


def test_a_paid_decision_cannot_be_revoked(cast):
    claim = paid(cast)
    with pytest.raises(CompensationError, match="不能撤销"):
        services.decision_revoke(actor=cast.leading_group, claim=claim, reason="录错")
    assert CompensationBudget.objects.get().committed == Decimal("300000.00")


def test_a_paid_claim_records_date_and_voucher(cast):
    claim = paid(cast)
    assert claim.state == ClaimState.PAID
    assert (claim.payment.amount, claim.payment.voucher_no) == (Decimal("300000.00"), "BF-001")


def test_a_payment_before_the_decision_is_refused(cast):
    claim = decided(cast)
    with pytest.raises(CompensationError, match="早于决定日期"):
        services.claim_pay(
            actor=cast.bureau_staff, claim=claim, paid_on=dt.date(2026, 11, 19), voucher_no="X"
        )


def test_a_recovery_before_the_agreement_is_refused(cast):
    claim = paid(cast)
    with pytest.raises(CompensationError, match="追偿协议"):
        services.recovery_record(
            actor=cast.bank_x_user, claim=claim, received_on=dt.date(2026, 11, 24), gross="1000"
        )


def test_a_recovery_nets_the_costs_and_computes_the_share_once(cast):
    recovery = with_recovery(
        cast, "100000.00", (("litigation", "3000.00"), ("enforcement", "1999.99"))
    )
    assert (recovery.costs, recovery.net) == (Decimal("4999.99"), Decimal("95000.01"))
    # 95000.01 × 300000 / 800000 = 35625.00375 → 35625.00
    assert recovery.share == Decimal("35625.00")
    assert recovery.legal_costs.count() == 2


def test_costs_larger_than_the_gross_are_refused(cast):
    claim = recovering(cast)
    with pytest.raises(CompensationError, match="超过清收金额"):
        services.recovery_record(
            actor=cast.bank_x_user,
            claim=claim,
            received_on=dt.date(2026, 11, 24),
            gross="1000",
            costs=[CostInput("litigation", "1000.01", pdf())],
        )
    assert not Recovery.objects.exists()


def test_a_recovery_dated_before_the_payment_is_refused(cast):
    claim = recovering(cast)
    with pytest.raises(CompensationError, match="早于补偿拨付日期"):
        services.recovery_record(
            actor=cast.bank_x_user, claim=claim, received_on=dt.date(2026, 11, 22), gross="1000"
        )
    assert not Recovery.objects.exists()


def test_the_pools_shares_never_exceed_what_it_paid(cast):
    claim = recovering(cast, amount="300000.00", covered="300000.00")  # ratio 1
    first = services.recovery_record(
        actor=cast.bank_x_user, claim=claim, received_on=dt.date(2026, 11, 24), gross="250000"
    )
    second = services.recovery_record(
        actor=cast.bank_x_user, claim=claim, received_on=dt.date(2026, 11, 24), gross="250000"
    )
    assert (first.share, second.share) == (Decimal("250000.00"), Decimal("50000.00"))


def test_returns_never_exceed_the_share_and_are_confirmed_by_the_finance_bureau(cast):
    recovery = with_recovery(cast, "80000.00", ())  # share 30000.00
    with pytest.raises(CompensationError, match="超过尚应交回"):
        services.return_record(
            actor=cast.bank_x_user,
            recovery=recovery,
            amount="30000.01",
            returned_on=dt.date(2026, 11, 25),
            voucher_no="JH-1",
        )
    share_return = services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="30000.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="JH-1",
    )
    assert Recovery.objects.get(pk=recovery.pk).returned == Decimal("30000.00")
    services.return_confirm(actor=cast.auditor, share_return=share_return)
    assert ShareReturn.objects.get().confirmed_by == cast.auditor
    with pytest.raises(CompensationError, match="已确认"):
        services.return_confirm(actor=cast.auditor, share_return=share_return)


def test_a_wrong_recovery_is_reversed_by_a_new_entry_never_edited(cast):
    recovery = with_recovery(cast, "100000.00")
    reversal = services.recovery_reverse(
        actor=cast.bank_x_user, recovery=recovery, reason="金额录错"
    )
    assert (reversal.gross, reversal.share, reversal.reverses) == (
        -recovery.gross,
        -recovery.share,
        recovery,
    )
    assert Recovery.objects.get(pk=recovery.pk).gross == Decimal("100000.00")
    with pytest.raises(CompensationError, match="已冲销"):
        services.recovery_reverse(actor=cast.bank_x_user, recovery=recovery, reason="again")
    with pytest.raises(CompensationError, match="已冲销"):
        services.return_record(
            actor=cast.bank_x_user,
            recovery=recovery,
            amount="1",
            returned_on=dt.date(2026, 11, 25),
            voucher_no="J",
        )


def test_a_mistaken_return_is_reversed_by_a_new_entry_and_the_share_is_owed_again(cast):
    recovery = with_recovery(cast, "80000.00", ())  # share 30000.00
    wrong = services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="3000.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="JH-9",
    )
    with pytest.raises(CompensationError, match="理由"):
        services.return_reverse(actor=cast.auditor, share_return=wrong, reason=" ")
    reversal = services.return_reverse(
        actor=cast.auditor, share_return=wrong, reason="财政未收到该笔款项"
    )
    assert (reversal.amount, reversal.reverses, reversal.note) == (
        Decimal("-3000.00"),
        wrong,
        "财政未收到该笔款项",
    )
    assert ShareReturn.objects.get(pk=wrong.pk).amount == Decimal(
        "3000.00"
    )  # the original stays as it was
    assert Recovery.objects.get(pk=recovery.pk).returned == Decimal("0.00")
    assert AuditEntry.objects.filter(action="compensation.return.reversed").count() == 1
    with pytest.raises(CompensationError, match="已冲销"):
        services.return_reverse(actor=cast.bank_x_user, share_return=wrong, reason="again")
    with pytest.raises(CompensationError, match="不能再冲销"):
        services.return_reverse(actor=cast.bank_x_user, share_return=reversal, reason="again")
    with pytest.raises(CompensationError, match="已冲销"):
        services.return_confirm(actor=cast.auditor, share_return=wrong)
    # The whole share can be returned again; the recovery, with its returns netting to zero, could have been reversed.
    services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="30000.00",
        returned_on=dt.date(2026, 11, 26),
        voucher_no="JH-10",
    )


def test_a_confirmed_return_cannot_be_reversed(cast):
    recovery = with_recovery(cast, "80000.00", ())
    share_return = services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="1.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="J",
    )
    services.return_confirm(actor=cast.auditor, share_return=share_return)
    with pytest.raises(CompensationError, match="已确认"):
        services.return_reverse(actor=cast.bank_x_user, share_return=share_return, reason="录错")
    assert ShareReturn.objects.count() == 1


def test_a_recovery_with_returns_is_reversed_only_after_its_returns(cast):
    recovery = with_recovery(cast, "80000.00", ())
    share_return = services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="1.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="J",
    )
    with pytest.raises(CompensationError, match="须先冲销交回"):
        services.recovery_reverse(actor=cast.bank_x_user, recovery=recovery, reason="录错")
    services.return_reverse(actor=cast.bank_x_user, share_return=share_return, reason="录错")
    services.recovery_reverse(
        actor=cast.bank_x_user, recovery=Recovery.objects.get(pk=recovery.pk), reason="录错"
    )
    from compensation import selectors

    line = selectors.ledger_line(Claim.objects.with_parts().get(pk=recovery.claim_id), ON)
    assert (line.gross, line.share, line.returned, line.owed) == (Decimal("0.00"),) * 4


def test_money_records_refuse_edits_and_deletes_in_code(cast):
    from compensation.models import AppendOnlyError, LegalCost, Payment

    recovery = with_recovery(cast, "100000.00")
    payment = Payment.objects.get(claim=recovery.claim_id)
    payment.amount = Decimal("1.00")
    with pytest.raises(AppendOnlyError):
        payment.save()
    for record in (
        Decision.objects.get(claim=recovery.claim_id),
        LegalCost.objects.get(recovery=recovery),
        recovery,
    ):
        with pytest.raises(AppendOnlyError):
            record.save()
        with pytest.raises(AppendOnlyError):
            record.delete()
    recovery.gross = Decimal("1.00")
    with pytest.raises(AppendOnlyError):
        recovery.save(update_fields=["gross", "returned"])
    assert Payment.objects.get(pk=payment.pk).amount == Decimal("300000.00")


def test_the_database_refuses_a_positive_reversal_or_a_confirmed_one(cast):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    recovery = with_recovery(cast, "80000.00", ())
    original = services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="1.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="J",
    )
    for amount, confirmed in ((Decimal("1.00"), None), (Decimal("-1.00"), timezone.now())):
        with pytest.raises(IntegrityError), transaction.atomic():
            ShareReturn.objects.create(
                recovery=recovery,
                amount=amount,
                returned_on=dt.date(2026, 11, 25),
                voucher_no="J",
                reverses=original,
                confirmed_at=confirmed,
            )


def test_closing_is_refused_while_a_share_is_owed(cast):
    recovery = with_recovery(cast, "80000.00", ())
    with pytest.raises(CompensationError, match="不能结案"):
        services.claim_close(actor=cast.bureau_staff, claim=recovery.claim)
    services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="30000.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="J",
    )
    assert (
        services.claim_close(actor=cast.bureau_staff, claim=recovery.claim).state
        == ClaimState.CLOSED
    )


def test_the_database_refuses_a_return_above_the_share(cast):
    from django.db import IntegrityError, transaction

    recovery = with_recovery(cast, "80000.00", ())
    with pytest.raises(IntegrityError), transaction.atomic():
        Recovery.objects.filter(pk=recovery.pk).update(returned=Decimal("30000.01"))


def test_the_database_refuses_an_overspent_budget(cast):
    from django.db import IntegrityError, transaction

    b = budget(cast, "100.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        CompensationBudget.objects.filter(pk=b.pk).update(committed=Decimal("100.01"))


def test_write_off_rules_and_a_recovery_after_it_follows_article_11_2_5(cast):
    """第十一条 4: the write-off date fixes the certificate's due day; recoveries after it are netted and shared the same way."""
    from compensation.models import WriteOff

    claim = recovering(cast)  # paid 2026-11-23, 300000 of a covered loss of 800000
    with pytest.raises(CompensationError, match="早于补偿拨付日期"):
        services.writeoff_record(
            actor=cast.bank_x_user, claim=claim, written_off_on=dt.date(2026, 11, 20)
        )
    with pytest.raises(CompensationError, match="请先登记核销日期"):
        services.writeoff_certificate(actor=cast.bank_x_user, claim=claim, upload=pdf("c.pdf"))
    write_off = services.writeoff_record(
        actor=cast.bank_x_user, claim=claim, written_off_on=dt.date(2026, 11, 24)
    )
    assert write_off.certificate_due_on == dt.date(2026, 12, 1)
    with pytest.raises(CompensationError, match="已登记核销"):
        services.writeoff_record(
            actor=cast.bank_x_user, claim=claim, written_off_on=dt.date(2026, 11, 25)
        )
    services.writeoff_certificate(
        actor=cast.bank_x_user, claim=claim, upload=pdf("c.pdf"), on=dt.date(2026, 12, 1)
    )
    assert not WriteOff.objects.get().is_late()
    with pytest.raises(CompensationError, match="已提交"):
        services.writeoff_certificate(actor=cast.bank_x_user, claim=claim, upload=pdf("c.pdf"))
    recovery = services.recovery_record(
        actor=cast.bank_x_user,
        claim=claim,
        received_on=dt.date(2026, 12, 10),
        gross="10000.00",
        costs=[CostInput("enforcement", "1000.00", pdf())],
    )
    assert (recovery.net, recovery.share) == (
        Decimal("9000.00"),
        Decimal("3375.00"),
    )  # 9000 × 300000 / 800000
