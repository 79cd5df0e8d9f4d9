"""Issue 20 item 2: the menu's counts are the same numbers as before, taken in one query, and only when a page
shows the menu."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import AccountClaim, Application
from compensation.models import Claim, ClaimState
from kedaitong.context_processors import menu, navigation
from kedaitong.db import count_many
from kedaitong.models import Notification
from review.selectors import queue_for
from tests.access_matrix_table import dispute_over_a
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def in_a_request(user):
    """The user as ProgramMiddleware leaves it for a request (its per-request cache empty)."""
    user.program_choice = None
    user._scope_cache = {}
    return user


def test_count_many_counts_each_queryset_in_one_query(cast):
    querysets = [
        Application.objects.all(),
        Application.objects.filter(state=Application.State.SUBMITTED, amount__gt=0),
        Application.objects.none(),
        Application.objects.filter(pk__in=[]),
        Notification.objects.filter(message__contains="%"),
    ]
    expected = [qs.count() for qs in querysets]
    with CaptureQueriesContext(connection) as queries:
        assert count_many(querysets) == expected
    assert len(queries) == 1
    assert count_many([]) == []


def test_the_menu_counts_are_the_numbers_they_were_in_one_query(cast):
    for _ in range(3):
        ApplicationFactory(bank=cast.bank_x)
    dispute_over_a(cast)
    staff = in_a_request(cast.bureau_staff)
    for i in range(4):
        Notification.objects.create(user=staff, message=f"m{i}")
    Notification.objects.filter(message="m0").update(read_at=cast.application_a.created_at)
    expected = {
        "/review/queue/": queue_for(staff).count(),
        reverse("applications:claim-list"): AccountClaim.objects.filter(program=staff.program_id)
        .waiting()
        .count(),
        reverse("compensation:claim-list"): Claim.objects.visible_to(staff)
        .filter(state=ClaimState.SUBMITTED)
        .count(),
        reverse("review:inbox"): Notification.objects.filter(
            user=staff, read_at__isnull=True
        ).count(),
    }
    assert expected["/review/queue/"] == 5 and expected[reverse("review:inbox")] == 3
    assert expected[reverse("applications:claim-list")] == 1
    staff = in_a_request(cast.bureau_staff)
    staff.program  # noqa: B018 - the program is loaded with the user in a request
    with CaptureQueriesContext(connection) as queries:
        items = menu(staff)
    counting = [q for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counting) == 1 and len(queries) == 1, [q["sql"] for q in queries]
    found = {item.url: item.count for item in items}
    for url, count in expected.items():
        assert found[url] == (count or None), url
    assert all(item.counting is None for item in items)


@pytest.mark.parametrize("who", ["bureau_staff", "bureau_head", "leading_group", "bank_x_user"])
def test_the_queue_count_in_the_menu_is_the_queues(cast, who):
    Application.objects.filter(pk=cast.application_b.pk).update(state=Application.State.BANK_REVIEW)
    user = in_a_request(getattr(cast, who))
    found = {item.url: item.count for item in menu(user)}
    assert found["/review/queue/"] == (queue_for(in_a_request(getattr(cast, who))).count() or None)


def test_the_menu_is_worked_out_only_when_a_page_shows_it(cast):
    request = RequestFactory().get("/")
    request.user = in_a_request(cast.bureau_staff)
    with CaptureQueriesContext(connection) as queries:
        context = navigation(request)
    assert len(queries) == 0
    urls = [item.url for item in context["nav_items"]]
    assert urls[0] == "/" and "/review/queue/" in urls
