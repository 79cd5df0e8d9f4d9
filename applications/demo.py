"""Demo records of the enterprise side: qualifications, Quzhou registration places, list entries and 附件1 figures.

Idempotent: each record is found by its natural key and created when missing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

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
    ("91360202MA3PQ0001M", "high_tech", "GR202436000101", {"valid_until": dt.date(2027, 12, 1), "issued_on": dt.date(2024, 12, 2)}),
    ("91360202MA3PQ0002Q", "national_tech_sme", "2026360202A0000012", {"year": 2026}),
    ("91360202MA3PQ0003U", "project", "20243BBE51001", {"name": "高性能陶瓷釉料研发", "level": "provincial", "year": 2024,
                                                       "project_type": "省重点研发计划", "executed_as_planned": True}),
    ("91330800MA2DX00012", "provincial_tech_sme", "20253308000123", {"year": 2025}),
    ("91330800MA2DX00025", "provincial_tech_sme", "20253308000456", {"year": 2025}),
]
QUZHOU_PLACES = {"91330800MA2DX00012": "zhizao", "91330800MA2DX00025": "zhihui"}


def extend(result: DemoResult) -> None:
    enterprises = {e.credit_code: e for e in Enterprise.objects.all()}
    for code, kind, number, fields in QUALIFICATIONS:
        enterprise = enterprises.get(code)
        if enterprise is None:
            continue
        _, created = Qualification.objects.get_or_create(enterprise=enterprise, kind=kind, number=number, defaults=fields)
        result.created["qualifications"] += created
    quzhou = Program.objects.get(code="quzhou")
    for code, place_code in QUZHOU_PLACES.items():
        enterprise = enterprises.get(code)
        if enterprise is None:
            continue
        if enterprise.registration_place_id is None:
            enterprise.registration_place = RegistrationPlace.objects.get(program=quzhou, code=place_code)
            enterprise.save(update_fields=["registration_place"])
        _, created = ProgramListing.objects.get_or_create(
            program=quzhou, credit_code=code,
            defaults={"name": enterprise.name, "registration_place": enterprise.registration_place, "listed_on": dt.date(2025, 3, 1)},
        )
        result.created["program listings"] += created
    yunfan = enterprises.get("91330800MA2DX00012")
    if yunfan is not None:
        _, created = Patent.objects.get_or_create(enterprise=yunfan, number="ZL202310000001.X", defaults={"title": "一种高导热复合材料的制备方法"})
        result.created["patents"] += created
        for year, revenue, profit in [(2023, "18000000.00", "1500000.00"), (2024, "22000000.00", "2100000.00"), (2025, "26000000.00", "2600000.00")]:
            _, created = AnnualFigure.objects.get_or_create(
                enterprise=yunfan, year=year, defaults={"revenue": Decimal(revenue), "profit": Decimal(profit)}
            )
            result.created["annual figures"] += created
