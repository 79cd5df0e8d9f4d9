"""The review queue: filters, sorting, pagination, the age of each item, and the counts in the navigation."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from applications.models import Application
from kedaitong.models import AuditEntry
from review.models import Opinion
from tests.factories import ApplicationFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db

S = Application.State


def days_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n, hours=1)


@pytest.fixture
def apps(cast):
    """Four submitted applications of the Changjiang program (the cast's two are moved out of the queue)."""
    Application.objects.filter(pk__in=[cast.application_a.pk, cast.application_b.pk]).update(
        state=S.DRAFT
    )
    made = {}
    for ref, name, bank, amount, submitted in [
        ("Q-1", "丙电子", cast.bank_x, "300000.00", dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)),
        ("Q-2", "丁生物", cast.bank_y, "1200000.00", dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC)),
        ("Q-3", "戊材料", cast.bank_x, "800000.00", dt.datetime(2026, 3, 16, 10, tzinfo=dt.UTC)),
        ("Q-4", "甲能源", cast.bank_y, "5000000.00", dt.datetime(2026, 3, 23, 10, tzinfo=dt.UTC)),
    ]:
        made[ref] = ApplicationFactory(
            reference=ref,
            enterprise=EnterpriseFactory(name=name),
            bank=bank,
            amount=Decimal(amount),
            submitted_at=submitted,
        )
    return made


def entered(application: Application, state: str, at: dt.datetime) -> AuditEntry:
    return AuditEntry.objects.create(
        at=at,
        action="applications.application.test",
        content_type=ContentType.objects.get_for_model(Application),
        object_id=str(application.pk),
        object_repr=application.reference,
        from_state="submitted",
        to_state=state,
    )


