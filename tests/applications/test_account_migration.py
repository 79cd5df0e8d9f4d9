"""Accounts from before issue 17: confirmed where the bureau or a bank has dealt with the enterprise."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from applications.models import Application, Enterprise
from kedaitong.models import User
from kedaitong.roles import Role
from tests.factories import ApplicationFactory, EnterpriseFactory, LoanFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_existing_accounts_are_confirmed_by_their_record_and_passwords_count_as_verified():
    submitted, borrower, drafting, lonely = (
        EnterpriseFactory(account_confirmed_at=None) for _ in range(4)
    )
    for enterprise in (submitted, borrower, drafting):
        UserFactory(role=Role.ENTERPRISE, enterprise=enterprise, email_verified_at=None)
    ApplicationFactory(enterprise=submitted, submitted_at=timezone.now())
    LoanFactory(enterprise=borrower)
    ApplicationFactory(enterprise=drafting, state=Application.State.DRAFT)
    ApplicationFactory(enterprise=lonely)  # submitted, but nobody's account to confirm
    invited = UserFactory(role=Role.ENTERPRISE, enterprise=drafting, email_verified_at=None)
    invited.set_unusable_password()
    invited.save()

    import_module("applications.migrations.0009_account_confirmation").confirmed_by_the_record(
        apps, None
    )
    import_module("kedaitong.migrations.0007_user_email_verified").verified_before_the_rule(
        apps, None
    )

    confirmed = set(
        Enterprise.objects.filter(account_confirmed_at__isnull=False).values_list("pk", flat=True)
    )
    assert {submitted.pk, borrower.pk} <= confirmed
    assert drafting.pk not in confirmed and lonely.pk not in confirmed
    assert not User.objects.filter(email_verified_at__isnull=True).exclude(pk=invited.pk).exists()
    invited.refresh_from_db()
    assert invited.email_verified_at is None  # an invitation never answered proves nothing
