"""THE access matrix: one table of (URL name, method, URL builder, {role: status}) for every URL pattern.

Objects behind each URL belong to enterprise A and bank X, so enterprise B and
bank Y always ask with another party's ids. Every URL name has a GET row and a
POST row. A POST row sends no form (and, in tests/test_csrf.py, is the list of
URLs CSRF is checked on): a read-only insider gets 403, an outsider 404,
anonymous visitors the login page (302), the allowed role 200/302/400 (form
errors or a refusal) — each role's POST runs in its own savepoint, rolled back,
so one role's success never changes what the next role sees.

Vocabulary (expect, LOGIN, Row ...) is in tests/access.py. tests/test_access_matrix.py
runs the table and fails on a URL pattern without a name, or a name without both rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from applications.models import (
    AccountClaim,
    AnnualFigure,
    Enterprise,
    Material,
    MaterialType,
    Patent,
    Qualification,
    TeamMember,
)
from compensation import services as compensation_services
from kedaitong.models import Job
from loans.models import BankAgreement, LoanDocument, RecordUpload
from review.models import Meeting, Objection, PublicityBatch, PublicityEntry
from subsidy.models import BankFiling, FilingOpinion, RunObjection, SubsidyRun
from tests.access import (
    LOGIN,
    PROGRAM_GOVERNMENT,
    Row,
    expect,
    for_government_and_banks,
    program_action,
)
from tests.compensation import helpers
from tests.conftest import Cast
from tests.factories import UserFactory


def get(name: str, url, expected: dict[str, int], program: str = "changjiang") -> Row:
    return Row(name, url, expected, program)


def post(
    name: str,
    url,
    expected: dict[str, int],
    program: str = "changjiang",
    data: dict[str, str] | None = None,
) -> Row:
    return Row(name, url, expected, program, method="POST", data=data)


# A page that only reads: POST is refused (405) before anything else ...
GET_ONLY = expect(405)
# ... or after anonymous visitors are sent to log in.
GET_ONLY_LOGIN = expect(405, anonymous=LOGIN)


# --- core ----------------------------------------------------------------------------------------


def proposed_entry(cast: Cast) -> str:
    from review.models import BlacklistEntry

    entry = BlacklistEntry.objects.create(
        program=cast.changjiang,
        enterprise=cast.enterprise_a,
        reason="overdue",
        details="逾期超过六个月",
        status="proposed",
    )
    return f"/review/blacklist/{entry.public_id}/decide/"


def own_job(cast: Cast) -> str:
    job = Job.objects.create(
        owner=cast.bureau_staff,
        kind="reports.exports.ledger_export_job",
        title="t",
        state=Job.State.DONE,
    )
    job.result.save("t.xlsx", ContentFile(b"x"))
    return f"/jobs/{job.public_id}/"


CORE: list[Row] = [
    get("home", lambda c: "/", expect(200)),
    post("home", lambda c: "/", expect(405)),
    get("healthz", lambda c: "/healthz/", expect(200)),
    post("healthz", lambda c: "/healthz/", expect(405)),
    get("login", lambda c: "/accounts/login/", expect(302, anonymous=200)),
    post("login", lambda c: "/accounts/login/", expect(302, anonymous=200)),
    get("logout", lambda c: "/accounts/logout/", expect(405)),
    post("logout", lambda c: "/accounts/logout/", expect(302)),
    get("password_change", lambda c: "/accounts/password_change/", expect(200, anonymous=LOGIN)),
    post("password_change", lambda c: "/accounts/password_change/", expect(200, anonymous=LOGIN)),
    get(
        "password_change_done",
        lambda c: "/accounts/password_change/done/",
        expect(200, anonymous=LOGIN),
    ),
    post("password_change_done", lambda c: "/accounts/password_change/done/", GET_ONLY_LOGIN),
    get("password_reset", lambda c: "/accounts/password_reset/", expect(200)),
    post("password_reset", lambda c: "/accounts/password_reset/", expect(200)),
    get("password_reset_done", lambda c: "/accounts/password_reset/done/", expect(200)),
    post("password_reset_done", lambda c: "/accounts/password_reset/done/", GET_ONLY),
    get("password_reset_confirm", lambda c: "/accounts/reset/MQ/invalid-token/", expect(200)),
    post("password_reset_confirm", lambda c: "/accounts/reset/MQ/invalid-token/", expect(200)),
    get("password_reset_complete", lambda c: "/accounts/reset/done/", expect(200)),
    post("password_reset_complete", lambda c: "/accounts/reset/done/", GET_ONLY),
    get(
        "set_language", lambda c: "/i18n/setlang/", expect(302)
    ),  # GET changes nothing and redirects back
    post("set_language", lambda c: "/i18n/setlang/", expect(302)),
    get("job-detail", own_job, expect(404, anonymous=LOGIN, bureau_staff=200)),
    post("job-detail", own_job, GET_ONLY),
    get(
        "job-download",
        lambda c: own_job(c) + "download/",
        expect(404, anonymous=LOGIN, bureau_staff=200),
    ),
    post("job-download", lambda c: own_job(c) + "download/", GET_ONLY),
]


# --- applications (issue 3) ----------------------------------------------------------------------

ENTERPRISES_ONLY = expect(403, anonymous=LOGIN, enterprise_a=200, enterprise_b=200)
# Who sees application A: its enterprise, bank X, the Changjiang government, the admin.
SEES_A = expect(200, anonymous=LOGIN, enterprise_b=404, bank_y=404)
# An action of enterprise A on its application: outsiders 404, insiders without the enterprise role 403.
OWN_ACTION = expect(403, anonymous=LOGIN, enterprise_b=404, bank_y=404)


def qualification(cast: Cast) -> Qualification:
    q = Qualification(
        enterprise=cast.enterprise_a, kind="high_tech", number="GR1", evidence_name="cert.pdf"
    )
    q.evidence.save("cert.pdf", ContentFile(b"%PDF-1.4 cert"), save=False)
    q.save()
    return q


def evidence(cast: Cast) -> str:
    return f"/enterprise/qualifications/{qualification(cast).public_id}/evidence/"


def application_material(cast: Cast) -> Material:
    m = Material(
        application=cast.application_a,
        material_type=MaterialType.objects.get(program=cast.changjiang, number=3),
        original_name="licence.pdf",
        content_type="application/pdf",
        size=10,
    )
    m.file.save("licence.pdf", ContentFile(b"%PDF-1.4 x"), save=False)
    m.save()
    return m


def app_url(cast: Cast, tail: str = "") -> str:
    return f"/applications/{cast.application_a.public_id}/{tail}"


def patent_of_a(cast: Cast) -> str:
    return f"/enterprise/patents/{Patent.objects.create(enterprise=cast.enterprise_a, number='ZL1', title='t').pk}/delete/"


def figure_of_a(cast: Cast) -> str:
    figure = AnnualFigure.objects.create(
        enterprise=cast.enterprise_a, year=2024, revenue=Decimal("1.00"), profit=Decimal("1.00")
    )
    return f"/enterprise/figures/{figure.pk}/delete/"


def team_member_of_a(cast: Cast) -> str:
    member = TeamMember.objects.create(
        application=cast.application_a, name="张三", id_number="110101199001011234"
    )
    return app_url(cast, f"team/{member.pk}/delete/")


def quzhou_agreed(cast: Cast) -> str:
    """Enterprise A's Quzhou application that bank X agreed to: its 同意放贷意见书 (Quzhou 二)."""
    from review.models import BankDecision
    from tests.factories import ApplicationFactory

    application = ApplicationFactory(
        enterprise=cast.enterprise_a,
        bank=cast.bank_x,
        state="credit_granted",
        program_version=cast.quzhou.versions.order_by("-effective_from").first(),
    )
    BankDecision.objects.create(
        application=application,
        approved=True,
        credit_amount=Decimal("1000000.00"),
        annual_rate=Decimal("3.0"),
        term_months=12,
        opinion="同意放贷",
        decided_by=cast.bank_x_user,
    )
    return f"/review/applications/{application.public_id}/approval-letter/"


