"""The fixed cast every access test uses: two enterprises, the bureau, the group, two banks, an auditor, an
accounting firm, an admin."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from applications.models import Application, Enterprise, Program
from kedaitong.models import User
from kedaitong.roles import Role
from loans.models import Bank, Loan
from tests.factories import (
    ApplicationFactory,
    BankAgreementFactory,
    BankFactory,
    EnterpriseFactory,
    LoanFactory,
    UserFactory,
)

# Checks whose outcome the database engine cannot change (marker `one_engine`): the language, trail, tokens and
# headers of rendered pages, files refused before any query, imports between modules, and the access matrix in
# the districts added as data (the same views and queries as the first districts'). CI runs them on SQLite
# (twice); its PostgreSQL run leaves them out (docs/decisions.md, issue 14, fourth pass).
ONE_ENGINE_FILES = (
    "tests/test_chinese_throughout.py",
    "tests/kedaitong/test_breadcrumbs.py",
    "tests/test_csrf.py",
    "tests/test_csp.py",
    "tests/kedaitong/test_hostile_files.py",
    "tests/test_import_direction.py",
)


def _one_engine(item) -> bool:  # type: ignore[no-untyped-def]
    if item.nodeid.split("::", 1)[0] in ONE_ENGINE_FILES:
        return True
    callspec = getattr(item, "callspec", None)
    return bool(
        item.nodeid.startswith("tests/test_access_matrix.py::")
        and callspec is not None
        and callspec.params.get("district") == "second"
    )


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """The tests marked slow (5–60 s each) run first, then the other browser tests (2–10 s each): started
    last, one of them kept a worker busy for a minute after the other had finished (pytest-xdist hands out
    tests in this order; the sort is stable). pytest-django puts the transactional tests, every browser test
    among them, after the others, which made a whole run end with one worker driving Chromium alone.
    The engine-independent checks are marked `one_engine` (see ONE_ENGINE_FILES)."""
    for item in items:
        if _one_engine(item):
            item.add_marker(pytest.mark.one_engine)
    items.sort(
        key=lambda item: (
            item.get_closest_marker("slow") is None,
            item.get_closest_marker("e2e") is None,
        )
    )


def pytest_configure(config):  # type: ignore[no-untyped-def]
    share_client_middleware()
    quiet_refusals()


def quiet_refusals() -> None:
    """Django's request logger says nothing below ERROR in the tests: a server error is still logged (and shown
    with a failing test), a refusal (403, 404, 405) is not.

    Every refusal was a WARNING ("Not Found: /loans/…") that pytest formatted, kept with the test's report and
    sent from the worker with it: the access matrix and the program-scope walk (945 tests, about 15,000
    requests, a third of them refused) took 74 s instead of 66 s on two workers. The tests assert each status
    themselves.
    """
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)


# Every test client's middleware chain, built once a process (`share_client_middleware`), by handler class.
_CLIENT_CHAINS: dict[tuple[type, bool], tuple] = {}


def share_client_middleware() -> None:
    """Test clients share one middleware chain, built again after any setting changes.

    Django's test `Client` builds its own chain (every middleware instantiated) on its first request: about
    0.6 ms, paid by each of the access matrix's 8,500 clients, one per role and row. The chain holds no
    request's state (the handler's `_get_response` reads only the middleware lists built with it), so one
    serves every client of the same handler class. A changed setting (`settings` fixture, override_settings)
    may change what a middleware read when it was made, so every change drops the kept chains.
    """
    from django.core.signals import setting_changed
    from django.test.client import AsyncClientHandler, ClientHandler

    def load_middleware(self, is_async=False):  # type: ignore[no-untyped-def]
        key = (type(self), is_async)
        kept = _CLIENT_CHAINS.get(key)
        if kept is None:
            original(self, is_async)
            _CLIENT_CHAINS[key] = (
                self._view_middleware,
                self._template_response_middleware,
                self._exception_middleware,
                self._middleware_chain,
            )
            return
        (
            self._view_middleware,
            self._template_response_middleware,
            self._exception_middleware,
            self._middleware_chain,
        ) = kept

    def forget(**kwargs):  # type: ignore[no-untyped-def]
        _CLIENT_CHAINS.clear()

    original = ClientHandler.load_middleware
    for handler in (ClientHandler, AsyncClientHandler):
        handler.load_middleware = load_middleware
    setting_changed.connect(forget, weak=False, dispatch_uid="tests.share_client_middleware")


@pytest.fixture(autouse=True)
def _fixed_clock(request):  # type: ignore[no-untyped-def]
    """Every test runs at a fixed instant, never at the hour or on the date the suite happens to run.

    The default is BUREAU_NEXT_DAY (tests/clock.py): 20:00 UTC, when the bureau's date
    (Asia/Shanghai) is already the next day, so code that takes the server's UTC date for
    the bureau's fails at once instead of one evening in three. A test about another moment
    says so with `@pytest.mark.time_machine(instant)` (its own marker wins); time flows on
    from the instant (tick), so timeouts and heartbeats work. Browser tests set their own
    clock (tests/e2e/conftest.py). `@pytest.mark.real_clock` opts out: tests whose other
    processes (a killed worker, gunicorn) write times that this process compares.
    """
    if request.node.get_closest_marker("real_clock") or request.node.get_closest_marker("e2e"):
        yield
        return
    traveller = request.getfixturevalue("time_machine")
    if request.node.get_closest_marker("time_machine") is None:
        from tests.clock import BUREAU_NEXT_DAY

        traveller.move_to(BUREAU_NEXT_DAY, tick=True)
    yield


# Argon2 is the production hasher (tested in test_settings); tests use a fast one.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _portal_language():
    """Every test starts in the portal's language. The locale middleware (kedaitong.middleware) activates a
    request's language in the thread and leaves it there, so a test that asked for an English page left the
    next test of its worker in English: `pytest -n 2 tests/subsidy tests/review/test_queue.py
    tests/review/test_publicity.py` on PostgreSQL failed on the words of three publicity tests."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    # WhiteNoise scans STATIC_ROOT whenever a test client builds its middleware (a Client per role
    # in the access matrix) once `make run` has collected the static files there; with autorefresh
    # it looks a file up when one is asked for, as on a fresh clone, where STATIC_ROOT is empty.
    settings.WHITENOISE_AUTOREFRESH = True


