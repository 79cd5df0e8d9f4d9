"""Factories for the test suite; reference data (programs, versions, lists) comes from migrations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from applications.credit_code import check_character
from applications.models import Application, Enterprise, ProgramVersion
from kedaitong.models import User
from kedaitong.roles import Role
from loans.models import Bank, BankAgreement, Loan


def credit_code(n: int, region: str = "360202") -> str:
    first17 = f"91{region}MA{n:07d}"
    return first17 + check_character(first17)


def version(program: str = "changjiang") -> ProgramVersion:
    code = {"changjiang": "2025", "quzhou": "2023"}[program]
    return ProgramVersion.objects.get(program__code=program, code=code)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    credit_code = factory.Sequence(lambda n: credit_code(n + 1))
    name = factory.Sequence(lambda n: f"测试科技有限公司{n}")
    registered_region = "江西省景德镇市昌江区"
    industry = "industrial"
    employees = 50
    revenue = Decimal("10000000.00")
    kedaitong_entry_no = (
        "KDT-360202-0001"  # Changjiang 第二条: entered in the Jiangxi provincial system
    )
    # What Changjiang 附件3 and Quzhou 附件1 print, so that a factory enterprise can submit.
    address = "景德镇市昌江区测试路1号"
    legal_representative = "张三"
    contact_phone = "0798-8000001"
    main_business = "工业检测设备研发"
    contact_name = "李四"
    founded_on = dt.date(2018, 3, 15)
    registered_capital = Decimal("10000000.00")
    paid_in_capital = Decimal("8000000.00")
    last_year_sales = Decimal("10000000.00")
    last_year_tax = Decimal("500000.00")
    ip_invention = 2
    ip_utility = 5
    ip_design = 0
    ip_software = 3
    ip_ic_layout = 0
    ip_plant_variety = 0
    ip_other = 0
    staff_college_tech = 30
    staff_rnd = 12
    staff_rnd_recruited = 2
    high_tech_revenue = Decimal("6000000.00")
    rnd_expense = Decimal("800000.00")
    # Issue 17: a factory enterprise's account is confirmed, so that it may submit; tests of
    # unconfirmed accounts set None.
    account_confirmed_at = factory.LazyFunction(timezone.now)


class BankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bank
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"bank-{n}")
    name = factory.Sequence(lambda n: f"测试银行{n}支行")


class BankAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BankAgreement

    bank = factory.SubFactory(BankFactory)
    program = factory.LazyFunction(lambda: version("changjiang").program)
    starts_on = dt.date(2025, 1, 1)
    ends_on = dt.date(2027, 12, 31)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username)
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.invalid")
    email_verified_at = factory.LazyFunction(timezone.now)
    role = Role.BUREAU_STAFF

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: object) -> None:  # noqa: N805
        obj.set_password(extracted or "correct-horse-battery")
        if create:
            obj.save(update_fields=["password"])


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    # A draft has no reference, as in the portal (it is numbered at submission); the others get T-000001.
    reference = factory.LazyAttributeSequence(
        lambda o, n: None if o.state == Application.State.DRAFT else f"T-{n:06d}"
    )
    program_version = factory.LazyFunction(lambda: version("changjiang"))
    enterprise = factory.SubFactory(EnterpriseFactory)
    bank = factory.SubFactory(BankFactory)
    amount = Decimal("1000000.00")
    term_months = 12
    state = Application.State.SUBMITTED


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    program_version = factory.LazyFunction(lambda: version("changjiang"))
    enterprise = factory.SubFactory(EnterpriseFactory)
    bank = factory.SubFactory(BankFactory)
    contract_no = factory.Sequence(lambda n: f"HT-{n:06d}")
    disbursement_date = dt.date(2026, 2, 10)
    contract_date = factory.SelfAttribute("disbursement_date")
    maturity_date = dt.date(2027, 2, 9)
    principal = Decimal("1000000.00")
    annual_rate = Decimal("3.4500")


def granted_after_publicity(application: Application, amount: Decimal) -> Application:
    """Changjiang 第八条: `application` had its credit of `amount` publicized (a past, closed batch) and granted."""
    from django.utils import timezone

    from review.models import PublicityBatch, PublicityEntry

    clerk = UserFactory(
        username=f"publicity-{application.pk}",
        role=Role.BUREAU_STAFF,
        program=application.program_version.program,
    )
    batch = PublicityBatch.objects.create(
        program=application.program_version.program,
        start_date=dt.date(2025, 11, 3),
        end_date=dt.date(2025, 11, 7),
        created_by=clerk,
        closed_at=timezone.now(),
    )
    PublicityEntry.objects.create(batch=batch, application=application, credit_amount=amount)
    return application
