"""From "audited" on, the inputs of a run are frozen: the model, the admin and a recompute agree (issue 7 §5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import ProtectedError

from applications.models import ProgramVersion
from kedaitong.roles import Role
from loans.models import InterestSettlement, Loan, Repayment
from subsidy.guards import InputFrozen
from subsidy.models import LPRRate, SubsidyRun
from subsidy.services import run_audit, run_cancel, run_commit, run_recompute
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def figures(lines):
    return [
        (
            x.contract_no,
            x.lpr,
            x.settled_interest,
            x.overdue_interest,
            x.eligible_interest,
            x.computed,
            x.amount,
        )
        for x in lines
    ]


@pytest.fixture
def audited(qz):
    a1 = qz.loan(contract="A-1", lpr=None)  # priced by the LPR table
    settlement = qz.interest(a1, "1000.00")
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "3000.00")
    qz.interest(
        qz.loan(contract="A-2", rate="3.50"), "500.00"
    )  # above the LPR: listed, not subsidized
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")
    run = run_audit(actor=qz.auditor, run=run, opinion=SimpleUploadedFile("o.pdf", PDF))
    return run, a1, settlement


def test_an_audited_runs_settlement_cannot_be_changed_or_deleted(qz, audited):
    run, loan, settlement = audited
    settlement.amount = D("2000.00")
    with pytest.raises(
        InputFrozen, match="贷款合同A-1在2025-06-21结算的利息已进入2025年贴息批次.*请先撤销该批次"
    ):
        settlement.save()
    with pytest.raises(ProtectedError):  # a subsidized settlement is protected by its link already
        InterestSettlement.objects.get(pk=settlement.pk).delete()
    not_subsidized = InterestSettlement.objects.get(loan__contract_no="A-2")
    with (
        pytest.raises(InputFrozen, match="贷款合同A-2在2025-06-21结算的利息已进入2025年贴息批次"),
        transaction.atomic(),
    ):
        not_subsidized.delete()  # deletion runs in a transaction of its own; the refusal rolls it back
    with pytest.raises(InputFrozen, match="截止日前的利息结算"):
        qz.interest(loan, "10.00", settled=dt.date(2025, 12, 20))
    assert InterestSettlement.objects.get(pk=settlement.pk).amount == D("1000.00")
    # interest settled after the cutoff is ordinary business
    later = qz.interest(loan, "10.00", settled=dt.date(2026, 1, 20))
    later.amount = D("11.00")
    later.save()
    # repayments are not an input of the run
    Repayment.objects.create(loan=loan, repaid_on=dt.date(2026, 1, 2), principal=D("100.00"))


def test_an_audited_runs_loans_keep_the_figures_the_run_read(qz, audited):
    run, loan, _s = audited
    excluded = Loan.objects.get(contract_no="A-2")
    excluded.annual_rate = D("3.00")
    with pytest.raises(InputFrozen, match="贷款合同A-2已进入2025年贴息批次"):
        excluded.save()
    loan.principal = D("1.00")
    with pytest.raises(InputFrozen):
        loan.save()
    fresh = Loan.objects.get(pk=loan.pk)
    fresh.save()  # nothing the run reads changed
    fresh.purpose = "补充流动资金"
    fresh.save()
    # the LPR row in force at A-1's disbursement and the version's parameters are frozen too
    rate = LPRRate.objects.get(effective_date=dt.date(2025, 2, 20))
    rate.one_year = D("3.2")
    with pytest.raises(InputFrozen, match="2025-02-20的LPR报价"):
        rate.save()
    with pytest.raises(InputFrozen):
        with transaction.atomic():
            LPRRate.objects.get(
                effective_date=dt.date(2025, 3, 20)
            ).delete()  # the next one decides coverage
    with pytest.raises(InputFrozen):
        LPRRate.objects.create(
            effective_date=dt.date(2025, 2, 27), one_year=D("3"), five_year=D("3.5")
        )
    later = LPRRate.objects.get(effective_date=dt.date(2026, 11, 20))
    later.source = "核对"
    later.one_year = D("3.0")
    later.save()
    version = ProgramVersion.objects.get(pk=qz.v2023.pk)
    version.subsidy_share = D("0.5")
    with pytest.raises(InputFrozen, match="贴息参数"):
        version.save()
    assert figures(run_recompute(run).lines) == figures(run.lines.all())


def test_the_admin_shows_them_read_only_and_refuses_a_change(client, qz, audited):
    run, _loan, settlement = audited
    admin = UserFactory(username="qz_site_admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = f"/admin/loans/interestsettlement/{settlement.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "已进入2025年贴息批次" in text and 'name="_save"' not in text
    data = {
        "loan": settlement.loan_id,
        "settled_on": "2025-06-21",
        "period_start": "2025-03-23",
        "period_end": "2025-06-21",
        "amount": "2000.00",
    }
    assert client.post(url, data).status_code == 403
    assert (
        client.post(
            f"/admin/loans/interestsettlement/{settlement.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert InterestSettlement.objects.get(pk=settlement.pk).amount == D("1000.00")
    loan_page = client.get(f"/admin/loans/loan/{settlement.loan_id}/change/").content.decode()
    assert "已进入2025年贴息批次" in loan_page and 'name="_save"' not in loan_page
    # a record of no frozen run stays editable
    other = qz.loan(contract="Z-1", disbursed=dt.date(2026, 3, 2))
    other_page = client.get(f"/admin/loans/loan/{other.pk}/change/").content.decode()
    assert 'name="_save"' in other_page
    # recomputing the audited year gives the stored figures
    again = run_recompute(run)
    assert figures(again.lines) == figures(run.lines.all())
    assert again.total == run.total == D("1000.00")
    assert [(x.contract_no, x.reason) for x in again.exclusions] == [
        (x.contract_no, x.reason) for x in run.exclusions.all()
    ]


def test_before_the_audit_and_after_cancelling_the_inputs_can_be_corrected(qz):
    loan = qz.loan(contract="A-1")
    settlement = qz.interest(loan, "1000.00")
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")
    settlement.amount = D("900.00")
    settlement.save()  # computed, not yet audited: still being checked
    run = run_audit(actor=qz.auditor, run=run, opinion=SimpleUploadedFile("o.pdf", PDF))
    run_cancel(actor=qz.head, run=SubsidyRun.objects.get(pk=run.pk))
    settlement.amount = D("950.00")
    settlement.save()
    assert InterestSettlement.objects.get(pk=settlement.pk).amount == D("950.00")


def test_admin_forms_show_a_refused_change_as_an_error(client, qz, audited):
    run, loan, _s = audited
    admin_user = UserFactory(
        username="qz_site_admin2", role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    client.force_login(admin_user)
    response = client.post(
        "/admin/subsidy/lprrate/add/",
        {"effective_date": "2025-02-27", "one_year": "3.0", "five_year": "3.5", "source": "补录"},
    )
    assert response.status_code == 200
    assert (
        "2025-02-27的LPR报价" in response.content.decode()
        and "已进入2025年贴息批次" in response.content.decode()
    )
    assert not LPRRate.objects.filter(effective_date=dt.date(2025, 2, 27)).exists()
    response = client.post(
        "/admin/loans/interestsettlement/add/",
        {
            "loan": loan.pk,
            "settled_on": "2025-09-21",
            "period_start": "2025-06-22",
            "period_end": "2025-09-21",
            "amount": "50.00",
        },
    )
    assert response.status_code == 200 and "截止日前的利息结算" in response.content.decode()
    assert not InterestSettlement.objects.filter(
        loan=loan, settled_on=dt.date(2025, 9, 21)
    ).exists()
    # the version's page: the share cannot be changed, the form says why
    from django.contrib import admin
    from django.forms.models import model_to_dict
    from django.test import RequestFactory

    version = ProgramVersion.objects.get(pk=qz.v2023.pk)
    request = RequestFactory().post("/")
    request.user = admin_user
    form_class = admin.site._registry[ProgramVersion].get_form(request, version)
    data = {k: v for k, v in model_to_dict(version).items() if v is not None} | {
        "subsidy_share": "0.5"
    }
    form = form_class(data, instance=version)
    assert not form.is_valid()
    assert "贴息参数已进入2025年贴息批次" in " ".join(form.non_field_errors())
    assert ProgramVersion.objects.get(pk=version.pk).subsidy_share == D("0.3000")


def test_the_lpr_import_refuses_a_publication_an_audited_run_may_have_read(qz):
    import io

    from subsidy.lpr_import import LPRImportError, import_lpr

    LPRRate.objects.filter(
        effective_date=dt.date(2024, 6, 20)
    ).delete()  # a month missing, long before the loans
    qz.interest(qz.loan(contract="A-1", lpr=None), "1000.00")
    run = run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")
    run_audit(actor=qz.auditor, run=run, opinion=SimpleUploadedFile("o.pdf", PDF))
    backfill = "生效日期,1年期,5年期\n2024-06-20,3.45,3.95\n".encode()
    with pytest.raises(LPRImportError, match="2024-06-20的LPR报价.*已进入2025年贴息批次"):
        import_lpr(actor=qz.staff, upload=io.BytesIO(backfill), filename="lpr.csv")
    assert not LPRRate.objects.filter(effective_date=dt.date(2024, 6, 20)).exists()
    later = "生效日期,1年期,5年期\n2026-12-21,2.90,3.40\n".encode()
    assert len(import_lpr(actor=qz.staff, upload=io.BytesIO(later), filename="lpr.csv")) == 1


# --- issue 16 item 4: every write path, the bank's upload first --------------------------------------


def _upload(client, qz, kind, header, rows):  # type: ignore[no-untyped-def]
    from tests.loans.sheets import xlsx

    client.force_login(qz.bank_user)
    return client.post(
        "/loans/uploads/new/",
        {
            "kind": kind,
            "program": qz.program.pk,
            "file": SimpleUploadedFile(f"{kind}.xlsx", xlsx(header, rows)),
        },
    )


def test_after_the_audit_the_banks_upload_cannot_add_a_settlement_before_the_cutoff(
    client, qz, audited
):
    """The freeze was a pre_save signal and the upload saves with bulk_create: a settlement dated
    2025-11-20, before the audited 2025 run's cutoff (2025-12-31), was accepted. Now it is a row
    error naming the run, and nothing is saved; one dated after the cutoff goes through."""
    from loans.models import RecordUpload
    from tests.loans.sheets import INTEREST

    run, loan, _settlement = audited
    before = InterestSettlement.objects.count()
    response = _upload(
        client,
        qz,
        "interest",
        INTEREST,
        [["A-1", "qz-a", "2025-11-20", "2025-09-22", "2025-11-20", "1,000.00", "否"]],
    )
    upload = RecordUpload.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert upload.state == RecordUpload.State.REFUSED
    assert upload.errors[0]["column"] == "结息日期"
    assert (
        "2025-12-31截止日前的利息结算已进入2025年贴息批次（已审核）" in upload.errors[0]["message"]
    )
    assert "已进入2025年贴息批次" in page
    assert InterestSettlement.objects.count() == before
    # 2026 interest of the same loan is ordinary business
    _upload(
        client,
        qz,
        "interest",
        INTEREST,
        [["A-1", "qz-a", "2026-01-20", "2025-12-22", "2026-01-20", "2,000.00", "否"]],
    )
    later = RecordUpload.objects.order_by("-pk").first()
    assert later.state == RecordUpload.State.CHECKED, later.errors
    client.post(f"/loans/uploads/{later.public_id}/confirm/")
    assert InterestSettlement.objects.count() == before + 1


def test_bulk_writes_that_bypass_save_are_refused_too(qz, audited):
    """The backstop under every path: bulk_create, update() and queryset delete() of frozen inputs."""
    from loans.models import OverdueEvent

    run, loan, settlement = audited
    with (
        pytest.raises(InputFrozen, match="截止日前的利息结算已进入2025年贴息批次"),
        transaction.atomic(),
    ):
        InterestSettlement.objects.bulk_create(
            [
                InterestSettlement(
                    loan=loan,
                    settled_on=dt.date(2025, 11, 20),
                    period_start=dt.date(2025, 9, 22),
                    period_end=dt.date(2025, 11, 20),
                    amount=D("1000.00"),
                )
            ]
        )
    with pytest.raises(InputFrozen), transaction.atomic():
        InterestSettlement.objects.filter(pk=settlement.pk).update(amount=D("9.99"))
    with pytest.raises(InputFrozen, match="逾期记录"), transaction.atomic():
        OverdueEvent.objects.bulk_create(
            [OverdueEvent(loan=loan, started_on=dt.date(2025, 7, 1), overdue_principal=D("1"))]
        )
    with pytest.raises(InputFrozen, match="贷款合同A-1"), transaction.atomic():
        Loan.objects.filter(pk=loan.pk).update(principal=D("1.00"))
    assert InterestSettlement.objects.get(pk=settlement.pk).amount == D("1000.00")
    assert not OverdueEvent.objects.exists()
    # what the run does not read stays writable in bulk
    Loan.objects.filter(pk=loan.pk).update(days_past_due=3)
    InterestSettlement.objects.bulk_create(
        [
            InterestSettlement(
                loan=loan,
                settled_on=dt.date(2026, 1, 20),
                period_start=dt.date(2025, 12, 22),
                period_end=dt.date(2026, 1, 20),
                amount=D("10.00"),
            )
        ]
    )
    assert figures(run_recompute(run).lines) == figures(run.lines.all())


def test_an_overdue_event_or_a_repayment_the_run_depends_on_is_frozen_in_the_upload(
    client, qz, audited
):
    """Overdue periods exclude interest (四(一)), so the bank's overdue events before the cutoff, and the
    repayments of a loan that matured before it, are inputs of the run as well."""
    from loans.models import OverdueEvent, RecordUpload
    from tests.loans.sheets import OVERDUE, REPAYMENTS

    _upload(
        client,
        qz,
        "overdue",
        OVERDUE,
        [["A-1", "qz-a", "2025-07-01", "100,000.00", "0", None]],
    )
    upload = RecordUpload.objects.order_by("-pk").first()
    assert upload.state == RecordUpload.State.REFUSED
    assert (
        upload.errors[0]["column"] == "逾期起始日"
        and "已进入2025年贴息批次" in upload.errors[0]["message"]
    )
    _upload(
        client, qz, "overdue", OVERDUE, [["A-1", "qz-a", "2026-04-01", "100,000.00", "0", None]]
    )
    assert RecordUpload.objects.order_by("-pk").first().state == RecordUpload.State.CHECKED
    # A-1 matures 2026-03-01, after the cutoff: its 2025 repayments change nothing the run read
    _upload(client, qz, "repayments", REPAYMENTS, [["A-1", "qz-a", "2025-10-08", "100,000.00"]])
    assert RecordUpload.objects.order_by("-pk").first().state == RecordUpload.State.CHECKED
    assert not OverdueEvent.objects.exists()
