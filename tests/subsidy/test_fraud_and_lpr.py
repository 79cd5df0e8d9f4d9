"""Quzhou 六 fraud records (excluded from runs; `fraud_bar` for registrations) and the LPR import (一(六))."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from kedaitong.roles import Role
from subsidy.lpr_import import LPRImportError, import_lpr
from subsidy.models import FraudRecord, LPRRate, lpr_on
from subsidy.selectors import fraud_bar
from subsidy.services import Reason, compute_run
from tests.factories import UserFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_fraud_record_page_bars_the_bank(client, qz, enterprise):
    url = reverse("subsidy:fraud-list")
    data = {"kind": "bank", "code": "qz-a", "found_on": "2025-05-01", "description": "虚构利息结算"}
    client.force_login(qz.auditor)
    assert client.get(url).status_code == 200
    assert (
        client.post(url, {**data, "evidence": SimpleUploadedFile("e.pdf", PDF)}).status_code == 403
    )
    client.force_login(qz.other_staff)
    assert client.get(url).status_code == 404
    client.force_login(qz.staff)
    assert (
        client.post(
            url, {**data, "code": "nope", "evidence": SimpleUploadedFile("e.pdf", PDF)}
        ).status_code
        == 400
    )
    assert (
        client.post(url, {**data, "evidence": SimpleUploadedFile("e.pdf", PDF)}).status_code == 302
    )
    record = FraudRecord.objects.get()
    assert record.bank == qz.bank_a and record.evidence_name == "e.pdf"
    assert list(fraud_bar(bank=qz.bank_a)) == [record]
    assert not fraud_bar(bank=qz.bank_b).exists()
    assert not fraud_bar(enterprise=enterprise).exists()
    assert not fraud_bar().exists()
    qz.interest(qz.loan(contract="A-1"), "100.00")
    result = compute_run(program=qz.program, year=2025, budget="100")
    assert [x.reason for x in result.exclusions] == [Reason.FRAUD_BANK]


def xlsx(rows):
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def test_lpr_import_xlsx_and_lookup(qz):
    rows = [
        ["生效日期", "1年期LPR（%）", "5年期以上LPR（%）"],
        [dt.date(2026, 12, 21), 2.9, 3.4],
        ["2027-01-20", "2.85", "3.35"],
    ]
    created = import_lpr(actor=qz.staff, upload=xlsx(rows), filename="lpr.xlsx")
    assert len(created) == 2
    assert LPRRate.objects.get(effective_date=dt.date(2026, 12, 21)).one_year == Decimal("2.9000")
    assert lpr_on(dt.date(2026, 12, 20), 12) == Decimal("3.0000")  # the November publication
    assert lpr_on(dt.date(2027, 1, 1), 12) == Decimal("2.9000")
    assert lpr_on(dt.date(2027, 2, 1), 72) == Decimal("3.3500")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["d", "1y", "5y"], ["2025-05-20", "3.0", "3.5"]], "已在表中"),
        ([["d", "1y", "5y"], ["2026-12-21", "2.9", "3.4"], ["2026-12-21", "2.9", "3.4"]], "重复"),
        ([["d", "1y", "5y"], ["2026-12-21", "0", "3.4"]], "大于零"),
        ([["d", "1y", "5y"], ["2026-12-21", "-1", "3.4"]], "大于零"),
        ([["d", "1y", "5y"], ["2026-13-01", "2.9", "3.4"]], "日期"),
        ([["d", "1y", "5y"], ["2026-12-21", "abc", "3.4"]], "不是数字"),
        ([["d", "1y", "5y"]], "没有数据行"),
        ([["d", "1y", "5y"], ["2026-11-27", "2.9", "3.4"]], "2026年11月已有2026-11-20的报价"),
        ([["d", "1y", "5y"], ["2027-01-20", "2.9", "3.4"]], "缺少2026年12月的报价"),
    ],
)
def test_lpr_import_refuses_bad_rows_and_saves_nothing(qz, rows, message):
    before = LPRRate.objects.count()
    text = "\n".join(",".join(r) for r in rows).encode()
    with pytest.raises(LPRImportError, match=message):
        import_lpr(actor=qz.staff, upload=io.BytesIO(text), filename="lpr.csv")
    assert LPRRate.objects.count() == before


def test_lpr_import_page_is_for_admins(client, qz):
    url = reverse("subsidy:lpr-import")
    client.force_login(qz.staff)
    assert client.get(url).status_code == 403
    admin = UserFactory(username="qz_admin", role=Role.ADMIN)
    client.force_login(admin)
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("lpr.csv", "生效日期,1年期,5年期\n2025-05-20,3.0,3.5\n".encode())
    response = client.post(url, {"file": bad})
    assert response.status_code == 400 and "已在表中" in response.content.decode()
    good = SimpleUploadedFile("lpr.csv", "生效日期,1年期,5年期\n2026-12-21,2.90,3.40\n".encode())
    assert client.post(url, {"file": good}).status_code == 302
    assert LPRRate.objects.filter(effective_date=dt.date(2026, 12, 21)).exists()
