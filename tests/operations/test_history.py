"""Money rows keep their history: every path (upload, admin, bulk, raw SQL) leaves who, when, before and after."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, models, transaction

from loans.models import InterestSettlement, Loan, RecordUpload
from operations import history
from operations.models import RecordChange
from tests.loans.test_pages import client_for, interest_file, upload

pytestmark = pytest.mark.django_db


def changes_of(obj: models.Model) -> list[RecordChange]:
    return list(
        RecordChange.objects.filter(model=obj._meta.label_lower, object_id=str(obj.pk)).order_by(
            "id"
        )
    )


def admin_change_data(settlement: InterestSettlement, **changes: object) -> dict[str, object]:
    data = {
        "loan": settlement.loan_id,
        "created_by": settlement.created_by_id or "",
        "upload": settlement.upload_id or "",
        "settled_on": settlement.settled_on.isoformat(),
        "period_start": settlement.period_start.isoformat(),
        "period_end": settlement.period_end.isoformat(),
        "amount": str(settlement.amount),
    }
    if settlement.is_overdue_interest:
        data["is_overdue_interest"] = "on"
    data.update(changes)
    return data


def test_a_settlement_changed_by_the_bank_upload_and_by_the_admin_shows_both_on_its_loan_page(cast):
    # 1. The bank uploads the interest file and confirms it: the settlement is created by the upload.
    bank = client_for(cast.bank_x_user)
    assert upload(bank, cast, interest_file(cast, bad=False)).status_code == 302
    record = RecordUpload.objects.get()
    assert bank.post(f"/loans/uploads/{record.public_id}/confirm/").status_code == 302
    settlement = InterestSettlement.objects.get(amount=Decimal("3450.00"))
    # 2. The administrator corrects its amount in the administration site.
    admin = client_for(cast.admin)
    url = f"/admin/loans/interestsettlement/{settlement.pk}/change/"
    response = admin.post(url, admin_change_data(settlement, amount="3540.00"))
    assert response.status_code == 302, response.content.decode()[:2000]
    settlement.refresh_from_db()
    assert settlement.amount == Decimal("3540.00")

    created, changed = changes_of(settlement)
    assert (created.operation, created.actor_id, created.actor_role) == (
        "insert",
        cast.bank_x_user.pk,
        "bank",
    )
    assert created.via == f"web:POST /loans/uploads/{record.public_id}/confirm/"
    assert created.before is None and Decimal(str(created.after["amount"])) == Decimal("3450.00")
    assert created.after["upload_id"] == record.pk and created.parent_id == str(cast.loan_a.pk)
    assert (changed.operation, changed.actor_id, changed.via) == (
        "update",
        cast.admin.pk,
        f"web:POST {url}",
    )
    assert Decimal(str(changed.before["amount"])) == Decimal("3450.00")
    assert Decimal(str(changed.after["amount"])) == Decimal("3540.00")

    # 3. The bureau sees both on the loan's page, with who, how and before → after.
    page = client_for(cast.bureau_staff).get(f"/loans/{cast.loan_a.public_id}/").content.decode()
    section = page[page.index('id="record-history"') :]
    assert "<del>3,450.00</del> → <ins>3,540.00</ins>" in section
    assert "管理站点" in section and str(cast.admin) in section
    assert str(cast.bank_x_user) in section and record.original_name in section
    assert section.index("3,540.00") < section.index(f"/loans/uploads/{record.public_id}/confirm/")


def test_the_history_is_shown_to_the_bureau_and_the_auditor_not_to_the_bank(cast):
    Loan.objects.filter(pk=cast.loan_a.pk).update(purpose="周转")
    url = f"/loans/{cast.loan_a.public_id}/"
    for user, shown in (
        (cast.bureau_staff, True),
        (cast.bureau_head, True),
        (cast.auditor, True),
        (cast.admin, True),
        (cast.bank_x_user, False),
    ):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert ('id="record-history"' in response.content.decode()) is shown, user.role


def test_bulk_paths_and_raw_sql_leave_history_rows_too(cast):
    with history.acting(user=cast.bank_x_user, via="job:test"):
        made = InterestSettlement.objects.bulk_create(
            [
                InterestSettlement(
                    loan=cast.loan_a,
                    settled_on=dt.date(2026, 3, 21),
                    period_start=dt.date(2026, 2, 21),
                    period_end=dt.date(2026, 3, 20),
                    amount=Decimal(amount),
                )
                for amount in ("10.01", "20.02")
            ]
        )
        assert InterestSettlement.objects.filter(loan=cast.loan_a).update(
            amount=Decimal("30.03")
        ) == len(made)
    # Outside the portal: the trigger still writes, with no actor.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Loan._meta.db_table} SET purpose = 'raw' WHERE id = %s", [cast.loan_a.pk]
        )
    rows = RecordChange.objects.filter(model="loans.interestsettlement").order_by("id")
    assert [r.operation for r in rows] == ["insert", "insert", "update", "update"]
    assert {r.actor_id for r in rows} == {cast.bank_x_user.pk} and {r.via for r in rows} == {
        "job:test"
    }
    assert sorted(Decimal(str(r.before["amount"])) for r in rows if r.operation == "update") == [
        Decimal("10.01"),
        Decimal("20.02"),
    ]
    raw = RecordChange.objects.filter(model="loans.loan", object_id=str(cast.loan_a.pk)).first()
    assert (raw.operation, raw.actor_id, raw.after["purpose"]) == ("update", None, "raw")
    page = client_for(cast.auditor).get(f"/loans/{cast.loan_a.public_id}/").content.decode()
    assert "直接在数据库中" in page  # shown as made outside the portal


def test_a_save_that_changes_nothing_leaves_no_row(cast):
    before = RecordChange.objects.count()
    loan = Loan.objects.get(pk=cast.loan_a.pk)
    loan.save()
    assert RecordChange.objects.count() == before


def test_the_times_are_the_portals_clock(cast):
    import time_machine

    with time_machine.travel(dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC), tick=False):
        Loan.objects.filter(pk=cast.loan_a.pk).update(purpose="五月")
    row = RecordChange.objects.filter(model="loans.loan").first()
    assert row.at == dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC)


# Models with yuan columns that are not ledgers of public money: applications and review records (their
# history is the audit trail of the review), the bureau's opinion on a claim (a signed proposal; the decision
# it leads to is tracked), a maturity reminder (a notice with the outstanding principal of its day), and a
# program version's limits (admin reference data); Changjiang's credit plan (planning figures whose every change
# is its own row, CreditPlanChange, with who and why), its quarter-end alerts and a recovery case's amounts at
# opening (snapshots of figures kept elsewhere).
NOT_LEDGERS = {
    "program_changjiang.creditplan",
    "program_changjiang.creditplanchange",
    "program_changjiang.creditplanalert",
    "program_changjiang.recoverycase",
    "compensation.claimopinion",
    "loans.maturityreminder",
    "subsidy.flagmismatch",  # a run's list of flag/record disagreements, rewritten with the run
    "applications.programversion",
    "applications.enterprise",
    "applications.application",
    "applications.annualfigure",
    "applications.quzhoudetails",
    "review.meetingdecision",
    "review.bankdecision",
    "review.publicityentry",
}


def test_every_model_with_yuan_columns_is_tracked_or_named_as_not_a_ledger():
    with_money = {
        m._meta.label_lower
        for m in apps.get_models()
        if any(
            isinstance(f, models.DecimalField) and f.decimal_places == 2
            for f in m._meta.concrete_fields
        )
    }
    assert with_money - NOT_LEDGERS == set(history.TRACKED)


def test_migrate_leaves_every_tracked_table_with_its_trigger():
    assert history.missing(connection) == []


def test_the_subsidy_runs_lines_created_at_commit_show_as_one_line_on_its_page(qz):
    from subsidy.services import run_commit

    for i in range(12):
        qz.interest(qz.loan(contract=f"QZ-H{i}"), "100.00")
    with history.acting(user=qz.staff, via="web:POST /subsidy/"):
        run = run_commit(
            actor=qz.staff,
            program=qz.program,
            year=2025,
            budget="1000",
            cutoff=dt.date(2026, 3, 15),
        )
    page = client_for(qz.auditor).get(f"/subsidy/runs/{run.pk}/").content.decode()
    section = page[page.index('id="record-history"') :]
    assert "12条贴息明细" in section  # the twelve lines as one entry
    assert (
        RecordChange.objects.filter(model="subsidy.subsidyline", parent_id=str(run.pk)).count()
        == 12
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL refuses the edit")
def test_postgresql_refuses_editing_or_deleting_a_history_row(cast):
    Loan.objects.filter(pk=cast.loan_a.pk).update(purpose="x")
    row = RecordChange.objects.first()
    for sql in (
        f"UPDATE operations_recordchange SET actor_name = 'someone' WHERE id = {row.pk}",
        f"DELETE FROM operations_recordchange WHERE id = {row.pk}",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert RecordChange.objects.get(pk=row.pk).actor_name == ""
