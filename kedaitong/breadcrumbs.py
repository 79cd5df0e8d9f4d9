"""Breadcrumbs (issue 18, item 6): one registry keyed by URL name, rendered once by templates/base.html.

Each page names its parent; a trail is built by walking parents up to the home page. The last crumb is the
page's own title — its `{% block title %}`, so that pages need not change and the trail always ends at what
the page calls itself. A page that is some other page's parent also names its title here: a lazy string, or
a callable on the template context for a page that names an object (the application's reference number),
read from what the view already loaded — a trail costs no query.

A parent is a URL name or a tuple of them, the first one the user may open being taken: a page may carry the
roles that open it and the feature it belongs to (kedaitong.programs.Feature), so that a bank's trail skips
the leading group's pages and a Quzhou user's trail never shows a Changjiang page (and the other way round).
Its URL is reversed with the current page's arguments it needs (an application's sub-pages pass its
public_id on), or with `args(context)`.

A URL name missing here has the home page for parent: a new page gets "首页 › its title" until it is given
a better place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kedaitong.programs import Feature, has_feature
from kedaitong.roles import Role

Title = Any  # a lazy string, or a callable taking the template context
Parent = str | tuple[str, ...] | None

HOME = "home"
ENTERPRISE = frozenset({Role.ENTERPRISE})
GOVERNMENT = frozenset(
    {Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN}
)
BUREAU = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.ADMIN})
NOT_ENTERPRISES = frozenset(set(Role) - {Role.ENTERPRISE})
SIGNED_IN = frozenset(Role)


@dataclass(frozen=True)
class Page:
    parent: Parent = HOME
    title: Title = None  # as a parent; the page itself shows its <title>
    roles: frozenset[str] | None = (
        None  # who may open it (None: anyone); a parent others may not open is skipped
    )
    feature: str | None = (
        None  # the program feature it belongs to; skipped where the program does not run it
    )
    args: Callable[[Mapping[str, Any]], list[Any]] | None = None


def _object(key: str, attribute: str) -> Callable[[Mapping[str, Any]], str]:
    def title(context: Mapping[str, Any]) -> str:
        value = context[key]
        for part in attribute.split("."):
            value = getattr(value, part)
        return str(value)

    return title


def _run_title(context: Mapping[str, Any]) -> str:
    return str(_("Interest subsidy %(year)s") % {"year": context["run"].year})


APPLICATION = _object("application", "display_reference")
CLAIM = "compensation:claim-detail"
RUN = "subsidy:run-detail"

PAGES: dict[str, Page] = {
    HOME: Page(parent=None, title=_("Home")),
    # The enterprise side and the account claims (issue 17).
    "applications:enterprise-detail": Page(
        parent=("reports:enterprise-list",), title=_object("enterprise", "name")
    ),
    "applications:application-detail": Page(
        parent=("review:queue",), title=APPLICATION, roles=SIGNED_IN
    ),
    "applications:application-edit": Page(parent="applications:application-detail"),
    "applications:application-delete": Page(parent="applications:application-detail"),
    "applications:application-submit": Page(parent="applications:application-detail"),
    "applications:claim-list": Page(title=_("Account claims"), roles=BUREAU),
    "applications:claim-detail": Page(parent="applications:claim-list"),
    "reports:enterprise-list": Page(title=_("Enterprises"), roles=BUREAU),
    "reports:enterprise-page": Page(parent="reports:enterprise-list"),
    # The review.
    "review:queue": Page(
        title=_("Review queue"),
        roles=frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.BANK}),
    ),
    "review:application-review": Page(parent=("review:queue",), title=APPLICATION),
    "review:application-withdraw": Page(parent="applications:application-detail"),
    "review:inbox": Page(title=_("Inbox"), roles=SIGNED_IN),
    "review:meeting-list": Page(
        title=_("Leading-group meetings"), roles=GOVERNMENT, feature=Feature.MEETINGS
    ),
    "review:meeting-new": Page(parent="review:meeting-list"),
    "review:meeting-detail": Page(parent="review:meeting-list"),
    "review:publicity-manage": Page(
        title=_("Publicity management"), roles=GOVERNMENT, feature=Feature.PUBLICITY
    ),
    "review:publicity-batch": Page(parent="review:publicity-manage"),
    "review:blacklist": Page(title=_("Blacklist"), roles=GOVERNMENT, feature=Feature.BLACKLIST),
    "review:blacklist-propose": Page(parent=("review:blacklist",)),
    "review:public-publicity": Page(title=_("Publicity of Kedaitong credit")),
    "review:public-batch": Page(parent="review:public-publicity"),
    "review:public-objection": Page(parent="review:public-publicity"),
    # Banks, loans and their records.
    "loans:bank-list": Page(title=_("Banks"), roles=NOT_ENTERPRISES),
    "loans:bank-detail": Page(parent="loans:bank-list", title=_object("bank", "name")),
    "loans:loan-list": Page(title=_("Loans"), roles=SIGNED_IN),
    "loans:loan-create": Page(parent="loans:loan-list"),
    "loans:loan-detail": Page(parent="loans:loan-list", title=_object("loan", "contract_no")),
    "loans:report-create": Page(parent="loans:loan-detail"),
    "loans:interest-create": Page(parent="loans:loan-detail"),
    "loans:document-create": Page(parent="loans:loan-detail"),
    "loans:upload-list": Page(title=_("Uploads"), roles=NOT_ENTERPRISES),
    "loans:upload-create": Page(parent=("loans:upload-list",)),
    "loans:upload-detail": Page(parent=("loans:upload-list",)),
    # Risk compensation (Changjiang 第十一条).
    "compensation:claim-list": Page(
        title=_("Compensation claims"), roles=NOT_ENTERPRISES, feature=Feature.COMPENSATION
    ),
    "compensation:claim-create": Page(parent="compensation:claim-list"),
    CLAIM: Page(parent="compensation:claim-list", title=_object("claim", "reference")),
    **{
        f"compensation:{name}": Page(parent=CLAIM)
        for name in (
            "material-upload",
            "claim-submit",
            "claim-withdraw",
            "claim-review",
            "claim-decide",
            "decision-revoke",
            "claim-pay",
            "payment-reverse",
            "agreement-record",
            "recovery-create",
            "writeoff-record",
            "writeoff-certificate",
            "claim-close",
        )
    },
    "compensation:recovery-list": Page(
        title=_("Recoveries and returns"), roles=NOT_ENTERPRISES, feature=Feature.COMPENSATION
    ),
    "compensation:recovery-reverse": Page(parent=("compensation:recovery-list",)),
    "compensation:return-create": Page(parent=("compensation:recovery-list",)),
    "compensation:return-confirm": Page(parent=("compensation:recovery-list",)),
    "compensation:return-reverse": Page(parent=("compensation:recovery-list",)),
    # Interest subsidy and banks on file (Quzhou 四, 一(三)).
    "subsidy:run-list": Page(
        title=_("Interest subsidy"),
        roles=GOVERNMENT | {Role.ACCOUNTANT},
        feature=Feature.SUBSIDY,
    ),
    "subsidy:run-create": Page(parent="subsidy:run-list"),
    RUN: Page(parent="subsidy:run-list", title=_run_title),
    **{
        f"subsidy:run-{stage}": Page(parent=RUN)
        for stage in ("audit", "review", "approve", "publicize", "issue", "pay", "cancel")
    },
    "subsidy:objection-rule": Page(parent="subsidy:run-list"),
    "subsidy:filing-list": Page(
        title=_("Banks on file"), roles=NOT_ENTERPRISES, feature=Feature.BANK_FILING
    ),
    "subsidy:filing-create": Page(parent="subsidy:filing-list"),
    "subsidy:filing-detail": Page(parent="subsidy:filing-list"),
    "subsidy:filing-opinion": Page(parent="subsidy:filing-list"),
    "subsidy:agreement-renew": Page(parent="subsidy:filing-list"),
    "subsidy:agreement-terminate": Page(parent="subsidy:filing-list"),
    # Ledgers and statistics.
    "reports:index": Page(title=_("Ledgers"), roles=NOT_ENTERPRISES),
    "reports:ledger": Page(parent=("reports:index",)),
    "reports:statistics": Page(title=_("Statistics by bank"), roles=NOT_ENTERPRISES),
    "reports:annual-statistics": Page(parent=("reports:statistics",)),
    # Changjiang's own pages (programs/changjiang).
    "changjiang:recovery-cases": Page(
        title=_("Joint recovery"),
        roles=GOVERNMENT | {Role.BANK},
        feature=Feature.JOINT_RECOVERY,
    ),
    "changjiang:recovery-case": Page(parent="changjiang:recovery-cases"),
    # The bank API's tokens; the account.
    "api-tokens:list": Page(title=_("API tokens"), roles=frozenset({Role.BANK, Role.ADMIN})),
    "api-tokens:create": Page(parent="api-tokens:list"),
    "api-tokens:revoke": Page(parent="api-tokens:list"),
    "password_change": Page(title=_("Change password"), roles=SIGNED_IN),
    "password_change_done": Page(parent="password_change"),
}


@dataclass(frozen=True)
class Crumb:
    title: str
    url: str


def _opens(page: Page, role: str, program: Any) -> bool:
    if page.roles is not None and role not in page.roles:
        return False
    return page.feature is None or has_feature(program, page.feature)


def _url(name: str, page: Page, context: Mapping[str, Any], kwargs: Mapping[str, Any]) -> str:
    if page.args is not None:
        return reverse(name, args=page.args(context))
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return reverse(name)


def trail(
    view_name: str,
    kwargs: Mapping[str, Any],
    context: Mapping[str, Any],
    *,
    role: str,
    program: Any,
) -> list[Crumb]:
    """The crumbs above page `view_name`, from the home page down to its parent (the page's own title aside).

    A parent the user may not open, or whose title names an object the page did not load, is left out; the
    walk goes on to its own parent.
    """
    crumbs: list[Crumb] = []
    seen = {view_name}
    page = PAGES.get(view_name, Page())
    parent = page.parent
    while parent:
        candidates = (parent,) if isinstance(parent, str) else parent
        name = next(
            (
                n
                for n in candidates
                if n not in seen and _opens(PAGES.get(n, Page()), role, program)
            ),
            None,
        )
        if name is None:
            name = HOME  # none of the candidates: straight to the home page
        if name in seen:
            break
        seen.add(name)
        above = PAGES.get(name, Page())
        try:
            title = above.title(context) if callable(above.title) else above.title
            url = _url(name, above, context, kwargs)
        except (KeyError, AttributeError, NoReverseMatch):
            title = None
        if title:
            crumbs.append(Crumb(str(title), url))
        parent = above.parent
    crumbs.reverse()
    return crumbs