APPLICATIONS: list[Row] = [
    # The program switch (a bank in several programs, the administrator): POST only; without a program of the
    # user's, 404 (tests/test_program_switch.py switches for real).
    get("applications:program-switch", lambda c: "/program/switch/", GET_ONLY),
    post("applications:program-switch", lambda c: "/program/switch/", expect(404, anonymous=LOGIN)),
    get("applications:register", lambda c: "/enterprise/register/", expect(302, anonymous=200)),
    post("applications:register", lambda c: "/enterprise/register/", expect(302, anonymous=200)),
    get("applications:profile", lambda c: "/enterprise/profile/", ENTERPRISES_ONLY),
    post(
        "applications:profile",
        lambda c: "/enterprise/profile/",
        expect(403, anonymous=LOGIN, enterprise_a=200, enterprise_b=200),
    ),
    get("applications:colleagues", lambda c: "/enterprise/colleagues/", ENTERPRISES_ONLY),
    post(
        "applications:colleagues",
        lambda c: "/enterprise/colleagues/",
        expect(403, anonymous=LOGIN, enterprise_a=200, enterprise_b=200),
    ),
    get("applications:qualifications", lambda c: "/enterprise/qualifications/", ENTERPRISES_ONLY),
    post(
        "applications:qualifications",
        lambda c: "/enterprise/qualifications/",
        expect(403, anonymous=LOGIN, enterprise_a=200, enterprise_b=200),
    ),
    get(
        "applications:qualification-delete",
        lambda c: f"/enterprise/qualifications/{qualification(c).public_id}/delete/",
        expect(405),
    ),
    post(
        "applications:qualification-delete",
        lambda c: f"/enterprise/qualifications/{qualification(c).public_id}/delete/",
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=404),
    ),
    get("applications:qualification-evidence", evidence, SEES_A),
    post("applications:qualification-evidence", evidence, GET_ONLY),
    get("applications:patent-add", lambda c: "/enterprise/patents/", expect(405)),
    post(
        "applications:patent-add",
        lambda c: "/enterprise/patents/",
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=302),
    ),
    get("applications:patent-delete", patent_of_a, expect(405)),
    post(
        "applications:patent-delete",
        patent_of_a,
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=404),
    ),
    get("applications:figure-add", lambda c: "/enterprise/figures/", expect(405)),
    post(
        "applications:figure-add",
        lambda c: "/enterprise/figures/",
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=302),
    ),
    get("applications:figure-delete", figure_of_a, expect(405)),
    post(
        "applications:figure-delete",
        figure_of_a,
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=404),
    ),
    get(
        "applications:enterprise-detail",
        lambda c: f"/enterprises/{c.enterprise_a.public_id}/",
        SEES_A,
    ),
    post(
        "applications:enterprise-detail",
        lambda c: f"/enterprises/{c.enterprise_a.public_id}/",
        GET_ONLY,
    ),
    get(
        "applications:application-create",
        lambda c: "/applications/new/changjiang/",
        ENTERPRISES_ONLY,
    ),
    post(
        "applications:application-create",
        lambda c: "/applications/new/changjiang/",
        expect(403, anonymous=LOGIN, enterprise_a=200, enterprise_b=200),
    ),
    get("applications:application-detail", lambda c: app_url(c), SEES_A),
    post("applications:application-detail", lambda c: app_url(c), GET_ONLY),
    # Application A is submitted: its enterprise is sent to the (frozen) application page.
    get(
        "applications:application-edit",
        lambda c: app_url(c, "edit/"),
        OWN_ACTION | {"enterprise_a": 302},
    ),
    post(
        "applications:application-edit",
        lambda c: app_url(c, "edit/"),
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=404, bank_y=404),
    ),
    # Deleting a draft: A is submitted, so its enterprise is told so (GET) and refused (POST, back to its page).
    get(
        "applications:application-delete",
        lambda c: app_url(c, "delete/"),
        OWN_ACTION | {"enterprise_a": 200},
    ),
    post(
        "applications:application-delete",
        lambda c: app_url(c, "delete/"),
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=404, bank_y=404),
    ),
    get(
        "applications:application-submit",
        lambda c: app_url(c, "submit/"),
        OWN_ACTION | {"enterprise_a": 200},
    ),
    post(
        "applications:application-submit",
        lambda c: app_url(c, "submit/"),
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=404, bank_y=404),
    ),
    get("applications:material-add", lambda c: app_url(c, "materials/"), expect(405)),
    post(
        "applications:material-add",
        lambda c: app_url(c, "materials/"),
        expect(403, anonymous=LOGIN, enterprise_a=400, enterprise_b=404, bank_y=404),
    ),
    get(
        "applications:material-download",
        lambda c: app_url(c, f"materials/{application_material(c).public_id}/"),
        SEES_A,
    ),
    post(
        "applications:material-download",
        lambda c: app_url(c, f"materials/{application_material(c).public_id}/"),
        GET_ONLY,
    ),
    get(
        "applications:material-delete",
        lambda c: app_url(c, f"materials/{application_material(c).public_id}/delete/"),
        expect(405),
    ),
    post(
        "applications:material-delete",
        lambda c: app_url(c, f"materials/{application_material(c).public_id}/delete/"),
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=404, bank_y=404),
    ),
    get("applications:team-add", lambda c: app_url(c, "team/"), expect(405)),
    post(
        "applications:team-add",
        lambda c: app_url(c, "team/"),
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=404, bank_y=404),
    ),
    get("applications:team-delete", team_member_of_a, expect(405)),
    post(
        "applications:team-delete",
        team_member_of_a,
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=404, bank_y=404),
    ),
    get("applications:annex-pdf", lambda c: app_url(c, "pdf/annex3/"), SEES_A),
    post("applications:annex-pdf", lambda c: app_url(c, "pdf/annex3/"), GET_ONLY),
    get(
        "applications:submitted-pdf",
        lambda c: app_url(c, "submitted.pdf"),
        expect(404, anonymous=LOGIN),
    ),
    post("applications:submitted-pdf", lambda c: app_url(c, "submitted.pdf"), GET_ONLY),
]


# --- review (issue 4) ----------------------------------------------------------------------------

# The review's pages name their roles; the accounting firm (Quzhou 四(一)) is not among them.
REVIEW_GOVERNMENT = expect(
    403,
    anonymous=LOGIN,
    bureau_staff=200,
    bureau_head=200,
    leading_group=200,
    auditor=200,
    accountant=403,
    admin=200,
)
GOVERNMENT_ONLY_FILE = expect(
    403,
    anonymous=LOGIN,
    bureau_staff=404,
    bureau_head=404,
    leading_group=404,
    auditor=404,
    accountant=403,
    admin=404,
)


def meeting(cast: Cast) -> Meeting:
    return Meeting.objects.create(
        program=cast.changjiang,
        date=dt.date(2026, 1, 20),
        attendees=["leader"],
        created_by=cast.leading_group,
    )


def entry(cast: Cast) -> PublicityEntry:
    today = timezone.localdate()
    batch = PublicityBatch.objects.create(
        program=cast.changjiang,
        start_date=today,
        end_date=today + dt.timedelta(days=7),
        created_by=cast.bureau_staff,
    )
    return PublicityEntry.objects.create(
        batch=batch, application=cast.application_a, credit_amount=Decimal("900000.00")
    )


def objection(cast: Cast) -> Objection:
    return Objection.objects.create(entry=entry(cast), name="张三", contact="x", reason="y")


def review_url(tail: str = ""):
    return lambda c: f"/review/applications/{c.application_a.public_id}/{tail}"


