"""Loading the fictional demo data of fixtures/demo.json. Never called by migrations.

Idempotent: every row is found by its natural key (credit code, bank code,
username, reference, bank and contract number) and created only when
missing; existing rows, passwords included, are left as they are.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from applications.models import (
    Application,
    Enterprise,
    ProductType,
    Program,
    ProgramVersion,
    RegistrationPlace,
)
from kedaitong.models import User
from loans.models import Bank, BankAgreement, Loan

# Apps whose `demo.py` extends the demo after the rows of fixtures/demo.json, in this order.
DEMO_APPS = ["applications", "review", "loans", "compensation", "subsidy", "programs.changjiang"]

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"


@dataclass
class DemoResult:
    created: Counter[str] = field(default_factory=Counter)
    logins: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # (username, password, role and scope)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@transaction.atomic
def demo_load(*, path: Path = DEMO_FILE) -> DemoResult:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    result = DemoResult()
    programs = {p.code: p for p in Program.objects.all()}
    places = {
        (p.program.code, p.code): p for p in RegistrationPlace.objects.select_related("program")
    }
    products = {p.code: p for p in ProductType.objects.all()}

    def version(program_code: str, code: str) -> ProgramVersion:
        return ProgramVersion.objects.get(program__code=program_code, code=code)

    enterprises: dict[str, Enterprise] = {}
    for row in data["enterprises"]:
        defaults = {k: v for k, v in row.items() if k not in ("credit_code", "registration_place")}
        for key in ("revenue", "total_assets", "registered_capital", "paid_in_capital"):
            defaults[key] = Decimal(defaults[key])
        defaults["founded_on"] = _date(defaults.get("founded_on"))
        if row.get("registration_place"):
            defaults["registration_place"] = places[("quzhou", row["registration_place"])]
        obj, created = Enterprise.objects.get_or_create(
            credit_code=row["credit_code"], defaults=defaults
        )
        result.created["enterprises"] += created
        enterprises[obj.credit_code] = obj

    banks: dict[str, Bank] = {}
    for row in data["banks"]:
        bank, created = Bank.objects.get_or_create(
            code=row["code"],
            defaults={"name": row["name"], "contact_name": row.get("contact_name", "")},
        )
        result.created["banks"] += created
        banks[bank.code] = bank
        for agreement in row["agreements"]:
            _, created = BankAgreement.objects.get_or_create(
                bank=bank,
                program=programs[agreement["program"]],
                number=agreement["number"],
                defaults={
                    "starts_on": _date(agreement["starts_on"]),
                    "ends_on": _date(agreement["ends_on"]),
                },
            )
            result.created["agreements"] += created

    password = data["password"]
    for row in data["users"]:
        user = User.objects.filter(username=row["username"]).first()
        if user is None:
            user = User(
                username=row["username"],
                display_name=row["display_name"],
                email=row.get("email", ""),
                role=row["role"],
                enterprise=enterprises.get(row.get("enterprise", "")),
                bank=banks.get(row.get("bank", "")),
                program=programs.get(row.get("program", "")),
                is_staff=row.get("is_staff", False),
                is_superuser=row.get("is_superuser", False),
            )
            user.set_password(password)
            user.save()
            result.created["users"] += 1
        scope = user.enterprise or user.bank or user.program
        label = f"{user.get_role_display()}（{scope}）" if scope else str(user.get_role_display())
        result.logins.append((user.username, password, label))

    applications: dict[str, Application] = {}
    for row in data["applications"]:
        # A draft has no reference (it is numbered at submission): it is found by its creation token.
        token = (
            uuid.uuid5(uuid.NAMESPACE_URL, f"kedaitong-demo:{row['draft_key']}")
            if row.get("draft_key")
            else None
        )
        found = (
            Application.objects.filter(creation_token=token)
            if token
            else Application.objects.filter(reference=row["reference"])
        )
        application = found.first()
        if application is None:
            # Demo rows are created directly in the state they illustrate; real
            # applications only move through the workflow's transitions.
            application = Application.objects.create(
                reference=row["reference"],
                creation_token=token,
                program_version=version(row["program"], row["version"]),
                enterprise=enterprises[row["enterprise"]],
                bank=banks.get(row.get("bank", "")),
                amount=Decimal(row["amount"]),
                term_months=row.get("term_months"),
                product_type=products.get(row.get("product_type", "")),
                purpose=row.get("purpose", ""),
                state=row["state"],
                submitted_at=None
                if row["state"] == Application.State.DRAFT
                else _aware(dt.datetime(2026, 1, 15, 10)),
            )
            result.created["applications"] += 1
        applications[row.get("reference") or row["draft_key"]] = application

    for row in data["loans"]:
        bank = banks[row["bank"]]
        _, created = Loan.objects.get_or_create(
            bank=bank,
            contract_no=row["contract_no"],
            defaults={
                "program_version": version(row["program"], row["version"]),
                "enterprise": enterprises[row["enterprise"]],
                "application": applications.get(row.get("application", "")),
                "contract_date": _date(row.get("contract_date") or row["disbursement_date"]),
                "disbursement_date": _date(row["disbursement_date"]),
                "maturity_date": _date(row["maturity_date"]),
                "principal": Decimal(row["principal"]),
                "annual_rate": Decimal(row["annual_rate"]),
                "lpr_at_pricing": Decimal(row["lpr_at_pricing"])
                if row.get("lpr_at_pricing")
                else None,
                "product_type": products.get(row.get("product_type", "")),
                "purpose": row.get("purpose", ""),
            },
        )
        result.created["loans"] += created

    # Each app may extend the demo with its own records: `<app>/demo.py` with
    # `extend(result: DemoResult) -> None`, idempotent like the rows above.
    for app in DEMO_APPS:
        try:
            module = import_module(f"{app}.demo")
        except ModuleNotFoundError:
            continue
        module.extend(result)
    return result


def _aware(value: dt.datetime) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(value)
