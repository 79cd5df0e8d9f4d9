"""Issue 20 item 2: when an application entered its state is stored (`state_entered_at`), kept by every logged
transition, backfilled from the audit trail, and read by the queue's age and review_overdue as the trail was."""

from __future__ import annotations

import datetime as dt
import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from applications.models import Application
from applications.services import application_submit
from kedaitong.models import AuditEntry
from review import services
from tests.factories import ApplicationFactory
from tests.review.helpers import complete, submitted, to_bureau_review, to_publicity

pytestmark = pytest.mark.django_db

S = Application.State


def by_the_trail(application: Application) -> dt.datetime | None:
    """What the queue's age read per row before: the latest audit row into the current state."""
    return (
        AuditEntry.objects.for_object(application)
        .filter(to_state=application.state)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def stored(application: Application) -> dt.datetime | None:
    return Application.objects.values_list("state_entered_at", flat=True).get(pk=application.pk)


def test_every_transition_dates_the_entry_into_its_state(cast, time_machine):
    application = submitted(cast)  # the cast's: submitted without a logged transition
    assert stored(application) is None
    accepted = to_bureau_review(cast, application)
    assert stored(accepted) == by_the_trail(accepted) is not None
    time_machine.move_to(timezone.now() + dt.timedelta(days=2))
    # on through the opinion, the meeting and the bank's decision: each entry dated, the last one kept
    published = to_publicity(cast, cast.application_b, bank_user=cast.bank_y_user)
    assert published.state == S.PUBLICITY
    assert stored(published) == by_the_trail(published) > stored(accepted)
    states = set(AuditEntry.objects.for_object(published).values_list("to_state", flat=True))
    assert {"bureau_review", "group_review", "bank_review", "publicity"} <= states


def test_the_instance_a_step_returns_carries_the_date(cast):
    accepted = services.application_accept(actor=cast.bureau_staff, application=submitted(cast))
    assert accepted.state_entered_at is not None
    assert accepted.state_entered_at == stored(accepted) == by_the_trail(accepted)


def test_a_second_round_into_a_state_dates_it_again(cast, time_machine):
    application = to_bureau_review(cast)
    services.application_return(
        actor=cast.bureau_staff,
        application=application,
        reasons=[services.ReturnReason("营业执照", "已过期")],
    )
    application.refresh_from_db()
    returned_at = application.state_entered_at
    assert application.state == S.RETURNED and returned_at == by_the_trail(application)
    time_machine.move_to(timezone.now() + dt.timedelta(days=6))
    application_submit(actor=cast.applicant, application=complete(cast, application))
    application.refresh_from_db()
    assert application.state == S.SUBMITTED
    assert application.state_entered_at == by_the_trail(application)
    assert application.state_entered_at - returned_at >= dt.timedelta(days=6)


def test_an_audit_row_into_another_state_or_an_older_one_changes_nothing(cast):
    application = to_bureau_review(cast)
    kept = stored(application)
    content_type = ContentType.objects.get_for_model(Application)
    for state, at in [("returned", timezone.now()), ("bureau_review", kept - dt.timedelta(days=9))]:
        AuditEntry.objects.create(
            at=at,
            action="applications.application.test",
            content_type=content_type,
            object_id=str(application.pk),
            to_state=state,
        )
    assert stored(application) == kept


def test_the_age_counts_from_the_entry_into_the_state_not_the_submission(
    client, cast, time_machine
):
    """Submitted on 5 January (the cast's), accepted today: three days later it has waited three days."""
    application = to_bureau_review(cast)
    time_machine.move_to(timezone.now() + dt.timedelta(days=3))
    client.force_login(cast.bureau_staff)
    page = client.get("/review/queue/").content.decode()
    ages = dict(
        re.findall(
            r'">([A-Z0-9-]+)</a></td>.*?<td class="num age"[^>]*>([^<]+)</td>', page, flags=re.S
        )
    )
    assert ages[application.reference] == "3"


def test_the_backfill_takes_the_latest_audit_row_into_the_current_state(cast):
    moved = to_bureau_review(cast)
    never_moved = ApplicationFactory(submitted_at=timezone.now() - dt.timedelta(days=4))
    elsewhere = ApplicationFactory()
    content_type = ContentType.objects.get_for_model(Application)
    latest = timezone.now() + dt.timedelta(hours=1)
    for application, state, at in [
        (moved, "bureau_review", latest),
        (moved, "bureau_review", latest - dt.timedelta(days=3)),
        (elsewhere, "returned", latest),  # not its state: it keeps counting from its submission
    ]:
        AuditEntry.objects.create(
            at=at,
            action="applications.application.test",
            content_type=content_type,
            object_id=str(application.pk),
            to_state=state,
        )
    Application.objects.update(state_entered_at=None)  # as before the migration

    import_module(
        "applications.migrations.0014_application_state_entered_at"
    ).entered_from_the_audit_trail(django_apps, None)

    assert stored(moved) == latest == by_the_trail(moved)
    assert stored(never_moved) is None and stored(elsewhere) is None
    assert stored(cast.application_b) is None
