"""The reads the review page uses: the checklist now and the checklist stored at submission, both lists of RuleResult."""

from __future__ import annotations

from decimal import Decimal

import pytest

from applications import services
from applications.eligibility import RuleResult
from applications.models import Application, Qualification
from applications.selectors import eligibility_at_submission, eligibility_now
from tests.applications.test_submit import changjiang_draft
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def statuses(results: list[RuleResult]) -> dict[str, str]:
    return {r.code: r.status for r in results}


def test_eligibility_now_judges_the_enterprise_and_the_application_today(cast):
    cast.application_a.delete()
    application = changjiang_draft(cast, amount=Decimal("6000000.00"))
    results = eligibility_now(application)
    assert results and all(isinstance(r, RuleResult) for r in results)
    assert all(r.article and r.reason and r.status in ("pass", "fail", "unknown") for r in results)
    lines = statuses(results)
    assert lines["changjiang.tech"] == "pass"
    assert lines["changjiang.amount"] == "fail"


def test_a_draft_has_no_checklist_at_submission(cast):
    cast.application_a.delete()
    application = ApplicationFactory(enterprise=cast.enterprise_a, state=Application.State.DRAFT)
    assert eligibility_at_submission(application) is None


def test_the_checklist_at_submission_stays_while_the_checklist_now_follows_the_records(cast):
    cast.application_a.delete()
    application = services.application_submit(
        actor=cast.applicant, application=changjiang_draft(cast)
    )
    Qualification.objects.filter(enterprise=cast.enterprise_a).delete()
    application.refresh_from_db()
    stored = eligibility_at_submission(application)
    assert stored is not None and all(isinstance(r, RuleResult) for r in stored)
    assert statuses(stored)["changjiang.tech"] == "pass"
    assert statuses(eligibility_now(application))["changjiang.tech"] == "fail"