REVIEW: list[Row] = [
    get(
        "review:queue",
        lambda c: "/review/queue/",
        expect(
            403,
            anonymous=LOGIN,
            bureau_staff=200,
            bureau_head=200,
            leading_group=200,
            bank_x=200,
            bank_y=200,
        ),
    ),
    post("review:queue", lambda c: "/review/queue/", GET_ONLY),
    get("review:application-review", review_url(), SEES_A),
    post("review:application-review", review_url(), GET_ONLY),
    get("review:application-act", review_url("act/"), expect(405)),
    # One endpoint for every review button: "accept" is the bureau staff's step on a submitted application.
    post(
        "review:application-act",
        review_url("act/"),
        expect(403, anonymous=LOGIN, enterprise_b=404, bank_y=404, bureau_staff=400),
        data={"action": "accept"},
    ),
    get(
        "review:application-withdraw",
        review_url("withdraw/"),
        expect(403, anonymous=LOGIN, enterprise_a=200, enterprise_b=404, bank_y=404),
    ),
    # the reason is optional: the enterprise's POST withdraws (rolled back here), everyone else is refused
    post(
        "review:application-withdraw",
        review_url("withdraw/"),
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=404, bank_y=404),
    ),
    get("review:bank-material", review_url("bank-material/"), expect(405)),
    # 附件2 第11项: the application's bank adds it at its review (no file sent: the form's errors, 400).
    post(
        "review:bank-material",
        review_url("bank-material/"),
        expect(403, anonymous=LOGIN, enterprise_b=404, bank_y=404, bank_x=400),
    ),
    get(
        "review:bank-letter",
        quzhou_agreed,
        expect(200, anonymous=LOGIN, enterprise_b=404, bank_y=404),
        "quzhou",
    ),
    post("review:bank-letter", quzhou_agreed, GET_ONLY, "quzhou"),
    get("review:history-export", review_url("history.xlsx"), SEES_A),
    post("review:history-export", review_url("history.xlsx"), GET_ONLY),
    get("review:meeting-list", lambda c: "/review/meetings/", REVIEW_GOVERNMENT),
    post("review:meeting-list", lambda c: "/review/meetings/", GET_ONLY),
    get(
        "review:meeting-new",
        lambda c: "/review/meetings/new/",
        expect(403, anonymous=LOGIN, leading_group=200),
    ),
    post(
        "review:meeting-new",
        lambda c: "/review/meetings/new/",
        expect(403, anonymous=LOGIN, leading_group=400),
    ),
    get(
        "review:meeting-detail",
        lambda c: f"/review/meetings/{meeting(c).public_id}/",
        REVIEW_GOVERNMENT,
    ),
    post("review:meeting-detail", lambda c: f"/review/meetings/{meeting(c).public_id}/", GET_ONLY),
    get("review:publicity-manage", lambda c: "/review/publicity/", REVIEW_GOVERNMENT),
    post(
        "review:publicity-manage",
        lambda c: "/review/publicity/",
        expect(403, anonymous=LOGIN, bureau_staff=400),
    ),
    get(
        "review:publicity-batch",
        lambda c: f"/review/publicity/{entry(c).batch.public_id}/",
        REVIEW_GOVERNMENT,
    ),
    post(
        "review:publicity-batch",
        lambda c: f"/review/publicity/{entry(c).batch.public_id}/",
        GET_ONLY,
    ),
    get(
        "review:publicity-close",
        lambda c: f"/review/publicity/{entry(c).batch.public_id}/close/",
        expect(405),
    ),
    post(
        "review:publicity-close",
        lambda c: f"/review/publicity/{entry(c).batch.public_id}/close/",
        expect(403, anonymous=LOGIN, bureau_staff=302),
    ),
    get(
        "review:objection-rule",
        lambda c: f"/review/objections/{objection(c).public_id}/rule/",
        expect(405),
    ),
    post(
        "review:objection-rule",
        lambda c: f"/review/objections/{objection(c).public_id}/rule/",
        expect(403, anonymous=LOGIN, bureau_staff=302),
    ),
    get(
        "review:objection-file",
        lambda c: f"/review/objections/{objection(c).public_id}/file/",
        GOVERNMENT_ONLY_FILE,
    ),  # no file
    post(
        "review:objection-file",
        lambda c: f"/review/objections/{objection(c).public_id}/file/",
        GET_ONLY,
    ),
    get("review:blacklist", lambda c: "/review/blacklist/", REVIEW_GOVERNMENT),
    post(
        "review:blacklist",
        lambda c: "/review/blacklist/",
        expect(403, anonymous=LOGIN, bureau_staff=400),
    ),
    get("review:blacklist-decide", proposed_entry, GET_ONLY),
    post("review:blacklist-decide", proposed_entry, expect(403, anonymous=LOGIN, bureau_staff=400)),
    get(
        "review:blacklist-evidence",
        lambda c: "/review/blacklist/00000000-0000-0000-0000-000000000000/evidence/",
        GOVERNMENT_ONLY_FILE,
    ),
    post(
        "review:blacklist-evidence",
        lambda c: "/review/blacklist/00000000-0000-0000-0000-000000000000/evidence/",
        GET_ONLY,
    ),
    get("review:inbox", lambda c: "/review/inbox/", expect(200, anonymous=LOGIN)),
    post("review:inbox", lambda c: "/review/inbox/", expect(302)),
    get("review:public-publicity", lambda c: "/publicity/", expect(200)),
    post("review:public-publicity", lambda c: "/publicity/", GET_ONLY),
    get("review:public-batch", lambda c: f"/publicity/{entry(c).batch.public_id}/", expect(200)),
    post("review:public-batch", lambda c: f"/publicity/{entry(c).batch.public_id}/", GET_ONLY),
    get(
        "review:public-objection",
        lambda c: f"/publicity/entries/{entry(c).public_id}/object/",
        expect(200),
    ),
    post(
        "review:public-objection",
        lambda c: f"/publicity/entries/{entry(c).public_id}/object/",
        expect(400),
    ),
]


# --- loans (issue 5) -----------------------------------------------------------------------------


def bank_x_upload(cast: Cast) -> RecordUpload:
    upload = RecordUpload(
        kind="interest",
        program=cast.changjiang,
        bank=cast.bank_x,
        original_name="interest.csv",
        checksum="0" * 64,
        uploaded_by=cast.bank_x_user,
        state=RecordUpload.State.CHECKED,
    )
    upload.file.save("interest.csv", ContentFile("贷款合同编号\n".encode()), save=False)
    upload.save()
    return upload


def loan_a_document(cast: Cast) -> LoanDocument:
    document = LoanDocument(
        loan=cast.loan_a,
        kind="application_form",
        original_name="form.pdf",
        checksum="0" * 64,
        uploaded_by=cast.bank_x_user,
    )
    document.file.save("form.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    document.save()
    return document


def upload_url(tail: str = ""):
    return lambda c: f"/loans/uploads/{bank_x_upload(c).public_id}/{tail}"


LOAN_A = expect(200, anonymous=LOGIN, enterprise_b=404, bank_y=404)
BANK_X_UPLOAD = expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_y=404)
BANK_X_ON_LOAN_A = expect(403, anonymous=LOGIN, enterprise_b=404, bank_y=404, bank_x=200)

LOANS: list[Row] = [
    get("loans:bank-list", lambda c: "/banks/", for_government_and_banks()),
    post("loans:bank-list", lambda c: "/banks/", GET_ONLY),
    get(
        "loans:bank-detail",
        lambda c: f"/banks/{c.bank_x.code}/",
        expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_y=404),
    ),
    post("loans:bank-detail", lambda c: f"/banks/{c.bank_x.code}/", GET_ONLY),
    get("loans:loan-list", lambda c: "/loans/", expect(200, anonymous=LOGIN)),
    post("loans:loan-list", lambda c: "/loans/", GET_ONLY),
    get(
        "loans:loan-create",
        lambda c: "/loans/new/",
        expect(403, anonymous=LOGIN, bank_x=200, bank_y=200),
        "quzhou",  # the one-loan form is Quzhou's (二); a Changjiang bank has none (tests/loans/test_loan_form.py)
    ),
    post(
        "loans:loan-create",
        lambda c: "/loans/new/",
        expect(403, anonymous=LOGIN, bank_x=400, bank_y=400),
        "quzhou",
    ),
    get("loans:loan-detail", lambda c: f"/loans/{c.loan_a.public_id}/", LOAN_A),
    post("loans:loan-detail", lambda c: f"/loans/{c.loan_a.public_id}/", GET_ONLY),
    get(
        "loans:report-create",
        lambda c: f"/loans/{c.loan_a.public_id}/reports/new/",
        BANK_X_ON_LOAN_A,
    ),
    post(
        "loans:report-create",
        lambda c: f"/loans/{c.loan_a.public_id}/reports/new/",
        expect(403, anonymous=LOGIN, enterprise_b=404, bank_x=400, bank_y=404),
    ),
    get(
        "loans:interest-create",
        lambda c: f"/loans/{c.loan_a.public_id}/interest/new/",
        BANK_X_ON_LOAN_A,
    ),
    post(
        "loans:interest-create",
        lambda c: f"/loans/{c.loan_a.public_id}/interest/new/",
        expect(403, anonymous=LOGIN, enterprise_b=404, bank_x=400, bank_y=404),
    ),
    get(
        "loans:document-create",
        lambda c: f"/loans/{c.loan_a.public_id}/documents/new/",
        BANK_X_ON_LOAN_A,
    ),
    post(
        "loans:document-create",
        lambda c: f"/loans/{c.loan_a.public_id}/documents/new/",
        expect(403, anonymous=LOGIN, enterprise_b=404, bank_x=400, bank_y=404),
    ),
    get(
        "loans:document-file",
        lambda c: f"/loans/documents/{loan_a_document(c).public_id}/file/",
        LOAN_A,
    ),
    post(
        "loans:document-file",
        lambda c: f"/loans/documents/{loan_a_document(c).public_id}/file/",
        GET_ONLY,
    ),
    get("loans:report-overview", lambda c: "/loans/reports/", for_government_and_banks()),
    post("loans:report-overview", lambda c: "/loans/reports/", GET_ONLY),
    get("loans:report-export", lambda c: "/loans/reports/export.xlsx", for_government_and_banks()),
    post("loans:report-export", lambda c: "/loans/reports/export.xlsx", GET_ONLY),
    get("loans:upload-list", lambda c: "/loans/uploads/", for_government_and_banks()),
    post("loans:upload-list", lambda c: "/loans/uploads/", GET_ONLY),
    get(
        "loans:upload-create",
        lambda c: "/loans/uploads/new/",
        expect(403, anonymous=LOGIN, bureau_staff=200, bank_x=200, bank_y=200, admin=200),
    ),
    post(
        "loans:upload-create",
        lambda c: "/loans/uploads/new/",
        expect(403, anonymous=LOGIN, bureau_staff=400, bank_x=400, bank_y=400, admin=400),
    ),
    get(
        "loans:upload-template",
        lambda c: "/loans/uploads/templates/interest.xlsx",
        for_government_and_banks(),
    ),
    post("loans:upload-template", lambda c: "/loans/uploads/templates/interest.xlsx", GET_ONLY),
    get("loans:upload-detail", upload_url(), BANK_X_UPLOAD),
    post("loans:upload-detail", upload_url(), GET_ONLY),
    get("loans:upload-file", upload_url("file/"), BANK_X_UPLOAD),
    post("loans:upload-file", upload_url("file/"), GET_ONLY),
    get("loans:upload-confirm", upload_url("confirm/"), expect(405)),
    post(
        "loans:upload-confirm",
        upload_url("confirm/"),
        expect(403, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_x=302, bank_y=404),
    ),
    get("loans:upload-cancel", upload_url("cancel/"), expect(405)),
    post(
        "loans:upload-cancel",
        upload_url("cancel/"),
        expect(403, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_x=302, bank_y=404),
    ),
]


