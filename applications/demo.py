"""Demo records of the enterprise side: qualifications, Quzhou registration places, list entries and 附件1 figures.

Idempotent: each record is found by its natural key and created when missing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from applications.models import (
    AnnualFigure,
    Enterprise,
    Patent,
    Program,
    ProgramListing,
    Qualification,
    RegistrationPlace,
)

if TYPE_CHECKING:
    from kedaitong.demo import DemoResult

# (credit code, kind, number, fields): fictional, like the rest of the demo.
QUALIFICATIONS = [
    (
        "91360202MA3PQ0001M",
        "high_tech",
        "GR202436000101",
        {"valid_until": dt.date(2027, 12, 1), "issued_on": dt.date(2024, 12, 2)},
    ),
    ("91360202MA3PQ0002Q", "national_tech_sme", "2026360202A0000012", {"year": 2026}),
    (
        "91360202MA3PQ0003U",
        "project",
        "20243BBE51001",
        {
            "name": "高性能陶瓷釉料研发",
            "level": "provincial",
            "year": 2024,
            "project_type": "省重点研发计划",
            "executed_as_planned": True,
        },
    ),
    ("91330800MA2DX00012", "provincial_tech_sme", "20253308000123", {"year": 2025}),
    ("91330800MA2DX00025", "provincial_tech_sme", "20253308000456", {"year": 2025}),
]
QUZHOU_PLACES = {"91330800MA2DX00012": "zhizao", "91330800MA2DX00025": "zhihui"}

# The profile fields the annexes print (Changjiang 附件3, Quzhou 附件1) that fixtures/demo.json leaves empty,
# so that every demo enterprise can submit a new application. Set only where still empty.
_QUZHOU_ANNEX1 = {"ip_design": 0, "ip_ic_layout": 0, "ip_plant_variety": 0, "ip_other": 0}
PROFILE = {
    "91360202MA3PQ0001M": {
        "kedaitong_entry_no": "KDT-2024-360202-0101",
        "kedaitong_entry_on": dt.date(2024, 3, 18),
        "last_year_sales": Decimal("31500000.00"),
        "last_year_tax": Decimal("1260000.00"),
    },
    "91360202MA3PQ0002Q": {
        "kedaitong_entry_no": "KDT-2025-360202-0207",
        "kedaitong_entry_on": dt.date(2025, 4, 2),
        "last_year_sales": Decimal("8800000.00"),
        "last_year_tax": Decimal("352000.00"),
    },
    "91360202MA3PQ0003U": {
        "kedaitong_entry_no": "KDT-2023-360202-0033",
        "kedaitong_entry_on": dt.date(2023, 9, 12),
        "last_year_sales": Decimal("55000000.00"),
        "last_year_tax": Decimal("2200000.00"),
    },
    "91330800MA2DX00012": _QUZHOU_ANNEX1
    | {
        "ip_invention": 4,
        "ip_utility": 11,
        "ip_software": 2,
        "staff_college_tech": 46,
        "staff_rnd": 28,
        "staff_rnd_recruited": 5,
        "high_tech_revenue": Decimal("21000000.00"),
        "rnd_expense": Decimal("2300000.00"),
    },
    "91330800MA2DX00025": _QUZHOU_ANNEX1
    | {
        "ip_invention": 1,
        "ip_utility": 3,
        "ip_software": 9,
        "staff_college_tech": 38,
        "staff_rnd": 24,
        "staff_rnd_recruited": 3,
        "high_tech_revenue": Decimal("9600000.00"),
        "rnd_expense": Decimal("1800000.00"),
    },
}
# 附件1 近3年 by distance from this year (1 = last year); rows already there are kept.
YUNFAN_FIGURES = {
    3: ("18000000.00", "1500000.00"),
    2: ("22000000.00", "2100000.00"),
    1: ("26000000.00", "2600000.00"),
}
ZHIHUI_FIGURES = {
    3: ("9800000.00", "650000.00"),
    2: ("12400000.00", "980000.00"),
    1: ("15000000.00", "1320000.00"),
}


def extend(result: DemoResult) -> None:
    enterprises = {e.credit_code: e for e in Enterprise.objects.all()}
    for code, kind, number, fields in QUALIFICATIONS:
        enterprise = enterprises.get(code)
        if enterprise is None:
            continue
        _, created = Qualification.objects.get_or_create(
            enterprise=enterprise, kind=kind, number=number, defaults=fields
        )
        result.created["qualifications"] += created
    for code, values in PROFILE.items():
        enterprise = enterprises.get(code)
        if enterprise is None:
            continue
        missing = [name for name in values if getattr(enterprise, name) in (None, "")]
        for name in missing:
            setattr(enterprise, name, values[name])
        if missing:
            enterprise.save(update_fields=missing)
            result.created["enterprise profiles completed"] += 1
    quzhou = Program.objects.get(code="quzhou")
    for code, place_code in QUZHOU_PLACES.items():
        enterprise = enterprises.get(code)
        if enterprise is None:
            continue
        if enterprise.registration_place_id is None:
            enterprise.registration_place = RegistrationPlace.objects.get(
                program=quzhou, code=place_code
            )
            enterprise.save(update_fields=["registration_place"])
        _, created = ProgramListing.objects.get_or_create(
            program=quzhou,
            credit_code=code,
            defaults={
                "name": enterprise.name,
                "registration_place": enterprise.registration_place,
                "listed_on": dt.date(2025, 3, 1),
            },
        )
        result.created["program listings"] += created
    yunfan = enterprises.get("91330800MA2DX00012")
    if yunfan is not None:
        _, created = Patent.objects.get_or_create(
            enterprise=yunfan,
            number="ZL202310000001.X",
            defaults={"title": "一种高导热复合材料的制备方法"},
        )
        result.created["patents"] += created
        for year, revenue, profit in [
            (2023, "18000000.00", "1500000.00"),
            (2024, "22000000.00", "2100000.00"),
            (2025, "26000000.00", "2600000.00"),
        ]:
            _, created = AnnualFigure.objects.get_or_create(
                enterprise=yunfan,
                year=year,
                defaults={"revenue": Decimal(revenue), "profit": Decimal(profit)},
            )
            result.created["annual figures"] += created
    # The submission asks for the three years before this one; keep the demo submittable in later years too.
    this_year = timezone.localdate().year
    for code, figures in (
        ("91330800MA2DX00012", YUNFAN_FIGURES),
        ("91330800MA2DX00025", ZHIHUI_FIGURES),
    ):
        enterprise = enterprises.get(code)
        if enterprise is None:
            continue
        for back, (revenue, profit) in figures.items():
            _, created = AnnualFigure.objects.get_or_create(
                enterprise=enterprise,
                year=this_year - back,
                defaults={"revenue": Decimal(revenue), "profit": Decimal(profit)},
            )
            result.created["annual figures"] += created
    _accounts(result)


# Issue 17: one registration waiting for the Changjiang bureau, so that its page has something to show.
PENDING_CODE_BODY = "91360202MA3PQ0009"
PENDING_NAME = "昌江晶瓷光电科技有限公司"
PENDING_USER = ("qiye-xin", "孙八")


def _accounts(result: DemoResult) -> None:
    """Demo accounts are confirmed and their addresses verified; one new registration waits for the bureau."""
    import json

    from applications.credit_code import check_character
    from applications.models import AccountClaim
    from kedaitong.demo import DEMO_FILE
    from kedaitong.models import User
    from kedaitong.pdf import render_uploaded_sample_pdf
    from kedaitong.roles import Role

    usernames = [row["username"] for row in json.loads(DEMO_FILE.read_text("utf-8"))["users"]]
    now = timezone.now()
    User.objects.filter(username__in=usernames, email_verified_at__isnull=True).update(
        email_verified_at=now
    )
    confirmed = Enterprise.objects.filter(
        members__username__in=usernames, account_confirmed_at__isnull=True
    ).update(account_confirmed_at=now)
    result.created["enterprise accounts confirmed"] += confirmed

    code = PENDING_CODE_BODY + check_character(PENDING_CODE_BODY)
    enterprise, created = Enterprise.objects.get_or_create(
        credit_code=code,
        defaults={"name": PENDING_NAME, "registered_region": "江西省景德镇市昌江区"},
    )
    result.created["enterprises"] += created
    username, display = PENDING_USER
    password = json.loads(DEMO_FILE.read_text("utf-8"))["password"]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            display_name=display,
            email=f"{username}@example.invalid",
            role=Role.ENTERPRISE,
            enterprise=enterprise,
            email_verified_at=now,
        )
        user.set_password(password)
        user.save()
        result.created["users"] += 1
    result.logins.append((username, password, f"{user.get_role_display()}（{enterprise}，待确认）"))
    if not AccountClaim.objects.filter(enterprise=enterprise).exists():
        from django.core.files.base import ContentFile

        changjiang = Program.objects.get(code="changjiang")
        claim = AccountClaim(
            kind=AccountClaim.Kind.REGISTRATION,
            enterprise=enterprise,
            claimant=user,
            program=changjiang,
            statement="本人为公司财务负责人，受法定代表人委托办理科贷通业务。",
            licence_name="营业执照.pdf",
            authorization_name="授权委托书.pdf",
        )
        context = {"enterprise": enterprise, "today": timezone.localdate()}
        licence = render_uploaded_sample_pdf(
            "pdf/demo_evidence.html",
            context
            | {
                "title": "营业执照（副本）",
                "lines": [f"名称：{enterprise.name}", f"统一社会信用代码：{code}"],
            },
        )
        letter = render_uploaded_sample_pdf(
            "pdf/demo_evidence.html",
            context
            | {
                "title": "授权委托书",
                "lines": [f"兹委托{display}代表本公司在科贷通平台办理贷款申请相关事宜。"],
            },
        )
        claim.licence.save("licence.pdf", ContentFile(licence), save=False)
        claim.authorization.save("letter.pdf", ContentFile(letter), save=False)
        claim.save()
        result.created["account claims"] += 1
