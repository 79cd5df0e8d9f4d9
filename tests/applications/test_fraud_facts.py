"""Quzhou 六: a real FraudRecord reaches the enterprise facts, and a Quzhou application is blocked by it."""

from __future__ import annotations

import datetime as dt

import pytest

from applications import services
from applications.models import Application
from applications.selectors import eligibility_now, enterprise_facts
from subsidy.models import FraudRecord
from tests.applications.test_submit import quzhou_draft

pytestmark = pytest.mark.django_db


def record(cast, **who):
    return FraudRecord.objects.create(
        program=cast.quzhou,
        found_on=dt.date(2025, 5, 1),
        description="虚报利息结算单骗取贴息",
        evidence="fraud.pdf",
        recorded_by=cast.admin,
        **who,
    )


def test_enterprise_facts_pick_up_the_fraud_record_of_the_program(cast):
    application = quzhou_draft(cast)
    assert enterprise_facts(cast.enterprise_a, cast.quzhou).fraud == ""
    record(cast, bank=cast.bank_x)  # a bank's record does not bar the enterprise
    assert enterprise_facts(cast.enterprise_a, cast.quzhou).fraud == ""
    record(cast, enterprise=cast.enterprise_a)
    assert (
        enterprise_facts(cast.enterprise_a, cast.quzhou).fraud
        == "已被认定骗取贷款或贴息（2025-05-01）"
    )
    assert (
        enterprise_facts(cast.enterprise_a, cast.changjiang).fraud == ""
    )  # a record is per program
    fraud = next(r for r in eligibility_now(application) if r.code == "quzhou.fraud")
    assert fraud.status == "fail" and "2025-05-01" in fraud.reason


def test_a_quzhou_application_of_a_defrauding_enterprise_is_refused(cast):
    application = quzhou_draft(cast)
    record(cast, enterprise=cast.enterprise_a)
    with pytest.raises(services.DomainError) as refused:
        services.application_submit(actor=cast.applicant, application=application)
    assert any(
        "骗取贷款或贴息（2025-05-01）" in p and "不得再参与" in p for p in refused.value.problems
    )
    assert Application.objects.get(pk=application.pk).state == Application.State.DRAFT