# --- compensation (issue 6): claims of bank X, seen by bank X and the Changjiang government --------

CLAIM_VIEW = expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_y=404)
EVERYONE_BUT_ENTERPRISES = expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404)
COMPENSATION_GOVERNMENT = expect(
    200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_x=404, bank_y=404
)


def claim_action(**allowed: int) -> dict[str, int]:
    """On a claim of bank X: insiders without the role 403, outsiders 404."""
    base = expect(403, anonymous=LOGIN, enterprise_a=404, enterprise_b=404, bank_y=404)
    return base | allowed


BANK = claim_action(bank_x=200, admin=200)
BUREAU = claim_action(bureau_staff=200, bureau_head=200, admin=200)
GROUP = claim_action(leading_group=200, admin=200)
FINANCE = claim_action(auditor=200, admin=200)


def claim_url(stage, suffix: str = ""):
    return lambda c: f"/compensation/claims/{stage(c).public_id}/{suffix}"


def claim_material(c: Cast) -> str:
    claim = helpers.submitted(c)
    return f"/compensation/claims/{claim.public_id}/materials/{claim.materials.first().pk}/"


def with_certificate(c: Cast) -> str:
    claim = helpers.paid(c)
    compensation_services.writeoff_record(
        actor=c.bank_x_user, claim=claim, written_off_on=dt.date(2026, 11, 24)
    )
    compensation_services.writeoff_certificate(
        actor=c.bank_x_user, claim=claim, upload=helpers.pdf("cert.pdf")
    )
    return f"/compensation/claims/{claim.public_id}/write-off/file/"


def share_return(c: Cast) -> int:
    recovery = helpers.with_recovery(c, "80000.00", ())
    return compensation_services.return_record(
        actor=c.bank_x_user,
        recovery=recovery,
        amount="1.00",
        returned_on=dt.date(2026, 11, 25),
        voucher_no="J",
    ).pk


COMPENSATION_URLS = [
    ("claim-list", lambda c: "/compensation/claims/"),
    ("claim-create", lambda c: "/compensation/claims/new/"),
    ("claim-detail", claim_url(helpers.submitted)),
    ("claim-pdf", claim_url(helpers.submitted, "form.pdf")),
    ("material-upload", claim_url(helpers.submitted, "materials/")),
    ("material-download", claim_material),
    ("claim-submit", claim_url(helpers.submitted, "submit/")),
    ("claim-withdraw", claim_url(helpers.submitted, "withdraw/")),
    ("claim-review", claim_url(helpers.submitted, "review/")),
    ("claim-decide", claim_url(helpers.in_group_review, "decide/")),
    ("claim-pay", claim_url(helpers.decided, "pay/")),
    ("decision-revoke", claim_url(helpers.decided, "revoke/")),
    ("payment-reverse", claim_url(helpers.paid, "pay/reverse/")),
    ("agreement-record", claim_url(helpers.paid, "agreement/")),
    ("agreement-file", claim_url(helpers.recovering, "agreement/file/")),
    ("recovery-create", claim_url(helpers.recovering, "recoveries/new/")),
    ("writeoff-record", claim_url(helpers.paid, "write-off/")),
    ("writeoff-certificate", claim_url(helpers.paid, "write-off/certificate/")),
    ("writeoff-file", with_certificate),
    ("claim-close", claim_url(helpers.recovering, "close/")),
    ("recovery-list", lambda c: "/compensation/recoveries/"),
    ("recovery-export", lambda c: "/compensation/recoveries/export.xlsx"),
    (
        "recovery-reverse",
        lambda c: f"/compensation/recoveries/{helpers.with_recovery(c).pk}/reverse/",
    ),
    (
        "return-create",
        lambda c: f"/compensation/recoveries/{helpers.with_recovery(c).pk}/returns/new/",
    ),
    (
        "cost-receipt",
        lambda c: f"/compensation/costs/{helpers.with_recovery(c).legal_costs.first().pk}/receipt/",
    ),
    ("return-confirm", lambda c: f"/compensation/returns/{share_return(c)}/confirm/"),
    ("return-reverse", lambda c: f"/compensation/returns/{share_return(c)}/reverse/"),
    ("ledger", lambda c: "/compensation/ledger/"),
    ("ledger-export", lambda c: "/compensation/ledger/export.xlsx"),
    ("budget-list", lambda c: "/compensation/budgets/"),
    ("budget-export", lambda c: "/compensation/budgets/export.xlsx"),
    ("reconciliation", lambda c: f"/compensation/reconciliation/{c.bank_x.code}/"),
    (
        "reconciliation-pdf",
        lambda c: f"/compensation/reconciliation/{c.bank_x.code}/reconciliation.pdf",
    ),
    (
        "reconciliation-export",
        lambda c: f"/compensation/reconciliation/{c.bank_x.code}/reconciliation.xlsx",
    ),
]
# name: (GET, POST)
COMPENSATION_EXPECTED = {
    "claim-list": (EVERYONE_BUT_ENTERPRISES, GET_ONLY),
    "claim-create": (
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_x=200,
            bank_y=200,
            admin=200,
        ),
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_x=400,
            bank_y=400,
            admin=400,
        ),
    ),
    "claim-detail": (CLAIM_VIEW, GET_ONLY),
    "claim-pdf": (CLAIM_VIEW, GET_ONLY),
    "material-upload": (
        BANK,
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_x=400,
            bank_y=404,
            admin=400,
        ),
    ),
    "material-download": (CLAIM_VIEW, GET_ONLY),
    "claim-submit": (
        BANK,
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_x=400,
            bank_y=404,
            admin=400,
        ),
    ),
    "claim-withdraw": (
        BANK,
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_x=400,
            bank_y=404,
            admin=400,
        ),
    ),
    "claim-review": (
        BUREAU,
        expect(
            404,
            anonymous=LOGIN,
            bureau_staff=400,
            bureau_head=400,
            leading_group=403,
            bank_x=403,
            auditor=403,
            admin=400,
        ),
    ),
    "claim-decide": (
        GROUP,
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            leading_group=400,
            bank_y=404,
            admin=400,
        ),
    ),
    "claim-pay": (
        BUREAU,
        expect(
            404,
            anonymous=LOGIN,
            bureau_staff=400,
            bureau_head=400,
            leading_group=403,
            bank_x=403,
            auditor=403,
            admin=400,
        ),
    ),
    "decision-revoke": (
        GROUP,
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            leading_group=400,
            bank_y=404,
            admin=400,
        ),
    ),
    "payment-reverse": (
        claim_action(bureau_head=200, admin=200),
        expect(
            404,
            anonymous=LOGIN,
            bureau_staff=403,
            bureau_head=400,
            leading_group=403,
            bank_x=403,
            auditor=403,
            admin=400,
        ),
    ),
    "agreement-record": (
        BUREAU,
        expect(
            404,
            anonymous=LOGIN,
            bureau_staff=400,
            bureau_head=400,
            leading_group=403,
            bank_x=403,
            auditor=403,
            admin=400,
        ),
    ),
    "agreement-file": (CLAIM_VIEW, GET_ONLY),
    "recovery-create": (
        BANK,
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_x=400,
            bank_y=404,
            admin=400,
        ),
    ),
    "writeoff-record": (
        BANK,
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_x=400,
            bank_y=404,
            admin=400,
        ),
    ),
    "writeoff-certificate": (
        BANK,
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_x=400,
            bank_y=404,
            admin=400,
        ),
    ),
    "writeoff-file": (CLAIM_VIEW, GET_ONLY),
    "claim-close": (
        BUREAU,
        expect(
            302,
            enterprise_a=404,
            enterprise_b=404,
            leading_group=403,
            bank_x=403,
            bank_y=404,
            auditor=403,
        ),
    ),
    "recovery-list": (EVERYONE_BUT_ENTERPRISES, GET_ONLY),
    "recovery-export": (EVERYONE_BUT_ENTERPRISES, GET_ONLY),
    "recovery-reverse": (
        claim_action(bank_x=200, bureau_staff=200, bureau_head=200, admin=200),
        expect(
            400,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            leading_group=403,
            bank_y=404,
            auditor=403,
        ),
    ),
    "return-create": (
        BANK,
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_x=400,
            bank_y=404,
            admin=400,
        ),
    ),
    "cost-receipt": (CLAIM_VIEW, GET_ONLY),
    "return-confirm": (
        FINANCE,
        expect(
            403,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_y=404,
            # 200: the first POST answers the confirmation page (kedaitong/confirm.py); nothing is done yet
            auditor=200,
            accountant=403,  # the finance bureau confirms money returned, not the accounting firm
            admin=200,
        ),
    ),
    "return-reverse": (
        claim_action(bank_x=200, auditor=200, admin=200),
        expect(
            404,
            anonymous=LOGIN,
            bureau_staff=403,
            bureau_head=403,
            leading_group=403,
            bank_x=400,
            auditor=400,
            accountant=403,
            admin=400,
        ),
    ),
    "ledger": (EVERYONE_BUT_ENTERPRISES, GET_ONLY),
    "ledger-export": (EVERYONE_BUT_ENTERPRISES, GET_ONLY),
    "budget-list": (
        COMPENSATION_GOVERNMENT,
        expect(
            404,
            anonymous=LOGIN,
            bureau_staff=403,
            bureau_head=403,
            leading_group=400,
            auditor=403,
            admin=400,
        ),
    ),
    "budget-export": (COMPENSATION_GOVERNMENT, GET_ONLY),
    "reconciliation": (CLAIM_VIEW, GET_ONLY),
    "reconciliation-pdf": (CLAIM_VIEW, GET_ONLY),
    "reconciliation-export": (CLAIM_VIEW, GET_ONLY),
}
COMPENSATION: list[Row] = [
    row
    for name, url in COMPENSATION_URLS
    for row in (
        get(f"compensation:{name}", url, COMPENSATION_EXPECTED[name][0]),
        post(f"compensation:{name}", url, COMPENSATION_EXPECTED[name][1]),
    )
]


