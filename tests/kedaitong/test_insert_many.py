"""`insert_many`: the subsidy commit's fast insert (COPY on PostgreSQL) stores exactly what an INSERT would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kedaitong.db import insert_many
from subsidy.models import RunState, SubsidyExclusion, SubsidyLine, SubsidyRun
from tests.factories import LoanFactory

pytestmark = pytest.mark.django_db


def run_of(program) -> SubsidyRun:  # type: ignore[no-untyped-def]
    return SubsidyRun.objects.create(
        program=program,
        year=2025,
        budget=Decimal("1000.00"),
        cutoff=dt.date(2026, 3, 31),
        computed_total=Decimal("0.30"),
        total=Decimal("0.30"),
    )


def test_rows_are_stored_to_the_fen_in_one_statement_whatever_their_number(cast):
    loans = LoanFactory.create_batch(3)
    run = run_of(loans[0].program_version.program)
    lines = [
        SubsidyLine(
            run=run,
            loan=loan,
            bank=loan.bank,
            bank_code=loan.bank.code,
            contract_no=loan.contract_no,
            enterprise_name="企业“甲”,\t含\\反斜杠\n与换行",  # COPY's own separators, escaped by the driver
            version_code="2023",
            disbursement_date=dt.date(2025, 1, 2),
            principal=Decimal("1000000.00"),
            annual_rate=Decimal("3.1000"),
            lpr=Decimal("3.4500"),
            settled_interest=Decimal("0.35"),
            overdue_interest=Decimal("0.00"),
            eligible_interest=Decimal("0.35"),
            share=Decimal("0.3000"),
            computed=Decimal("0.20"),
            amount=Decimal("0.10") + Decimal(n) / 100,
        )
        for n, loan in enumerate(loans)
    ]
    with CaptureQueriesContext(connection) as queries:
        assert insert_many(SubsidyLine, iter(lines)) == 3
    inserts = [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")
    ]
    # PostgreSQL: one COPY (not captured as an INSERT); elsewhere bulk_create's one batch.
    assert len(inserts) == (0 if connection.vendor == "postgresql" else 1)
    stored = list(
        run.lines.order_by("amount").values_list(
            "contract_no", "enterprise_name", "amount", "loan_id"
        )
    )
    assert stored == [
        (
            loan.contract_no,
            "企业“甲”,\t含\\反斜杠\n与换行",
            Decimal("0.10") + Decimal(n) / 100,
            loan.pk,
        )
        for n, loan in enumerate(loans)
    ]
    assert run.state == RunState.COMPUTED


def test_a_row_the_database_refuses_leaves_none_of_the_batch(cast):
    """The subsidy line's check (amount at most the computed figure) holds on the fast path too."""
    from django.db import IntegrityError, transaction

    loan, other = LoanFactory.create_batch(2)
    run = run_of(loan.program_version.program)

    def line(amount: str, loan=loan) -> SubsidyLine:  # type: ignore[no-untyped-def]
        return SubsidyLine(
            run=run,
            loan=loan,
            bank=loan.bank,
            bank_code=loan.bank.code,
            contract_no=loan.contract_no,
            enterprise_name="企业",
            version_code="2023",
            disbursement_date=dt.date(2025, 1, 2),
            principal=Decimal("1.00"),
            annual_rate=Decimal("3.1000"),
            lpr=Decimal("3.4500"),
            settled_interest=Decimal("1.00"),
            overdue_interest=Decimal("0.00"),
            eligible_interest=Decimal("1.00"),
            share=Decimal("0.3000"),
            computed=Decimal("0.30"),
            amount=Decimal(amount),
        )

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_many(SubsidyLine, [line("0.30"), line("0.31", other)])
    assert not SubsidyLine.objects.exists()
    insert_many(
        SubsidyExclusion,
        [
            SubsidyExclusion(
                run=run,
                loan=loan,
                bank_code=loan.bank.code,
                contract_no=loan.contract_no,
                enterprise_name="企业",
                reason="no_interest",
                detail="2026-03-31前没有已结算利息",
            )
        ],
    )
    assert list(run.exclusions.values_list("reason", "detail")) == [
        ("no_interest", "2026-03-31前没有已结算利息")
    ]


