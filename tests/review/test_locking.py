"""Optimistic locking beyond the state: a draft saved meanwhile is not signed or replaced unseen (issue 4, 1)."""

from __future__ import annotations

import re

import pytest

from applications.models import Application
from kedaitong.roles import Role
from review import services
from review.models import Opinion
from tests.confirming import post_confirmed
from tests.factories import UserFactory
from tests.review.helpers import to_bureau_review

pytestmark = pytest.mark.django_db

S = Application.State


def act(client, application, **data):
    return post_confirmed(client, f"/review/applications/{application.public_id}/act/", data)


def seen_draft(page: str) -> str:
    found = re.findall(r'name="seen_draft" value="(\d+)"', page)
    assert found, "the form carries the draft it shows"
    return found[0]


def test_the_head_cannot_sign_a_draft_saved_after_loading_the_page(client, cast):
    application = to_bureau_review(cast)
    services.opinion_draft(
        actor=cast.bureau_staff, application=application, recommendation="approve", text="同意推荐"
    )
    client.force_login(cast.bureau_head)
    loaded = seen_draft(
        client.get(f"/review/applications/{application.public_id}/").content.decode()
    )
    # Staff change their mind while the head reads the approval: a rejection replaces it.
    rejection = services.opinion_draft(
        actor=cast.bureau_staff,
        application=application,
        recommendation="reject",
        text="经营异常，不予推荐",
    )
    response = act(
        client,
        application,
        action="sign",
        seen_state="bureau_review",
        seen_draft=loaded,
        comment="同意，请专班研究",
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "staff" in page and "经营异常，不予推荐" in page and "不予推荐" in page
    assert "同意，请专班研究" in page  # what the head typed is shown again
    application.refresh_from_db()
    assert application.state == S.BUREAU_REVIEW
    rejection.refresh_from_db()
    assert rejection.head is None and rejection.signed_at is None
    assert not Opinion.objects.filter(application=application, signed_at__isnull=False).exists()
    # Having read the rejection, the head signs the draft now shown.
    again = seen_draft(page)
    assert again == str(rejection.pk)
    assert (
        act(
            client, application, action="sign", seen_state="bureau_review", seen_draft=again
        ).status_code
        == 302
    )
    assert Application.objects.get(pk=application.pk).state == S.REJECTED


def test_a_second_draft_does_not_silently_replace_the_first(client, cast):
    application = to_bureau_review(cast)
    colleague = UserFactory(username="staff2", role=Role.BUREAU_STAFF, program=cast.changjiang)
    client.force_login(cast.bureau_staff)
    page = client.get(f"/review/applications/{application.public_id}/").content.decode()
    assert 'name="seen_draft" value="0"' in page
    first = services.opinion_draft(
        actor=colleague, application=application, recommendation="approve", text="同意推荐"
    )
    response = act(
        client,
        application,
        action="draft",
        seen_state="bureau_review",
        seen_draft="0",
        recommendation="reject",
        text="研发投入不足，建议不予推荐",
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "staff2" in page and "同意推荐" in page
    assert "研发投入不足，建议不予推荐" in page
    assert list(Opinion.objects.filter(application=application).values_list("pk", flat=True)) == [
        first.pk
    ]
    assert Application.objects.get(pk=application.pk).state == S.BUREAU_REVIEW
    # The same text posted against the draft now shown replaces it knowingly.
    assert (
        act(
            client,
            application,
            action="draft",
            seen_state="bureau_review",
            seen_draft=str(first.pk),
            recommendation="reject",
            text="研发投入不足，建议不予推荐",
        ).status_code
        == 302
    )
    assert (
        services.selectors.unsigned_bureau_draft(application).text == "研发投入不足，建议不予推荐"
    )


def test_typed_text_is_shown_even_when_the_state_moved_on(client, cast):
    """The draft form is gone once the head signed, yet what staff typed is on the page."""
    application = to_bureau_review(cast)
    client.force_login(cast.bureau_staff)
    client.get(f"/review/applications/{application.public_id}/")
    draft = services.opinion_draft(
        actor=UserFactory(username="staff2", role=Role.BUREAU_STAFF, program=cast.changjiang),
        application=application,
        recommendation="approve",
        text="同意",
    )
    services.opinion_sign(actor=cast.bureau_head, application=application, seen_draft=draft.pk)
    response = act(
        client,
        application,
        action="draft",
        seen_state="bureau_review",
        seen_draft="0",
        recommendation="approve",
        text="我写的意见：同意推荐",
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "我写的意见：同意推荐" in page and 'name="action" value="draft"' not in page
    assert Opinion.objects.filter(application=application).count() == 1


def test_the_service_refuses_a_stale_draft_and_names_it(cast):
    application = to_bureau_review(cast)
    approval = services.opinion_draft(
        actor=cast.bureau_staff,
        application=application,
        recommendation="approve",
        text="同意",
        seen_draft=services.NO_DRAFT,
    )
    services.opinion_draft(
        actor=cast.bureau_staff,
        application=application,
        recommendation="reject",
        text="不同意",
        seen_draft=approval.pk,
    )
    with pytest.raises(services.StaleDraft) as exc:
        services.opinion_sign(
            actor=cast.bureau_head, application=application, seen_draft=approval.pk
        )
    assert "不同意" in str(exc.value) and "staff" in str(exc.value)
    assert Application.objects.get(pk=application.pk).state == S.BUREAU_REVIEW
