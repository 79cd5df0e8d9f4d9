"""The access matrix: every URL pattern × GET and POST × every role, on objects of enterprise A and bank X.

The one table of expected statuses is tests/access_matrix_table.py. A URL pattern
without a name, a name without a GET and a POST row, or a row naming no URL
fails `test_every_url_has_a_get_and_a_post_row`.

In the districts added as data (浮梁, 丽水) the same walk reads every page it gets (tests/pages.py): each page a
role may read is in Chinese (issue 18 item 7) and shows a trail from home to its own title whose links open
(item 6). One walk, since each of those checks opened the same pages as the same roles again.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from applications.scope import SESSION_KEY
from kedaitong.models import AuditEntry, IssuedDocument
from tests.access import ROLES, kept_cast, move_cast_to_quzhou
from tests.access_matrix_table import ACCOUNT_ROLES, ACCOUNT_ROWS, account_actors, table
from tests.conftest import Cast, log_in
from tests.pages import (
    NOT_PAGES,
    SIDES,
    chinese_names,
    english_words,
    is_page,
    name_the_newcomers,
    trail_links,
)

MATRIX = table()


@pytest.fixture(scope="module")
def district() -> str:
    """The first districts, unless a test runs over both (module-scoped, as the kept cast built in it is)."""
    return "first"


@pytest.fixture(scope="module")
def kept(django_db_setup, django_db_blocker, district):  # type: ignore[no-untyped-def]  # noqa: ARG001
    """The cast, built once per module and district (tests/access.py: kept_cast); in the districts whose pages
    are read, its people have Chinese names, as the portal's users do."""
    also = chinese_names if district == READ_IN else None
    with kept_cast(django_db_blocker, district, also=also) as built:
        yield built


# The districts whose pages the walk reads (tests/pages.py): those added as data, a run on SQLite only
# (marker one_engine, tests/conftest.py), as the pages' language and trails do not depend on the engine.
READ_IN = "second"


@pytest.fixture
def cast(kept, db) -> Cast:  # type: ignore[no-untyped-def]  # noqa: ARG001 - db: the test's savepoint
    return kept.fresh()


# Patterns that are not the portal's own pages.
NOT_IN_MATRIX_NAMESPACES = ("admin",)


def url_patterns() -> list[tuple[str | None, str]]:
    """(full name or None, route) of every URL pattern outside the admin."""

    def walk(patterns, namespace, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                full = f"{namespace}:{ns}" if namespace and ns else ns or namespace
                yield from walk(pattern.url_patterns, full, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                name = (
                    (f"{namespace}:{pattern.name}" if namespace else pattern.name)
                    if pattern.name
                    else None
                )
                yield name, prefix + str(pattern.pattern)

    return [
        (name, route)
        for name, route in walk(get_resolver().url_patterns, None, "")
        if not (name or "").startswith(NOT_IN_MATRIX_NAMESPACES) and not route.startswith("admin/")
    ]


def url_names() -> set[str]:
    return {name for name, _ in url_patterns() if name}


def test_every_url_pattern_has_a_name():
    unnamed = [route for name, route in url_patterns() if name is None]
    assert not unnamed, f"name these URL patterns (the access matrix is keyed by name): {unnamed}"


def test_every_url_has_a_get_and_a_post_row():
    names = url_names()
    for method in ("GET", "POST"):
        missing = names - {row.name for row in MATRIX if row.method == method}
        assert not missing, (
            f"add {method} rows to tests/access_matrix_table.py for: {sorted(missing)}"
        )
    unknown = {row.name for row in MATRIX} - names
    assert not unknown, f"rows for URL names that do not exist: {sorted(unknown)}"
    keys = [(row.name, row.method, row.program) for row in MATRIX]
    assert len(keys) == len(set(keys)), "a (name, method) appears twice in the table"
    for row in MATRIX:
        assert set(row.expected) == set(ROLES), row.name


# Tables a GET may write: the session (language, login), failed-login records, the throttles' cache.
NOT_COUNTED = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}


def counted_tables() -> list[str]:
    from django.apps import apps

    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if model._meta.managed and model._meta.db_table not in NOT_COUNTED
        }
    )


def row_counts() -> dict[str, int]:
    """Rows in every table of the portal's models, in one query (a GET is checked before and after)."""
    from django.db import connection

    tables = counted_tables()
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT {i}, COUNT(*) FROM {quote(t)}" for i, t in enumerate(tables))
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {tables[i]: n for i, n in cursor.fetchall()}


def client_for(role: str, users: dict, program) -> Client:
    """A test client logged in as `role` (none for anonymous), working in `program` where a role chooses one."""
    client = Client()
    if role != "anonymous":
        # Banks and the administrator work in one program at a time: the row's (as the switch stores it).
        works_in = {SESSION_KEY: program.code} if role in ("bank_x", "bank_y", "admin") else {}
        log_in(client, users[role], **works_in)
    return client


def program_of(row, cast):
    """The program a row's objects belong to."""
    return cast.quzhou if row.program == "quzhou" else cast.changjiang


def row_program(row, cast):
    """The program a row's objects belong to; a Quzhou row moves the cast's government users and banks there."""
    if row.program == "quzhou":
        move_cast_to_quzhou(cast)
    return program_of(row, cast)


