"""Issue 21 in a real browser: a bank clerk makes an API token and the bank's system uses it; the API docs page
runs under the strict CSP; a printed annex's QR code, read back from the rendered PDF, opens its verification page."""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from api.models import ApiToken
from kedaitong.models import AuditEntry, IssuedDocument
from loans.models import RecordUpload, Repayment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_clerk_makes_a_token_the_banks_system_sends_a_batch_and_the_clerk_sees_it(
    new_page, cast, live_server
):
    clerk = new_page("bankx")
    clerk.goto("/api-tokens/")
    clerk.fill("input[name=name]", "信贷核心系统")
    clerk.check("input[name=scope][value=write]")
    clerk.select_option("select[name=valid_days]", "30")
    clerk.click("#token-create")
    expect(clerk.locator("#new-token")).to_contain_text("只显示这一次")
    secret = clerk.locator("#token-secret").inner_text().strip()
    assert secret.startswith("kdt_")
    clerk.reload()
    expect(clerk.locator("#new-token")).to_have_count(0)
    expect(clerk.locator("#token-table")).to_contain_text("信贷核心系统")
    assert secret not in clerk.content()

    with httpx.Client(base_url=live_server.url, timeout=30) as system:
        answer = system.post(
            "/api/v1/batches/repayments",
            params={"program": "changjiang"},
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "e2e-1"},
            json={
                "rows": [
                    {
                        "contract_no": cast.loan_a.contract_no,
                        "repaid_on": "2026-06-10",
                        "principal": "100000.00",
                    }
                ]
            },
        )
        assert answer.status_code == 201, answer.text
        again = system.post(
            "/api/v1/batches/repayments",
            params={"program": "changjiang"},
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "e2e-1"},
            json={
                "rows": [
                    {
                        "contract_no": cast.loan_a.contract_no,
                        "repaid_on": "2026-06-10",
                        "principal": "100000.00",
                    }
                ]
            },
        )
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert list(Repayment.objects.values_list("principal", flat=True)) == [Decimal("100000.00")]
    upload = RecordUpload.objects.get(source="api")

    clerk.goto("/loans/uploads/")
    expect(clerk.get_by_text("信贷核心系统").first).to_be_visible()
    clerk.goto(f"/loans/uploads/{upload.public_id}/")
    expect(clerk.locator("#upload-state")).to_have_text("已保存")

    # Revoked in the browser: the system is refused at once.
    token = ApiToken.objects.get()
    clerk.goto(f"/api-tokens/{token.public_id}/revoke/")
    clerk.click("#token-revoke")
    expect(clerk.locator("#token-table")).to_contain_text("已撤销")
    refused = httpx.get(
        f"{live_server.url}/api/v1/token", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status_code == 401 and refused.json()["detail"] == "令牌已撤销"
    assert AuditEntry.objects.filter(action="api.call").count() == 2


def test_the_api_docs_page_runs_under_the_strict_policy(new_page, live_server):
    page = new_page()
    refused: list[str] = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith((live_server.url, "data:", "blob:")) else outside.append(r.url)
        ),
    )
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .title").first).to_contain_text("科贷通银行接口")
    expect(page.get_by_text("/api/v1/batches/disbursements", exact=True).first).to_be_visible()
    assert not refused, refused
    assert not outside, outside  # the vendored Swagger UI: nothing from a CDN


def test_the_qr_code_of_a_printed_annex_opens_its_verification_page(
    new_page, cast, live_server, settings
):
    settings.PUBLIC_URL = live_server.url
    clerk = new_page("bankx")
    clerk.goto(f"/applications/{cast.application_a.public_id}/")
    response = clerk.request.get(f"/applications/{cast.application_a.public_id}/pdf/annex4/")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    # As a phone would see the paper: the first page rendered at 150 dpi, the QR code read by zxing-cpp.
    png = subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", "-singlefile"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout
    codes = [c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    document = IssuedDocument.objects.get()
    assert codes == [f"{live_server.url}/verify/{document.code}/"]

    anyone = new_page()  # no login
    anyone.goto(codes[0])
    expect(anyone.locator("#verify-status")).to_contain_text("现行有效")
    expect(anyone.locator("#verify-number")).to_have_text(document.number)
    expect(anyone.locator("#verify-title")).to_have_text("附件4 昌江区“科贷通”贷款备案审核表")
    expect(anyone.locator("#verify-issuer")).to_have_text("昌江区科学技术局")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert document.number in text
    assert cast.enterprise_a.name not in anyone.content()