# --- subsidy (issue 7, Quzhou): runs are the government's; banks see their own filings -------------


def subsidy_run(cast: Cast, year: int = 2025, **state: Any) -> SubsidyRun:
    run = SubsidyRun(
        program=cast.quzhou,
        year=year,
        budget=Decimal("1000.00"),
        cutoff=dt.date(year, 12, 31),
        computed_total=Decimal("0.00"),
        total=Decimal("0.00"),
        **state,
    )
    run.save()
    return run


def bank_x_filing(cast: Cast) -> BankFiling:
    filing = BankFiling(
        bank=cast.bank_x, program=cast.quzhou, statement="申请备案", materials_name="m.pdf"
    )
    filing.materials.save("m.pdf", ContentFile(b"%PDF-1.4 materials"), save=False)
    filing.save()
    return filing


def bank_x_agreement(cast: Cast) -> BankAgreement:
    return BankAgreement.objects.get(bank=cast.bank_x, program=cast.quzhou)


def run_url(tail: str = ""):
    return lambda c: f"/subsidy/runs/{subsidy_run(c).pk}/{tail}"


def publicized_run(cast: Cast) -> SubsidyRun:
    """A run of 2024 in its publicity (from yesterday for five days): public, open to objections."""
    today = timezone.localdate()
    return subsidy_run(
        cast,
        2024,
        state="publicized",
        publicity_start=today - dt.timedelta(days=1),
        publicity_end=today + dt.timedelta(days=5),
    )


def objection_url(tail: str):  # type: ignore[no-untyped-def]
    def build(cast: Cast) -> str:
        objection = RunObjection(
            run=publicized_run(cast), name="张三", contact="138", reason="有误"
        )
        objection.attachment.save("o.pdf", ContentFile(b"%PDF-1.4 objection"), save=False)
        objection.attachment_name = "o.pdf"
        objection.save()
        return f"/subsidy/objections/{objection.public_id}/{tail}"

    return build


def signed_page(cast: Cast) -> str:
    opinion = FilingOpinion(
        filing=bank_x_filing(cast),
        body="pboc",
        approved=True,
        signer="人行",
        signed_on=timezone.localdate(),
        recorded_by=cast.admin,
        file_name="s.pdf",
    )
    opinion.file.save("s.pdf", ContentFile(b"%PDF-1.4 signed"), save=False)
    opinion.save()
    return f"/subsidy/banks/filings/opinions/{opinion.pk}/file/"


WITH_BANK_X = PROGRAM_GOVERNMENT | {"bank_x": 200}
AGREEMENT_ACTION = program_action(bureau_staff=200, bureau_head=200, admin=200, bank_x=403)
# 四(一)'s stages: each is one role's; a form-less POST is a form error (400) for it, 403 for other insiders.
STAGE_ROLE = {
    "run-audit": "accountant",
    "run-review": "bureau_staff",
    "run-approve": "bureau_head",
    "run-publicize": "bureau_staff",
    "run-issue": "bureau_staff",
    "run-cancel": "bureau_head",
}