def statuses(row, cast, pages: dict[str, tuple[Client, str]] | None = None) -> dict[str, int]:
    """Each role's status for the row; with `pages`, each HTML page a role got 200 is kept there, with the
    role's client, as role -> (client, page)."""
    program = row_program(row, cast)
    url = row.url(cast)
    if pages is not None:
        name_the_newcomers()  # users the row's objects brought along get Chinese names too
    users = cast.users()
    got = {}
    # The rows as the next GET finds them, and the last audit row and issued document: between one role's GET
    # and the next nothing writes a counted table (the throttles' cache and the sessions are not models'
    # tables, or not counted), so each role's "after" is the next one's "before", read once.
    before: dict[str, int] | None = None
    last_entry = last_issue = 0
    for role in ROLES:
        cache.clear()  # throttles (the public objection form) count per address, not per role
        client = client_for(role, users, program)
        if row.method == "GET":
            if before is None:
                before = row_counts()
                last_entry = AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0
                last_issue = IssuedDocument.objects.aggregate(last=Max("pk"))["last"] or 0
            response = client.get(url)
            got[role] = response.status_code
            if pages is not None and is_page(response):
                pages[role] = (client, response.content.decode())
            # Reads write nothing (issue 17): no record, whoever asks; the only audit rows a GET
            # leaves are those of a bulk disclosure, an export ("….exported").
            written = list(AuditEntry.objects.filter(pk__gt=last_entry).values_list("pk", "action"))
            assert all(action.endswith(".exported") for _, action in written)
            # A PDF is registered when first issued (issue 21): one IssuedDocument per content,
            # so that its QR code's page can say what it is; printing it again writes nothing.
            issued = list(
                IssuedDocument.objects.filter(pk__gt=last_issue).values_list("pk", flat=True)
            )
            assert not issued or (got[role] == 200 and len(issued) == 1), (role, url)
            after = row_counts()
            if issued:
                assert client.get(url).status_code == 200
                assert row_counts() == after, (role, url, "printed again")
            found = dict(after)
            after[AuditEntry._meta.db_table] -= len(written)
            after[IssuedDocument._meta.db_table] -= len(issued)
            assert after == before, (role, url)
            before = found
            last_entry = max([last_entry, *(pk for pk, _ in written)])
            last_issue = max([last_issue, *issued])
            continue
        # As a browser's form would, the body carries the token field (the matrix client does not check it;
        # tests/test_csrf.py does), so a view's `Form(request.POST or None)` is bound and finds it invalid.
        # A POST that succeeds must not change what the next role finds: undo it.
        with transaction.atomic():
            got[role] = client.post(
                url, {"csrfmiddlewaretoken": "unchecked"} | (row.data or {})
            ).status_code
            transaction.set_rollback(True)
    return got


# Trail links already opened in this process, by role, program and address, of pages that name no object (home,
# the lists): the same for every row, so each is opened once per role and program. A link that names an object
# (a number in it) is opened for every row: ids come back after a row's savepoint is rolled back, so the same
# address may be another object.
OPENED: set[tuple[str, str, str]] = set()


def check_pages(row, cast, pages: dict[str, tuple[Client, str]]) -> None:
    """What every page must show (tests/pages.py), on the pages the roles got: Chinese to each role; below
    home, a trail from home to the page's title, whose links open for one role of each side."""
    english = {role: words for role, (_, page) in pages.items() if (words := english_words(page))}
    assert not english, f"English shown (zh-hans) on {row.name}: " + "; ".join(
        f"\n{role}: {', '.join(words)}" for role, words in english.items()
    )
    if row.name in NOT_PAGES:
        return
    program = program_of(row, cast).code  # the cast was moved there by `statuses`
    links = {}
    for role, (_, page) in pages.items():
        try:
            links[role] = trail_links(row.name, page)
        except AssertionError as problem:
            raise AssertionError(f"{row.name} as {role}: {problem}") from None
    for side in SIDES:
        role = next((r for r in side if r in pages), None)
        if role is None:
            continue
        client = pages[role][0]
        for href in links[role]:
            key = (role, program, href)
            if key in OPENED:
                continue
            assert client.get(href).status_code == 200, (row.name, role, href)
            if not any(c.isdigit() for c in href):
                OPENED.add(key)


@pytest.mark.django_db
@pytest.mark.parametrize("district", ["first", "second"], scope="module")
@pytest.mark.parametrize("row", MATRIX, ids=[f"{row.method} {row.name}" for row in MATRIX])
def test_each_role_gets_the_expected_status(row, cast, district):
    """Every row in a program of its kind: the first districts (昌江, 衢州) and the second ones (浮梁, 丽水),
    which exist as data only: the same statuses for the same roles. In the second ones, what each page shows
    is checked too (`check_pages`)."""
    pages: dict[str, tuple[Client, str]] | None = (
        {} if district == READ_IN and row.method == "GET" else None
    )
    assert statuses(row, cast, pages) == row.expected, row.url(cast)
    if pages:
        check_pages(row, cast, pages)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row", ACCOUNT_ROWS, ids=[f"{row.method} {row.name} {i}" for i, row in enumerate(ACCOUNT_ROWS)]
)
def test_an_unconfirmed_enterprise_and_a_claimant_get_the_expected_status(row, cast):
    """Issue 17: the two actors of enterprise accounts, on the pages that concern them."""
    from applications.models import Application

    actors = account_actors(cast)
    url = row.url(cast, actors)
    got = {}
    for role in ACCOUNT_ROLES:
        client = Client()
        client.force_login(actors[role])
        with transaction.atomic():
            if row.method == "GET":
                got[role] = client.get(url).status_code
            else:
                got[role] = client.post(url, {"csrfmiddlewaretoken": "unchecked"}).status_code
            transaction.set_rollback(True)
    assert got == row.expected, url
    assert Application.objects.get(pk=actors["draft"].pk).state == Application.State.DRAFT