def log_in(client, user, backend: str | None = None, **session_data: object) -> None:
    """Log `client` in as `user` by writing its session directly, with `session_data` added (a program to work in).

    What Django's `Client.force_login` leaves behind (a session naming the user, its backend and password hash,
    and the cookie), in one INSERT, without `login()`'s `user_logged_in` signal: django-axes' receiver (an
    access-log row and two deletes of failed attempts, 72 % of a forced login's time) and `update_last_login`,
    which nothing in the portal reads. A session the client already has is carried over, as `login()` does,
    unless it is another user's. Every test's `Client.force_login` is this (`_quick_logins`); the real login
    path is tested where it is the subject, through the login form (tests/kedaitong/test_auth.py, the
    throttles, the browser tests), and a test marked `full_login` keeps Django's force_login.
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
    from django.http import HttpRequest

    backend = backend or _first_backend_with_get_user()
    user.backend = backend
    pk = user._meta.pk.value_to_string(user)
    auth_hash = user.get_session_auth_hash()
    store = import_module(settings.SESSION_ENGINE).SessionStore
    data: dict[str, object] = {}
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is None or not cookie.value:
        kept = kept_session(user, backend, session_data)
        if kept is not None:
            request = HttpRequest()
            request.session = kept
            client._set_login_cookies(request)
            return
    if cookie is not None and cookie.value:
        old = store(cookie.value)
        data = dict(old.items())
        if SESSION_KEY in data and (
            data[SESSION_KEY] != pk or data.get(HASH_SESSION_KEY) != auth_hash
        ):
            data = {}  # another user's session: login() flushes it
        old.delete()  # login() cycles the key
    session = signed_in_session(user, backend, **(data | session_data))
    request = HttpRequest()
    request.session = session
    client._set_login_cookies(request)


def signed_in_session(user, backend: str | None = None, **data: object):  # type: ignore[no-untyped-def]
    """A new stored session as `django.contrib.auth.login` leaves it (the user, the backend, the password hash),
    with `data` added: what `log_in` gives a test client and `sign_in` (tests/e2e) a browser."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session.update(
        data
        | {
            SESSION_KEY: user._meta.pk.value_to_string(user),
            BACKEND_SESSION_KEY: backend or _first_backend_with_get_user(),
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
    )
    session.create()
    return session


# Sessions made once for the rows a module keeps for all its tests (`keep_session`, tests/access.py: the access
# walks' cast): (user pk, password hash, backend, extra data) → the stored session and when it expires.
_KEPT_SESSIONS: dict[tuple[object, ...], tuple[object, object]] = {}


