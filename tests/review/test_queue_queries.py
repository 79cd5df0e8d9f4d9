"""Issue 20 item 2: the queue page makes the same queries at any page size, depth, sort and filter; unfiltered, the
page's count is the menu's (counted once)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def refs(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(
        r'/review/applications/[0-9a-f-]{36}/">([A-Z0-9-]+)</a>', response.content.decode()
    )


@pytest.fixture
def many(cast):
    base = dt.datetime(2026, 2, 1, 9, tzinfo=dt.UTC)
    return [
        ApplicationFactory(
            reference=f"M-{i:03d}",
            enterprise=cast.enterprise_a,
            bank=cast.bank_x if i % 2 else cast.bank_y,
            submitted_at=base + dt.timedelta(hours=i),
        )
        for i in range(120)
    ]


PAGES = [
    {"size": 10},
    {"size": 50},
    {"size": 100},
    {"size": 10, "page": 12},
    {"size": 50, "page": 3},
    {"size": 100, "page": 2},
    {"size": 10, "page": 99},  # past the end: the last page
    {"sort": "-amount", "page": 4},
    {"sort": "name", "size": 50, "page": 2},
    {"bank": "bank-x", "size": 10, "page": 3},
    {"bank": "bank-x", "size": 100},
    {"q": "甲科技", "sort": "-age", "size": 50, "page": 2},
    {"state": "submitted", "amount_min": "1", "size": 10, "page": 6},
]


def test_the_same_queries_at_every_size_depth_sort_and_filter(client, cast, many):
    client.force_login(cast.bureau_staff)
    client.get("/review/queue/")  # the session's first request does its own bookkeeping
    counts = {}
    for params in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/review/queue/", params)
        assert response.status_code == 200, params
        counts[str(params)] = len(queries)
    # Unfiltered, the page's count is the menu's (one count over the queue's index); filtered, the queue is counted
    # beside the page's ids, in their query, and the menu counts the whole queue with its other counts: one fewer.
    plain: set[int] = set()
    filtered: set[int] = set()
    for params, n in zip(PAGES, counts.values(), strict=True):
        (plain if set(params) <= {"size", "page", "sort"} else filtered).add(n)
    assert len(plain) == 1 and filtered == {min(plain) - 1}, counts
    assert max(plain) <= 15
    # A filtered page past the end (rows left the queue since the link was made): the page's query finds nothing,
    # so the queue is counted and the last page read, two queries more.
    with CaptureQueriesContext(connection) as queries:
        last = client.get("/review/queue/", {"bank": "bank-x", "size": 10, "page": 99})
    assert last.status_code == 200 and refs(last)
    assert len(queries) == min(filtered) + 2


def test_the_pages_hold_the_right_rows_in_order(client, cast, many):
    client.force_login(cast.bureau_staff)
    oldest_first = [
        a.reference for a in many
    ]  # (the cast's two have no date: first or last, by database)
    first = refs(client.get("/review/queue/", {"size": 10}))
    third = refs(client.get("/review/queue/", {"size": 10, "page": 3}))
    ordered = list(
        Application.objects.filter(pk__in=[a.pk for a in many])
        .order_by("submitted_at", "pk")
        .values_list("reference", flat=True)
    )
    assert ordered == oldest_first
    everything = []
    for page in range(1, 14):
        everything += refs(client.get("/review/queue/", {"size": 10, "page": page}))
    assert len(everything) == len(set(everything)) == 122
    assert [r for r in everything if r.startswith("M-")] == oldest_first
    assert first == everything[:10] and third == everything[20:30]
    by_amount = refs(client.get("/review/queue/", {"sort": "-amount", "size": 100}))
    assert len(by_amount) == 100


def test_unfiltered_the_queue_is_counted_once(client, cast, many):
    client.force_login(cast.bureau_staff)
    client.get("/review/queue/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/review/queue/").content.decode()
    counting = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    # the queue's count, then the menu's other counts in one query
    assert len(counting) == 2, counting
    assert re.search(r'href="/review/queue/"[^>]*>[^<]*<span class="nav-count">122</span>', page)


def test_the_home_page_shows_the_ten_oldest_waiting(client, cast, many):
    """The bureau's home page: its queue section holds the ten oldest waiting, in order (their ids sorted first,
    then those rows loaded), under the queue's count."""
    client.force_login(cast.bureau_staff)
    page = client.get("/").content.decode()
    heading, section = (
        page.split('href="/review/queue/"', 2)[2].split("</table>")[0].split("</h2>", 1)
    )
    assert '<span class="nav-count">122</span>' in heading
    found = re.findall(r'/applications/[0-9a-f-]{36}/">([A-Z0-9-]+)</a>', section)
    # the queue page's first ten, oldest first (the cast's waiting application among them)
    oldest = refs(client.get("/review/queue/", {"size": 10}))
    assert len(found) == 10 and found == oldest


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan is read here")
def test_the_latest_applications_are_read_from_an_index_not_sorted(cast):
    """Issue 20: a home page's latest applications (the model's order) come from the created_at index read
    backwards, not from sorting every application of the program, once the daily `analyze_database` has given
    SQLite its statistics (without them it sorts)."""
    import io

    from django.core.management import call_command

    for _ in range(30):
        ApplicationFactory(enterprise=cast.enterprise_a, bank=cast.bank_x)
    call_command("analyze_database", stdout=io.StringIO())
    latest = Application.objects.filter(program_version__program=cast.changjiang)[:10]
    sql, params = latest.values_list("pk", flat=True).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " / ".join(row[-1] for row in cursor.fetchall())
    assert "application_created" in plan and "TEMP B-TREE" not in plan, plan


