"""Shared vocabulary of the access matrix: the table is tests/access_matrix_table.py, run by tests/test_access_matrix.py."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kedaitong.models import User
from loans.models import BankAgreement
from tests.conftest import FAST_HASHERS, Cast, build_cast, forget_kept_sessions, keep_session

ROLES = (
    "anonymous",
    "enterprise_a",
    "enterprise_b",
    "bureau_staff",
    "bureau_head",
    "leading_group",
    "bank_x",
    "bank_y",
    "auditor",
    "accountant",
    "admin",
)
LOGIN = 302  # anonymous visitors are sent to the login page
# The two kinds a row's objects belong to (Row.program): the cast works in the first, or moves to the second.
ROW_PROGRAMS = ("changjiang", "quzhou")


def expect(default: int, **overrides: int) -> dict[str, int]:
    """Every role gets `default` except those named.

    The accounting firm (Quzhou 四(一)) reads its program as the auditor does, so unless it is named it
    gets what the auditor gets; rows name it where it differs (its audit of a subsidy run, pages that
    name their roles one by one).
    """
    unknown = set(overrides) - set(ROLES)
    assert not unknown, unknown
    found = {role: overrides.get(role, default) for role in ROLES}
    found["accountant"] = overrides.get("accountant", found["auditor"])
    return found


def for_government_and_banks(anonymous: int = LOGIN) -> dict[str, int]:
    return expect(200, anonymous=anonymous, enterprise_a=403, enterprise_b=403)


# Pages of one program: its government roles and the admin see them; enterprises and banks are outsiders (404).
PROGRAM_GOVERNMENT = expect(
    404,
    anonymous=LOGIN,
    bureau_staff=200,
    bureau_head=200,
    leading_group=200,
    auditor=200,
    admin=200,
)


def program_action(**allowed: int) -> dict[str, int]:
    """An action of one program: insiders without the role get 403, outsiders 404, `allowed` as given."""
    base = expect(
        404,
        anonymous=LOGIN,
        bureau_staff=403,
        bureau_head=403,
        leading_group=403,
        auditor=403,
        admin=403,
    )
    return base | allowed


@dataclass(frozen=True)
class Row:
    """`method` `url(cast)` as each role; `expected` maps role → status.

    The objects behind the URL belong to enterprise A and bank X. With
    program="quzhou", the cast's government users and both banks work on
    Quzhou instead of Changjiang for that row.
    """

    name: str
    url: Callable[[Cast], str]
    expected: dict[str, int]
    program: str = "changjiang"
    method: str = "GET"  # or "POST": sent without a form; each role's request is rolled back
    data: dict[str, str] | None = (
        None  # the POST body, when an empty one would not tell who may act
    )


def move_cast_to_quzhou(cast: Cast) -> None:
    government = (
        cast.bureau_staff,
        cast.bureau_head,
        cast.leading_group,
        cast.auditor,
        cast.accountant,
    )
    User.objects.filter(pk__in=[u.pk for u in government]).update(program=cast.quzhou)
    for bank in (cast.bank_x, cast.bank_y):
        BankAgreement.objects.create(
            bank=bank,
            program=cast.quzhou,
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2026, 12, 31),
        )


@dataclass
class KeptCast:
    """What `kept_cast` built: the cast, and what the module's `also` made beside it."""

    built: Cast
    also: Any = None

    def fresh(self) -> Cast:
        """A test's own copies of the cast's objects: what a test changes on them stays with the test."""
        return copy.deepcopy(self.built)


@contextmanager
def kept_cast(
    django_db_blocker: Any, district: str = "first", also: Callable[[Cast], Any] | None = None
) -> Iterator[KeptCast]:
    """The cast built once for a module's tests, in a transaction left open around them (a module's `cast`
    fixture gives each test `fresh()` copies of its objects); `also(cast)`, when given, makes the module's
    other common rows after it.

    Every test's own transaction (pytest-django's) is then a savepoint inside this one, so whatever a test
    writes, to the cast's rows too, is rolled back when it ends, and the next test finds the cast as built.
    The cast's users' sessions are written once too (`keep_session`), for each program a client may be told
    to work in, so that `log_in` hands a client its user's session instead of writing one per client (ten or
    more a test). The rows are made at the suite's fixed instant (tests/clock.py), as a test's own cast is,
    with the tests' fast password hasher (tests/conftest.py's `_fast_hashing` is a per-test fixture, not yet
    in force here: Argon2 took 0.2 s a user).
    """
    import time_machine
    from django.db import transaction
    from django.test.utils import override_settings

    from applications.scope import SESSION_KEY
    from tests.clock import BUREAU_NEXT_DAY

    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            with (
                time_machine.travel(BUREAU_NEXT_DAY, tick=False),
                override_settings(PASSWORD_HASHERS=FAST_HASHERS),
            ):
                cast = build_cast(district=district)
                programs = ("", cast.changjiang.code, cast.quzhou.code)
                for user in cast.users().values():
                    for code in programs:
                        keep_session(user, **({SESSION_KEY: code} if code else {}))
                kept = KeptCast(cast, also(cast) if also is not None else None)
        except BaseException:
            forget_kept_sessions()
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield kept
    finally:
        forget_kept_sessions()
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def kept_cast_fixtures() -> tuple[Any, Any]:
    """The `kept` (module-scoped) and `cast` fixtures of a module whose tests share one kept cast, in the first
    districts: `kept, cast = kept_cast_fixtures()` at a test module's top level."""
    import pytest

    @pytest.fixture(scope="module")
    def kept(django_db_setup: Any, django_db_blocker: Any) -> Iterator[KeptCast]:  # noqa: ARG001
        """The cast, built once for this module's tests (`kept_cast`)."""
        with kept_cast(django_db_blocker) as built:
            yield built

    @pytest.fixture
    def cast(kept: KeptCast, db: Any) -> Cast:  # noqa: ARG001 - db: the test's savepoint
        return kept.fresh()

    return kept, cast
