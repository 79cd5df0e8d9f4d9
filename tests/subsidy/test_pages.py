"""Run pages: preview and commit, each stage by its role, read-only 403, outsider 404, GET confirmation, public notice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from subsidy.models import BankPayment, RunState, SubsidyRun
from subsidy.services import run_commit

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def run(qz):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    qz.interest(qz.loan(contract="B-1", bank=qz.bank_b), "200.00")
    return run_commit(actor=qz.staff, program=qz.program, year=2025, budget="1000")


def test_preview_saves_nothing_and_commit_saves(client, qz, django_capture_on_commit_callbacks):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    client.force_login(qz.staff)
    page = client.get(reverse("subsidy:run-list"), {"year": "2025", "budget": "1000"})
    assert page.status_code == 200 and "30.00" in page.content.decode()
    assert not SubsidyRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the commit runs as a background job
        response = client.post(
            reverse("subsidy:run-create"), {"year": "2025", "budget": "1000", "cutoff": ""}
        )
    run = SubsidyRun.objects.get()
    job_page = client.get(response.url)
    assert response.status_code == 302 and job_page.context["job"].link == reverse(
        "subsidy:run-detail", args=[run.pk]
    )


def test_bad_budget_is_shown_and_kept(client, qz):
    qz.interest(qz.loan(contract="A-1"), "100.00")
    client.force_login(qz.staff)
    page = client.get(reverse("subsidy:run-list"), {"year": "2025", "budget": "0"})
    assert "必须大于零" in page.content.decode()
    response = client.post(reverse("subsidy:run-create"), {"year": "2025", "budget": "-3"})
    assert response.status_code == 400 and not SubsidyRun.objects.exists()


def test_create_roles(client, qz):
    client.force_login(qz.auditor)
    assert (
        client.post(reverse("subsidy:run-create"), {"year": "2025", "budget": "1"}).status_code
        == 403
    )
    client.force_login(qz.other_staff)
    assert (
        client.post(reverse("subsidy:run-create"), {"year": "2025", "budget": "1"}).status_code
        == 404
    )
    client.force_login(qz.bank_user)
    assert client.get(reverse("subsidy:run-list")).status_code == 404
    client.force_login(qz.staff)
    assert client.get(reverse("subsidy:run-create")).status_code == 405


def test_the_stages_through_the_pages(client, qz, run):
    detail = reverse("subsidy:run-detail", args=[run.pk])
    client.force_login(qz.auditor)
    assert client.get(detail).status_code == 200
    opinion = SimpleUploadedFile("审计意见.pdf", PDF, content_type="application/pdf")
    assert (
        client.post(reverse("subsidy:run-audit", args=[run.pk]), {"opinion": opinion}).status_code
        == 302
    )
    run = SubsidyRun.objects.get(pk=run.pk)
    assert run.state == RunState.AUDITED and run.audit_opinion_name == "审计意见.pdf"
    assert client.get(reverse("subsidy:run-opinion", args=[run.pk])).status_code == 200
    public = reverse("subsidy:public-notice", args=["quzhou", 2025])
    assert client.get(public).status_code == 404  # not yet publicized
    client.force_login(qz.staff)
    client.post(reverse("subsidy:run-publicize", args=[run.pk]))
    client.logout()
    page = client.get(public)
    assert page.status_code == 200 and "A-1" in page.content.decode()
    client.force_login(qz.head)
    client.post(reverse("subsidy:run-approve", args=[run.pk]))
    client.force_login(qz.staff)
    for bank, voucher in ((qz.bank_a, "PZ-1"), (qz.bank_b, "PZ-2")):
        client.post(
            reverse("subsidy:run-pay", args=[run.pk]),
            {"bank": bank.code, "paid_on": "2026-04-10", "voucher_no": voucher},
        )
    run = SubsidyRun.objects.get(pk=run.pk)
    assert run.state == RunState.PAID
    assert {p.bank.code: p.amount for p in BankPayment.objects.all()} == {
        "qz-a": Decimal("30.00"),
        "qz-b": Decimal("60.00"),
    }
    assert run.payments.get(bank=qz.bank_a).paid_on == dt.date(2026, 4, 10)


def test_stage_actions_check_roles_and_get_confirms(client, qz, run):
    publicize = reverse("subsidy:run-publicize", args=[run.pk])
    client.force_login(qz.auditor)
    assert client.post(publicize).status_code == 403
    assert client.post(reverse("subsidy:run-approve", args=[run.pk])).status_code == 403
    client.force_login(qz.other_staff)
    assert client.post(publicize).status_code == 404
    assert client.get(reverse("subsidy:run-detail", args=[run.pk])).status_code == 404
    client.force_login(qz.staff)
    assert client.get(publicize).status_code == 200  # a confirmation page
    assert client.post(reverse("subsidy:run-audit", args=[run.pk])).status_code == 403
    response = client.post(publicize, follow=True)  # not audited yet
    assert "不能公示" in response.content.decode()
    run = SubsidyRun.objects.get(pk=run.pk)
    assert run.state == RunState.COMPUTED


def test_payment_before_approval_is_refused(client, qz, run):
    client.force_login(qz.staff)
    response = client.post(
        reverse("subsidy:run-pay", args=[run.pk]),
        {"bank": "qz-a", "paid_on": "2026-04-10", "voucher_no": "X"},
        follow=True,
    )
    assert "审定后" in response.content.decode() and not BankPayment.objects.exists()


def test_export_of_a_stored_run(client, qz, run):
    client.force_login(qz.head)
    response = client.get(reverse("subsidy:run-export", args=[run.pk]))
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_figures_are_frozen_after_commit(qz, run):
    from subsidy.models import SubsidyLine

    qz.interest(qz.bank_a.loans.get(contract_no="A-1"), "900.00", settled=dt.date(2025, 11, 21))
    assert SubsidyLine.objects.get(run=run, contract_no="A-1").amount == Decimal("30.00")


@pytest.mark.parametrize(
    ("name", "allowed", "data"),
    [
        ("subsidy:run-pay", "staff", {"bank": "qz-a", "paid_on": "2026-04-10", "voucher_no": "X"}),
        ("subsidy:run-cancel", "head", {}),
        ("subsidy:run-approve", "head", {}),
        ("subsidy:run-publicize", "staff", {}),
        ("subsidy:run-audit", "auditor", {}),
    ],
)
def test_every_run_action_for_read_only_and_outsider(client, qz, run, name, allowed, data):
    url = reverse(name, args=[run.pk])
    readers = {"staff": qz.auditor, "head": qz.staff, "auditor": qz.head}
    client.force_login(readers[allowed])
    assert client.post(url, data).status_code == 403
    client.force_login(qz.other_staff)
    assert client.post(url, data).status_code == 404
    client.force_login(qz.bank_user)
    assert client.post(url, data).status_code == 404
    client.force_login(getattr(qz, allowed))
    assert client.get(url).status_code in (200, 405)  # a confirmation page or not allowed
    assert SubsidyRun.objects.get(pk=run.pk).state == RunState.COMPUTED


def test_a_run_with_a_payment_cannot_be_cancelled(qz, run):
    from subsidy.services import StageRefused, run_approve, run_cancel, run_record_payment

    SubsidyRun.objects.filter(pk=run.pk).update(
        state=RunState.PUBLICIZED
    )  # the earlier stages are tested above
    run_approve(actor=qz.head, run=run)
    run_record_payment(
        actor=qz.staff, run=run, bank=qz.bank_a, paid_on=dt.date(2026, 4, 10), voucher_no="PZ-1"
    )
    with pytest.raises(StageRefused, match="不能撤销"):
        run_cancel(actor=qz.head, run=run)
