"""The compensation pages: each action POSTed by the allowed role, refused for a read-only role (403) and an outsider (404)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from compensation import selectors, services
from compensation.models import (
    Claim,
    ClaimState,
    CompensationBudget,
    Decision,
    Payment,
    Recovery,
    ShareReturn,
    WriteOff,
)
from kedaitong.db import MoneySum
from tests.compensation import helpers
from tests.confirming import post_confirmed

pytestmark = pytest.mark.django_db


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(claim: Claim, suffix: str = "") -> str:
    return f"/compensation/claims/{claim.public_id}/{suffix}"


def test_a_bank_files_a_claim_and_a_refusal_keeps_what_was_typed(cast):
    loan = helpers.bad_loan(cast)
    young = helpers.bad_loan(
        cast,
        enterprise=cast.enterprise_b,
        overdue_since=dt.date.today() - dt.timedelta(days=5),
        contract="HT-YOUNG",
    )
    form = {
        "requested_amount": "400000.00",
        "loss_principal": "800000.00",
        "loss_interest": "",
        "case_number": "(2026)赣0202民初9号",
        "description": "停产",
    }
    response = client(cast.bank_x_user).post(
        "/compensation/claims/new/", form | {"loan": str(young.public_id)}
    )
    assert response.status_code == 400
    assert (
        "未超过1个月" in response.content.decode()
        and "(2026)赣0202民初9号" in response.content.decode()
    )
    assert not Claim.objects.exists()
    response = client(cast.bank_x_user).post(
        "/compensation/claims/new/", form | {"loan": str(loan.public_id)}
    )
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == url(claim)
    assert client(cast.bank_x_user).get(url(claim)).status_code == 200
    # another bank's loan is not even offered
    assert (
        client(cast.bank_y_user)
        .post("/compensation/claims/new/", form | {"loan": str(loan.public_id)})
        .status_code
        == 400
    )


def test_the_new_claim_form_offers_only_loans_without_an_open_claim(cast):
    """Issue 18 item 8: a loan with an open claim is not offered; the service refuses it with a message."""
    taken = helpers.bad_loan(cast, contract="HT-TAKEN")
    free = helpers.bad_loan(cast, contract="HT-FREE")
    ended = helpers.bad_loan(cast, contract="HT-ENDED")
    helpers.draft(cast, taken, materials=False)
    withdrawn = helpers.draft(cast, ended, materials=False)
    Claim.objects.filter(pk=withdrawn.pk).update(state=ClaimState.WITHDRAWN)  # ended: files again
    bank = client(cast.bank_x_user)
    page = bank.get("/compensation/claims/new/")
    offered = [value for value, _label in page.context["form"].fields["loan"].choices]
    assert str(free.public_id) in offered and str(ended.public_id) in offered
    assert str(taken.public_id) not in offered
    html = page.content.decode()
    assert "HT-TAKEN" not in html and "HT-FREE" in html
    assert "1笔贷款已有未结束的补偿申请，未列出" in html
    # A form shown before the other claim was filed: the user is told why, nothing is saved.
    form = {
        "loan": str(taken.public_id),
        "requested_amount": "400000.00",
        "loss_principal": "800000.00",
        "loss_interest": "",
        "case_number": "(2026)赣0202民初10号",
        "description": "停产",
    }
    response = bank.post("/compensation/claims/new/", form)
    assert response.status_code == 400
    assert "该贷款已有一笔未结束的补偿申请，不能重复申请" in response.content.decode()
    assert "(2026)赣0202民初10号" in response.content.decode()  # what was typed is kept
    assert Claim.objects.filter(loan=taken).count() == 1
    with pytest.raises(services.CompensationError, match="未结束的补偿申请"):
        helpers.draft(cast, taken, materials=False)
    assert Claim.objects.filter(loan=taken).count() == 1


def test_materials_upload_and_submit(cast):
    claim = helpers.draft(cast, materials=False)
    bank = client(cast.bank_x_user)
    assert (
        bank.post(url(claim, "submit/")).status_code == 400
    )  # missing materials, said on the page
    for kind in (
        "application_form",
        "bad_loan_statement",
        "case_notice",
        "collection_proof",
        "other",
    ):
        assert (
            bank.post(
                url(claim, "materials/"), {"kind": kind, "file": helpers.pdf(f"{kind}.pdf")}
            ).status_code
            == 302
        )
    bad = bank.post(
        url(claim, "materials/"),
        {"kind": "other", "file": helpers.pdf("x.pdf").__class__("x.pdf", b"MZ not a pdf")},
    )
    assert bad.status_code == 400
    r = bank.post(url(claim, "submit/"))
    assert r.status_code == 302, r.content.decode()[-3000:]
    assert Claim.objects.get().state == ClaimState.SUBMITTED


def test_bureau_review_by_role(cast):
    claim = helpers.submitted(cast)
    draft = {
        "action": "draft",
        "seen_version": "0",
        "recommendation": "approve",
        "amount": "400000.00",
        "text": "材料齐全",
    }
    assert client(cast.auditor).post(url(claim, "review/"), draft).status_code == 403
    assert client(cast.bank_x_user).post(url(claim, "review/"), draft).status_code == 403
    assert client(cast.bank_y_user).post(url(claim, "review/"), draft).status_code == 404
    assert client(cast.applicant).post(url(claim, "review/"), draft).status_code == 404
    assert client(cast.bureau_head).post(url(claim, "review/"), draft).status_code == 403
    assert client(cast.bureau_staff).post(url(claim, "review/"), draft).status_code == 302
    assert Claim.objects.get().state == ClaimState.SUBMITTED  # staff prepare, the head signs
    sign = {"action": "sign", "seen_version": "1"}
    assert client(cast.bureau_staff).post(url(claim, "review/"), sign).status_code == 403
    assert client(cast.bureau_head).post(url(claim, "review/"), sign).status_code == 302
    assert Claim.objects.get().state == ClaimState.GROUP_REVIEW


def test_group_decides_within_budget_and_above_is_refused(cast):
    claim = helpers.in_group_review(cast)
    helpers.budget(cast, "100000.00", year=dt.date.today().year)
    group = client(cast.leading_group)
    assert (
        post_confirmed(
            client(cast.bureau_staff), url(claim, "decide/"), {"outcome": "decide"}
        ).status_code
        == 403
    )
    page = group.get(url(claim, "decide/"))
    assert "100,000.00" in page.content.decode()
    response = post_confirmed(
        group,
        url(claim, "decide/"),
        {"outcome": "decide", "amount": "100000.01", "covered_loss": "800000"},
    )
    assert response.status_code == 400 and "预算余额100000.00元" in response.content.decode()
    assert not Decision.objects.exists()
    assert (
        post_confirmed(
            group,
            url(claim, "decide/"),
            {"outcome": "decide", "amount": "100000.00", "covered_loss": "800000"},
        ).status_code
        == 302
    )
    assert CompensationBudget.objects.get().remaining == Decimal("0.00")


def test_payment_agreement_recovery_return_and_confirmation(cast):
    claim = helpers.decided(cast)
    staff = client(cast.bureau_staff)
    assert (
        post_confirmed(
            client(cast.auditor),
            url(claim, "pay/"),
            {"paid_on": "2026-11-23", "voucher_no": "BF-1"},
        ).status_code
        == 403
    )
    assert (
        post_confirmed(
            staff, url(claim, "pay/"), {"paid_on": "2026-11-23", "voucher_no": "BF-1"}
        ).status_code
        == 302
    )
    assert Payment.objects.get().voucher_no == "BF-1"
    assert (
        staff.post(
            url(claim, "agreement/"), {"signed_on": "2026-11-24", "file": helpers.pdf("a.pdf")}
        ).status_code
        == 302
    )
    bank = client(cast.bank_x_user)
    no_receipt = post_confirmed(
        bank,
        url(claim, "recoveries/new/"),
        {"received_on": "2026-11-24", "gross": "100000.00", "litigation_amount": "5000"},
    )
    assert no_receipt.status_code == 400 and not Recovery.objects.exists()
    response = post_confirmed(
        bank,
        url(claim, "recoveries/new/"),
        {
            "received_on": "2026-11-24",
            "gross": "100000.00",
            "litigation_amount": "5000.00",
            "litigation_receipt": helpers.pdf("fee.pdf"),
            "enforcement_amount": "1000.00",
            "enforcement_receipt": helpers.pdf("fee2.pdf"),
        },
    )
    assert response.status_code == 302
    recovery = Recovery.objects.get()
    assert (recovery.net, recovery.share) == (
        Decimal("94000.00"),
        Decimal("35250.00"),
    )  # 94000 × 300000/800000
    assert (
        post_confirmed(
            bank,
            f"/compensation/recoveries/{recovery.pk}/returns/new/",
            {"amount": "35250.01", "returned_on": "2026-11-25", "voucher_no": "JH"},
        ).status_code
        == 400
    )
    assert (
        post_confirmed(
            bank,
            f"/compensation/recoveries/{recovery.pk}/returns/new/",
            {"amount": "35250.00", "returned_on": "2026-11-25", "voucher_no": "JH"},
        ).status_code
        == 302
    )
    share_return = ShareReturn.objects.get()
    assert (
        post_confirmed(
            client(cast.bureau_staff), f"/compensation/returns/{share_return.pk}/confirm/"
        ).status_code
        == 403
    )
    assert (
        post_confirmed(
            client(cast.auditor), f"/compensation/returns/{share_return.pk}/confirm/"
        ).status_code
        == 302
    )
    assert ShareReturn.objects.get().confirmed_by == cast.auditor
    assert (
        "confirmed" in client(cast.auditor).get(url(claim)).content.decode()
        or "已确认" in client(cast.auditor).get(url(claim)).content.decode()
    )


def test_a_mistaken_return_is_reversed_on_its_page(cast):
    recovery = helpers.with_recovery(cast, "80000.00", ())
    share_return = services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="500.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="JH",
    )
    path = f"/compensation/returns/{share_return.pk}/reverse/"
    assert client(cast.auditor).get(path).status_code == 200
    assert post_confirmed(client(cast.bureau_staff), path, {"reason": "x"}).status_code == 403
    assert post_confirmed(client(cast.bank_y_user), path, {"reason": "x"}).status_code == 404
    assert post_confirmed(client(cast.auditor), path, {"reason": ""}).status_code == 400
    assert ShareReturn.objects.count() == 1
    assert post_confirmed(client(cast.auditor), path, {"reason": "财政未收到"}).status_code == 302
    assert Recovery.objects.get(pk=recovery.pk).returned == Decimal("0.00")
    page = client(cast.bank_x_user).get(url(recovery.claim)).content.decode()
    assert "财政未收到" in page and "-500.00" in page.replace(",", "")
    assert (
        "冲销交回记录" in page and "compensation.return.reversed" not in page
    )  # the history reads as words, not codes
    assert post_confirmed(client(cast.auditor), path, {"reason": "again"}).status_code == 400


def test_the_group_revokes_a_decision_before_payment(cast):
    claim = helpers.decided(cast)
    path = url(claim, "revoke/")
    assert client(cast.leading_group).get(path).status_code == 200
    assert post_confirmed(client(cast.auditor), path, {"reason": "x"}).status_code == 403
    assert post_confirmed(client(cast.bureau_staff), path, {"reason": "x"}).status_code == 403
    assert post_confirmed(client(cast.bank_y_user), path, {"reason": "x"}).status_code == 404
    assert post_confirmed(client(cast.leading_group), path, {"reason": ""}).status_code == 400
    assert (
        post_confirmed(client(cast.leading_group), path, {"reason": "金额录错"}).status_code == 302
    )
    assert CompensationBudget.objects.get().committed == Decimal("0.00")
    page = client(cast.bank_x_user).get(url(claim)).content.decode()
    assert "金额录错" in page and "-300,000.00" in page
    lines, totals = selectors.ledger(cast.admin, selectors.LedgerFilter())
    assert [line.decided for line in lines] == [Decimal("0.00")] and totals.decided == Decimal(
        "0.00"
    )


def test_a_write_off_shows_its_due_day_and_a_late_certificate_is_flagged(cast):
    claim = helpers.paid(cast)
    bank = client(cast.bank_x_user)
    assert bank.post(url(claim, "write-off/"), {"written_off_on": "2026-11-24"}).status_code == 302
    write_off = WriteOff.objects.get()
    assert write_off.certificate_due_on == dt.date(2026, 12, 1) and not write_off.calendar_unknown
    services.writeoff_certificate(
        actor=cast.bank_x_user, claim=claim, upload=helpers.pdf("c.pdf"), on=dt.date(2026, 12, 2)
    )
    assert WriteOff.objects.get().is_late()
    page = client(cast.bureau_staff).get("/compensation/claims/").content.decode()
    assert (
        "state-late" in page and "late-certificates" in page
    )  # flagged to the bureau, with a filter
    helpers.submitted(cast)  # another claim, not late
    late = client(cast.bureau_staff).get("/compensation/claims/?late=1")
    assert [c.pk for c in late.context["claims"]] == [claim.pk]
    assert list(selectors.late_certificates(cast.bureau_staff, dt.date(2026, 11, 30))) == [claim]


def test_a_missing_certificate_is_late_once_its_due_day_has_passed(cast):
    claim = helpers.paid(cast)
    services.writeoff_record(
        actor=cast.bank_x_user, claim=claim, written_off_on=dt.date(2026, 11, 24)
    )  # due 2026-12-01
    assert not selectors.late_certificates(cast.bureau_staff, dt.date(2026, 12, 1)).exists()
    assert list(selectors.late_certificates(cast.bureau_staff, dt.date(2026, 12, 2))) == [claim]
    assert not selectors.late_certificates(cast.bank_y_user, dt.date(2026, 12, 2)).exists()


def test_a_write_off_in_a_year_the_calendar_lacks_warns(cast):
    claim = helpers.paid(cast)
    services.writeoff_record(
        actor=cast.bank_x_user, claim=claim, written_off_on=dt.date(2027, 1, 4)
    )
    page = client(cast.bureau_staff).get(url(claim)).content.decode()
    assert 'role="alert"' in page and "2027" in page


def test_budget_is_set_by_the_group_only(cast):
    assert (
        client(cast.bureau_staff)
        .post("/compensation/budgets/", {"year": 2026, "amount": "5000000"})
        .status_code
        == 403
    )
    assert (
        client(cast.bank_x_user)
        .post("/compensation/budgets/", {"year": 2026, "amount": "5000000"})
        .status_code
        == 404
    )
    assert (
        client(cast.leading_group)
        .post("/compensation/budgets/", {"year": 2026, "amount": "5000000"})
        .status_code
        == 302
    )
    assert CompensationBudget.objects.get().amount == Decimal("5000000.00")


def cells(response, sheet: str | None = None) -> list[list]:
    wb = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def pdf_text(data: bytes) -> str:
    import subprocess

    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


# Every money column of the ledger workbook and the line attribute it holds.
LEDGER_MONEY = [
    ("申请补偿金额（元）", "requested"),
    ("决定补偿金额（元）", "decided"),
    ("对应损失（元）", "covered_loss"),
    ("拨付金额（元）", "paid"),
    ("清收总额（元）", "gross"),
    ("法定费用（元）", "costs"),
    ("清收净额（元）", "net"),
    ("应交回区财政（元）", "share"),
    ("已交回（元）", "returned"),
    ("财政已确认（元）", "confirmed"),
    ("尚应交回（元）", "owed"),
    ("预计仍可收回（元）", "expected"),
]


def two_banks_of_claims(cast):
    """Bank X: one claim recovering (two recoveries, costs, a confirmed and an open return) and one decided; bank Y: one paid."""
    recovery = helpers.with_recovery(
        cast, "100000.00", (("litigation", "5000.00"), ("enforcement", "1200.00"))
    )
    claim = recovery.claim
    second = services.recovery_record(
        actor=cast.bank_x_user, claim=claim, received_on=dt.date(2026, 11, 26), gross="20000.00"
    )
    confirmed = services.return_record(
        actor=cast.bank_x_user,
        recovery=recovery,
        amount="10000.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="J1",
    )
    services.return_confirm(actor=cast.auditor, share_return=confirmed)
    services.return_record(
        actor=cast.bank_x_user,
        recovery=second,
        amount="2500.00",
        returned_on=dt.date(2026, 11, 27),
        voucher_no="J2",
    )
    decided = helpers.decided(
        cast,
        helpers.bad_loan(cast, enterprise=cast.enterprise_b, contract="HT-B"),
        amount="50000.00",
    )
    other = helpers.paid(
        cast,
        helpers.bad_loan(cast, bank=cast.bank_y, enterprise=cast.enterprise_b, contract="HT-Y"),
        amount="70000.00",
    )
    return claim, decided, other


def test_the_ledger_export_holds_every_money_column_of_the_page_and_the_database(cast):
    claim, decided, other = two_banks_of_claims(cast)
    auditor = client(cast.auditor)
    page = auditor.get("/compensation/ledger/")
    lines, totals = page.context["lines"], page.context["totals"]
    assert [x.reference for x in lines] == sorted([claim.reference, decided.reference]) + [
        other.reference
    ]  # bank X, then bank Y
    # The page's lines against the database, claim by claim.
    for line in lines:
        recoveries = Recovery.objects.filter(claim=line.claim)
        decision = Decision.objects.filter(claim=line.claim).first()
        assert line.requested == line.claim.requested_amount
        assert line.decided == (decision.amount if decision else 0) and line.covered_loss == (
            decision.covered_loss if decision else 0
        )
        assert line.paid == (
            Payment.objects.filter(claim=line.claim).aggregate(s=MoneySum("amount"))["s"] or 0
        )
        for attr in ("gross", "costs", "net", "share", "returned"):
            assert getattr(line, attr) == (recoveries.aggregate(s=MoneySum(attr))["s"] or 0), attr
        assert line.confirmed == (
            ShareReturn.objects.filter(
                recovery__claim=line.claim, confirmed_at__isnull=False
            ).aggregate(s=MoneySum("amount"))["s"]
            or 0
        )
    mine = next(x for x in lines if x.claim.pk == claim.pk)
    assert (
        mine.gross,
        mine.costs,
        mine.net,
        mine.share,
        mine.returned,
        mine.confirmed,
        mine.owed,
        mine.expected,
    ) == (
        Decimal("120000.00"),
        Decimal("6200.00"),
        Decimal("113800.00"),
        Decimal("42675.00"),
        Decimal("12500.00"),
        Decimal("10000.00"),
        Decimal("30175.00"),
        Decimal("257325.00"),
    )
    rows = cells(auditor.get("/compensation/ledger/export.xlsx"))
    header, body, total = rows[0], rows[1:-1], rows[-1]
    col = {h: i for i, h in enumerate(header)}
    assert total[0] == "合计" and [r[col["补偿编号"]] for r in body] == [x.reference for x in lines]
    for name, attr in LEDGER_MONEY:
        assert [Decimal(str(r[col[name]])) for r in body] == [getattr(x, attr) for x in lines], name
        assert Decimal(str(total[col[name]])) == sum(
            (getattr(x, attr) for x in lines), Decimal("0")
        ), name
        if attr in selectors.LedgerLine.MONEY_FIELDS:
            assert Decimal(str(total[col[name]])) == getattr(totals, attr), name
    for r, x in zip(body, lines, strict=True):
        assert (
            r[col["银行代码"]],
            r[col["企业名称"]],
            r[col["贷款合同编号"]],
            r[col["拨付凭证号"]] or "",
        ) == (x.bank_code, x.enterprise_name, x.contract_no, x.voucher_no)
        assert (
            Decimal(str(r[col["补偿比例（%）"]])) if r[col["补偿比例（%）"]] is not None else None
        ) == x.ratio
    # Filtered: the export follows the page's filters.
    rows = cells(auditor.get(f"/compensation/ledger/export.xlsx?q={decided.reference}"))
    assert len(rows) == 3 and rows[1][0] == decided.reference


def test_the_reconciliation_adds_up_per_bank_in_the_pdf_and_the_workbook(cast):
    claim, decided, other = two_banks_of_claims(cast)
    bank = client(cast.bank_x_user)
    page = bank.get(f"/compensation/reconciliation/{cast.bank_x.code}/")
    rec = page.context["rec"]
    assert [x.reference for x in rec.lines] == [claim.reference]  # only what was paid, only bank X
    assert (
        rec.totals.paid,
        rec.totals.net,
        rec.totals.share,
        rec.totals.returned,
        rec.totals.owed,
        rec.totals.expected,
    ) == (
        Decimal("300000.00"),
        Decimal("113800.00"),
        Decimal("42675.00"),
        Decimal("12500.00"),
        Decimal("30175.00"),
        Decimal("257325.00"),
    )
    pdf = bank.get(f"/compensation/reconciliation/{cast.bank_x.code}/reconciliation.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert "合作结束科贷补偿金核查表" in text and "X银行" in text and "Y银行" not in text
    assert claim.reference in text and "HT-Y" not in text and other.reference not in text
    assert decided.reference in text and "HT-B" in text  # decided, not paid: its own section
    summary = text.split(claim.reference)[0]
    for label, value in [
        ("已补偿金额（元）", rec.totals.paid),
        ("清收净额（元）", rec.totals.net),
        ("应交回区财政（元）", rec.totals.share),
        ("已交回（元）", rec.totals.returned),
        ("尚应交回（元）", rec.totals.owed),
        ("预计仍可收回（元）", rec.totals.expected),
    ]:
        assert label in summary and yuan(value) in summary, label
    line = rec.lines[0]
    row = next(r for r in text.splitlines() if claim.reference in r)
    for value in (
        line.paid,
        line.gross,
        line.costs,
        line.net,
        line.share,
        line.returned,
        line.confirmed,
        line.owed,
        line.expected,
    ):
        assert yuan(value) in row, value
    footer = next(r for r in text.splitlines() if r.strip().startswith("合计"))
    assert [
        yuan(getattr(rec.totals, a))
        for a in (
            "paid",
            "gross",
            "costs",
            "net",
            "share",
            "returned",
            "confirmed",
            "owed",
            "expected",
        )
    ] == [w for w in footer.split() if w[0].isdigit()]
    rows = cells(
        bank.get(f"/compensation/reconciliation/{cast.bank_x.code}/reconciliation.xlsx"),
        sheet="已补偿",
    )
    header, body, total = rows[0], rows[1:-1], rows[-1]
    col = {h: i for i, h in enumerate(header)}
    assert total[0] == "合计" and len(body) == len(rec.lines) == 1
    for r, x in zip(body, rec.lines, strict=True):
        assert r[col["补偿编号"]] == x.reference and r[col["银行代码"]] == "bank-x"
        for name, attr in LEDGER_MONEY:
            assert Decimal(str(r[col[name]])) == getattr(x, attr), name
    for name, attr in LEDGER_MONEY:
        if attr in selectors.LedgerLine.MONEY_FIELDS:
            assert Decimal(str(total[col[name]])) == getattr(rec.totals, attr), name


def test_the_claim_form_pdf_holds_the_bank_enterprise_contract_and_amounts(cast):
    claim = helpers.decided(cast, amount="300000.00", covered="800000.00")
    loan = claim.loan
    response = client(cast.bureau_staff).get(url(claim, "form.pdf"))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    compact = "".join(text.split())
    assert "科贷补偿金补偿申请表" in compact and claim.reference in compact
    assert (
        "X银行" in compact
        and "甲科技有限公司" in compact
        and loan.enterprise.credit_code in compact
    )
    assert loan.contract_no in compact and yuan(loan.principal) in compact
    assert "(2026)赣0202民初123号" in compact
    assert "800,000.00" in compact and "12,000.00" in compact  # unpaid principal and interest
    assert (
        "肆拾万元整" in compact and "￥400,000.00" in compact
    )  # requested, in capitals and figures
    assert (
        "同意补偿人民币（大写）叁拾万元整（￥300,000.00）" in compact
        and "对应损失￥800,000.00" in compact
    )
    assert "2026年9月1日" in compact  # overdue since


def test_the_finance_bureau_reads_but_changes_nothing(cast):
    claim = helpers.in_group_review(cast)
    auditor = client(cast.auditor)
    assert auditor.get("/compensation/ledger/").status_code == 200
    assert auditor.get(url(claim)).status_code == 200
    for suffix in ("review/", "decide/", "pay/", "close/", "materials/", "submit/"):
        assert auditor.post(url(claim, suffix)).status_code == 403, suffix


def test_the_claim_form_pdf_prints_the_bureau_s_recorded_opinion(cast):
    """Issue 18 item 11: 区科技局审核意见 (第十一条 2(2)) on the form is the opinion the head signed, with the
    amount proposed in capitals and figures and who made and signed it; a draft not yet signed is not printed."""
    claim = helpers.submitted(cast)
    services.claim_opinion_draft(
        actor=cast.bureau_staff,
        claim=claim,
        recommendation="approve",
        amount="400000.00",
        text="材料齐全，同意提交领导专班",
    )
    unsigned = "".join(
        pdf_text(client(cast.bureau_staff).get(url(claim, "form.pdf")).content).split()
    )
    assert "材料齐全" not in unsigned and "区科技局审核意见" in unsigned
    services.claim_opinion_sign(actor=cast.bureau_head, claim=claim)
    response = client(cast.bureau_staff).get(url(claim, "form.pdf"))
    compact = "".join(pdf_text(response.content).split())
    opinion = claim.opinions.get(signed_at__isnull=False)
    assert opinion.amount == Decimal("400000.00") and opinion.head == cast.bureau_head
    assert "审核结论：同意提交领导专班审议。材料齐全，同意提交领导专班" in compact
    assert "建议补偿人民币（大写）肆拾万元整（￥400,000.00）。" in compact
    assert cast.bureau_staff.get_full_name() in compact
    assert cast.bureau_head.get_full_name() in compact
    signed = opinion.signed_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert f"（盖章）{signed.year}年{signed.month}月{signed.day}日" in compact
