"""Shared vocabulary of the access matrix: the table is tests/access_matrix_table.py, run by tests/test_access_matrix.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from kedaitong.models import User
from loans.models import BankAgreement
from tests.conftest import Cast

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
    "admin",
)
LOGIN = 302  # anonymous visitors are sent to the login page
# The two kinds a row's objects belong to (Row.program): the cast works in the first, or moves to the second.
ROW_PROGRAMS = ("changjiang", "quzhou")


def expect(default: int, **overrides: int) -> dict[str, int]:
    """Every role gets `default` except those named."""
    unknown = set(overrides) - set(ROLES)
    assert not unknown, unknown
    return {role: overrides.get(role, default) for role in ROLES}


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
    government = (cast.bureau_staff, cast.bureau_head, cast.leading_group, cast.auditor)
    User.objects.filter(pk__in=[u.pk for u in government]).update(program=cast.quzhou)
    for bank in (cast.bank_x, cast.bank_y):
        BankAgreement.objects.create(
            bank=bank,
            program=cast.quzhou,
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2026, 12, 31),
        )