def test_rows_copied_in_keep_their_history_with_who_and_how(cast):
    """The money history (operations.history) names the actor for rows the COPY writes too, even when it is the
    transaction's first write (the context normally rides on each INSERT, which a COPY is not)."""
    from operations import history
    from operations.models import RecordChange

    loan = LoanFactory()
    run = run_of(loan.program_version.program)
    line = SubsidyLine(
        run=run,
        loan=loan,
        bank=loan.bank,
        bank_code=loan.bank.code,
        contract_no=loan.contract_no,
        enterprise_name="企业",
        version_code="2023",
        disbursement_date=dt.date(2025, 1, 2),
        principal=Decimal("1.00"),
        annual_rate=Decimal("3.1000"),
        lpr=Decimal("3.4500"),
        settled_interest=Decimal("1.00"),
        overdue_interest=Decimal("0.00"),
        eligible_interest=Decimal("1.00"),
        share=Decimal("0.3000"),
        computed=Decimal("0.30"),
        amount=Decimal("0.30"),
    )
    with history.acting(user=cast.bureau_staff, via="job:subsidy"):
        assert insert_many(SubsidyLine, [line]) == 1
    (change,) = RecordChange.objects.filter(model="subsidy.subsidyline")
    assert (change.operation, change.actor_id, change.via, change.parent_id) == (
        "insert",
        cast.bureau_staff.pk,
        "job:subsidy",
        str(run.pk),
    )
    assert Decimal(str(change.after["amount"])) == Decimal("0.30")


def _line_values(run: SubsidyRun, loan, amount: str) -> dict:  # type: ignore[no-untyped-def]
    return {
        "run_id": run.pk,
        "loan_id": loan.pk,
        "bank_id": loan.bank_id,
        "bank_code": loan.bank.code,
        "contract_no": loan.contract_no,
        "enterprise_name": "企业“甲”,\t含\\反斜杠\n与换行",
        "version_code": "2023",
        "disbursement_date": dt.date(2025, 1, 2),
        "principal": Decimal("1000000.00"),
        "annual_rate": Decimal("3.1000"),
        "lpr": Decimal("3.4500"),
        "settled_interest": Decimal("0.35"),
        "overdue_interest": Decimal("0.00"),
        "eligible_interest": Decimal("0.35"),
        "share": Decimal("0.3000"),
        "computed": Decimal("0.20"),
        "amount": Decimal(amount),
    }


def test_rows_from_tuples_store_what_instances_store_with_the_same_history(cast):
    """Issue 20: `insert_rows` (tuples, no instances) gives the same rows and history rows as `insert_many`."""
    from kedaitong.db import insert_rows
    from operations import history
    from operations.models import RecordChange
    from subsidy.services import LINE_COLUMNS

    loans = LoanFactory.create_batch(3)
    program = loans[0].program_version.program
    by_instances = run_of(program)
    by_tuples = SubsidyRun.objects.create(
        program=program,
        year=2024,
        budget=Decimal("1000.00"),
        cutoff=dt.date(2025, 3, 31),
        computed_total=Decimal("0.30"),
        total=Decimal("0.30"),
    )
    amounts = ["0.10", "0.11", "0.12"]
    with history.acting(user=cast.bureau_staff, via="job:subsidy"):
        insert_many(
            SubsidyLine,
            [
                SubsidyLine(**_line_values(by_instances, loan, a))
                for loan, a in zip(loans, amounts, strict=True)
            ],
        )
        assert (
            insert_rows(
                SubsidyLine,
                LINE_COLUMNS,
                (
                    tuple(_line_values(by_tuples, loan, a)[name] for name in LINE_COLUMNS)
                    for loan, a in zip(loans, amounts, strict=True)
                ),
            )
            == 3
        )
    fields = [name for name in LINE_COLUMNS if name != "run_id"]

    def stored(run: SubsidyRun) -> list[tuple]:
        return list(run.lines.order_by("id").values_list(*fields))

    assert stored(by_tuples) == stored(by_instances)
    assert len(stored(by_tuples)) == 3

    def changes(run: SubsidyRun) -> list[tuple]:
        rows = RecordChange.objects.filter(model="subsidy.subsidyline", parent_id=str(run.pk))
        out = []
        for change in rows.order_by("id"):
            after = {k: v for k, v in change.after.items() if k not in ("id", "run_id")}
            out.append((change.operation, change.actor_id, change.via, change.before, after))
        return out

    assert changes(by_tuples) == changes(by_instances)
    # One history row per line, in the order the lines were inserted (their ids' order).
    ids = list(
        RecordChange.objects.filter(model="subsidy.subsidyline", parent_id=str(by_tuples.pk))
        .order_by("id")
        .values_list("object_id", flat=True)
    )
    assert ids == [str(pk) for pk in by_tuples.lines.order_by("id").values_list("id", flat=True)]


def test_rows_from_tuples_must_name_every_column(cast):
    """A COPY would leave an omitted column to a database default Django never sets: refused before writing."""
    from kedaitong.db import insert_rows

    with pytest.raises(ValueError, match="amount"):
        insert_rows(SubsidyLine, ("run_id", "loan_id"), [])
    assert not SubsidyLine.objects.exists()