SUBSIDY_URLS = [
    ("run-list", lambda c: "/subsidy/runs/"),
    ("run-create", lambda c: "/subsidy/runs/new/"),
    ("run-detail", run_url()),
    ("run-export", run_url("export.xlsx")),
    ("run-file", run_url("files/opinion/")),
    *((name, run_url(name.removeprefix("run-") + "/")) for name in STAGE_ROLE),
    ("run-pay", run_url("pay/")),
    ("objection-rule", objection_url("rule/")),
    ("objection-file", objection_url("file/")),
    ("public-notice", lambda c: f"/subsidy/public/{c.quzhou.code}/{publicized_run(c).year}/"),
    (
        "public-objection",
        lambda c: f"/subsidy/public/{c.quzhou.code}/{publicized_run(c).year}/object/",
    ),
    ("filing-list", lambda c: "/subsidy/banks/"),
    ("filing-create", lambda c: "/subsidy/banks/filings/new/"),
    ("filing-detail", lambda c: f"/subsidy/banks/filings/{bank_x_filing(c).pk}/"),
    ("filing-opinion", lambda c: f"/subsidy/banks/filings/{bank_x_filing(c).pk}/opinion/"),
    ("filing-opinion-file", signed_page),
    ("filing-materials", lambda c: f"/subsidy/banks/filings/{bank_x_filing(c).pk}/materials/"),
    ("agreement-pdf", lambda c: f"/subsidy/banks/agreements/{bank_x_agreement(c).pk}/pdf/"),
    ("agreement-renew", lambda c: f"/subsidy/banks/agreements/{bank_x_agreement(c).pk}/renew/"),
    (
        "agreement-terminate",
        lambda c: f"/subsidy/banks/agreements/{bank_x_agreement(c).pk}/terminate/",
    ),
    ("fraud-list", lambda c: "/subsidy/fraud/"),
    ("bank-subsidy", lambda c: "/subsidy/bank/"),
    # A publicized run with no line of bank X: nobody's to export (banks see only runs with their lines).
    (
        "bank-subsidy-export",
        lambda c: f"/subsidy/bank/{publicized_run(c).pk}/export.xlsx",
    ),
    ("lpr-import", lambda c: "/subsidy/lpr/import/"),
]
SUBSIDY_EXPECTED = {
    "run-list": (PROGRAM_GOVERNMENT, GET_ONLY),
    "run-create": (
        expect(405),
        program_action(bureau_staff=400),  # the administrator takes no step of a run
    ),
    "run-detail": (PROGRAM_GOVERNMENT, GET_ONLY),
    "run-export": (PROGRAM_GOVERNMENT, GET_ONLY),
    "run-file": (expect(404, anonymous=LOGIN), GET_ONLY),  # no report uploaded yet
    **{
        name: (program_action(**{role: 200}), program_action(**{role: 400}))
        for name, role in STAGE_ROLE.items()
    },
    "run-pay": (expect(405), program_action(bureau_staff=302)),  # a refusal returns to the run
    "objection-rule": (program_action(bureau_staff=200), program_action(bureau_staff=400)),
    "objection-file": (PROGRAM_GOVERNMENT, GET_ONLY),
    "public-notice": (expect(200), GET_ONLY),
    "public-objection": (expect(200), expect(400)),  # anyone, no login; a form-less POST is 400
    "filing-list": (expect(200, anonymous=LOGIN, enterprise_a=404, enterprise_b=404), GET_ONLY),
    "filing-create": (expect(405), expect(403, anonymous=LOGIN, bank_x=400, bank_y=400)),
    "filing-detail": (WITH_BANK_X, GET_ONLY),
    # Bureau staff and head type each body's sign-off from the signed form (docs/decisions.md).
    "filing-opinion": (
        expect(405),
        program_action(bureau_staff=400, bureau_head=400) | {"bank_x": 403},
    ),
    "filing-opinion-file": (WITH_BANK_X, GET_ONLY),
    "filing-materials": (WITH_BANK_X, GET_ONLY),
    "agreement-pdf": (WITH_BANK_X, GET_ONLY),
    "agreement-renew": (
        AGREEMENT_ACTION,
        expect(
            302,
            enterprise_a=404,
            enterprise_b=404,
            leading_group=403,
            bank_x=403,
            bank_y=404,
            auditor=403,
        ),
    ),
    "agreement-terminate": (
        AGREEMENT_ACTION,
        expect(
            404,
            anonymous=LOGIN,
            bureau_staff=400,
            bureau_head=400,
            leading_group=403,
            bank_x=403,
            auditor=403,
            admin=400,
        ),
    ),
    "fraud-list": (
        PROGRAM_GOVERNMENT,
        expect(
            404,
            anonymous=LOGIN,
            bureau_staff=400,
            bureau_head=400,
            leading_group=403,
            auditor=403,
            admin=400,
        ),
    ),
    "bank-subsidy": (expect(403, anonymous=LOGIN, bank_x=200, bank_y=200), GET_ONLY),
    "bank-subsidy-export": (expect(403, anonymous=LOGIN, bank_x=404, bank_y=404), GET_ONLY),
    "lpr-import": (
        expect(403, anonymous=LOGIN, admin=200),
        expect(403, anonymous=LOGIN, admin=400),
    ),
}
SUBSIDY: list[Row] = [
    row
    for name, url in SUBSIDY_URLS
    for row in (
        get(f"subsidy:{name}", url, SUBSIDY_EXPECTED[name][0], "quzhou"),
        post(f"subsidy:{name}", url, SUBSIDY_EXPECTED[name][1], "quzhou"),
    )
]


# --- reports (issue 8) ---------------------------------------------------------------------------


def meeting_zip(cast: Cast) -> str:
    meeting = Meeting.objects.create(
        program=cast.changjiang,
        date=dt.date(2026, 1, 20),
        attendees=["leader"],
        created_by=cast.leading_group,
    )
    return f"/reports/annex4/meeting/{meeting.public_id}/"


# Issue 18 (item 6): the enterprise directory is the bureau's (and the administrator's); others are refused.
DIRECTORY = expect(403, anonymous=LOGIN, bureau_staff=200, bureau_head=200, admin=200)

REPORTS: list[Row] = [
    get("reports:enterprise-list", lambda c: "/reports/enterprises/", DIRECTORY),
    post("reports:enterprise-list", lambda c: "/reports/enterprises/", GET_ONLY),
    get(
        "reports:enterprise-page",
        lambda c: f"/reports/enterprises/{c.enterprise_a.public_id}/",
        DIRECTORY,
    ),
    post(
        "reports:enterprise-page",
        lambda c: f"/reports/enterprises/{c.enterprise_a.public_id}/",
        GET_ONLY,
    ),
    get("reports:index", lambda c: "/reports/", for_government_and_banks()),
    post("reports:index", lambda c: "/reports/", GET_ONLY),
    get("reports:dashboard", lambda c: "/reports/dashboard/", for_government_and_banks()),
    post("reports:dashboard", lambda c: "/reports/dashboard/", GET_ONLY),
    get("reports:ledger", lambda c: "/reports/ledgers/loans/", for_government_and_banks()),
    post("reports:ledger", lambda c: "/reports/ledgers/loans/", GET_ONLY),
    get("reports:statistics", lambda c: "/reports/statistics/", for_government_and_banks()),
    post(
        "reports:statistics",
        lambda c: "/reports/statistics/",
        expect(400, anonymous=LOGIN, enterprise_a=403, enterprise_b=403),
    ),
    get(
        "reports:annual-statistics",
        lambda c: "/reports/statistics/annual/",
        for_government_and_banks(),
    ),
    post(
        "reports:annual-statistics",
        lambda c: "/reports/statistics/annual/",
        expect(400, anonymous=LOGIN, enterprise_a=403, enterprise_b=403),
    ),
    get("reports:annex4-zip", meeting_zip, GET_ONLY),
    post(
        "reports:annex4-zip",
        meeting_zip,
        expect(
            302,
            anonymous=LOGIN,
            enterprise_a=404,
            enterprise_b=404,
            bank_x=404,
            bank_y=404,
            accountant=404,  # the batch 附件4 of a meeting is the review's
        ),
    ),
    get("reports:ledger-export", lambda c: "/reports/ledgers/loans/export/", expect(405)),
    post(
        "reports:ledger-export",
        lambda c: "/reports/ledgers/loans/export/",
        expect(200, anonymous=LOGIN, enterprise_a=403, enterprise_b=403),
    ),
]


# --- bank API (issue 21) -------------------------------------------------------------------------
# A session is not a credential of /api/v1/: every role's browser gets 401 there (the token holders'
# matrix is tests/api/test_access.py). The schema and its docs page are public.


def bank_x_token(cast: Cast) -> str:
    from api.models import ApiToken
    from api.services import token_create

    token = ApiToken.objects.filter(bank=cast.bank_x).first()
    if token is None:
        token = token_create(
            actor=cast.bank_x_user,
            name="X核心系统",
            scope="write",
            expires_on=timezone.localdate() + dt.timedelta(days=30),
        ).token
    return f"/api-tokens/{token.public_id}/revoke/"


def api_batch(cast: Cast) -> str:
    upload = RecordUpload.objects.create(
        kind="interest",
        program=cast.changjiang,
        bank=cast.bank_x,
        source="api",
        file="imports/api.json",
        original_name="api-interest.json",
        checksum="0" * 64,
        uploaded_by=cast.bank_x_user,
    )
    return f"/api/v1/batches/{upload.public_id}"


API_KINDS = ("disbursements", "repayments", "interest", "overdue", "reports")
API_READS = (
    ("api-v1:token", lambda c: "/api/v1/token"),
    ("api-v1:applications", lambda c: "/api/v1/applications"),
    ("api-v1:loans", lambda c: "/api/v1/loans"),
    ("api-v1:loan-detail", lambda c: f"/api/v1/loans/{c.loan_a.public_id}"),
    ("api-v1:subsidy-lines", lambda c: "/api/v1/subsidy-lines"),
    ("api-v1:compensation-claims", lambda c: "/api/v1/compensation-claims"),
    ("api-v1:batch-detail", api_batch),
)


def issued_document(cast: Cast) -> str:
    from kedaitong import verification

    document = verification.issue(
        verification.Issue(
            kind="changjiang_kedaitong.annex3",
            title="附件3 “科贷通”贷款申请报告",
            issuer="昌江区科学技术局",
            subject=cast.application_a,
        ),
        "<p>甲科技有限公司</p>",
    )
    return f"/verify/{document.code}/"


