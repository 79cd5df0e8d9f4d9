"""Notifications of the review: the bureau learns of publicity batches and objections; the inbox and mark-as-read."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from kedaitong.roles import Role
from review import services
from review.models import Notification, PublicityEntry
from tests.factories import UserFactory
from tests.review.helpers import to_publicity

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails(cast):
    for user, address in [
        (cast.bureau_staff, "staff@example.invalid"),
        (cast.bureau_head, "head@example.invalid"),
        (cast.auditor, "audit@example.invalid"),
    ]:
        user.email = address
        user.save()
    return UserFactory(
        username="qz", role=Role.BUREAU_STAFF, program=cast.quzhou, email="qz@example.invalid"
    )


def addresses() -> set[str]:
    return {a for m in mail.outbox for a in m.to}


def test_opening_a_batch_notifies_the_bureau(cast, emails, django_capture_on_commit_callbacks):
    to_publicity(cast)
    mail.outbox.clear()
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.publicity_batch_create(
            actor=cast.bureau_staff, program=cast.changjiang, start_date=timezone.localdate()
        )
    note = Notification.objects.get(user=cast.bureau_head)
    assert str(batch) in note.message and "1" in note.message
    assert Notification.objects.filter(user=cast.bureau_staff).exists()
    assert not Notification.objects.filter(user__in=[emails, cast.auditor]).exists()
    assert {"staff@example.invalid", "head@example.invalid"} <= addresses()
    assert not {"qz@example.invalid", "audit@example.invalid"} & addresses()
    assert any(cast.application_a.reference in m.body for m in mail.outbox)


def test_no_mail_leaves_before_commit(cast, emails, django_capture_on_commit_callbacks):
    to_publicity(cast)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.publicity_batch_create(
            actor=cast.bureau_staff, program=cast.changjiang, start_date=timezone.localdate()
        )
    assert mail.outbox == [] and callbacks


def test_a_new_objection_notifies_the_bureau_with_a_link(
    client, cast, emails, django_capture_on_commit_callbacks
):
    to_publicity(cast)
    batch = services.publicity_batch_create(
        actor=cast.bureau_staff, program=cast.changjiang, start_date=timezone.localdate()
    )
    entry = PublicityEntry.objects.get(batch=batch)
    Notification.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/publicity/entries/{entry.public_id}/object/",
            {"name": "李四", "contact": "139", "reason": "该企业存在环保处罚"},
        )
    assert response.status_code == 200
    note = Notification.objects.get(user=cast.bureau_staff)
    assert note.application == cast.application_a and cast.application_a.reference in note.message
    assert "staff@example.invalid" in addresses() and "qz@example.invalid" not in addresses()
    assert any("该企业存在环保处罚" in m.body for m in mail.outbox)
    client.force_login(cast.bureau_staff)
    inbox = client.get("/review/inbox/").content.decode()
    assert f"/review/applications/{cast.application_a.public_id}/" in inbox


def test_the_inbox_lists_only_ones_own_and_marks_them_read(client, cast):
    mine = [
        Notification.objects.create(user=cast.bureau_staff, message=f"消息{i}") for i in range(3)
    ]
    theirs = Notification.objects.create(user=cast.bureau_head, message="别人的消息")
    client.force_login(cast.bureau_staff)
    page = client.get("/review/inbox/").content.decode()
    assert all(n.message in page for n in mine) and "别人的消息" not in page
    assert page.count('class="unread"') == 3
    assert 'href="/review/inbox/"' in page and '<span class="nav-count">3</span>' in page
    response = client.post("/review/inbox/")
    assert response.status_code == 302
    assert not Notification.objects.filter(user=cast.bureau_staff, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None  # another user's stay unread
    page = client.get("/review/inbox/").content.decode()
    assert 'class="unread"' not in page and "消息0" in page
    nav = page[page.index('href="/review/inbox/"') :]
    assert "nav-count" not in nav[: nav.index("</a>")]


def test_the_inbox_needs_a_login(client):
    response = client.get("/review/inbox/")
    assert response.status_code == 302 and "/login" in response["Location"]
    assert client.post("/review/inbox/").status_code == 302
