"""Build item 8: money records are append-only — budget changes and payment reversals are new entries, and the
bulk paths (QuerySet.update/delete) are guarded like save()/delete()."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from compensation import selectors, services
from compensation.models import (
    AppendOnlyError,
    BudgetChange,
    Claim,
    ClaimState,
    CompensationBudget,
    Decision,
    DecisionReversal,
    LegalCost,
    Payment,
    Recovery,
    ShareReturn,
)
from compensation.services import CompensationError
from kedaitong.models import AuditEntry
from tests.compensation import helpers
from tests.confirming import post_confirmed

pytestmark = pytest.mark.django_db


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def budget_set(cast, amount: str, reason: str = ""):
    return services.budget_set(
        actor=cast.leading_group, program=cast.changjiang, year=2026, amount=amount, reason=reason
    )


# --- budgets ----------------------------------------------------------------------------------------


def test_each_budget_change_is_a_new_entry_with_its_reason_and_the_amount_is_their_sum(cast):
    budget_set(cast, "1,000,000.00")
    budget_set(cast, "1,250,000.00", "追加预算（专班第3次会议）")
    budget = budget_set(cast, "1,100,000.00", "压减")
    changes = list(
        BudgetChange.objects.order_by("pk").values_list(
            "change", "amount_after", "reason", "changed_by"
        )
    )
    assert changes == [
        (Decimal("1000000.00"), Decimal("1000000.00"), "设定年度预算", cast.leading_group.pk),
        (
            Decimal("250000.00"),
            Decimal("1250000.00"),
            "追加预算（专班第3次会议）",
            cast.leading_group.pk,
        ),
        (Decimal("-150000.00"), Decimal("1100000.00"), "压减", cast.leading_group.pk),
    ]
    assert (
        CompensationBudget.objects.get().amount
        == budget.amount
        == Decimal("1100000.00")
        == sum(c[0] for c in changes)
    )
    audit = AuditEntry.objects.filter(action="compensation.budget.set").order_by("pk").last()
    assert (audit.data["before"], audit.data["change"], audit.comment) == (
        "1250000.00",
        "-150000.00",
        "压减",
    )


def test_a_change_without_a_reason_the_same_amount_or_below_what_is_decided_is_refused_and_nothing_saved(
    cast,
):
    helpers.decided(cast, amount="300000.00")  # sets 1,000,000.00 and decides 300,000.00
    before = list(BudgetChange.objects.values_list("pk", flat=True))
    with pytest.raises(CompensationError, match="须填写理由"):
        budget_set(cast, "900000.00")
    with pytest.raises(CompensationError, match="没有变化"):
        budget_set(cast, "1000000.00", "重复")
    with pytest.raises(CompensationError, match="不能低于"):
        budget_set(cast, "299999.99", "压减")
    assert list(BudgetChange.objects.values_list("pk", flat=True)) == before
    budget = CompensationBudget.objects.get()
    assert (budget.amount, budget.committed) == (Decimal("1000000.00"), Decimal("300000.00"))
    assert budget_set(cast, "300000.00", "压减至已决定金额").remaining == Decimal("0.00")


def test_the_budget_page_keeps_the_history_and_asks_for_a_reason(cast):
    group = client(cast.leading_group)
    assert (
        group.post("/compensation/budgets/", {"year": 2026, "amount": "5,000,000"}).status_code
        == 302
    )
    refused = group.post("/compensation/budgets/", {"year": 2026, "amount": "6,000,000"})
    page = refused.content.decode()
    assert (
        refused.status_code == 400
        and "调整已设定的年度预算须填写理由" in page
        and 'value="6,000,000"' in page
    )
    assert (
        group.post(
            "/compensation/budgets/", {"year": 2026, "amount": "6,000,000", "reason": "区财政追加"}
        ).status_code
        == 302
    )
    page = client(cast.bureau_staff).get("/compensation/budgets/").content.decode()
    history = page.split('id="budget-changes"')[1].split("</table>")[0]
    assert history.index("区财政追加") < history.index("设定年度预算")  # newest first
    assert "1,000,000.00" in history and "6,000,000.00" in history and "5,000,000.00" in history


# --- payments ---------------------------------------------------------------------------------------


def test_a_mistaken_payment_is_reversed_by_the_bureau_head_and_the_claim_goes_back_to_decided(cast):
    claim = helpers.paid(cast)  # 300,000.00 paid 2026-11-23, voucher BF-001
    with pytest.raises(CompensationError, match="理由"):
        services.payment_reverse(actor=cast.bureau_head, claim=claim, reason=" ")
    reversal = services.payment_reverse(
        actor=cast.bureau_head, claim=claim, reason="凭证号录错，款项未拨出"
    )
    original = Payment.objects.get(reverses__isnull=True)
    assert (reversal.amount, reversal.reverses, reversal.note) == (
        Decimal("-300000.00"),
        original,
        "凭证号录错，款项未拨出",
    )
    assert original.amount == Decimal("300000.00")  # the mistaken entry stays, untouched
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.state == ClaimState.DECIDED and claim.payment is None and claim.paid_at is None
    assert CompensationBudget.objects.get().committed == Decimal("300000.00")  # the decision stands
    entry = AuditEntry.objects.get(action="compensation.payment.reversed")
    assert (entry.actor, entry.from_state, entry.to_state, entry.data["voucher"]) == (
        cast.bureau_head,
        "paid",
        "decided",
        "BF-001",
    )
    lines, totals = selectors.ledger(cast.admin, selectors.LedgerFilter())
    assert [line.paid for line in lines] == [Decimal("0.00")] and totals.paid == Decimal("0.00")
    with pytest.raises(CompensationError, match="不能冲销"):
        services.payment_reverse(actor=cast.bureau_head, claim=claim, reason="再次")
    services.claim_pay(
        actor=cast.bureau_staff, claim=claim, paid_on=dt.date(2026, 11, 25), voucher_no="BF-002"
    )
    claim = Claim.objects.get(pk=claim.pk)
    assert (claim.state, claim.payment.voucher_no, claim.payment.paid_on) == (
        ClaimState.PAID,
        "BF-002",
        dt.date(2026, 11, 25),
    )
    assert sum(p.amount for p in Payment.objects.filter(claim=claim)) == Decimal("300000.00")
    lines, totals = selectors.ledger(cast.admin, selectors.LedgerFilter())
    assert (lines[0].paid, lines[0].voucher_no, totals.paid) == (
        Decimal("300000.00"),
        "BF-002",
        Decimal("300000.00"),
    )
    assert selectors.budget_lines(cast.changjiang.pk)[0][0].paid == Decimal("300000.00")


def test_a_payment_with_a_recovery_agreement_or_a_write_off_cannot_be_reversed(cast):
    claim = helpers.recovering(cast)
    with pytest.raises(CompensationError, match="不能冲销"):
        services.payment_reverse(actor=cast.bureau_head, claim=claim, reason="录错")
    other = helpers.paid(cast, helpers.bad_loan(cast, contract="HT-WO"))
    services.writeoff_record(
        actor=cast.bank_x_user, claim=other, written_off_on=dt.date(2026, 11, 24)
    )
    with pytest.raises(CompensationError, match="核销"):
        services.payment_reverse(actor=cast.bureau_head, claim=other, reason="录错")
    assert not Payment.objects.filter(reverses__isnull=False).exists()
    assert Claim.objects.get(pk=other.pk).state == ClaimState.PAID


def test_the_payment_reversal_page_is_the_bureau_heads(cast):
    claim = helpers.paid(cast)
    path = f"/compensation/claims/{claim.public_id}/pay/reverse/"
    assert (
        'href="' + path + '"'
        in client(cast.bureau_head).get(f"/compensation/claims/{claim.public_id}/").content.decode()
    )
    assert (
        path
        not in client(cast.bureau_staff)
        .get(f"/compensation/claims/{claim.public_id}/")
        .content.decode()
    )
    assert post_confirmed(client(cast.bureau_staff), path, {"reason": "x"}).status_code == 403
    assert post_confirmed(client(cast.bank_y_user), path, {"reason": "x"}).status_code == 404
    assert post_confirmed(client(cast.bureau_head), path, {"reason": ""}).status_code == 400
    assert (
        post_confirmed(client(cast.bureau_head), path, {"reason": "凭证号录错"}).status_code == 302
    )
    page = (
        client(cast.bureau_staff).get(f"/compensation/claims/{claim.public_id}/").content.decode()
    )
    assert "payment-reversal" in page and "凭证号录错" in page and "-300,000.00" in page
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.DECIDED


# --- the bulk paths ---------------------------------------------------------------------------------


def test_bulk_updates_and_deletes_of_money_records_are_refused(cast):
    recovery = helpers.with_recovery(cast, "100000.00")
    share_return = services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="1.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="J",
    )
    for model, field, value in [
        (Decision, "amount", Decimal("1.00")),
        (Payment, "voucher_no", "X"),
        (Recovery, "gross", Decimal("1.00")),
        (LegalCost, "amount", Decimal("1.00")),
        (ShareReturn, "amount", Decimal("2.00")),
        (CompensationBudget, "year", 2030),
        (BudgetChange, "reason", "改"),
        (DecisionReversal, "reason", "改"),
    ]:
        with pytest.raises(AppendOnlyError):
            model.objects.filter().update(**{field: value})
        with pytest.raises(AppendOnlyError):
            model.objects.all().delete()
    payment = Payment.objects.get()
    payment.voucher_no = "X"
    with pytest.raises(AppendOnlyError):
        Payment.objects.bulk_update([payment], ["voucher_no"])
    assert (
        Payment.objects.get().voucher_no == "BF-001"
        and Decision.objects.get().amount == Decimal("300000.00")
    )
    assert (
        ShareReturn.objects.get(pk=share_return.pk).amount == Decimal("1.00")
        and BudgetChange.objects.count() == 1
    )
    # The running fields the services keep under a row lock may still be updated (the database checks them).
    assert Recovery.objects.filter(pk=recovery.pk).update(returned=Decimal("1.00")) == 1
    assert CompensationBudget.objects.update(committed=Decimal("300000.00")) == 1
