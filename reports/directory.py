"""The enterprise directory of a program's bureau (issue 18, item 6): search, and one page per enterprise.

Scope is the registry's (docs/architecture.md, "Scope by program"): an enterprise is in the directory of a
program when the user may see one of its records there — a submitted application, a loan, or an account
claim the program's bureau confirmed (`Enterprise.objects.visible_to`). Each record on its page is the user's
program's only: a Quzhou clerk never sees a Changjiang application, loan, claim or blacklist entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from applications.models import Application, Enterprise
from applications.scope import current_program
from compensation.models import Claim
from kedaitong.models import User
from kedaitong.programs import Feature, has_feature
from kedaitong.roles import Role
from loans.models import Loan
from review.models import BlacklistEntry
from subsidy.models import FraudRecord

# The bureau of a program (经办人 and 负责人) and the administrator: the people who look enterprises up.
DIRECTORY_ROLES = (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.ADMIN)
PAGE_SIZE = 50
# A unified social credit code (GB 32100-2015) is 18 characters of digits and capital letters other than
# I, O, S, V, Z; a search of 4 or more of them is read as the start of a code, anything else as a name.
CREDIT_CODE_START = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{4,18}$")
# Past the type and region (8 characters) and into the organization code, a prefix names few enterprises.
SELECTIVE_PREFIX = 14


def normalize_query(raw: str) -> str:
    """What was typed, trimmed, with full-width letters and digits made half-width (a Chinese IME types them)."""
    text = (raw or "").strip()[:100]
    text = "".join(
        chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch for ch in text
    ).replace("\u3000", " ")
    return text.replace("\x00", "").strip()


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """The number of `queryset`'s rows of each enterprise, as a correlated subquery (run for the page's rows)."""
    counted = (
        queryset.filter(enterprise=OuterRef("pk"))
        .order_by()
        .values("enterprise")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _in_scope(user: User) -> Q:
    """`Enterprise.objects.visible_to(user)`'s rule as correlated EXISTS: cheap for a few candidate rows."""
    from applications.models import AccountClaim
    from applications.scope import current_program_id

    confirmed = AccountClaim.objects.filter(
        state=AccountClaim.State.CONFIRMED, program=current_program_id(user)
    )
    row = OuterRef("pk")
    return Q(
        Exists(Application.objects.visible_to(user).filter(enterprise=row))
        | Exists(Loan.objects.visible_to(user).filter(enterprise=row))
        | Exists(confirmed.filter(enterprise=row))
    )


def enterprise_search(*, user: User, query: str = "") -> QuerySet[Enterprise]:
    """The enterprises of the user's program matching `query`, by name.

    A query of 4 or more code characters with a digit is the start of a credit code: matched by prefix, on
    the `credit_code` pattern index, and checked against the scope row by row (a handful of rows). Any other
    query matches a part of the name. Counts of applications and loans are added per page (`with_counts`),
    never for the rows a deep page skips.
    """
    code = query.upper()
    if query and CREDIT_CODE_START.match(code) and any(ch.isdigit() for ch in code):
        by_code = Enterprise.objects.filter(credit_code__startswith=code)
        if len(code) >= SELECTIVE_PREFIX:
            return by_code.filter(_in_scope(user)).order_by("name", "pk")
        # A short prefix (the region's 913602…) may match most of the program: scope as a set, once.
        return by_code.filter(pk__in=Enterprise.objects.visible_to(user).values("pk")).order_by(
            "name", "pk"
        )
    found = Enterprise.objects.visible_to(user)
    if query:
        found = found.filter(name__contains=query)
    return found.order_by("name", "pk")


def with_counts(*, user: User, enterprises: list[Enterprise]) -> list[Enterprise]:
    """The page's enterprises again, each with `application_count` and `loan_count` in the program (one query)."""
    counted = Enterprise.objects.filter(pk__in=[e.pk for e in enterprises]).annotate(
        application_count=_count(Application.objects.visible_to(user)),
        loan_count=_count(Loan.objects.visible_to(user)),
    )
    by_pk = {e.pk: e for e in counted}
    return [by_pk[e.pk] for e in enterprises if e.pk in by_pk]


@dataclass
class EnterpriseFile:
    """Everything of one enterprise the user's program holds, for its page."""

    enterprise: Enterprise
    program: Any
    applications: list[Application]
    loans: list[Loan]
    claims: list[Claim] = field(default_factory=list)
    blacklist: list[BlacklistEntry] = field(default_factory=list)
    fraud_records: list[FraudRecord] = field(default_factory=list)
    shows_claims: bool = False
    shows_blacklist: bool = False
    shows_fraud_records: bool = False

    @property
    def listed(self) -> list[BlacklistEntry]:
        """Entries in force (第九条: listed, not lifted)."""
        return [e for e in self.blacklist if e.status == BlacklistEntry.Status.LISTED]

    @property
    def proposed(self) -> list[BlacklistEntry]:
        return [e for e in self.blacklist if e.status == BlacklistEntry.Status.PROPOSED]


def enterprise_file(*, user: User, enterprise: Enterprise) -> EnterpriseFile:
    """The enterprise's applications, loans, compensation claims and blacklist state in the user's program.

    Claims and the blacklist are Changjiang's (第十一条, 第九条), fraud records Quzhou's (六): each part is shown
    where the program runs the feature (the registry), so a page never names another kind's records.
    """
    program = current_program(user)
    found = EnterpriseFile(
        enterprise=enterprise,
        program=program,
        applications=list(
            Application.objects.visible_to(user)
            .filter(enterprise=enterprise)
            .select_related("bank", "program_version__program", "enterprise")
            .order_by("-created_at")
        ),
        loans=list(
            Loan.objects.visible_to(user)
            .filter(enterprise=enterprise)
            .select_related("bank", "enterprise")
            .order_by("-disbursement_date", "-pk")
        ),
        shows_claims=has_feature(program, Feature.COMPENSATION),
        shows_blacklist=has_feature(program, Feature.BLACKLIST),
        shows_fraud_records=has_feature(program, Feature.FRAUD_RECORDS),
    )
    if found.shows_claims:
        found.claims = list(
            Claim.objects.visible_to(user)
            .filter(loan__enterprise=enterprise)
            .select_related("loan", "bank")
            .order_by("-pk")
        )
    if found.shows_blacklist:
        found.blacklist = list(
            BlacklistEntry.objects.visible_to(user).filter(enterprise=enterprise).order_by("-pk")
        )
    if found.shows_fraud_records and program is not None:
        found.fraud_records = list(
            FraudRecord.objects.filter(program=program, enterprise=enterprise).order_by("-found_on")
        )
    return found
