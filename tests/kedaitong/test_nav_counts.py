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


def test_the_menu_list_is_the_one_the_template_loop_drew():
    """Issue 20: `{% nav_list %}` draws base.html's menu as its loop did, character for character: the current
    page marked, counts beside their items, labels and URLs escaped."""
    from django.template import engines
    from django.utils.translation import gettext_lazy

    from kedaitong.context_processors import NavItem

    loop = (
        "{% for item in nav_items %}\n"
        '            <li><a href="{{ item.url }}"{% if request.path == item.url %} aria-current="page"{% endif %}>'
        '{{ item.label }}{% if item.count %} <span class="nav-count">{{ item.count }}</span>{% endif %}</a></li>\n'
        "          {% endfor %}"
    )
    items = [
        NavItem("/", gettext_lazy("Home")),
        NavItem("/review/queue/", gettext_lazy("Review queue"), 1234),
        NavItem("/a?b=1&c=<2>", "<b>甲&乙</b>", 0),
        NavItem("/review/inbox/", gettext_lazy("Inbox"), 7),
    ]
    engine = engines["django"]
    drawn = {}
    for path in ("/review/queue/", "/a?b=1&c=<2>", "/elsewhere/"):
        request = RequestFactory().get("/")
        request.path = path
        context = {"nav_items": items, "request": request}
        expected = engine.from_string(loop).render(context)
        drawn[path] = engine.from_string("{% load navigation %}{% nav_list %}").render(context)
        assert drawn[path] == expected
    assert 'href="/review/queue/" aria-current="page">' in drawn["/review/queue/"]
    assert "aria-current" not in drawn["/elsewhere/"]
    assert "&lt;b&gt;甲&amp;乙&lt;/b&gt;" in drawn["/elsewhere/"]
    assert '<span class="nav-count">1234</span>' in drawn["/elsewhere/"]


def test_a_keyed_count_is_compiled_once_and_counts_the_rows_there_are_now(cast, monkeypatch):
    """Issue 20: a count given a key (a nav item's `counting_key`) reuses its compiled SQL, and the count is
    still taken from the rows of the moment."""
    from kedaitong import db

    compiled = []
    real = db._compiled_count
    monkeypatch.setattr(db, "_compiled_count", lambda *a: compiled.append(1) or real(*a))
    staff = cast.bureau_staff
    key = ("test.unread", staff.pk)

    def unread() -> int:
        qs = Notification.objects.filter(user=staff, read_at__isnull=True)
        return count_many([qs, Notification.objects.none()], keys=[key, ("test.none",)])[0]

    before = unread()
    Notification.objects.create(user=staff, message="新消息")
    assert unread() == before + 1
    assert unread() == Notification.objects.filter(user=staff, read_at__isnull=True).count()
    assert len(compiled) <= 2  # once for each key, whatever the number of counts
