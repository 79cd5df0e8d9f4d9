"""Each user sees only their own programs' records, menus and citations (issue 15).

The objects of every row of the access matrix belong to the cast's program (昌江, or 衢州 for the Quzhou rows).
Users of the other programs — the government of 浮梁 (a second Changjiang-kind district, data only), of 衢州 or
昌江 (the other kind), a bank on file only there, the administrator working there — open the same URLs: they get
no page (403, 404, 405, or the login page; 401 from the bank API, whose only credential is a bank's token), or a page that names none of the cast's records (enterprises, banks,
references, contract numbers), and a Quzhou user's page names nothing of Changjiang (昌江) nor a Changjiang user's
anything of Quzhou (衢州). Public pages (the publicity and the subsidy notice, open to anyone) are left out.
"""

from __future__ import annotations

import copy
import re

import pytest
from django.core.cache import cache
from django.test import Client

from applications.models import Program
from applications.scope import SESSION_KEY
from kedaitong.roles import Role
from tests.access import kept_cast, move_cast_to_quzhou
from tests.access_matrix_table import table
from tests.conftest import Cast, add_second_districts, keep_session, log_in
from tests.factories import BankAgreementFactory, BankFactory, UserFactory

ROWS = [row for row in table() if row.method == "GET" and row.expected["anonymous"] != 200]
GOVERNMENT = (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR)


@pytest.fixture(scope="module")
def kept(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]  # noqa: ARG001
    """The cast, built once for this module's tests (tests/access.py: kept_cast), and 浮梁's users with it."""
    with kept_cast(django_db_blocker, also=fuliang_and_its_users) as built:
        yield built


@pytest.fixture
def cast(kept, db) -> Cast:  # type: ignore[no-untyped-def]  # noqa: ARG001 - db: the test's savepoint
    return kept.fresh()


@pytest.fixture
def fuliang_kept(kept, cast) -> tuple[Program, list[tuple[str, object, str]]]:  # type: ignore[no-untyped-def]  # noqa: ARG001 - cast: the test's savepoint first
    """浮梁 and its users (`foreign_users`), the test's own copies."""
    return copy.deepcopy(kept.also)  # type: ignore[no-any-return]


def foreign_users(cast: Cast, program: Program, kind_word: str) -> list[tuple[str, object, str]]:
    """(label, user, program code to work in) of `program`'s government, a bank on file only there, the admin."""
    users: list[tuple[str, object, str]] = []
    for role in GOVERNMENT:
        user = UserFactory(username=f"{program.code}-{role}", role=role, program=program)
        users.append((f"{program.code} {role}", user, ""))
    bank = BankFactory(code=f"bank-{program.code}", name=f"{kind_word}外地银行")
    BankAgreementFactory(bank=bank, program=program)
    users.append(
        (
            f"{program.code} bank",
            UserFactory(username=f"{program.code}-bank", role=Role.BANK, bank=bank),
            "",
        )
    )
    users.append((f"admin in {program.code}", cast.admin, program.code))
    return users


def fuliang_and_its_users(cast: Cast) -> tuple[Program, list[tuple[str, object, str]]]:
    """浮梁 (a second Changjiang-kind district, data only) and its users, with their sessions kept: every test
    visits as them, so the module makes them once, with the cast."""
    fuliang, _lishui = add_second_districts()
    users = foreign_users(cast, fuliang, "浮梁")
    for _label, user, work_in in users:
        keep_session(user, **({SESSION_KEY: work_in} if work_in else {}))
    return fuliang, users


def api_token(user: object) -> str:
    import datetime as dt

    from django.utils import timezone

    from api.services import token_create

    return token_create(
        actor=user,  # type: ignore[arg-type]
        name="外地系统",
        scope="read",
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    ).secret


def markers(cast: Cast) -> list[str]:
    """What names the cast's records on a page."""
    return [
        cast.enterprise_a.name,
        cast.enterprise_b.name,
        cast.enterprise_a.credit_code,
        cast.bank_x.name,
        cast.bank_y.name,
        cast.application_a.reference,
        cast.loan_a.contract_no,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_users_of_other_programs_see_nothing_of_this_one(row, cast, fuliang_kept):
    fuliang, fuliang_users = fuliang_kept
    if row.program == "quzhou":
        move_cast_to_quzhou(cast)
        home, others = cast.quzhou, [(fuliang, "浮梁"), (cast.changjiang, "昌江")]
        forbidden_word = "衢州"  # nothing of Quzhou for a Changjiang-kind user
    else:
        home, others = cast.changjiang, [(fuliang, "浮梁"), (cast.quzhou, "衢州")]
        forbidden_word = "昌江"
    url = row.url(cast)
    api = url.startswith("/api/v1/")
    found = markers(cast)
    for program, word in others:
        # Moved to Quzhou, banks X and Y keep their Changjiang agreements: in Changjiang they are that
        # program's own cooperating banks (its credit plan lists them), not Quzhou's records.
        shared_banks = {cast.bank_x.name, cast.bank_y.name} if program == cast.changjiang else set()
        users = fuliang_users if program == fuliang else foreign_users(cast, program, word)
        for label, user, work_in in users:
            cache.clear()
            client = Client()
            headers = {}
            if api and user.effective_role == Role.BANK:
                # The bank API (issue 21) takes the bank's token, not a session: the foreign bank's system asks.
                headers["Authorization"] = f"Bearer {api_token(user)}"
            else:
                log_in(client, user, **({SESSION_KEY: work_in} if work_in else {}))
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                # 401: a session is no credential of the API (government users and the administrator hold no token).
                allowed = (302, 401, 403, 404, 405) if api else (302, 403, 404, 405)
                assert response.status_code in allowed, (label, url)
                continue
            content_type = response.get("Content-Type", "")
            body = (
                response.content.decode(errors="replace")
                if content_type.startswith(("text/html", "application/json"))
                else ""
            )
            # The program switch names the programs the administrator may work in, by design.
            body = re.sub(r"<form[^>]*program-switch.*?</form>", "", body, flags=re.S)
            leaked = [m for m in found if m in body and m not in shared_banks]
            assert not leaked, (label, url, leaked)
            other_kind = program.kind != home.kind
            if other_kind:
                assert forbidden_word not in body, (label, url, forbidden_word)
