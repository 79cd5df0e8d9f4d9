"""Application references people can read out (issue 18, item 2): CJ-2026-0007, QZ-2026-0012.

Per program and year, gap-free, given at the first submission; a draft has none; a resubmission keeps its
number; a refused submission gives none away; a second district of a kind numbers apart (its own prefix).
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from applications import services
from applications.models import Application, Program, ReferenceCounter
from kedaitong.models import AuditEntry
from tests.applications.test_submit import changjiang_draft, quzhou_draft
from tests.clock import bureau
from tests.conftest import add_second_districts
from tests.factories import ApplicationFactory, version

pytestmark = pytest.mark.django_db


def next_reference(program: Program, day: dt.date) -> str:
    with transaction.atomic():
        return services.reference_next(program=program, day=day)


def test_the_first_districts_have_their_kinds_letters_and_the_second_their_own():
    assert Program.objects.get(code="changjiang").reference_prefix == "CJ"
    assert Program.objects.get(code="quzhou").reference_prefix == "QZ"
    fuliang, lishui = add_second_districts()
    assert (fuliang.reference_prefix, lishui.reference_prefix) == ("FL", "LS")


def test_a_draft_has_no_reference_and_its_page_says_it_is_numbered_at_submission(cast, client):
    cast.application_a.delete()
    application = services.application_create(
        actor=cast.applicant,
        version=version("changjiang"),
        enterprise=cast.enterprise_a,
        amount=Decimal("800000.00"),
    )
    assert Application.objects.get(pk=application.pk).reference is None
    client.force_login(cast.applicant)
    page = client.get(f"/applications/{application.public_id}/edit/")
    assert page.status_code == 200
    assert "提交时编号" in page.content.decode()


@pytest.mark.time_machine(bureau(2026, 3, 2))
def test_submission_numbers_the_application_and_a_resubmission_keeps_its_number(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast)
    assert application.reference is None
    submitted = services.application_submit(actor=cast.applicant, application=application)
    assert submitted.reference == "CJ-2026-0001"
    assert Application.objects.get(pk=application.pk).reference == "CJ-2026-0001"
    assert ReferenceCounter.objects.get(program=cast.changjiang, year=2026).last == 1
    # Returned and submitted again: the same number, none used up.
    Application.objects.filter(pk=application.pk).update(state=Application.State.RETURNED)
    again = services.application_submit(
        actor=cast.applicant, application=Application.objects.get(pk=application.pk)
    )
    assert again.reference == "CJ-2026-0001"
    assert ReferenceCounter.objects.get(program=cast.changjiang, year=2026).last == 1
    # The audit row names it by its number.
    assert AuditEntry.objects.filter(action="applications.application.submitted").count() == 2


def test_a_refused_submission_gives_no_number_away(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast, purpose="")
    with pytest.raises(services.DomainError):
        services.application_submit(actor=cast.applicant, application=application)
    assert Application.objects.get(pk=application.pk).reference is None
    assert next_reference(cast.changjiang, dt.date(2026, 12, 4)) == "CJ-2026-0001"


@pytest.mark.time_machine(bureau(2026, 12, 31, 23, 30))
def test_a_quzhou_submission_is_numbered_in_the_bureaus_year(cast):
    """23:30 on 31 December in Shanghai is still 2026 there (15:30 UTC), and QZ counts apart from CJ."""
    next_reference(cast.changjiang, dt.date(2026, 5, 1))
    submitted = services.application_submit(actor=cast.applicant, application=quzhou_draft(cast))
    assert submitted.reference == "QZ-2026-0001"


def test_numbers_are_per_program_and_year_and_pass_over_ones_already_taken(cast):
    fuliang, _lishui = add_second_districts()
    # A reference of this year already used (the demo's, an import's): the counter starts after it,
    # and a number found taken is passed over, never repeated.
    ApplicationFactory(reference="CJ-2026-0003")
    ApplicationFactory(reference="CJ-2026-0005")
    day = dt.date(2026, 6, 1)
    assert next_reference(cast.changjiang, day) == "CJ-2026-0006"
    ApplicationFactory(reference="CJ-2026-0007")
    assert next_reference(cast.changjiang, day) == "CJ-2026-0008"
    assert next_reference(fuliang, day) == "FL-2026-0001"
    assert next_reference(cast.quzhou, day) == "QZ-2026-0001"
    assert next_reference(cast.changjiang, dt.date(2027, 1, 1)) == "CJ-2027-0001"
    assert list(
        ReferenceCounter.objects.order_by("program__code", "year").values_list(
            "program__reference_prefix", "year", "last"
        )
    ) == [("CJ", 2026, 8), ("CJ", 2027, 1), ("FL", 2026, 1), ("QZ", 2026, 1)]


def test_the_application_list_and_queue_show_the_reference(cast, client):
    cast.application_a.reference = "CJ-2026-0042"
    cast.application_a.save(update_fields=["reference"])
    client.force_login(cast.bureau_staff)
    assert "CJ-2026-0042" in client.get("/review/queue/").content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_submissions_at_once_get_consecutive_numbers(cast):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    program = cast.changjiang
    barrier = threading.Barrier(4)
    given: list[str] = []

    def submission() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                given.append(services.reference_next(program=program, day=dt.date(2026, 8, 8)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submission) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(given) == [f"CJ-2026-000{n}" for n in range(1, 5)]
    assert ReferenceCounter.objects.get(program=program, year=2026).last == 4