def _kept_key(user, backend: str, data: dict[str, object]) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    return (user.pk, user.password, backend, tuple(sorted(data.items())))


def keep_session(user, **data: object) -> None:  # type: ignore[no-untyped-def]
    """Make `user`'s signed-in session (with `data`) now, for `log_in` to hand to every client of `user` with the
    same data until `forget_kept_sessions`; the caller keeps the session's row for as long (an outer transaction
    that each test's own is a savepoint of, so what a test does to the row is rolled back with the test)."""
    backend = _first_backend_with_get_user()
    session = signed_in_session(user, backend, **data)
    _KEPT_SESSIONS[_kept_key(user, backend, data)] = (session, session.get_expiry_date())


def kept_session(user, backend: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    """The kept session `log_in` may hand over instead of writing a new one (None when there is none, or it has
    expired on the test's clock): the same rows a new one would hold, under another key."""
    if not _KEPT_SESSIONS:
        return None
    from django.utils import timezone

    found = _KEPT_SESSIONS.get(_kept_key(user, backend, data))
    if found is None or found[1] <= timezone.now():  # type: ignore[operator]
        return None
    return found[0]


def forget_kept_sessions() -> None:
    _KEPT_SESSIONS.clear()


_BACKEND: list[str] = []


def _first_backend_with_get_user() -> str:
    if not _BACKEND:
        from django.test import Client

        _BACKEND.append(Client()._get_backend())  # the one Client.force_login picks
    return _BACKEND[0]


def _quick_force_login(self, user, backend=None):  # type: ignore[no-untyped-def]
    log_in(self, user, backend)


@pytest.fixture(autouse=True)
def _quick_logins(request, monkeypatch):  # type: ignore[no-untyped-def]
    """`Client.force_login` writes the session directly (`log_in`), unless the test is marked `full_login`."""
    if not request.node.get_closest_marker("full_login"):
        from django.test.client import ClientMixin

        monkeypatch.setattr(ClientMixin, "force_login", _quick_force_login)


def _delete_rows_that_exist(original):  # type: ignore[no-untyped-def]
    """PostgreSQL's flush for the tests: DELETE the rows of the tables that have any, instead of Django's
    TRUNCATE of every table (about 150: each truncated table gets new files, with its indexes).

    Django's foreign keys are deferred, so the deletes may run in any order within the flush's transaction.
    Tables with triggers of their own (the append-only audit tables, which refuse DELETE but not TRUNCATE)
    have them disabled for their delete. A flush that resets sequences is Django's own.
    """
    triggered: dict[str, set[str]] = {}

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):  # type: ignore[no-untyped-def]
        if reset_sequences or not tables:
            return original(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        tables = sorted(tables)
        quote = self.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT {i} WHERE EXISTS (SELECT 1 FROM {quote(t)})"
                    for i, t in enumerate(tables)
                )
            )
            filled = [tables[i] for (i,) in cursor.fetchall()]
            alias = self.connection.alias
            if alias not in triggered:
                cursor.execute(
                    "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal"
                )
                triggered[alias] = {name for (name,) in cursor.fetchall()}
        if not filled:
            return original(self, style, tables, allow_cascade=allow_cascade)
        # ALTER TABLE is refused while deferred checks are pending: triggers off before any delete, the
        # foreign keys checked (SET CONSTRAINTS ... IMMEDIATE) before they are on again.
        off = [t for t in filled if t in triggered[alias]]
        sql = [f"ALTER TABLE {quote(t)} DISABLE TRIGGER USER;" for t in off]
        sql += [f"DELETE FROM {quote(t)};" for t in filled]
        if off:
            sql.append("SET CONSTRAINTS ALL IMMEDIATE;")
            sql += [f"ALTER TABLE {quote(t)} ENABLE TRIGGER USER;" for t in off]
        return sql

    return sql_flush


@pytest.fixture(scope="session", autouse=True)
def _postgres_flush():  # type: ignore[no-untyped-def]
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            DatabaseOperations, "sql_flush", _delete_rows_that_exist(DatabaseOperations.sql_flush)
        )
        yield


_FLUSHED = {"pending": False}


