"""The program registry (kedaitong/programs.py): every kind registered by its package, asked by the shared apps.

A second district of a kind is rows only: created as a program, it gets its kind's reference rows, and its
applications run its kind's workflow with its own bureau; the first district's bureau has no hand in them.
"""

from __future__ import annotations

import pytest

from applications.models import MaterialType, Program
from kedaitong import programs
from kedaitong.programs import Feature
from kedaitong.roles import Role
from review import services
from tests.conftest import add_second_districts
from tests.factories import UserFactory
from tests.review.helpers import eligible

pytestmark = pytest.mark.django_db


def test_every_program_has_a_registered_kind_and_the_kinds_are_the_choices():
    kinds = {spec.kind for spec in programs.kinds()}
    assert set(Program.objects.values_list("kind", flat=True)) <= kinds
    assert {value for value, _label in programs.kind_choices()} == kinds
    assert {spec.reference_prefix for spec in programs.kinds()} == {"CJ", "QZ"}


def test_features_and_citations_follow_the_kind():
    changjiang, quzhou = Program.objects.get(code="changjiang"), Program.objects.get(code="quzhou")
    assert programs.has_feature(changjiang, Feature.COMPENSATION)
    assert not programs.has_feature(changjiang, Feature.SUBSIDY)
    assert programs.has_feature(quzhou, Feature.SUBSIDY) and programs.has_feature(
        quzhou, Feature.BANK_FILING
    )
    assert not programs.has_feature(quzhou, Feature.BLACKLIST)
    assert not programs.has_feature(None, Feature.BLACKLIST)
    assert programs.cite(changjiang, "blacklist") == "昌江细则第九条"
    assert programs.cite(quzhou, "blacklist") == ""
    with pytest.raises(programs.UnknownKind):
        programs.spec("no_such_kind")


def test_a_new_district_gets_its_kinds_reference_rows():
    fuliang, lishui = add_second_districts()
    changjiang = Program.objects.get(code="changjiang")
    assert list(
        MaterialType.objects.filter(program=fuliang).values_list("number", "name", "required")
    ) == list(
        MaterialType.objects.filter(program=changjiang).values_list("number", "name", "required")
    )
    assert not MaterialType.objects.filter(
        program=lishui
    ).exists()  # Quzhou 附件1 lists no materials


def test_a_second_districts_application_runs_its_kinds_workflow_with_its_own_bureau(cast):
    from tests.factories import ApplicationFactory

    fuliang, _lishui = add_second_districts()
    version = fuliang.versions.get()
    application = ApplicationFactory(
        enterprise=eligible(cast.enterprise_a), bank=cast.bank_x, program_version=version
    )
    staff = UserFactory(username="fl-staff", role=Role.BUREAU_STAFF, program=fuliang)
    with pytest.raises(
        services.ReviewNotAllowed
    ):  # 昌江's bureau has no hand in 浮梁's applications
        services.application_accept(actor=cast.bureau_staff, application=application)
    services.application_accept(actor=staff, application=application)
    application.refresh_from_db()
    assert application.state == "bureau_review"
    from kedaitong.models import AuditEntry

    audit = AuditEntry.objects.for_object(application).get(action="applications.application.accept")
    assert (audit.actor, audit.from_state, audit.to_state) == (staff, "submitted", "bureau_review")
