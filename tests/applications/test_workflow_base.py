"""The transitions every program shares: submit and withdraw, guarded against concurrent saves."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from applications.models import Application
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_a_draft_is_submitted_once():
    application = ApplicationFactory(state=Application.State.DRAFT)
    application.submit()
    application.save()
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED and application.submitted_at is not None
    assert not can_proceed(application.submit)
    with pytest.raises(TransitionNotAllowed):
        application.submit()


def test_state_cannot_be_assigned_by_hand():
    application = ApplicationFactory(state=Application.State.DRAFT)
    with pytest.raises(AttributeError):
        application.state = Application.State.DISBURSED


def test_a_stale_copy_cannot_overwrite_a_newer_transition():
    application = ApplicationFactory(state=Application.State.DRAFT)
    first = Application.objects.get(pk=application.pk)
    second = Application.objects.get(pk=application.pk)
    first.submit()
    first.save()
    second.withdraw()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    assert Application.objects.get(pk=application.pk).state == Application.State.SUBMITTED