def _transactional(item) -> bool:  # type: ignore[no-untyped-def]
    marker = item.get_closest_marker("django_db")
    return bool(marker is not None and marker.kwargs.get("transaction")) or any(
        name in getattr(item, "fixturenames", ()) for name in ("live_server", "transactional_db")
    )


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush every table when they end; the database as the session began (the
    migrated reference data, content types and permissions, the assumed LPR) is put back right after the
    flush (`pytest_runtest_teardown` below), so every test, of either kind and in any order, starts with it:
    the slow tests, transactional ones among them, run first (see `pytest_collection_modifyitems`), before
    the ordinary tests that pytest-django would otherwise have run ahead of every transactional one.

    (Django's serialized_rollback would do this, but its snapshot is lost once an ordinary
    transactional-rollback test has run in the same session.) See `snapshot_tables` for how.
    """
    yield
    if _transactional(request.node):
        _FLUSHED["pending"] = True  # the flush itself runs after this teardown


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):  # type: ignore[no-untyped-def]
    outcome = yield  # every fixture of the test is finalized: a transactional test's tables are flushed
    if not _FLUSHED["pending"]:
        return
    _FLUSHED["pending"] = False
    if nextitem is None:
        # The session's last test: its databases were torn down with it (the connection names the
        # real database again), and no test follows that needs the reference data.
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        if outcome.excinfo is not None and not _flushed():
            # The teardown failed before the flush emptied the tables: rows put back over them would fail on
            # their keys and hide the teardown's own error, which is reported instead.
            return
        restore_tables()


def _flushed() -> bool:
    """Whether the tables the session began with are empty (a flush has run)."""
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in _SNAPSHOT:
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")
            if cursor.fetchone() is not None:
                return False
    return True


# Each filled table as the session began → the copy it is restored from (`kd_snap_<n>`, not a model's table,
# so no flush touches it).
_SNAPSHOT: dict[str, str] = {}


def snapshot_tables() -> None:
    """Copy every table that holds rows once the test database is ready into a table of its own.

    After a transactional test's flush they are copied back (`restore_tables`): one INSERT ... SELECT
    per table (about a dozen), where reloading the reference data through the migrations' loaders and the
    flush's post_migrate signal (content types and permissions, created again) took 0.4 s on SQLite and
    1.3 s on PostgreSQL after every transactional test. The flush therefore sends no post_migrate
    (`_flush_without_post_migrate`); the rows come back with their ids, content types included.
    """
    from django.db import connection

    quote = connection.ops.quote_name
    tables = sorted(connection.introspection.django_table_names(only_existing=True))
    _SNAPSHOT.clear()
    with connection.cursor() as cursor:
        for n, table in enumerate(tables):
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")
            if cursor.fetchone() is None:
                continue
            copy = f"kd_snap_{n}"
            cursor.execute(f"DROP TABLE IF EXISTS {quote(copy)}")
            cursor.execute(f"CREATE TABLE {quote(copy)} AS SELECT * FROM {quote(table)}")
            _SNAPSHOT[table] = copy


def restore_tables() -> None:
    """Put back the rows `snapshot_tables` copied (the tables are empty: a flush has just run)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from operations import history

    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for table, copy in _SNAPSHOT.items():
            cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM {quote(copy)}")
    ContentType.objects.clear_cache()
    # What the flush's post_migrate also did: the money history's triggers, made again if a test removed them.
    history.on_post_migrate(sender=None, using=connection.alias)


