"""Access-matrix rows of the enterprise side (issue 3); the objects belong to enterprise A and bank X."""

from __future__ import annotations

from django.core.files.base import ContentFile

from applications.models import Material, MaterialType, Qualification
from tests.access import LOGIN, Row, expect
from tests.conftest import Cast

ENTERPRISES_ONLY = expect(403, anonymous=LOGIN, enterprise_a=200, enterprise_b=200)
# Who sees application A: its enterprise, bank X, the Changjiang government, the admin.
SEES_A = expect(200, anonymous=LOGIN, enterprise_b=404, bank_y=404)
# An action of enterprise A on its application: outsiders 404, insiders without the enterprise role 403.
OWN_ACTION = expect(403, anonymous=LOGIN, enterprise_b=404, bank_y=404)


def evidence(cast: Cast) -> str:
    q = Qualification(enterprise=cast.enterprise_a, kind="high_tech", number="GR1", evidence_name="cert.pdf")
    q.evidence.save("cert.pdf", ContentFile(b"%PDF-1.4 cert"), save=False)
    q.save()
    return f"/enterprise/qualifications/{q.public_id}/evidence/"


def material(cast: Cast) -> Material:
    m = Material(application=cast.application_a, material_type=MaterialType.objects.get(program=cast.changjiang, number=3),
                 original_name="licence.pdf", content_type="application/pdf", size=10)
    m.file.save("licence.pdf", ContentFile(b"%PDF-1.4 x"), save=False)
    m.save()
    return m


def app_url(cast: Cast, tail: str = "") -> str:
    return f"/applications/{cast.application_a.public_id}/{tail}"


ROWS = [
    Row("applications:register", lambda c: "/enterprise/register/", expect(302, anonymous=200)),
    Row("applications:profile", lambda c: "/enterprise/profile/", ENTERPRISES_ONLY),
    Row("applications:colleagues", lambda c: "/enterprise/colleagues/", ENTERPRISES_ONLY),
    Row("applications:qualifications", lambda c: "/enterprise/qualifications/", ENTERPRISES_ONLY),
    Row("applications:qualification-delete", lambda c: "/enterprise/qualifications/00000000-0000-0000-0000-000000000000/delete/", expect(405)),
    Row("applications:qualification-evidence", evidence, SEES_A),
    Row("applications:patent-add", lambda c: "/enterprise/patents/", expect(405)),
    Row("applications:patent-delete", lambda c: "/enterprise/patents/1/delete/", expect(405)),
    Row("applications:figure-add", lambda c: "/enterprise/figures/", expect(405)),
    Row("applications:figure-delete", lambda c: "/enterprise/figures/1/delete/", expect(405)),
    Row("applications:application-create", lambda c: "/applications/new/changjiang/", ENTERPRISES_ONLY),
    # Application A is submitted: its enterprise is sent to the (frozen) application page.
    Row("applications:application-edit", lambda c: app_url(c, "edit/"), OWN_ACTION | {"enterprise_a": 302}),
    Row("applications:application-submit", lambda c: app_url(c, "submit/"), OWN_ACTION | {"enterprise_a": 200}),
    Row("applications:material-add", lambda c: app_url(c, "materials/"), expect(405)),
    Row("applications:material-download", lambda c: app_url(c, f"materials/{material(c).public_id}/"), SEES_A),
    Row("applications:material-delete", lambda c: app_url(c, f"materials/{material(c).public_id}/delete/"), expect(405)),
    Row("applications:team-add", lambda c: app_url(c, "team/"), expect(405)),
    Row("applications:team-delete", lambda c: app_url(c, "team/1/delete/"), expect(405)),
    Row("applications:annex-pdf", lambda c: app_url(c, "pdf/annex3/"), SEES_A),
    Row("applications:submitted-pdf", lambda c: app_url(c, "submitted.pdf"), expect(404, anonymous=LOGIN)),
]
