"""The dashboards' tallies (reports/tallies.py) equal a recount of the records after every change that moves a figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from applications import services as app_services
from applications.models import Application, Enterprise, TechField
from loans.models import Loan
from reports import tallies
from reports.models import ApplicationTally, LoanTally
from tests.factories import ApplicationFactory, LoanFactory, version
from tests.loans.test_import import world  # noqa: F401 (the importer's fixture)
from tests.review import helpers

pytestmark = pytest.mark.django_db


def same() -> None:
    counted, kept = tallies.counted(), tallies.kept()
    assert kept[0] == counted[0], "application tallies differ from a recount"
    assert kept[1] == counted[1], "loan tallies differ from a recount"


def test_every_change_keeps_the_tallies_equal_to_a_recount(cast):
    same()  # the cast, made by saves
    assert ApplicationTally.objects.exists() and LoanTally.objects.exists()
    # The review path, through the services: submission date set, accepted, opinions, meeting, bank.
    application = helpers.to_publicity(cast)
    same()
    # A draft made and deleted by the enterprise.
    draft = app_services.application_create(
        actor=cast.applicant,
        enterprise=cast.enterprise_a,
        version=version("changjiang"),
        amount=Decimal("300000.00"),
    )
    same()
    app_services.application_delete(actor=cast.applicant, application=draft)
    same()
    # Amount, state and dates changed by a save and by a queryset update().
    application.amount = Decimal("1234567.89")
    application.save()
    same()
    Application.objects.filter(pk=cast.application_b.pk).update(
        state=Application.State.REJECTED,
        submitted_at=dt.datetime(2025, 12, 31, 17, tzinfo=dt.UTC),  # 2026-01-01 in Shanghai
    )
    same()
    Application.objects.filter(pk=cast.application_b.pk).update(purpose="只改用途")  # no key
    same()
    ApplicationFactory(enterprise=cast.enterprise_b, bank=cast.bank_y, state="draft")
    same()
    # Loans: made, changed, moved to another bank and program, deleted.
    loan = LoanFactory(enterprise=cast.enterprise_a, bank=cast.bank_x, principal=Decimal("0.01"))
    same()
    loan.principal = Decimal("250000.50")
    loan.disbursement_date = dt.date(2026, 3, 1)
    loan.save()
    same()
    Loan.objects.filter(pk=loan.pk).update(bank=cast.bank_y, program_version=version("quzhou"))
    same()
    Loan.objects.filter(pk=loan.pk).update(purpose="周转")  # no key
    same()
    loan.refresh_from_db()
    loan.delete()
    same()
    # The enterprise's technology field moves its loans, by a save and by a queryset update().
    first, second = TechField.objects.order_by("pk")[:2]
    enterprise = Enterprise.objects.get(pk=cast.enterprise_a.pk)
    enterprise.tech_field = first
    enterprise.save()
    same()
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(tech_field=second)
    same()
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(tech_field=None)
    same()
    # Bulk writes of loans announce themselves (loans.models.bulk_write / bulk_written).
    made = Loan.objects.bulk_create(
        [
            LoanFactory.build(
                enterprise=cast.enterprise_b, bank=cast.bank_y, contract_no=f"BULK-{i}"
            )
            for i in range(3)
        ]
    )
    same()
    for one in made:
        one.principal = Decimal("42.00")
    Loan.objects.bulk_update(made, ["principal"])
    same()
    Loan.objects.filter(pk__in=[m.pk for m in made]).delete()
    same()


def test_an_imported_disbursement_is_counted(world):  # noqa: F811
    """The bank importer saves loans by bulk_create."""
    from tests.loans.sheets import DISBURSEMENTS, xlsx
    from tests.loans.test_import import disbursement, run

    same()
    result = run(world, "disbursements", xlsx(DISBURSEMENTS, [disbursement(world)]))
    assert result.saved, result.errors
    assert Loan.objects.filter(contract_no="QZ-NEW").exists()
    same()


def test_rebuild_tallies_recounts_and_check_finds_a_difference(cast, capsys):
    ApplicationTally.objects.all().delete()
    LoanTally.objects.filter(program=cast.changjiang.pk).update(count=99)
    with pytest.raises(CommandError):
        call_command("rebuild_tallies", "--check")
    call_command("rebuild_tallies")
    same()
    call_command("rebuild_tallies", "--check")
    assert "match" in capsys.readouterr().out


def test_the_home_page_says_how_fresh_its_figures_are(client, cast):
    client.force_login(cast.bureau_staff)
    body = client.get("/").content.decode()
    assert "每项变动保存时即已计入" in body
