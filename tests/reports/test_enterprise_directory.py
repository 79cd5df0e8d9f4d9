"""The bureau's enterprise directory (issue 18, item 6): search by name or credit code, and one page per
enterprise with its applications, loans, compensation claims and blacklist state, in the user's program only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Enterprise
from compensation.models import Claim
from kedaitong.roles import Role
from review import services as review_services
from review.models import BlacklistEntry
from tests.access import move_cast_to_quzhou
from tests.compensation import helpers
from tests.factories import ApplicationFactory, EnterpriseFactory, LoanFactory, UserFactory, version

pytestmark = pytest.mark.django_db

LIST = "/reports/enterprises/"


def page_of(enterprise: Enterprise) -> str:
    return f"/reports/enterprises/{enterprise.public_id}/"


def names(response) -> list[str]:
    return [e.name for e in response.context["enterprises"]]


def test_staff_find_an_enterprise_by_a_part_of_its_name(client, cast):
    client.force_login(cast.bureau_staff)
    response = client.get(LIST, {"q": "甲科技"})
    assert response.status_code == 200
    assert names(response) == [cast.enterprise_a.name]
    assert f'href="{page_of(cast.enterprise_a)}"' in response.content.decode()
    assert "有 1 家企业符合“甲科技”。" in response.content.decode()
    assert response.context["page"].paginator.count == 1


def test_staff_find_an_enterprise_by_the_start_of_its_credit_code(client, cast):
    client.force_login(cast.bureau_head)
    code = cast.enterprise_b.credit_code
    # Typed with a Chinese IME in full-width characters and in lower case: the same search.
    typed = "".join(chr(ord(c) + 0xFEE0) for c in code[:17].lower())
    response = client.get(LIST, {"q": f"  {typed} "})
    assert response.status_code == 200
    assert names(response) == [cast.enterprise_b.name]
    assert response.context["query"] == code[:17].lower()
    assert client.get(LIST, {"q": code}).context["enterprises"][0].pk == cast.enterprise_b.pk
    # A code's middle is not its start.
    assert names(client.get(LIST, {"q": code[4:12]})) == []


def test_the_directory_lists_the_programs_enterprises_only(client, cast):
    """Scope (docs/architecture.md): an enterprise with no record in the program is not listed."""
    stranger = EnterpriseFactory(name="丙科技有限公司")  # registered, nothing filed
    quzhou_only = EnterpriseFactory(name="丁科技有限公司")
    ApplicationFactory(enterprise=quzhou_only, program_version=version("quzhou"))
    client.force_login(cast.bureau_staff)
    listed = names(client.get(LIST))
    assert cast.enterprise_a.name in listed and cast.enterprise_b.name in listed
    assert stranger.name not in listed and quzhou_only.name not in listed
    assert client.get(page_of(quzhou_only)).status_code == 404
    assert client.get(page_of(stranger)).status_code == 404


def test_a_quzhou_clerk_never_sees_changjiang_records(client, cast):
    quzhou_firm = EnterpriseFactory(name="衢州科技有限公司")
    ApplicationFactory(enterprise=quzhou_firm, program_version=version("quzhou"))
    # Enterprise A borrows in both programs: Quzhou's bureau sees its Quzhou record, never the Changjiang ones.
    ApplicationFactory(
        enterprise=cast.enterprise_a, program_version=version("quzhou"), reference="QZ-2026-0001"
    )
    move_cast_to_quzhou(cast)
    client.force_login(cast.bureau_staff)
    assert set(names(client.get(LIST))) == {quzhou_firm.name, cast.enterprise_a.name}
    response = client.get(page_of(cast.enterprise_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "QZ-2026-0001" in body
    assert cast.application_a.reference not in body
    assert cast.loan_a.contract_no not in body
    assert "黑名单" not in body and "风险补偿" not in body  # Changjiang's features are not Quzhou's
    assert response.context["file"].applications[0].reference == "QZ-2026-0001"
    assert response.context["file"].loans == []
    assert client.get(page_of(cast.enterprise_b)).status_code == 404  # Changjiang only: an outsider


def test_an_enterprise_page_shows_its_applications_loans_claims_and_blacklist_state(client, cast):
    loan = helpers.bad_loan(cast, contract="HT-BAD-1")
    claim = helpers.submitted(cast, loan)
    entry = review_services.blacklist_add(
        actor=cast.bureau_staff,
        enterprise=cast.enterprise_a,
        reason=BlacklistEntry.Reason.OVERDUE_6_MONTHS,
        details="逾期超过六个月",
        loan=loan,
    )
    assert BlacklistEntry.objects.get(pk=entry.pk).status == BlacklistEntry.Status.LISTED
    client.force_login(cast.bureau_staff)
    response = client.get(page_of(cast.enterprise_a))
    assert response.status_code == 200
    body = response.content.decode()
    file = response.context["file"]
    assert {a.pk for a in file.applications} == {cast.application_a.pk, loan.application_id}
    assert {x.pk for x in file.loans} == {cast.loan_a.pk, loan.pk}
    assert [c.pk for c in file.claims] == [claim.pk]
    assert Claim.objects.get(pk=claim.pk).requested_amount == Decimal("400000.00")
    assert claim.reference in body and "400,000.00" in body
    assert f'href="/compensation/claims/{claim.public_id}/"' in body
    assert "已列入黑名单（第九条）：今后不得获得任何项目的财政支持。" in body
    assert file.listed == [entry]
    # Enterprise B's records are not on A's page.
    assert cast.loan_b.contract_no not in body


def test_an_enterprise_never_proposed_is_not_on_the_blacklist(client, cast):
    client.force_login(cast.bureau_staff)
    response = client.get(page_of(cast.enterprise_b))
    assert response.context["file"].blacklist == []
    assert response.context["file"].claims == []
    body = response.content.decode()
    assert "未列入黑名单。" in body and "暂无风险补偿申请。" in body


@pytest.mark.parametrize("role", [Role.LEADING_GROUP, Role.AUDITOR, Role.BANK, Role.ENTERPRISE])
def test_only_the_bureau_and_the_administrator_use_the_directory(client, cast, role):
    users = {
        Role.LEADING_GROUP: cast.leading_group,
        Role.AUDITOR: cast.auditor,
        Role.BANK: cast.bank_x_user,
        Role.ENTERPRISE: cast.applicant,
    }
    client.force_login(users[role])
    assert client.get(LIST).status_code == 403
    assert client.get(page_of(cast.enterprise_a)).status_code == 403
    assert "/reports/enterprises/" not in client.get("/").content.decode()


def test_the_bureau_finds_the_directory_in_its_menu(client, cast):
    client.force_login(cast.bureau_staff)
    assert 'href="/reports/enterprises/"' in client.get("/").content.decode()


def test_a_page_of_the_directory_costs_the_same_queries_for_many_enterprises(client, cast):
    """Paginated (50 a page) with the counts per row as subqueries: the query count does not grow with the rows."""
    client.force_login(cast.bureau_staff)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    cj = version("changjiang")
    firms = EnterpriseFactory.create_batch(120)
    for firm in firms:
        ApplicationFactory(enterprise=firm, program_version=cj)
    LoanFactory(enterprise=firms[0], program_version=cj)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST, {"page": "2"})
    assert response.status_code == 200
    assert len(response.context["enterprises"]) == 50
    assert response.context["page"].paginator.count == 122
    assert len(many) == len(few)
    # Session, user, program, count, page (the counts are subqueries of the page's query), the menu's counts.
    assert len(many) <= 12, [q["sql"] for q in many.captured_queries]


def test_the_directory_is_read_only(client, cast):
    client.force_login(cast.bureau_staff)
    assert client.post(LIST).status_code == 405
    assert client.post(page_of(cast.enterprise_a)).status_code == 405


def test_an_outsider_user_of_another_program_gets_404_on_the_page(client, cast):
    other = UserFactory(role=Role.BUREAU_STAFF, program=cast.quzhou)
    client.force_login(other)
    assert client.get(page_of(cast.enterprise_a)).status_code == 404
    assert names(client.get(LIST)) == []
