"""Reads write nothing (issue 17, 7): page views and invalid forms leave no row; exports leave one audit row.

The access matrix (tests/test_access_matrix.py) checks every GET of every role
for written rows; these are the cases the issue names, and the exports.
"""

from __future__ import annotations

import pytest
from django.test import Client

from applications.models import Application, QuzhouDetails
from kedaitong.models import AuditEntry, IssuedDocument
from tests.factories import ApplicationFactory, version

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.slow
def test_a_scan_of_the_reconciliation_pdf_writes_no_audit_row(cast):
    client = client_for(cast.bureau_staff)
    url = f"/compensation/reconciliation/{cast.bank_x.code}/reconciliation.pdf"
    responses = [client.get(url) for _ in range(21)]
    assert {r.status_code for r in responses} == {200}
    assert responses[0]["Content-Type"] == "application/pdf"
    assert AuditEntry.objects.count() == 0
    # Issued once (issue 21): the same statement keeps its number and QR code however often it is printed.
    issued = IssuedDocument.objects.get()
    assert (issued.kind, issued.is_current) == ("compensation.reconciliation", True)


def test_an_invalid_team_row_on_a_changjiang_application_saves_nothing(cast):
    draft = ApplicationFactory(enterprise=cast.enterprise_a, state=Application.State.DRAFT)
    response = client_for(cast.applicant).post(
        f"/applications/{draft.public_id}/team/", {"name": "", "id_number": "nonsense"}
    )
    assert response.status_code == 400  # the edit page again, the row refused
    assert not QuzhouDetails.objects.exists()
    assert not draft.team.exists()
    assert AuditEntry.objects.count() == 0


def test_the_quzhou_edit_and_submit_pages_create_no_details_until_a_valid_save(cast):
    draft = ApplicationFactory(
        enterprise=cast.enterprise_a,
        state=Application.State.DRAFT,
        program_version=version("quzhou"),
    )
    client = client_for(cast.applicant)
    assert client.get(f"/applications/{draft.public_id}/edit/").status_code == 200
    assert client.get(f"/applications/{draft.public_id}/submit/").status_code == 200
    invalid = client.post(f"/applications/{draft.public_id}/team/", {"name": ""})
    assert invalid.status_code == 400
    assert not QuzhouDetails.objects.exists() and AuditEntry.objects.count() == 0
    saved = client.post(
        f"/applications/{draft.public_id}/edit/",
        {
            "amount_wan": "100",
            "term_months": "12",
            "qz-project_name": "新材料研发",
        },
    )
    assert saved.status_code == 302
    assert QuzhouDetails.objects.get(application=draft).project_name == "新材料研发"


def test_a_ledger_export_is_audited_once_with_its_size(cast):
    client = client_for(cast.bureau_staff)
    response = client.post("/reports/ledgers/loans/export/", {})
    assert response.status_code == 200
    row = AuditEntry.objects.get()
    assert (row.action, row.actor, row.data["ledger"], row.data["rows"]) == (
        "reports.ledger.exported",
        cast.bureau_staff,
        "loans",
        2,
    )


def test_a_compensation_ledger_export_is_audited_but_its_page_is_not(cast):
    client = client_for(cast.bureau_staff)
    assert client.get("/compensation/ledger/?bank=bank-x").status_code == 200
    assert AuditEntry.objects.count() == 0
    assert client.get("/compensation/ledger/export.xlsx?bank=bank-x").status_code == 200
    row = AuditEntry.objects.get()
    assert row.action == "compensation.ledger.exported"
    assert row.data == {"filters": {"bank": "bank-x"}, "rows": 0}
