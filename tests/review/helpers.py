"""Moves an application along the Changjiang review through the services, as the people would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from applications.models import Application, Enterprise, Qualification
from review import services
from review.models import PublicityBatch
from tests.conftest import Cast

BUREAU_ZONE = ZoneInfo("Asia/Shanghai")


def on_day(day: dt.date, hour: int = 10) -> time_machine.travel:
    """The clock set to `hour` o'clock of the bureau's day `day` (Asia/Shanghai), standing still."""
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(hour), tzinfo=BUREAU_ZONE), tick=False
    )


def open_batch(cast: Cast, day: dt.date, **kwargs: object) -> PublicityBatch:
    """Staff open a publicity batch on the bureau's day `day`, starting that day (第八条: not before)."""
    with on_day(day):
        return services.publicity_batch_create(
            actor=cast.bureau_staff, program=cast.changjiang, start_date=day, **kwargs
        )


def eligible(enterprise: Enterprise) -> Enterprise:
    """Gives the enterprise a valid high-tech certificate: Changjiang 第六条(一)2(1), so the checklist passes."""
    Qualification.objects.get_or_create(
        enterprise=enterprise,
        kind=Qualification.Kind.HIGH_TECH,
        defaults={
            "number": f"GR2024{enterprise.pk:05d}",
            "issued_on": dt.date(2024, 12, 1),
            "valid_until": dt.date(2099, 11, 30),
        },
    )
    return enterprise


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def complete(cast: Cast, application: Application) -> Application:
    """Fills 附件3/附件4's fields and uploads every required material of 附件2, so the enterprise side's submit passes."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications import services as app_services
    from applications.models import MaterialType, ProductType

    Application.objects.filter(pk=application.pk).update(
        purpose="研发投入",
        planned_disbursement_on=dt.date(2026, 12, 1),
        term_months=12,
        annual_rate=Decimal("3.4500"),
        product_type=ProductType.objects.order_by("pk").first(),
    )
    for material in MaterialType.objects.filter(
        program=application.program_version.program, required=True
    ):
        app_services.material_add(
            actor=cast.applicant,
            application=application,
            material_type=material,
            upload=SimpleUploadedFile(f"m{material.number}.pdf", PDF),
        )
    application.refresh_from_db()
    return application


def submitted(cast: Cast, application: Application | None = None) -> Application:
    """A submitted application of enterprise A to bank X (the cast's is created submitted, without a date)."""
    application = application or cast.application_a
    eligible(application.enterprise)
    if application.submitted_at is None:
        Application.objects.filter(pk=application.pk).update(
            submitted_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
        )
    application.refresh_from_db()
    return application


def to_bureau_review(cast: Cast, application: Application | None = None) -> Application:
    application = submitted(cast, application)
    return services.application_accept(actor=cast.bureau_staff, application=application)


def to_group_review(cast: Cast, application: Application | None = None) -> Application:
    application = to_bureau_review(cast, application)
    services.opinion_draft(
        actor=cast.bureau_staff,
        application=application,
        recommendation="approve",
        text="材料齐全，同意推荐",
    )
    services.opinion_sign(actor=cast.bureau_head, application=application)
    application.refresh_from_db()
    return application


def to_bank_review(
    cast: Cast, application: Application | None = None, amount: str = "1000000.00"
) -> Application:
    application = to_group_review(cast, application)
    services.meeting_record(
        actor=cast.leading_group,
        program=cast.changjiang,
        date=dt.date(2026, 1, 20),
        attendees=["leader", "science"],
        minutes="第1次会议",
        decisions=[services.DecisionInput(application, True, Decimal(amount), "同意推荐")],
    )
    application.refresh_from_db()
    return application


def to_publicity(cast: Cast, application: Application | None = None, bank_user=None) -> Application:
    application = to_bank_review(cast, application)
    services.bank_decide(
        actor=bank_user or cast.bank_x_user,
        application=application,
        approved=True,
        opinion="同意授信",
        credit_amount=Decimal("900000.00"),
        annual_rate=Decimal("3.4500"),
        term_months=12,
        head_name="李行长",
    )
    application.refresh_from_db()
    return application