API: list[Row] = [
    # The page a printed QR code opens: public, read-only.
    get("verify-document", issued_document, expect(200)),
    post("verify-document", issued_document, expect(405)),
    get("api-v1:openapi-json", lambda c: "/api/v1/openapi.json", expect(200)),
    post("api-v1:openapi-json", lambda c: "/api/v1/openapi.json", expect(405)),
    get("api-v1:openapi-view", lambda c: "/api/v1/docs", expect(200)),
    post("api-v1:openapi-view", lambda c: "/api/v1/docs", expect(405)),
    get("api-v1:api-root", lambda c: "/api/v1/", expect(404)),
    post("api-v1:api-root", lambda c: "/api/v1/", expect(404)),
    *[get(name, url, expect(401)) for name, url in API_READS],
    *[post(name, url, expect(405)) for name, url in API_READS],
    *[
        get(
            f"api-v1:batch-{kind}",
            lambda c, k=kind: f"/api/v1/batches/{k}?program=changjiang",
            expect(405),
        )
        for kind in API_KINDS
    ],
    *[
        post(
            f"api-v1:batch-{kind}",
            lambda c, k=kind: f"/api/v1/batches/{k}?program=changjiang",
            expect(401),
        )
        for kind in API_KINDS
    ],
    get(
        "api-tokens:list",
        lambda c: "/api-tokens/",
        expect(403, anonymous=LOGIN, bank_x=200, bank_y=200, admin=200),
    ),
    post("api-tokens:list", lambda c: "/api-tokens/", expect(405)),
    get("api-tokens:create", lambda c: "/api-tokens/new/", expect(405)),
    post(
        "api-tokens:create",
        lambda c: "/api-tokens/new/",
        expect(403, anonymous=LOGIN, bank_x=400, bank_y=400),
    ),
    get(
        "api-tokens:revoke",
        bank_x_token,
        expect(403, anonymous=LOGIN, bank_x=200, bank_y=404, admin=200),
    ),
    post(
        "api-tokens:revoke",
        bank_x_token,
        expect(403, anonymous=LOGIN, bank_x=302, bank_y=404, admin=302),
    ),
]


# --- enterprise accounts (issue 17) --------------------------------------------------------------


def dispute_over_a(cast: Cast) -> AccountClaim:
    """Someone without a role claims enterprise A from its account: a dispute for the Changjiang bureau."""
    claimant = UserFactory(username="claimant", role="", email="claimant@example.invalid")
    claim = AccountClaim(
        kind=AccountClaim.Kind.DISPUTE,
        enterprise=cast.enterprise_a,
        claimant=claimant,
        program=cast.changjiang,
        statement="该企业为我方所有。",
        licence_name="licence.pdf",
        authorization_name="letter.pdf",
    )
    claim.licence.save("licence.pdf", ContentFile(b"%PDF-1.4 licence"), save=False)
    claim.authorization.save("letter.pdf", ContentFile(b"%PDF-1.4 letter"), save=False)
    claim.save()
    return claim


def unconfirmed_a(cast: Cast) -> str:
    """Enterprise A's account not yet confirmed, so that its user has evidence to file."""
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(account_confirmed_at=None)
    return "/enterprise/account/"


def claim_url(cast: Cast, tail: str = "") -> str:
    return f"/enterprise-claims/{dispute_over_a(cast).public_id}/{tail}"


def verify_url(cast: Cast) -> str:
    from applications.services import email_verification_token

    return f"/enterprise/account/verify/{email_verification_token(cast.applicant)}/"


ENTERPRISE_ACCOUNT = expect(403, anonymous=LOGIN, enterprise_a=200, enterprise_b=200)
CLAIM_BUREAU = expect(
    404,
    anonymous=LOGIN,
    bureau_staff=200,
    bureau_head=200,
    leading_group=403,
    auditor=403,
    admin=200,
)
BANKS_ONLY = expect(403, anonymous=LOGIN, bank_x=200, bank_y=200)

ACCOUNTS: list[Row] = [
    get("applications:account", lambda c: "/enterprise/account/", ENTERPRISE_ACCOUNT),
    post(
        "applications:account",
        unconfirmed_a,
        expect(403, anonymous=LOGIN, enterprise_a=400, enterprise_b=409),
    ),
    get("applications:verify-email", verify_url, expect(200)),  # the link is the credential
    post("applications:verify-email", verify_url, expect(302)),
    get(
        "applications:verify-email-resend",
        lambda c: "/enterprise/account/verify-again/",
        expect(405),
    ),
    post(
        "applications:verify-email-resend",
        lambda c: "/enterprise/account/verify-again/",
        expect(403, anonymous=LOGIN, enterprise_a=302, enterprise_b=302),
    ),
    get("applications:dispute", lambda c: "/enterprise/dispute/", expect(302, anonymous=200)),
    post("applications:dispute", lambda c: "/enterprise/dispute/", expect(302, anonymous=400)),
    get("applications:bank-invite", lambda c: "/enterprise/bank-invitations/", BANKS_ONLY),
    post(
        "applications:bank-invite",
        lambda c: "/enterprise/bank-invitations/",
        expect(403, anonymous=LOGIN, bank_x=400, bank_y=400),
    ),
    get(
        "applications:claim-list",
        lambda c: "/enterprise-claims/",
        expect(403, anonymous=LOGIN, bureau_staff=200, bureau_head=200, admin=200),
    ),
    post("applications:claim-list", lambda c: "/enterprise-claims/", GET_ONLY),
    get("applications:claim-detail", lambda c: claim_url(c), CLAIM_BUREAU),
    post("applications:claim-detail", lambda c: claim_url(c), GET_ONLY),
    get("applications:claim-decide", lambda c: claim_url(c, "decide/"), expect(405)),
    post(
        "applications:claim-decide",
        lambda c: claim_url(c, "decide/"),
        CLAIM_BUREAU | {"bureau_staff": 400, "bureau_head": 400, "admin": 403},
    ),
    get("applications:claim-file", lambda c: claim_url(c, "files/licence/"), CLAIM_BUREAU),
    post("applications:claim-file", lambda c: claim_url(c, "files/licence/"), GET_ONLY),
]


# The two actors issue 17 adds, asked of the pages that concern them (tests/test_access_matrix.py):
# a user of enterprise C, registered but not confirmed, with a draft at bank X; and a person without
# a role whose dispute over enterprise A waits for the bureau.
ACCOUNT_ROLES = ("enterprise_unconfirmed", "claimant")


@dataclass(frozen=True)
class AccountRow:
    name: str
    method: str
    url: Callable[[Cast, dict[str, Any]], str]
    expected: dict[str, int]  # enterprise_unconfirmed, claimant


def account_actors(cast: Cast) -> dict[str, Any]:
    from applications.models import Application
    from tests.factories import ApplicationFactory, EnterpriseFactory

    enterprise = EnterpriseFactory(name="丙待确认科技有限公司", account_confirmed_at=None)
    user = UserFactory(username="c-new", role="enterprise", enterprise=enterprise)
    draft = ApplicationFactory(
        enterprise=enterprise, bank=cast.bank_x, state=Application.State.DRAFT
    )
    claim = dispute_over_a(cast)
    return {
        "enterprise_unconfirmed": user,
        "claimant": claim.claimant,
        "enterprise": enterprise,
        "draft": draft,
        "claim": claim,
    }


def both(unconfirmed: int, claimant: int) -> dict[str, int]:
    return {"enterprise_unconfirmed": unconfirmed, "claimant": claimant}


