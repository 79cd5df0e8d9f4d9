"""Money under random sequences (issue 9, part 6): loans, interest, runs, cancellations, payments.

Hypothesis drives the real services against the real database; each example
runs inside a savepoint that is rolled back, so examples do not see each other.
After every step the invariants of the interest subsidy must hold:

- a run's lines add up to its total, which never exceeds its budget and equals it when pro-rated;
- each line is its version's share of its eligible interest rounded half-up, and never above that;
- no settlement is subsidized by two live runs, and no loan gets more interest
  counted than it has settled outside overdue periods;
- payments to a bank equal that bank's lines.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
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

from kedaitong.db import MoneySum
from kedaitong.money import to_fen
from loans.models import InterestSettlement, Loan
from subsidy.guards import InputFrozen, settlement_run
from subsidy.models import BankPayment, RunState, SubsidizedSettlement, SubsidyLine, SubsidyRun
from subsidy.services import (
    StageRefused,
    SubsidyInputError,
    run_approve,
    run_audit,
    run_cancel,
    run_commit,
    run_issue,
    run_publicize,
    run_record_payment,
    run_review,
)
from tests.stateful import MONEY_SEQUENCES, after_a_write, sums_by
from tests.subsidy.conftest import pdf, shanghai

pytestmark = pytest.mark.django_db

fens = st.integers(min_value=1, max_value=2_000_000).map(lambda n: Decimal(n) / 100)
interest_amounts = st.integers(min_value=100, max_value=2_000_000).map(lambda n: Decimal(n) / 100)
days = st.integers(min_value=0, max_value=180)
ZERO = Decimal("0")


class SubsidyMachine(RuleBasedStateMachine):
    qz = None  # set by the test before the machine runs
    clock = None  # the test's clock (tests/subsidy/conftest.py), moved on by the publicity

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.contracts = 0
        self.loans: list[Loan] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize(amount=interest_amounts)
    def one_loan_with_interest(self, amount: Decimal) -> None:
        """Most sequences start from something to subsidize."""
        self.disburse("a", 2025, 10, Decimal("1000000.00"), over_lpr=False)
        self.qz.interest(self.loans[-1], str(amount), settled=dt.date(2025, 6, 21))

    @rule(
        bank=st.sampled_from(["a", "b"]),
        year=st.sampled_from([2024, 2025]),
        day=days,
        principal=fens,
        over_lpr=st.booleans(),
    )
    def disburse(self, bank: str, year: int, day: int, principal: Decimal, over_lpr: bool) -> None:
        self.contracts += 1
        disbursed = dt.date(year, 1, 1) + dt.timedelta(days=day)
        loan = self.qz.loan(
            bank=self.qz.bank_a if bank == "a" else self.qz.bank_b,
            contract=f"S-{self.contracts:04d}",
            disbursed=disbursed,
            rate="3.20" if over_lpr else "3.00",
            lpr="3.10",
            principal=principal,
        )
        self.loans.append(loan)

    @precondition(lambda self: self.loans)
    @rule(
        data=st.data(),
        amount=interest_amounts,
        after=st.integers(min_value=1, max_value=200),
        overdue=st.booleans(),
    )
    def settle_interest(
        self, data: st.DataObject, amount: Decimal, after: int, overdue: bool
    ) -> None:
        loan = data.draw(st.sampled_from(self.loans))
        settled = loan.disbursement_date + dt.timedelta(days=after)
        if (
            settlement_run(loan.pk, settled) is not None
        ):  # before the cutoff of an audited run: frozen
            with pytest.raises(InputFrozen), transaction.atomic():
                self.qz.interest(loan, str(amount), settled=settled, overdue=overdue)
            return
        self.qz.interest(loan, str(amount), settled=settled, overdue=overdue)

    @rule(year=st.sampled_from([2024, 2025]), budget=fens)
    def commit_run(self, year: int, budget: Decimal) -> None:
        try:
            with transaction.atomic():
                run_commit(actor=self.qz.staff, program=self.qz.program, year=year, budget=budget)
        except SubsidyInputError:
            pass  # no loans, nothing eligible, or a live run for the year: refused, nothing saved

    @precondition(lambda self: SubsidyRun.objects.exclude(state=RunState.CANCELLED).exists())
    @rule(data=st.data())
    def cancel_run(self, data: st.DataObject) -> None:
        live = list(SubsidyRun.objects.exclude(state=RunState.CANCELLED).order_by("pk"))
        run = data.draw(st.sampled_from(live))
        if run.payments.exists():
            with pytest.raises(StageRefused):
                run_cancel(actor=self.qz.head, run=run, reason="重新计算")
        else:
            run_cancel(actor=self.qz.head, run=run, reason="重新计算")

    @precondition(lambda self: SubsidyRun.objects.filter(state=RunState.COMPUTED).exists())
    @rule()
    def every_stage_then_pay(self) -> None:
        """四(一)'s stages in order on the clock's days (it only moves on), then every bank paid."""
        run = SubsidyRun.objects.filter(state=RunState.COMPUTED).order_by("pk").first()
        qz, today = self.qz, timezone.localdate()
        run = run_audit(
            actor=qz.accountant,
            run=run,
            opinion_file=pdf(),
            pboc_confirmer="货币信贷管理科",
            pboc_confirmed_on=today,
            pboc_file=pdf(),
        )
        run = run_review(actor=qz.staff, run=run, opinion="规范")
        run = run_approve(actor=qz.head, run=run, meeting_date=today, minutes=pdf())
        run = run_publicize(actor=qz.staff, run=run, start=today)
        self.clock.move_to(shanghai(run.publicity_end + dt.timedelta(days=1)), tick=False)
        today = timezone.localdate()
        run = run_issue(
            actor=qz.staff, run=run, document_no="X", document_date=today, document_file=pdf()
        )
        for bank in (qz.bank_a, qz.bank_b):
            if run.lines.filter(bank=bank, amount__gt=0).exists():
                run_record_payment(
                    actor=qz.staff, run=run, bank=bank, paid_on=today, voucher_no="V-1"
                )
        run = SubsidyRun.objects.get(pk=run.pk)  # protected FSM fields cannot be refreshed in place
        paid = run.payments.aggregate(total=MoneySum("amount"))["total"] or Decimal("0")
        assert paid == run.total
        assert run.state == (RunState.PAID if run.total > 0 else RunState.ISSUED)

    @invariant()
    @after_a_write
    def runs_add_up_within_budget(self) -> None:
        sums = sums_by(SubsidyLine.objects.all(), "run", "amount")
        for run in SubsidyRun.objects.all():
            assert sums.get(run.pk, ZERO) == run.total
            assert run.total <= run.budget
            if run.scaled:
                assert run.total == run.budget
            else:
                assert run.total == run.computed_total

    @invariant()
    @after_a_write
    def each_line_is_thirty_percent_at_most(self) -> None:
        for line in SubsidyLine.objects.all():
            assert line.computed == to_fen(line.eligible_interest * line.share)
            assert Decimal("0") <= line.amount <= line.computed

    @invariant()
    @after_a_write
    def no_interest_subsidized_twice(self) -> None:
        live = SubsidizedSettlement.objects.exclude(run__state=RunState.CANCELLED)
        assert not live.values("settlement_id").annotate(n=Count("run")).filter(n__gt=1).exists()
        ids = [loan.pk for loan in self.loans]
        counted = sums_by(
            SubsidyLine.objects.filter(loan__in=ids).exclude(run__state=RunState.CANCELLED),
            "loan",
            "eligible_interest",
        )
        settled = sums_by(
            InterestSettlement.objects.filter(loan__in=ids, is_overdue_interest=False),
            "loan",
            "amount",
        )
        for pk in ids:
            assert counted.get(pk, ZERO) <= settled.get(pk, ZERO)

    @invariant()
    @after_a_write
    def payments_equal_bank_lines(self) -> None:
        lines = sums_by(SubsidyLine.objects.all(), ("run", "bank"), "amount")
        for payment in BankPayment.objects.all():
            assert payment.amount == lines.get((payment.run_id, payment.bank_id))


@pytest.mark.slow
def test_subsidy_money_invariants_hold_under_random_sequences(qz, clock):
    SubsidyMachine.qz, SubsidyMachine.clock = qz, clock
    run_state_machine_as_test(
        SubsidyMachine,
        settings=settings(MONEY_SEQUENCES, max_examples=30, stateful_step_count=20),
    )