def refs(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(
        r'/review/applications/[0-9a-f-]{36}/">([A-Z0-9-]+)</a>', response.content.decode()
    )


def ages(response) -> dict[str, str]:
    page = response.content.decode()
    return dict(
        re.findall(
            r'">([A-Z0-9-]+)</a></td>.*?<td class="num age"[^>]*>([^<]+)</td>', page, flags=re.S
        )
    )


def test_default_is_oldest_first_and_every_sort_orders(client, cast, apps):
    client.force_login(cast.bureau_staff)
    assert refs(client.get("/review/queue/")) == ["Q-1", "Q-2", "Q-3", "Q-4"]
    assert refs(client.get("/review/queue/", {"sort": "-age"})) == ["Q-4", "Q-3", "Q-2", "Q-1"]
    assert refs(client.get("/review/queue/", {"sort": "-amount"})) == ["Q-4", "Q-2", "Q-3", "Q-1"]
    assert refs(client.get("/review/queue/", {"sort": "amount"})) == ["Q-1", "Q-3", "Q-2", "Q-4"]
    assert refs(client.get("/review/queue/", {"sort": "-submitted"})) == [
        "Q-4",
        "Q-3",
        "Q-2",
        "Q-1",
    ]
    by_name = refs(client.get("/review/queue/", {"sort": "name"}))
    assert sorted(by_name) == ["Q-1", "Q-2", "Q-3", "Q-4"] and len(by_name) == 4


def test_pagination_keeps_the_filters(client, cast, apps):
    for i in range(8):
        ApplicationFactory(
            reference=f"Q-P{i}",
            bank=cast.bank_x,
            submitted_at=dt.datetime(2026, 4, 1 + i, tzinfo=dt.UTC),
        )
    client.force_login(cast.bureau_staff)
    first = client.get("/review/queue/", {"size": 10})
    assert len(refs(first)) == 10 and "page=2" in first.content.decode()
    second = client.get("/review/queue/", {"size": 10, "page": 2})
    assert refs(second) == ["Q-P6", "Q-P7"]
    filtered = client.get("/review/queue/", {"size": 10, "bank": "bank-x"}).content.decode()
    assert "bank=bank-x" in filtered  # the pager's links carry the filter
    assert refs(client.get("/review/queue/", {"size": 10, "page": 9})) == [
        "Q-P6",
        "Q-P7",
    ]  # past the end: last page


def test_filter_by_bank(client, cast, apps):
    client.force_login(cast.bureau_staff)
    assert refs(client.get("/review/queue/", {"bank": "bank-x"})) == ["Q-1", "Q-3"]
    assert refs(client.get("/review/queue/", {"bank": "bank-y"})) == ["Q-2", "Q-4"]
    page = client.get("/review/queue/").content.decode()
    assert 'value="bank-x"' in page and 'value="bank-y"' in page
    client.force_login(cast.bank_x_user)  # a bank's queue is its own: no bank filter
    assert 'name="bank"' not in client.get("/review/queue/").content.decode()


def test_filter_by_submission_dates(client, cast, apps):
    client.force_login(cast.bureau_staff)
    assert refs(client.get("/review/queue/", {"submitted_from": "2026-03-09"})) == [
        "Q-2",
        "Q-3",
        "Q-4",
    ]
    assert refs(client.get("/review/queue/", {"submitted_to": "2026-03-09"})) == ["Q-1", "Q-2"]
    assert refs(
        client.get("/review/queue/", {"submitted_from": "2026-03-09", "submitted_to": "2026-03-16"})
    ) == ["Q-2", "Q-3"]
    refused = client.get(
        "/review/queue/", {"submitted_from": "2026-03-16", "submitted_to": "2026-03-09"}
    )
    assert refused.status_code == 400 and "结束日期早于开始日期" in refused.content.decode()
    assert 'value="2026-03-16"' in refused.content.decode()


def test_filter_by_amount(client, cast, apps):
    client.force_login(cast.bureau_staff)
    assert refs(client.get("/review/queue/", {"amount_min": "800000"})) == ["Q-2", "Q-3", "Q-4"]
    assert refs(client.get("/review/queue/", {"amount_max": "800000.00"})) == ["Q-1", "Q-3"]
    assert refs(
        client.get("/review/queue/", {"amount_min": "300000.01", "amount_max": "1200000"})
    ) == ["Q-2", "Q-3"]
    bad = client.get("/review/queue/", {"amount_min": "1.005"})
    assert bad.status_code == 400 and "1.005" in bad.content.decode()


def test_filter_by_state_offers_every_state_of_the_queue(client, cast, apps):
    Application.objects.filter(pk=apps["Q-2"].pk).update(state=S.BUREAU_REVIEW)
    client.force_login(cast.bureau_staff)
    page = client.get("/review/queue/").content.decode()
    assert 'value="submitted"' in page and 'value="bureau_review"' in page
    assert refs(client.get("/review/queue/", {"state": "bureau_review"})) == ["Q-2"]
    client.force_login(cast.bank_x_user)
    page = client.get("/review/queue/").content.decode()
    assert (
        'value="bank_review"' in page
        and 'value="credit_granted"' in page
        and 'value="submitted"' not in page
    )


def test_search_by_name_or_credit_code(client, cast, apps):
    client.force_login(cast.bureau_staff)
    assert refs(client.get("/review/queue/", {"q": "生物"})) == ["Q-2"]
    code = apps["Q-3"].enterprise.credit_code
    assert refs(client.get("/review/queue/", {"q": code.lower()})) == ["Q-3"]


def test_age_counts_from_entering_the_current_state(client, cast, apps):
    """An application submitted 20 days ago but accepted 3 days ago has waited 3 days in review."""
    Application.objects.filter(pk=apps["Q-1"].pk).update(submitted_at=days_ago(10))
    moved = apps["Q-2"]
    Application.objects.filter(pk=moved.pk).update(submitted_at=days_ago(20), state=S.BUREAU_REVIEW)
    entered(moved, "bureau_review", days_ago(3))
    entered(
        moved, "bureau_review", days_ago(15)
    )  # an earlier round into the same state does not count
    entered(moved, "returned", days_ago(1))  # nor a transition into another state
    client.force_login(cast.bureau_staff)
    response = client.get("/review/queue/")
    found = ages(response)
    assert found["Q-1"] == "10" and found["Q-2"] == "3"
    assert refs(response) == [
        "Q-3",
        "Q-4",
        "Q-1",
        "Q-2",
    ]  # oldest first by the date entered: Q-2 (3 days) last
    # review_overdue reads the same date: over 5 days, Q-1 waits too long, Q-2 does not.
    out = StringIO()
    call_command("review_overdue", "--days", "5", stdout=out)
    text = out.getvalue()
    assert "Q-1" in text and "Q-2\t" not in text


def test_nav_counts_per_role(client, cast, apps):
    Application.objects.filter(pk=apps["Q-1"].pk).update(state=S.BUREAU_REVIEW)
    Opinion.objects.create(
        application=apps["Q-1"],
        kind=Opinion.Kind.BUREAU,
        recommendation="approve",
        text="同意",
        handler=cast.bureau_staff,
    )
    Application.objects.filter(pk=apps["Q-2"].pk).update(state=S.GROUP_REVIEW)
    Application.objects.filter(pk=apps["Q-3"].pk).update(state=S.BANK_REVIEW)  # bank X
    expected = {
        "bureau_staff": 1,
        "bureau_head": 1,
        "leading_group": 1,
        "bank_x_user": 1,
        "bank_y_user": 0,
    }
    for who, count in expected.items():
        client.force_login(getattr(cast, who))
        page = client.get("/review/queue/").content.decode()
        nav = re.search(
            r'href="/review/queue/"[^>]*>[^<]*(?:<span class="nav-count">(\d+)</span>)?', page
        )
        assert nav is not None, who
        assert int(nav.group(1) or 0) == count, who
        assert len(refs(client.get("/review/queue/"))) == count, who


# The table's rows as review/queue.html drew them in a template loop before the view drew them itself
# (review.views.QUEUE_ROW): the view's rows must be these, character for character.
TEMPLATE_ROWS = """{% load i18n money %}{% translate "Reference" as l_reference %}{% translate "Enterprise" as l_enterprise %}{% translate "Credit code" as l_code %}{% translate "Bank" as l_bank %}{% translate "Amount (yuan)" as l_amount %}{% translate "State" as l_state %}{% translate "Submitted at" as l_submitted %}{% translate "Age (days)" as l_age %}<tbody>
  {% for application, age, review_url in rows %}
    <tr>
      <td data-label="{{ l_reference }}"><a href="{{ review_url }}">{{ application.display_reference }}</a></td>
      <td data-label="{{ l_enterprise }}">{{ application.enterprise.name }}{% if application.resubmitted %} <span class="state state-returned">{% translate "resubmitted" %}</span>{% endif %}</td>
      <td data-label="{{ l_code }}">{{ application.enterprise.credit_code }}</td>
      <td data-label="{{ l_bank }}">{{ application.bank.name|default:"—" }}</td>
      <td class="num" data-label="{{ l_amount }}">{{ application.amount|yuan }}</td>
      <td data-label="{{ l_state }}"><span class="state state-{{ application.state }}">{{ application.get_state_display }}</span>{% if application.pending_draft %} · {% translate "awaiting sign-off" %}{% endif %}</td>
      <td data-label="{{ l_submitted }}">{{ application.submitted_at|date:"Y-m-d"|default:"—" }}</td>
      <td class="num age" data-label="{{ l_age }}">{{ age|default_if_none:"—" }}</td>
    </tr>
  {% endfor %}
  </tbody>"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_rows_are_those_the_template_loop_drew(client, cast, apps, language):
    """Issue 20: the view draws the rows (review.views.QUEUE_ROW) as the template did: escaped names, the
    resubmitted and awaiting-sign-off marks, a row without a bank, one without a submission date, both
    languages."""
    from django.template import engines
    from django.urls import reverse
    from django.utils import translation

    from review import selectors

    apps["Q-1"].enterprise.name = "<b>丙&电子</b>"
    apps["Q-1"].enterprise.save()
    Opinion.objects.create(
        application=apps["Q-2"], kind=Opinion.Kind.RETURN, text="补正", handler=cast.bureau_staff
    )
    Application.objects.filter(pk=apps["Q-3"].pk).update(bank=None, submitted_at=None)
    entered(apps["Q-4"], S.BUREAU_REVIEW, days_ago(3))
    Application.objects.filter(pk=apps["Q-4"].pk).update(state=S.BUREAU_REVIEW)
    Opinion.objects.create(
        application=apps["Q-4"],
        kind=Opinion.Kind.BUREAU,
        recommendation="approve",
        text="同意",
        handler=cast.bureau_staff,
    )
    client.cookies["django_language"] = language
    pages = []
    for user in (cast.bureau_staff, cast.bureau_head):
        client.force_login(user)
        page = client.get("/review/queue/", {"sort": "name"}).content.decode()
        drawn = page[page.index("<tbody>") : page.index("</tbody>") + len("</tbody>")]
        with translation.override(language):
            selectors_user = type(user).objects.get(pk=user.pk)
            rows = [
                (
                    a,
                    selectors.age_in_days(a.entered, timezone.localdate()),
                    reverse("review:application-review", args=[a.public_id]),
                )
                for a in selectors.queue_for(selectors_user).order_by("enterprise__name", "pk")
            ]
            expected = engines["django"].from_string(TEMPLATE_ROWS).render({"rows": rows})
        assert rows and drawn == expected
        pages.append(drawn)
    staff, head = pages
    assert (
        "&lt;b&gt;丙&amp;电子&lt;/b&gt;" in staff and 'state-returned">' in staff and "—" in staff
    )
    assert head.count("<tr>") == 1 and " · " in head
