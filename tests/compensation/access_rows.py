"""Access-matrix rows of risk compensation (issue 6): claims of bank X, seen by bank X and the Changjiang government."""

from __future__ import annotations

import datetime as dt

from compensation import services
from tests.access import LOGIN, Row, expect
from tests.compensation import helpers
from tests.conftest import Cast

CLAIM_VIEW = expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_y=404)
EVERYONE_BUT_ENTERPRISES = expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404)
GOVERNMENT = expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_x=404, bank_y=404)


def claim_action(**allowed: int) -> dict[str, int]:
    """On a claim of bank X: insiders without the role 403, outsiders 404."""
    base = expect(403, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_y=404)
    return base | allowed


BANK = expect(403, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_y=404, bank_x=200, admin=200)
BUREAU = claim_action(bureau_staff=200, bureau_head=200, admin=200)
GROUP = claim_action(leading_group=200, admin=200)
FINANCE = claim_action(auditor=200, admin=200)


def claim_url(stage, suffix: str = ""):  # type: ignore[no-untyped-def]
    return lambda c: f"/compensation/claims/{stage(c).public_id}/{suffix}"


def material(c: Cast) -> str:
    claim = helpers.submitted(c)
    return f"/compensation/claims/{claim.public_id}/materials/{claim.materials.first().pk}/"


def with_certificate(c: Cast) -> str:
    claim = helpers.paid(c)
    services.writeoff_record(actor=c.bank_x_user, claim=claim, written_off_on=dt.date(2026, 11, 24))
    services.writeoff_certificate(actor=c.bank_x_user, claim=claim, upload=helpers.pdf("cert.pdf"))
    return f"/compensation/claims/{claim.public_id}/write-off/file/"


def share_return(c: Cast) -> int:
    recovery = helpers.with_recovery(c, "80000.00", ())
    return services.return_record(actor=c.bank_x_user, recovery=recovery, amount="1.00", returned_on=dt.date(2026, 11, 25), voucher_no="J").pk


ROWS = [
    Row(f"compensation:{name}", url, expected)
    for name, url, expected in [
        ("claim-list", lambda c: "/compensation/claims/", EVERYONE_BUT_ENTERPRISES),
        ("claim-create", lambda c: "/compensation/claims/new/",
         expect(403, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_x=200, bank_y=200, admin=200)),
        ("claim-detail", claim_url(helpers.submitted), CLAIM_VIEW),
        ("claim-pdf", claim_url(helpers.submitted, "form.pdf"), CLAIM_VIEW),
        ("material-upload", claim_url(helpers.submitted, "materials/"), BANK),
        ("material-download", material, CLAIM_VIEW),
        ("claim-submit", claim_url(helpers.submitted, "submit/"), BANK),
        ("claim-withdraw", claim_url(helpers.submitted, "withdraw/"), BANK),
        ("claim-review", claim_url(helpers.submitted, "review/"), BUREAU),
        ("claim-decide", claim_url(helpers.in_group_review, "decide/"), GROUP),
        ("claim-pay", claim_url(helpers.decided, "pay/"), BUREAU),
        ("decision-revoke", claim_url(helpers.decided, "revoke/"), GROUP),
        ("payment-reverse", claim_url(helpers.paid, "pay/reverse/"), claim_action(bureau_head=200, admin=200)),
        ("agreement-record", claim_url(helpers.paid, "agreement/"), BUREAU),
        ("agreement-file", claim_url(helpers.recovering, "agreement/file/"), CLAIM_VIEW),
        ("recovery-create", claim_url(helpers.recovering, "recoveries/new/"), BANK),
        ("writeoff-record", claim_url(helpers.paid, "write-off/"), BANK),
        ("writeoff-certificate", claim_url(helpers.paid, "write-off/certificate/"), BANK),
        ("writeoff-file", with_certificate, CLAIM_VIEW),
        ("claim-close", claim_url(helpers.recovering, "close/"), BUREAU),
        ("recovery-list", lambda c: "/compensation/recoveries/", EVERYONE_BUT_ENTERPRISES),
        ("recovery-export", lambda c: "/compensation/recoveries/export.xlsx", EVERYONE_BUT_ENTERPRISES),
        ("recovery-reverse", lambda c: f"/compensation/recoveries/{helpers.with_recovery(c).pk}/reverse/",
         claim_action(bank_x=200, bureau_staff=200, bureau_head=200, admin=200)),
        ("return-create", lambda c: f"/compensation/recoveries/{helpers.with_recovery(c).pk}/returns/new/", BANK),
        ("cost-receipt", lambda c: f"/compensation/costs/{helpers.with_recovery(c).legal_costs.first().pk}/receipt/", CLAIM_VIEW),
        ("return-confirm", lambda c: f"/compensation/returns/{share_return(c)}/confirm/", FINANCE),
        ("return-reverse", lambda c: f"/compensation/returns/{share_return(c)}/reverse/", claim_action(bank_x=200, auditor=200, admin=200)),
        ("ledger", lambda c: "/compensation/ledger/", EVERYONE_BUT_ENTERPRISES),
        ("ledger-export", lambda c: "/compensation/ledger/export.xlsx", EVERYONE_BUT_ENTERPRISES),
        ("budget-list", lambda c: "/compensation/budgets/", GOVERNMENT),
        ("budget-export", lambda c: "/compensation/budgets/export.xlsx", GOVERNMENT),
        ("reconciliation", lambda c: f"/compensation/reconciliation/{c.bank_x.code}/", CLAIM_VIEW),
        ("reconciliation-pdf", lambda c: f"/compensation/reconciliation/{c.bank_x.code}/reconciliation.pdf", CLAIM_VIEW),
        ("reconciliation-export", lambda c: f"/compensation/reconciliation/{c.bank_x.code}/reconciliation.xlsx", CLAIM_VIEW),
    ]
]  # fmt: skip