@pytest.fixture(scope="session", autouse=True)
def _flush_without_post_migrate():  # type: ignore[no-untyped-def]
    """The flush after a transactional test sends no post_migrate: `restore_tables` puts back what its
    receivers would make (content types, permissions) as the session began. Other flushes are Django's own."""
    from django.core.management.commands import flush
    from django.test import TransactionTestCase

    teardown = TransactionTestCase._fixture_teardown
    emit = flush.emit_post_migrate_signal
    in_teardown = {"on": False}

    def fixture_teardown(self):  # type: ignore[no-untyped-def]
        in_teardown["on"] = True
        try:
            return teardown(self)
        finally:
            in_teardown["on"] = False

    def emit_unless_tests_flush(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not in_teardown["on"]:
            emit(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", fixture_teardown)
        patch.setattr(flush, "emit_post_migrate_signal", emit_unless_tests_flush)
        yield


# The confirmed LPR table (subsidy/data/lpr.csv) ends with the 2026-04-20 publication;
# later ones are for admins to import. Tests need a table reaching into 2026-11, so they
# add those publications, assumed unchanged, as test data only (never in migrations).
TEST_LPR_SOURCE = "测试数据（假定未变）"


def add_assumed_lpr() -> None:
    import datetime as dt

    from subsidy.demo import assume_unchanged_through

    assume_unchanged_through(dt.date(2026, 11, 20), source=TEST_LPR_SOURCE)


def assume_lpr_through(day) -> None:
    """Tests that use today's date: the publications up to `day` too, assumed unchanged."""
    from subsidy.demo import assume_unchanged_through

    assume_unchanged_through(day, source=TEST_LPR_SOURCE)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):  # noqa: ARG001
    """On PostgreSQL the tests' sessions commit without waiting for the disk (`synchronous_commit=off`):
    a test database need not survive a crash, and the transactional tests commit a flush and the
    reference data each time."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    if settings_dict["ENGINE"].endswith("postgresql"):
        options = settings_dict.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()
        connections["default"].close()


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings, django_db_blocker):  # noqa: ARG001 - the worker's name first
    """A test database copied from the migrated template (a SQLite file, or a PostgreSQL database) is kept, so
    that setup only checks it (tests/dbtemplate.py); `--reuse-db` and `--create-db` mean what pytest-django says."""
    if request.config.getvalue("reuse_db") or request.config.getvalue("create_db"):
        return bool(request.config.getvalue("reuse_db"))
    from tests import dbtemplate

    with django_db_blocker.unblock():
        return dbtemplate.restore() or dbtemplate.pg_restore()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, django_db_keepdb):  # noqa: F811 - extends pytest-django's
    with django_db_blocker.unblock():
        if not django_db_keepdb:
            from tests import dbtemplate

            dbtemplate.save()
            dbtemplate.pg_save()
        add_assumed_lpr()
        snapshot_tables()


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _tasks_backend(settings, request):
    """Background work runs on the Tasks API's immediate backend: at commit, in the test's own thread.

    Browser tests use the database backend: the live server only queues jobs (as web
    processes beside `run_jobs` workers do) and the test runs them to their end with
    tests.e2e.conftest.run_jobs(): no timer decides when a job runs.
    """
    settings.TASKS = DATABASE_TASKS if "live_server" in request.fixturenames else IMMEDIATE_TASKS


@pytest.fixture
def task_worker(settings, transactional_db):
    """A worker (kedaitong.worker, as `manage.py run_jobs` runs it) in a thread of the test process."""
    import threading

    from kedaitong.worker import Worker

    settings.TASKS = DATABASE_TASKS
    worker = Worker(interval=0.1, startup_delay=False, scheduler=False, housekeeping_seconds=0.5)
    thread = threading.Thread(target=worker.run, name="kedaitong-test-worker", daemon=True)
    thread.start()
    yield worker
    worker.running = False
    thread.join(30)


@dataclass
class Cast:
    changjiang: Program
    quzhou: Program
    enterprise_a: Enterprise
    enterprise_b: Enterprise
    bank_x: Bank
    bank_y: Bank
    applicant: User
    other_applicant: User
    bureau_staff: User
    bureau_head: User
    leading_group: User
    bank_x_user: User
    bank_y_user: User
    auditor: User
    accountant: User
    admin: User
    application_a: Application
    application_b: Application
    loan_a: Loan
    loan_b: Loan

    def users(self) -> dict[str, User]:
        return {
            "enterprise_a": self.applicant,
            "enterprise_b": self.other_applicant,
            "bureau_staff": self.bureau_staff,
            "bureau_head": self.bureau_head,
            "leading_group": self.leading_group,
            "bank_x": self.bank_x_user,
            "bank_y": self.bank_y_user,
            "auditor": self.auditor,
            "accountant": self.accountant,
            "admin": self.admin,
        }


def add_second_districts() -> tuple[Program, Program]:
    """A second district of each kind, as data only (issue 15): programs, versions, the city's registration places.

    浮梁县 follows the Changjiang rules (科贷通 细则) with its own budget figures; 丽水市 the Quzhou plan. Their material
    lists come from their kind when the program is created (kedaitong.programs: setup_program); their bureaus,
    banks, agreements and budgets are the tests' rows.
    """
    import datetime as dt
    from decimal import Decimal

    from applications.models import ProgramVersion, RegistrationPlace

    kinds = {p.code: p.kind for p in Program.objects.filter(code__in=["changjiang", "quzhou"])}
    fuliang, _ = Program.objects.get_or_create(
        code="fuliang",
        defaults={
            "name": "浮梁县“科贷通”",
            "kind": kinds["changjiang"],
            "region": "江西省景德镇市浮梁县",
            "authority": "浮梁县科学技术局",
            "reference_prefix": "FL",
        },
    )
    ProgramVersion.objects.get_or_create(
        program=fuliang,
        code="2026",
        defaults={
            "title": "浮梁县“科贷通”工作实施细则",
            "effective_from": dt.date(2025, 1, 1),
            "max_amount": Decimal("3000000.00"),
            "one_bank_per_enterprise": True,
            "needs_recommendation": True,
            "publicity_workdays": 7,
            "risk_compensation": True,
        },
    )
    lishui, _ = Program.objects.get_or_create(
        code="lishui",
        defaults={
            "name": "丽水市科技金融合作贷款",
            "kind": kinds["quzhou"],
            "region": "浙江省丽水市本级",
            "authority": "丽水市科学技术局",
            "reference_prefix": "LS",
        },
    )
    ProgramVersion.objects.get_or_create(
        program=lishui,
        code="2025",
        defaults={
            "title": "丽水市科技金融合作贷款工作方案",
            "effective_from": dt.date(2025, 1, 1),
            "max_amount": Decimal("3000000.00"),
            "max_term_months": 24,
            "enterprise_annual_cap": Decimal("3000000.00"),
            "total_annual_cap": Decimal("300000000.00"),
            "rate_capped_by_lpr": True,
            "subsidy_share": Decimal("0.2500"),
        },
    )
    for order, (code, name) in enumerate([("shibenji", "市本级"), ("liandu", "莲都区")], start=1):
        RegistrationPlace.objects.get_or_create(
            program=lishui, code=code, defaults={"name": name, "order": order}
        )
    return fuliang, lishui


@pytest.fixture
def district() -> str:
    """Which district of each kind the cast works in: "first" (昌江, 衢州) or "second" (浮梁, 丽水; data only).

    The access matrix runs over both, so over all four programs.
    """
    return "first"


@pytest.fixture
def cast(db, district) -> Cast:
    return build_cast(district=district)


def build_cast(prefix: str = "", district: str = "first") -> Cast:
    """The cast's rows; `prefix` names a second cast in the same database (scripts/prod_smoke.py), `district`
    the programs it works in (the first districts of each kind, or the second ones, added as data)."""
    if district == "second":
        changjiang, quzhou = add_second_districts()
    else:
        changjiang = Program.objects.get(code="changjiang")
        quzhou = Program.objects.get(code="quzhou")
    cj_version = changjiang.versions.order_by("-effective_from").first()
    enterprise_a = EnterpriseFactory(name=f"{prefix}甲科技有限公司")
    enterprise_b = EnterpriseFactory(name=f"{prefix}乙科技有限公司")
    bank_x = BankFactory(code=f"{prefix}bank-x", name=f"{prefix}X银行")
    bank_y = BankFactory(code=f"{prefix}bank-y", name=f"{prefix}Y银行")
    BankAgreementFactory(bank=bank_x, program=changjiang)
    BankAgreementFactory(bank=bank_y, program=changjiang)

    def user(name: str, role: str, **scope: object) -> User:
        return UserFactory(username=f"{prefix}{name}", role=role, **scope)

    return Cast(
        changjiang=changjiang,
        quzhou=quzhou,
        enterprise_a=enterprise_a,
        enterprise_b=enterprise_b,
        bank_x=bank_x,
        bank_y=bank_y,
        applicant=user("applicant", Role.ENTERPRISE, enterprise=enterprise_a),
        other_applicant=user("other", Role.ENTERPRISE, enterprise=enterprise_b),
        bureau_staff=user("staff", Role.BUREAU_STAFF, program=changjiang),
        bureau_head=user("head", Role.BUREAU_HEAD, program=changjiang),
        leading_group=user("group", Role.LEADING_GROUP, program=changjiang),
        bank_x_user=user("bankx", Role.BANK, bank=bank_x),
        bank_y_user=user("banky", Role.BANK, bank=bank_y),
        auditor=user("auditor", Role.AUDITOR, program=changjiang),
        accountant=user("accountant", Role.ACCOUNTANT, program=changjiang),
        admin=user("admin", Role.ADMIN, is_staff=True, is_superuser=True),
        application_a=ApplicationFactory(
            enterprise=enterprise_a, bank=bank_x, program_version=cj_version
        ),
        application_b=ApplicationFactory(
            enterprise=enterprise_b, bank=bank_y, program_version=cj_version
        ),
        loan_a=LoanFactory(enterprise=enterprise_a, bank=bank_x, program_version=cj_version),
        loan_b=LoanFactory(enterprise=enterprise_b, bank=bank_y, program_version=cj_version),
    )
