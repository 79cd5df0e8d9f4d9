"""四(一) 已贴息不再贴息: the run's settlement links, written by one INSERT … SELECT without database
foreign-key checks (issue 20), still name only the run's own lines and their loans' settlements, and
Django's on_delete keeps them whole: a subsidized settlement cannot be deleted, a deleted run takes its
links along."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, ProtectedError

from subsidy.models import SubsidizedSettlement, SubsidyLine, SubsidyRun
from subsidy.services import run_commit
from tests.subsidy.conftest import shanghai


def test_links_name_the_runs_own_lines_and_their_loans_settlements_once(qz, clock):
    a = qz.loan(contract="A-1")
    b = qz.loan(contract="B-1", bank=qz.bank_b)
    settled = [
        qz.interest(a, "100.00"),
        qz.interest(a, "50.00", settled=dt.date(2025, 9, 21)),
        qz.interest(b, "70.00"),
    ]
    qz.interest(a, "30.00", overdue=True)  # 四(一): overdue interest is not subsidized, nor linked
    qz.interest(b, "40.00", settled=dt.date(2026, 4, 1))  # after the cutoff
    # The cutoff may not be later than today (only settled interest is subsidized, 四(一)).
    clock.move_to(shanghai(dt.date(2026, 4, 2)), tick=False)
    run = run_commit(
        actor=qz.staff, program=qz.program, year=2025, budget="1000000", cutoff="2026-03-31"
    )
    links = SubsidizedSettlement.objects.filter(run=run)
    assert sorted(links.values_list("settlement_id", flat=True)) == sorted(s.pk for s in settled)
    # Every link's line is this run's, and its settlement is of that line's loan.
    assert links.filter(line__run=run, settlement__loan=F("line__loan")).count() == 3
    assert not SubsidizedSettlement.objects.exclude(run=run).exists()


def test_a_subsidized_settlement_is_protected_and_a_deleted_run_takes_its_links(qz):
    loan = qz.loan(contract="A-1")
    settlement = qz.interest(loan, "100.00")
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000000")
    with pytest.raises(ProtectedError):
        settlement.delete()
    assert SubsidizedSettlement.objects.filter(settlement=settlement).count() == 1
    SubsidyRun.objects.filter(pk=run.pk).delete()
    assert not SubsidyLine.objects.exists()
    assert not SubsidizedSettlement.objects.exists()
    settlement.delete()  # nothing links it any more
    assert not type(settlement).objects.filter(pk=settlement.pk).exists()


@pytest.mark.django_db
def test_computing_tests_settlements_against_the_links_in_memory_on_postgresql():
    """Issue 20: past `work_mem`, PostgreSQL walked every live link for each settlement (a year computed
    beside a live run of 667,092 links did not end in 9 minutes; 16 s with the setting raised)."""
    from django.db import connection, transaction

    from subsidy.services import _links_in_memory

    if connection.vendor != "postgresql":
        with _links_in_memory():  # nothing to set elsewhere
            return

    def work_mem() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW work_mem")
            return cursor.fetchone()[0]

    with transaction.atomic():
        before = work_mem()
        with _links_in_memory():
            assert work_mem() == "256MB"
        assert work_mem() == before


def test_a_lines_loan_is_checked_by_the_database_and_its_run_and_bank_by_construction(qz):
    """Issue 20 item 3: a line's run and bank carry no database check (0.9 s of a 100,000-loan commit). run_commit
    writes each line in its run's own transaction with the bank of the loan it read; the loan, which another
    transaction could delete meanwhile, is still checked by the database."""
    from django.db import IntegrityError, connection, transaction

    loan = qz.loan(contract="A-1", bank=qz.bank_b)
    qz.interest(loan, "100.00")
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000000")
    line = run.lines.get()
    assert (line.run_id, line.bank_id, line.loan_id) == (run.pk, loan.bank_id, loan.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyLine.objects.filter(pk=line.pk).update(loan_id=loan.pk + 100_000)
        connection.check_constraints()
