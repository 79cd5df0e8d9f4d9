"""Access-matrix rows of the Quzhou interest subsidy (issue 7): runs are the government's; banks see their own filings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile

from loans.models import BankAgreement
from subsidy.models import BankFiling, SubsidyRun
from tests.access import LOGIN, PROGRAM_GOVERNMENT, Row, expect, program_action
from tests.conftest import Cast


def subsidy_run(cast: Cast, year: int = 2025, **state: str) -> SubsidyRun:
    run = SubsidyRun(
        program=cast.quzhou, year=year, budget=Decimal("1000.00"), cutoff=dt.date(year, 12, 31),
        computed_total=Decimal("0.00"), total=Decimal("0.00"), **state,
    )
    run.save()
    return run


def bank_x_filing(cast: Cast) -> BankFiling:
    filing = BankFiling(bank=cast.bank_x, program=cast.quzhou, statement="申请备案", materials_name="m.pdf")
    filing.materials.save("m.pdf", ContentFile(b"%PDF-1.4 materials"), save=False)
    filing.save()
    return filing


def bank_x_agreement(cast: Cast) -> BankAgreement:
    return BankAgreement.objects.get(bank=cast.bank_x, program=cast.quzhou)


WITH_BANK_X = PROGRAM_GOVERNMENT | {"bank_x": 200}

ROWS = [
    Row(f"subsidy:{name}", url, expected, program="quzhou")
    for name, url, expected in [
        ("run-list", lambda c: "/subsidy/runs/", PROGRAM_GOVERNMENT),
        ("run-create", lambda c: "/subsidy/runs/new/", expect(405)),
        ("run-detail", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/", PROGRAM_GOVERNMENT),
        ("run-export", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/export.xlsx", PROGRAM_GOVERNMENT),
        ("run-opinion", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/opinion/", expect(404, anonymous=LOGIN)),  # none uploaded yet
        ("run-audit", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/audit/", program_action(auditor=200, admin=200)),
        ("run-publicize", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/publicize/", program_action(bureau_staff=200, admin=200)),
        ("run-approve", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/approve/", program_action(bureau_head=200, admin=200)),
        ("run-cancel", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/cancel/", program_action(bureau_head=200, admin=200)),
        ("run-pay", lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/pay/", expect(405)),
        ("public-notice", lambda c: f"/subsidy/public/quzhou/{subsidy_run(c, 2024, state='publicized').year}/", expect(200)),
        ("filing-list", lambda c: "/subsidy/banks/", expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404)),
        ("filing-create", lambda c: "/subsidy/banks/filings/new/", expect(405)),
        ("filing-detail", lambda c: f"/subsidy/banks/filings/{bank_x_filing(c).pk}/", WITH_BANK_X),
        ("filing-opinion", lambda c: f"/subsidy/banks/filings/{bank_x_filing(c).pk}/opinion/", expect(405)),
        ("filing-materials", lambda c: f"/subsidy/banks/filings/{bank_x_filing(c).pk}/materials/", WITH_BANK_X),
        ("agreement-pdf", lambda c: f"/subsidy/banks/agreements/{bank_x_agreement(c).pk}/pdf/", WITH_BANK_X),
        ("agreement-renew", lambda c: f"/subsidy/banks/agreements/{bank_x_agreement(c).pk}/renew/",
         program_action(bureau_staff=200, bureau_head=200, admin=200, bank_x=403)),
        ("agreement-terminate", lambda c: f"/subsidy/banks/agreements/{bank_x_agreement(c).pk}/terminate/",
         program_action(bureau_staff=200, bureau_head=200, admin=200, bank_x=403)),
        ("fraud-list", lambda c: "/subsidy/fraud/", PROGRAM_GOVERNMENT),
        ("bank-subsidy", lambda c: "/subsidy/bank/", expect(403, anonymous=LOGIN, bank_x=200, bank_y=200)),
        # A publicized run with no line of bank X: nobody's to export (banks see only runs with their lines).
        ("bank-subsidy-export", lambda c: f"/subsidy/bank/{subsidy_run(c, state='publicized').pk}/export.xlsx",
         expect(403, anonymous=LOGIN, bank_x=404, bank_y=404)),
        ("lpr-import", lambda c: "/subsidy/lpr/import/", expect(403, anonymous=LOGIN, admin=200)),
    ]
]