ACCOUNT_ROWS: list[AccountRow] = [
    AccountRow("home", "GET", lambda c, a: "/", both(200, 302)),  # a claimant is led to its claim
    AccountRow("applications:account", "GET", lambda c, a: "/enterprise/account/", both(200, 200)),
    AccountRow("applications:account", "POST", lambda c, a: "/enterprise/account/", both(400, 403)),
    AccountRow(
        "applications:verify-email-resend",
        "POST",
        lambda c, a: "/enterprise/account/verify-again/",
        both(302, 302),
    ),
    AccountRow("applications:dispute", "GET", lambda c, a: "/enterprise/dispute/", both(302, 302)),
    AccountRow(
        "applications:bank-invite",
        "GET",
        lambda c, a: "/enterprise/bank-invitations/",
        both(403, 403),
    ),
    AccountRow(
        "applications:claim-list", "GET", lambda c, a: "/enterprise-claims/", both(403, 403)
    ),
    AccountRow(
        "applications:claim-detail",
        "GET",
        lambda c, a: f"/enterprise-claims/{a['claim'].public_id}/",
        both(404, 403),  # the claimant follows its claim on the account page, not the bureau's
    ),
    AccountRow(
        "applications:claim-decide",
        "POST",
        lambda c, a: f"/enterprise-claims/{a['claim'].public_id}/decide/",
        both(404, 403),
    ),
    AccountRow(
        "applications:claim-file",
        "GET",
        lambda c, a: f"/enterprise-claims/{a['claim'].public_id}/files/licence/",
        both(404, 200),  # its own evidence
    ),
    AccountRow("applications:profile", "GET", lambda c, a: "/enterprise/profile/", both(200, 403)),
    AccountRow(
        "applications:enterprise-detail",
        "GET",
        lambda c, a: f"/enterprises/{a['enterprise'].public_id}/",
        both(200, 404),
    ),
    AccountRow(
        "applications:enterprise-detail",
        "GET",
        lambda c, a: f"/enterprises/{c.enterprise_a.public_id}/",
        both(404, 404),  # a pending dispute shows the claimant nothing of the enterprise
    ),
    AccountRow(
        "applications:application-create",
        "GET",
        lambda c, a: "/applications/new/changjiang/",
        both(200, 403),
    ),
    AccountRow(
        "applications:application-edit",
        "GET",
        lambda c, a: f"/applications/{a['draft'].public_id}/edit/",
        both(200, 404),
    ),
    AccountRow(
        "applications:application-submit",
        "GET",
        lambda c, a: f"/applications/{a['draft'].public_id}/submit/",
        both(200, 404),
    ),
    # Submitting is refused with the reason (back to the submit page), the draft stays a draft.
    AccountRow(
        "applications:application-submit",
        "POST",
        lambda c, a: f"/applications/{a['draft'].public_id}/submit/",
        both(302, 404),
    ),
    AccountRow(
        "applications:application-detail",
        "GET",
        lambda c, a: f"/applications/{c.application_a.public_id}/",
        both(404, 404),
    ),
]


# --- Changjiang's own records (programs/changjiang): 第五条 plan, 第七条 recovery, 第九条 misuse, 第十条 province ----


def recovery_case(cast: Cast):  # type: ignore[no-untyped-def]
    from programs.changjiang.models import RecoveryCase

    return RecoveryCase.objects.create(
        program=cast.loan_a.program_version.program,
        loan=cast.loan_a,
        bank=cast.bank_x,
        matured_on=cast.loan_a.maturity_date,
        opened_on=cast.loan_a.maturity_date + dt.timedelta(days=1),
        unpaid_principal=Decimal("1000000.00"),
        unpaid_interest=Decimal("0.00"),
    )


def case_url(suffix: str = "") -> Callable[[Cast], str]:
    return lambda c: f"/changjiang/recovery/{recovery_case(c).public_id}/{suffix}"


def recovery_document(cast: Cast) -> str:
    from programs.changjiang.models import RecoveryAction, RecoveryDocument

    action = RecoveryAction.objects.create(
        case=recovery_case(cast),
        party="bank",
        acted_on=cast.loan_a.maturity_date + dt.timedelta(days=2),
        what="催收函",
        result="待答复",
        recorded_by=cast.bank_x_user,
    )
    document = RecoveryDocument(action=action, original_name="催收函.pdf", checksum="0" * 64)
    document.file.save("催收函.pdf", ContentFile(b"%PDF-1.4 letter"), save=False)
    document.save()
    return f"/changjiang/recovery/documents/{document.public_id}/"


def provincial_report(suffix: str) -> Callable[[Cast], str]:
    def build(cast: Cast) -> str:
        from programs.changjiang.models import ProvincialReport

        report = ProvincialReport(
            program=cast.loan_a.program_version.program,
            year=2026,
            quarter=3,
            produced_at=timezone.now(),
            produced_by=cast.bureau_staff,
            pdf_sha256="0" * 64,
            xlsx_sha256="0" * 64,
        )
        report.pdf.save("r.pdf", ContentFile(b"%PDF-1.4 report"), save=False)
        report.xlsx.save("r.xlsx", ContentFile(b"PK xlsx"), save=False)
        report.save()
        return f"/changjiang/province/{report.public_id}/{suffix}"

    return build


# Every role of the program that works with loans sees the plan and the cases; enterprises have none (403).
# The pages name their roles one by one: the accounting firm (the subsidy's audit, Quzhou 四(一)) is not one (403).
CHANGJIANG_SEEN = expect(200, anonymous=LOGIN, enterprise_a=403, enterprise_b=403, accountant=403)
CHANGJIANG_BUREAU = expect(
    403,
    anonymous=LOGIN,
    bureau_staff=200,
    bureau_head=200,
    leading_group=200,
    auditor=200,
    admin=200,
    accountant=403,
)

CHANGJIANG: list[Row] = [
    get(
        "review:blacklist-propose",
        lambda c: f"/review/blacklist/propose/{c.loan_a.public_id}/",
        expect(
            403,
            anonymous=LOGIN,
            enterprise_b=404,
            bank_y=404,
            bureau_staff=200,
            bureau_head=200,
            bank_x=200,
        ),
    ),
    post(
        "review:blacklist-propose",
        lambda c: f"/review/blacklist/propose/{c.loan_a.public_id}/",
        expect(
            403,
            anonymous=LOGIN,
            enterprise_b=404,
            bank_y=404,
            bureau_staff=400,
            bureau_head=400,
            bank_x=400,
        ),
    ),
    get("changjiang:credit-plan", lambda c: "/changjiang/credit-plan/", CHANGJIANG_SEEN),
    get(
        "changjiang:credit-plan",
        lambda c: "/changjiang/credit-plan/",
        # The accounting firm's role is refused before the program is asked (the page names its roles).
        expect(404, anonymous=LOGIN, enterprise_a=403, enterprise_b=403, accountant=403),
        "quzhou",
    ),
    post(
        "changjiang:credit-plan",
        lambda c: "/changjiang/credit-plan/",
        expect(403, anonymous=LOGIN, leading_group=400),
    ),
    get(
        "changjiang:credit-plan-export",
        lambda c: "/changjiang/credit-plan/export/",
        CHANGJIANG_SEEN,
    ),
    post("changjiang:credit-plan-export", lambda c: "/changjiang/credit-plan/export/", GET_ONLY),
    get("changjiang:recovery-cases", lambda c: "/changjiang/recovery/", CHANGJIANG_SEEN),
    post("changjiang:recovery-cases", lambda c: "/changjiang/recovery/", GET_ONLY),
    get("changjiang:recovery-case", case_url(), CHANGJIANG_SEEN | {"bank_y": 404}),
    post(
        "changjiang:recovery-case",
        case_url(),
        expect(
            400,
            anonymous=LOGIN,
            enterprise_a=403,
            enterprise_b=403,
            bank_y=404,
            auditor=403,
            admin=403,
        ),
    ),
    get("changjiang:recovery-case-service-unit", case_url("service-unit/"), GET_ONLY),
    post(
        "changjiang:recovery-case-service-unit",
        case_url("service-unit/"),
        expect(403, anonymous=LOGIN, bureau_staff=302, bureau_head=302, leading_group=302),
    ),
    get("changjiang:recovery-case-close", case_url("close/"), GET_ONLY),
    post(
        "changjiang:recovery-case-close",
        case_url("close/"),
        expect(403, anonymous=LOGIN, leading_group=302, bank_x=302, bank_y=404),
    ),
    get("changjiang:recovery-document", recovery_document, CHANGJIANG_SEEN | {"bank_y": 404}),
    post("changjiang:recovery-document", recovery_document, GET_ONLY),
    get("changjiang:provincial-reports", lambda c: "/changjiang/province/", CHANGJIANG_BUREAU),
    post(
        "changjiang:provincial-reports",
        lambda c: "/changjiang/province/",
        expect(403, anonymous=LOGIN, bureau_staff=400),
    ),
    get("changjiang:provincial-report-file", provincial_report("pdf/"), CHANGJIANG_BUREAU),
    post("changjiang:provincial-report-file", provincial_report("pdf/"), GET_ONLY),
    get("changjiang:provincial-report-sent", provincial_report("sent/"), GET_ONLY),
    post(
        "changjiang:provincial-report-sent",
        provincial_report("sent/"),
        expect(403, anonymous=LOGIN, bureau_staff=302),
    ),
]


TABLE: list[Row] = (
    CORE
    + APPLICATIONS
    + REVIEW
    + LOANS
    + COMPENSATION
    + SUBSIDY
    + REPORTS
    + CHANGJIANG
    + ACCOUNTS
    + API
)


def table() -> list[Row]:
    return list(TABLE)