def test_the_home_page_counts_the_queue_once_and_names_the_rows_programs_without_a_query_each(
    client, cast, many
):
    """Issue 20: the menu's count (drawn first) is the queue section's; the section's rows come with their
    program (it names it), not one query per row."""
    client.force_login(cast.bureau_staff)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/").content.decode()
    plain_counts = [
        q["sql"] for q in queries if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM')
    ]
    assert not plain_counts, plain_counts
    one_by_one = [
        q["sql"]
        for q in queries
        if re.search(r'FROM "applications_program(version)?" WHERE "applications_program', q["sql"])
    ]
    assert len(one_by_one) <= 1, one_by_one  # the user's own program (the heading); not one a row
    assert page.count('<span class="nav-count">122</span>') == 2  # the menu and the section


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan is read here")
def test_the_latest_loans_are_read_from_an_index_and_the_records_first_for_delinquency(cast):
    """Issue 20: a home page's latest loans (the model's order) in a program come from the `loan_latest` index
    (by version, disbursement date, contract), not from reading every loan of the program; the delinquency
    figures' repayments are still read from the records' side, not through that index."""
    import io

    from django.core.management import call_command

    from loans.models import Loan, Repayment
    from tests.factories import LoanFactory

    for _ in range(30):
        LoanFactory(enterprise=cast.enterprise_a, bank=cast.bank_x)
    call_command("analyze_database", stdout=io.StringIO())

    def plan(qs):
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " / ".join(row[-1] for row in cursor.fetchall())

    latest = Loan.objects.filter(program_version__program=cast.changjiang)[:10]
    assert "loan_latest" in plan(latest.values_list("pk", flat=True)), plan(latest)
    repaid = Repayment.objects.filter(
        repaid_on__lte="2026-12-01", loan__program_version__program=cast.changjiang
    ).values_list("loan")
    assert "loan_latest" not in plan(repaid), plan(repaid)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan is read here")
def test_a_name_search_reads_the_names_index_and_the_applications_of_the_enterprises_found(
    client, cast, many
):
    """Issue 20: the queue's search by name or credit code reads the enterprises' names from their index once a
    query (and the codes from theirs), and the queue's own index drives the query, each waiting application's
    enterprise looked up in that list: joined row by row, every waiting application had its enterprise's name
    matched (58 ms at 100,000 applications); driven from the list, a word every name shares had every
    application of every state visited (132 ms)."""
    import io

    from django.core.management import call_command

    call_command("analyze_database", stdout=io.StringIO())
    client.force_login(cast.bureau_staff)
    client.get("/review/queue/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/review/queue/", {"q": "甲科技", "size": 10})
    assert response.status_code == 200
    assert len(refs(response)) == 10
    searched = [q["sql"] for q in queries if "INSTR(" in q["sql"]]
    assert len(searched) == 1, searched  # the page's ids and the count; the rows are read by id
    for sql in searched:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " / ".join(row[-1] for row in cursor.fetchall())
        assert "USING COVERING INDEX enterprise_name" in plan, plan
        assert "USING COVERING INDEX application_queue" in plan, plan
        assert "SCAN applications_application" not in plan, plan
        assert "SCAN applications_enterprise" not in plan, plan
