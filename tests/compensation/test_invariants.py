"""Money invariants of risk compensation under random sequences (issue 6, "Invariants"), through the real services.

Hypothesis files claims on fresh bad loans, decides them against the year's
budget (sometimes above what remains), pays them, records recoveries with legal
costs (sometimes above the gross), revoked decisions, returns, reversals of recoveries and of returns, confirmations, budget
changes and closings, in random order. Each example runs inside one
transaction rolled back at the end. After every step:

- decisions never exceed the year's budget: committed = Σ decisions ≤ budget;
- no claim is paid twice, and every payment equals its decision;
- each recovery's share is net × amount / covered loss rounded half-up to the fen
  once (checked against exact rational arithmetic), capped so that a claim's
  shares never exceed what the pool paid on it;
- returns never exceed shares, and `returned` equals the sum of the returns;
- the ledger's totals equal the sum of its lines and the database's sums.

Refused operations must leave nothing behind; the machine checks the counts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from compensation import selectors, services
from compensation.models import (
    Claim,
    ClaimState,
    CompensationBudget,
    Decision,
    DecisionReversal,
    Payment,
    Recovery,
    ShareReturn,
)
from kedaitong.db import MoneySum
from tests.compensation.helpers import ON, bad_loan, bureau_approves, draft, pdf
from tests.stateful import MONEY_SEQUENCES, after_a_write, sums_by

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")
PAID_ON = dt.date(2026, 11, 23)
SIGNED_ON = dt.date(2026, 11, 24)
RECEIVED_ON = dt.date(2026, 11, 24)
fens = st.integers(min_value=1, max_value=50_000_000).map(lambda n: Decimal(n) / 100)
percents = st.integers(min_value=0, max_value=100)


def half_up_fen(value: Fraction) -> Decimal:
    """The documented rounding, done in exact rationals: half-up to the fen (value ≥ 0)."""
    return Decimal(floor(value * 100 + Fraction(1, 2))) / 100


def total(qs, name: str) -> Decimal:
    return qs.aggregate(s=MoneySum(name))["s"] or ZERO


class CompensationMachine(RuleBasedStateMachine):
    cast = None  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.claims: list[int] = []
        self.expected_share: dict[int, Decimal] = {}  # recovery pk -> the share the rules give

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------------------------------

    def in_state(self, *states: str) -> list[Claim]:
        return list(Claim.objects.filter(pk__in=self.claims, state__in=states).order_by("pk"))

    def counts(self) -> tuple[int, ...]:
        return (
            Decision.objects.count(),
            Payment.objects.count(),
            Recovery.objects.count(),
            ShareReturn.objects.count(),
            total(CompensationBudget.objects.all(), "committed"),
            total(Recovery.objects.all(), "returned"),
        )

    def refused(self, call) -> None:
        before = self.counts()
        with pytest.raises(services.CompensationError):
            call()
        assert self.counts() == before, "a refused operation saved something"

    # --- rules -------------------------------------------------------------------------------------

    @initialize(data=st.data(), amount=fens, covered_pct=st.integers(min_value=1, max_value=100))
    def budget_and_one_paid_claim(
        self, data: st.DataObject, amount: Decimal, covered_pct: int
    ) -> None:
        """Every sequence starts from a budget and one claim paid and under recovery, so money can come back at once."""
        services.budget_set(
            actor=self.cast.leading_group, program=self.cast.changjiang, year=ON.year, amount=amount
        )
        self.file_claim()
        self.decide(data, covered_pct, over=False, and_pay=True)
        self.file_claim()

    @rule()
    def file_claim(self) -> None:
        claim = draft(self.cast, bad_loan(self.cast, contract=f"INV-{len(self.claims):03d}"))
        claim = services.claim_submit(actor=self.cast.bank_x_user, claim=claim, on=ON)
        claim = bureau_approves(self.cast, claim)
        self.claims.append(claim.pk)
        # A second open claim for the same loan is refused.
        self.refused(
            lambda: services.claim_create(
                actor=self.cast.bank_x_user,
                loan=claim.loan,
                requested_amount="1.00",
                loss_principal="1.00",
                case_number="x",
                description="y",
                on=ON,
            )
        )

    @rule(delta=fens, lower=st.booleans())
    def change_budget(self, delta: Decimal, lower: bool) -> None:
        budget = CompensationBudget.objects.get(program=self.cast.changjiang, year=ON.year)
        if lower and budget.committed > 0:
            below = budget.committed - Decimal("0.01")
            if below > 0:
                self.refused(
                    lambda: services.budget_set(
                        actor=self.cast.leading_group,
                        program=self.cast.changjiang,
                        year=ON.year,
                        amount=below,
                        reason="压减",
                    )
                )
            return
        # A change without a reason is refused; with one it is a new entry, the amount their sum.
        self.refused(
            lambda: services.budget_set(
                actor=self.cast.leading_group,
                program=self.cast.changjiang,
                year=ON.year,
                amount=budget.amount + delta,
            )
        )
        services.budget_set(
            actor=self.cast.leading_group,
            program=self.cast.changjiang,
            year=ON.year,
            amount=budget.amount + delta,
            reason="追加预算",
        )

    @precondition(
        lambda self: Claim.objects.filter(
            pk__in=self.claims, state=ClaimState.GROUP_REVIEW
        ).exists()
    )
    @rule(
        data=st.data(),
        covered_pct=st.integers(min_value=1, max_value=100),
        over=st.booleans(),
        and_pay=st.booleans(),
    )
    def decide(self, data: st.DataObject, covered_pct: int, over: bool, and_pay: bool) -> None:
        claim = data.draw(st.sampled_from(self.in_state(ClaimState.GROUP_REVIEW)))
        budget = CompensationBudget.objects.get(program=self.cast.changjiang, year=ON.year)
        covered = max(
            Decimal("0.01"),
            ((claim.loss_principal + claim.loss_interest) * covered_pct / 100).quantize(
                Decimal("0.01")
            ),
        )
        cap = min(covered, claim.requested_amount)
        if over:
            amount = budget.remaining + Decimal("0.01")
            if amount <= cap:
                self.refused(
                    lambda: services.claim_decide(
                        actor=self.cast.leading_group,
                        claim=claim,
                        amount=amount,
                        covered_loss=covered,
                        on=ON,
                    )
                )
                return
        amount = min(cap, budget.remaining)
        if amount <= 0:
            return
        amount = data.draw(
            st.integers(min_value=1, max_value=int(amount * 100)).map(lambda n: Decimal(n) / 100),
            label="amount",
        )
        services.claim_decide(
            actor=self.cast.leading_group, claim=claim, amount=amount, covered_loss=covered, on=ON
        )
        if and_pay:  # most sequences go on to money coming back
            self.pay_and_sign(Claim.objects.get(pk=claim.pk))

    @precondition(
        lambda self: Claim.objects.filter(
            pk__in=self.claims, state=ClaimState.GROUP_REVIEW
        ).exists()
    )
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        claim = data.draw(st.sampled_from(self.in_state(ClaimState.GROUP_REVIEW)))
        services.claim_send_back(
            actor=self.cast.leading_group, claim=claim, reject=True, comment="不符合条件"
        )

    @precondition(
        lambda self: Claim.objects.filter(pk__in=self.claims, state=ClaimState.DECIDED).exists()
    )
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        """A decision taken in error is revoked before payment; its amount goes back to the budget."""
        claim = data.draw(st.sampled_from(self.in_state(ClaimState.DECIDED)))
        before = CompensationBudget.objects.get(
            program=self.cast.changjiang, year=ON.year
        ).committed
        reversal = services.decision_revoke(
            actor=self.cast.leading_group, claim=claim, reason="录错"
        )
        assert (
            CompensationBudget.objects.get(program=self.cast.changjiang, year=ON.year).committed
            == before + reversal.amount
        )
        claim = Claim.objects.get(pk=claim.pk)
        self.refused(
            lambda: services.decision_revoke(
                actor=self.cast.leading_group, claim=claim, reason="再次"
            )
        )
        self.refused(
            lambda: services.claim_pay(
                actor=self.cast.bureau_staff, claim=claim, paid_on=PAID_ON, voucher_no="BF"
            )
        )

    @precondition(
        lambda self: Claim.objects.filter(pk__in=self.claims, state=ClaimState.DECIDED).exists()
    )
    @rule(data=st.data(), mistaken=st.booleans())
    def pay(self, data: st.DataObject, mistaken: bool) -> None:
        claim = data.draw(st.sampled_from(self.in_state(ClaimState.DECIDED)))
        if mistaken:  # recorded by mistake, reversed by the bureau head, then recorded right
            services.claim_pay(
                actor=self.cast.bureau_staff, claim=claim, paid_on=PAID_ON, voucher_no="BF-WRONG"
            )
            services.payment_reverse(
                actor=self.cast.bureau_head,
                claim=Claim.objects.get(pk=claim.pk),
                reason="凭证号录错",
            )
            claim = Claim.objects.get(pk=claim.pk)
            assert claim.state == ClaimState.DECIDED and claim.payment is None
            self.refused(
                lambda: services.payment_reverse(
                    actor=self.cast.bureau_head, claim=claim, reason="再次"
                )
            )
        self.pay_and_sign(claim)

    def pay_and_sign(self, claim: Claim) -> None:
        services.claim_pay(
            actor=self.cast.bureau_staff, claim=claim, paid_on=PAID_ON, voucher_no="BF"
        )
        claim = Claim.objects.get(pk=claim.pk)  # protected FSM fields cannot be refreshed in place
        self.refused(
            lambda: services.claim_pay(
                actor=self.cast.bureau_staff, claim=claim, paid_on=PAID_ON, voucher_no="BF-2"
            )
        )
        services.agreement_record(
            actor=self.cast.bureau_staff,
            claim=claim,
            signed_on=SIGNED_ON,
            upload=pdf("agreement.pdf"),
        )
        # Once the recovery agreement is recorded the payment can no longer be reversed.
        self.refused(
            lambda: services.payment_reverse(
                actor=self.cast.bureau_head, claim=Claim.objects.get(pk=claim.pk), reason="晚了"
            )
        )

    @precondition(
        lambda self: Claim.objects.filter(pk__in=self.claims, state=ClaimState.RECOVERING).exists()
    )
    @rule(
        data=st.data(),
        gross=fens,
        costs=st.lists(st.integers(min_value=0, max_value=70), max_size=3),
        back=percents,
    )
    def recover(self, data: st.DataObject, gross: Decimal, costs: list[int], back: int) -> None:
        claim = data.draw(st.sampled_from(self.in_state(ClaimState.RECOVERING)))
        kinds = ["litigation", "arbitration", "enforcement"]
        items = [
            (kinds[i], (gross * pct / 100).quantize(Decimal("0.01"))) for i, pct in enumerate(costs)
        ]
        items = [(k, v) for k, v in items if v > 0]
        inputs = [services.CostInput(k, v, pdf(f"{k}.pdf")) for k, v in items]
        cost_total = sum((v for _, v in items), ZERO)
        if cost_total > gross:
            self.refused(
                lambda: services.recovery_record(
                    actor=self.cast.bank_x_user,
                    claim=claim,
                    received_on=RECEIVED_ON,
                    gross=gross,
                    costs=inputs,
                )
            )
            return
        # A recovery dated before the payment is refused.
        self.refused(
            lambda: services.recovery_record(
                actor=self.cast.bank_x_user,
                claim=claim,
                received_on=PAID_ON - dt.timedelta(days=1),
                gross=gross,
            )
        )
        decision, payment = Decision.objects.get(claim=claim), claim.payment
        so_far = total(Recovery.objects.filter(claim=claim), "share")
        exact = half_up_fen(
            Fraction(gross - cost_total)
            * Fraction(decision.amount)
            / Fraction(decision.covered_loss)
        )
        recovery = services.recovery_record(
            actor=self.cast.bank_x_user,
            claim=claim,
            received_on=RECEIVED_ON,
            gross=gross,
            costs=inputs,
        )
        assert recovery.costs == cost_total and recovery.net == gross - cost_total
        self.expected_share[recovery.pk] = max(ZERO, min(exact, payment.amount - so_far))
        amount = (recovery.share * back / 100).quantize(Decimal("0.01"))
        if amount > 0:  # the bank often returns (part of) the share at once
            services.return_record(
                actor=self.cast.bank_x_user,
                recovery=recovery,
                amount=amount,
                returned_on=RECEIVED_ON,
                voucher_no="R0",
            )

    @precondition(
        lambda self: Recovery.objects.filter(
            claim__in=self.claims, reverses__isnull=True, reversed_by__isnull=True, share__gt=0
        ).exists()
    )
    @rule(data=st.data(), pct=st.integers(min_value=1, max_value=100), too_much=st.booleans())
    def return_share(self, data: st.DataObject, pct: int, too_much: bool) -> None:
        open_ = [
            r
            for r in Recovery.objects.filter(
                claim__in=self.claims, reverses__isnull=True, reversed_by__isnull=True
            ).order_by("pk")
            if r.outstanding > 0
        ]
        if not open_:
            return
        recovery = data.draw(st.sampled_from(open_))
        owed = recovery.outstanding
        if too_much:
            self.refused(
                lambda: services.return_record(
                    actor=self.cast.bank_x_user,
                    recovery=recovery,
                    amount=owed + Decimal("0.01"),
                    returned_on=RECEIVED_ON,
                    voucher_no="R",
                )
            )
        amount = max(Decimal("0.01"), (owed * pct / 100).quantize(Decimal("0.01")))
        services.return_record(
            actor=self.cast.bank_x_user,
            recovery=recovery,
            amount=amount,
            returned_on=RECEIVED_ON,
            voucher_no="R",
        )

    @precondition(
        lambda self: Recovery.objects.filter(
            claim__in=self.claims, reverses__isnull=True, reversed_by__isnull=True, returned=0
        ).exists()
    )
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        candidates = list(
            Recovery.objects.filter(
                claim__in=self.claims, reverses__isnull=True, reversed_by__isnull=True, returned=0
            ).order_by("pk")
        )
        recovery = data.draw(st.sampled_from(candidates))
        reversal = services.recovery_reverse(
            actor=self.cast.bank_x_user, recovery=recovery, reason="录入错误"
        )
        self.expected_share[reversal.pk] = -recovery.share
        self.refused(
            lambda: services.recovery_reverse(
                actor=self.cast.bank_x_user, recovery=recovery, reason="再次冲销"
            )
        )

    @precondition(
        lambda self: ShareReturn.objects.filter(
            confirmed_at__isnull=True, reverses__isnull=True, reversed_by__isnull=True
        ).exists()
    )
    @rule(data=st.data())
    def reverse_return(self, data: st.DataObject) -> None:
        """A return the finance bureau did not receive is reversed; the share is owed again."""
        candidates = list(
            ShareReturn.objects.filter(
                confirmed_at__isnull=True, reverses__isnull=True, reversed_by__isnull=True
            ).order_by("pk")
        )
        share_return = data.draw(st.sampled_from(candidates))
        before = Recovery.objects.get(pk=share_return.recovery_id).returned
        services.return_reverse(actor=self.cast.auditor, share_return=share_return, reason="未收到")
        assert (
            Recovery.objects.get(pk=share_return.recovery_id).returned
            == before - share_return.amount
        )
        self.refused(
            lambda: services.return_reverse(
                actor=self.cast.auditor, share_return=share_return, reason="再次"
            )
        )
        self.refused(
            lambda: services.return_confirm(actor=self.cast.auditor, share_return=share_return)
        )

    @precondition(
        lambda self: ShareReturn.objects.filter(
            confirmed_at__isnull=True, reverses__isnull=True, reversed_by__isnull=True
        ).exists()
    )
    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        candidates = list(
            ShareReturn.objects.filter(
                confirmed_at__isnull=True, reverses__isnull=True, reversed_by__isnull=True
            ).order_by("pk")
        )
        share_return = data.draw(st.sampled_from(candidates))
        services.return_confirm(actor=self.cast.auditor, share_return=share_return)
        self.refused(
            lambda: services.return_confirm(actor=self.cast.auditor, share_return=share_return)
        )
        self.refused(
            lambda: services.return_reverse(
                actor=self.cast.auditor, share_return=share_return, reason="已确认"
            )
        )

    @precondition(
        lambda self: Claim.objects.filter(
            pk__in=self.claims, state=ClaimState.RECOVERING, recoveries__isnull=False
        ).exists()
    )
    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        claim = data.draw(
            st.sampled_from(
                [c for c in self.in_state(ClaimState.RECOVERING) if c.recoveries.exists()]
            )
        )
        live = Recovery.objects.filter(claim=claim, reverses__isnull=True, reversed_by__isnull=True)
        if any(r.outstanding > 0 for r in live):
            self.refused(lambda: services.claim_close(actor=self.cast.bank_x_user, claim=claim))
        else:
            services.claim_close(actor=self.cast.bank_x_user, claim=claim)

    # --- invariants --------------------------------------------------------------------------------

    @invariant()
    @after_a_write
    def decisions_within_budget(self) -> None:
        for budget in CompensationBudget.objects.all():
            reversed_ = total(DecisionReversal.objects.filter(decision__budget=budget), "amount")
            assert budget.committed == total(budget.decisions.all(), "amount") + reversed_
            assert ZERO <= budget.committed <= budget.amount
            assert budget.amount == total(
                budget.changes.all(), "change"
            )  # append-only: the sum of its entries
            assert (
                budget.changes.order_by("-changed_at", "-pk").first().amount_after == budget.amount
            )

    @invariant()
    @after_a_write
    def no_claim_paid_twice(self) -> None:
        paid_states = (ClaimState.PAID, ClaimState.RECOVERING, ClaimState.CLOSED)
        live = Payment.objects.filter(
            reverses__isnull=True, reversed_by__isnull=True
        ).select_related("claim__decision")
        for payment in live:
            assert payment.amount == payment.claim.decision.amount
        assert live.count() == Claim.objects.filter(state__in=paid_states).count()
        for reversal in Payment.objects.filter(reverses__isnull=False).select_related("reverses"):
            assert reversal.amount == -reversal.reverses.amount
        # One grouped query each (these run after every step), not two queries per claim.
        decided = dict(
            Decision.objects.filter(claim__in=self.claims).values_list("claim", "amount")
        )
        paid = sums_by(Payment.objects.filter(claim__in=self.claims), "claim", "amount")
        for claim in Claim.objects.filter(pk__in=self.claims):
            expected = decided[claim.pk] if claim.state in paid_states else ZERO
            assert paid.get(claim.pk, ZERO) == expected

    @invariant()
    @after_a_write
    def shares_follow_the_rule_and_stay_within_what_was_paid(self) -> None:
        for recovery in Recovery.objects.all():
            assert recovery.share == self.expected_share[recovery.pk]
        shares = sums_by(Recovery.objects.all(), "claim", "share")
        for payment in Payment.objects.filter(reverses__isnull=True, reversed_by__isnull=True):
            assert ZERO <= shares.get(payment.claim_id, ZERO) <= payment.amount

    @invariant()
    @after_a_write
    def returns_within_shares(self) -> None:
        returned = sums_by(ShareReturn.objects.all(), "recovery", "amount")
        for recovery in Recovery.objects.all():
            assert recovery.returned == returned.get(recovery.pk, ZERO)  # reversals count negative
            assert ZERO <= recovery.returned <= max(recovery.share, ZERO)
        for share_return in ShareReturn.objects.filter(reverses__isnull=False):
            assert (
                share_return.amount == -share_return.reverses.amount
                and share_return.confirmed_at is None
            )

    @invariant()
    @after_a_write
    def ledger_totals_are_the_sums(self) -> None:
        admin = self.cast.admin
        lines, totals = selectors.ledger(admin, selectors.LedgerFilter())
        for name in selectors.LedgerLine.MONEY_FIELDS:
            assert getattr(totals, name) == sum((getattr(x, name) for x in lines), ZERO)
        assert totals.paid == total(Payment.objects.all(), "amount")
        assert totals.decided == total(Decision.objects.all(), "amount") + total(
            DecisionReversal.objects.all(), "amount"
        )
        assert totals.share == total(Recovery.objects.all(), "share")
        assert totals.returned == total(Recovery.objects.all(), "returned")
        assert totals.confirmed == total(
            ShareReturn.objects.filter(confirmed_at__isnull=False), "amount"
        )
        rec_lines, rec_totals = selectors.recovery_lines(admin, selectors.LedgerFilter())
        for name in selectors.RecoveryLine.MONEY_FIELDS:
            assert getattr(rec_totals, name) == sum((getattr(x, name) for x in rec_lines), ZERO)
        assert (rec_totals.gross, rec_totals.net, rec_totals.share) == (
            totals.gross,
            totals.net,
            totals.share,
        )
        assert rec_totals.owed == totals.owed


@pytest.mark.slow
def test_compensation_money_invariants_hold_under_random_sequences(cast):
    CompensationMachine.cast = cast
    run_state_machine_as_test(
        CompensationMachine,
        settings=settings(MONEY_SEQUENCES, max_examples=10, stateful_step_count=12),
    )


def test_the_share_rounds_half_up_exactly_at_the_boundary(cast):
    """net × amount / covered lands exactly on half a fen: rounded up, as documented."""
    from compensation.rules import pool_share

    assert pool_share(Decimal("0.01"), Decimal("1.00"), Decimal("2.00")) == Decimal(
        "0.01"
    )  # 0.005 → 0.01
    assert pool_share(Decimal("0.03"), Decimal("1.00"), Decimal("6.00")) == Decimal(
        "0.01"
    )  # 0.005 → 0.01
    assert pool_share(Decimal("100.00"), Decimal("1.00"), Decimal("3.00")) == Decimal("33.33")
    assert pool_share(Decimal("200.00"), Decimal("1.00"), Decimal("3.00")) == Decimal("66.67")
