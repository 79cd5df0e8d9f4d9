"""What the Changjiang kind registers: its workflow, checklist, forms, annexes, loan rules, bars and features."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kedaitong.programs import (
    Annex,
    Bar,
    Feature,
    KindSpec,
    MenuEntry,
    Step,
    TransitionSpec,
    WorkflowSpec,
)
from kedaitong.roles import Role
from programs import common
from programs.changjiang import KIND, guards, queues
from programs.changjiang.reference import MATERIALS, SUPPLIED_BY_BANK

# The profile fields each annex prints; an empty one would leave a blank on the signed form.
# Changjiang 附件3: **公司位于…，成立于…，法人代表为…，联系电话…，主要经营…。公司注册资本…，实缴资本…，近一年销售额…，实现纳税….
ANNEX3_FIELDS = (
    "address",
    "founded_on",
    "legal_representative",
    "contact_phone",
    "main_business",
    "registered_capital",
    "paid_in_capital",
    "last_year_sales",
    "last_year_tax",
)
# Changjiang 附件4 借款企业基本信息: 名称, 地址, 法定代表人 and 联系方式 (附件3's above), 联系人 and 联系方式 (the
# contact person's: mobile, or the enterprise's phone when the contact has none).
ANNEX4_FIELDS = ("contact_name",)

CITATIONS = {
    "max_amount": "昌江细则第一条",
    "meetings": "昌江细则第三条",
    "eligibility": "昌江细则第六条",
    "one_bank": "昌江细则第六条（二）",
    "publicity": "昌江细则第八条",
    "granted_credit": "公示后授信，昌江细则第八条",
    "blacklist": "昌江细则第九条",
    "priority_renewal": "昌江细则第九条",
    "post_loan_reports": "昌江细则第十条",
    "compensation": "昌江细则第十一条",
}

SUBMITTED = "submitted"
RETURNED = "returned"
BUREAU_REVIEW = "bureau_review"
GROUP_REVIEW = "group_review"
BANK_REVIEW = "bank_review"
PUBLICITY = "publicity"
CREDIT_GRANTED = "credit_granted"
DISBURSED = "disbursed"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"


def workflow() -> WorkflowSpec:
    """Changjiang 第一条: 区科技局审核 → 领导专班研究同意推荐 → 合作银行独立审核 → 第八条 公示 → 放款."""
    eligible = common.eligibility_not_failed
    return WorkflowSpec(
        transitions=(
            TransitionSpec("submit", gettext_lazy("Submit"), Role.ENTERPRISE),
            TransitionSpec("withdraw", gettext_lazy("Withdraw"), Role.ENTERPRISE),
            TransitionSpec(
                "accept", gettext_lazy("Accept for review"), Role.BUREAU_STAFF, (eligible,)
            ),
            TransitionSpec(
                "return_for_changes", gettext_lazy("Return for changes"), Role.BUREAU_STAFF
            ),
            TransitionSpec(
                "approve",
                gettext_lazy("Sign: recommend to the leading group"),
                Role.BUREAU_HEAD,
                (guards.bureau_draft_recommends, eligible),
            ),
            TransitionSpec(
                "bureau_reject",
                gettext_lazy("Sign: reject"),
                Role.BUREAU_HEAD,
                (guards.bureau_draft_rejects,),
            ),
            TransitionSpec(
                "recommend",
                gettext_lazy("Recommend to the bank (meeting)"),
                Role.LEADING_GROUP,
                (guards.group_recommended,),
            ),
            TransitionSpec(
                "group_reject",
                gettext_lazy("Decline (meeting)"),
                Role.LEADING_GROUP,
                (guards.group_declined,),
            ),
            TransitionSpec(
                "bank_approve",
                gettext_lazy("Approve credit"),
                Role.BANK,
                (guards.bank_approved,),
            ),
            TransitionSpec(
                "bank_reject", gettext_lazy("Reject credit"), Role.BANK, (guards.bank_declined,)
            ),
            TransitionSpec(
                "grant",
                gettext_lazy("Grant credit (publicity over)"),
                Role.BUREAU_STAFF,
                (guards.publicity_over_without_upheld_objection,),
            ),
            TransitionSpec(
                "objection_reject",
                gettext_lazy("Reject (objection upheld)"),
                Role.BUREAU_STAFF,
                (guards.objection_upheld,),
            ),
            TransitionSpec("disburse", gettext_lazy("Disburse"), Role.BANK, (common.loan_opened,)),
        ),
        submit="submit",
        done={
            "submit": gettext_lazy("submitted the application"),
            "withdraw": gettext_lazy("withdrew the application"),
            "accept": gettext_lazy("accepted the application for review"),
            "return_for_changes": gettext_lazy("returned the application for changes"),
            "approve": gettext_lazy("signed the recommendation to the leading group"),
            "bureau_reject": gettext_lazy("signed the rejection"),
            "recommend": gettext_lazy("recorded the meeting's recommendation to the bank"),
            "group_reject": gettext_lazy("recorded the meeting's decision to decline"),
            "bank_approve": gettext_lazy("approved the credit"),
            "bank_reject": gettext_lazy("declined the credit"),
            "grant": gettext_lazy("granted the credit after the publicity"),
            "objection_reject": gettext_lazy("rejected the application (objection upheld)"),
            "disburse": gettext_lazy("disbursed the loan"),
        },
        steps=(
            Step(gettext_lazy("Application submitted"), (SUBMITTED, RETURNED)),
            Step(gettext_lazy("Science bureau review"), (BUREAU_REVIEW,)),
            Step(gettext_lazy("Leading group recommends"), (GROUP_REVIEW,)),
            Step(gettext_lazy("Bank review"), (BANK_REVIEW,)),
            Step(gettext_lazy("Publicity"), (PUBLICITY,)),
            Step(gettext_lazy("Credit granted"), (CREDIT_GRANTED,)),
            Step(gettext_lazy("Disbursed"), (DISBURSED,)),
        ),
        next_role={
            SUBMITTED: Role.BUREAU_STAFF,
            BUREAU_REVIEW: Role.BUREAU_HEAD,
            GROUP_REVIEW: Role.LEADING_GROUP,
            BANK_REVIEW: Role.BANK,
            PUBLICITY: Role.BUREAU_STAFF,
            CREDIT_GRANTED: Role.BANK,
            WITHDRAWN: Role.BUREAU_STAFF,  # the bureau learns that an application left its queue
        },
        queues={
            Role.BUREAU_STAFF: (SUBMITTED, BUREAU_REVIEW),
            Role.BUREAU_HEAD: (BUREAU_REVIEW,),
            Role.LEADING_GROUP: (GROUP_REVIEW,),
            Role.BANK: (BANK_REVIEW, CREDIT_GRANTED),
        },
        # The bank is told once the bureau has passed the application on (it was chosen at submission).
        bank_states=(
            GROUP_REVIEW,
            BANK_REVIEW,
            PUBLICITY,
            CREDIT_GRANTED,
            DISBURSED,
            REJECTED,
            WITHDRAWN,
        ),
        open_states=(
            "draft",
            SUBMITTED,
            RETURNED,
            BUREAU_REVIEW,
            GROUP_REVIEW,
            BANK_REVIEW,
            PUBLICITY,
        ),
        bank_decision=("bank_approve", "bank_reject"),
        queue_filter=queues.queue_filter,
    )


def profile_problems(enterprise: Any, today: dt.date | None = None) -> list[str]:
    """Changjiang 附件3 (申请报告): address, founding date, legal representative, contact phone (联系电话), main business
    (主要经营), registered and paid-in capital, last year's sales and tax; 附件4 (备案审核表): the contact person (联系人)."""
    from applications.services import profile_field_problems

    return profile_field_problems(
        enterprise, ANNEX3_FIELDS, _("Changjiang annex 3")
    ) + profile_field_problems(enterprise, ANNEX4_FIELDS, _("Changjiang annex 4"))


def form_problems(application: Any) -> list[str]:
    """附件3 and 附件4 fields, and every required material of 附件2."""
    from applications.services import missing_materials

    problems = common.missing(application.purpose.strip(), _("Reason for the loan"))
    problems += common.missing(application.annual_rate, _("Annual rate (%)"))
    problems += common.missing(application.product_type_id, _("Product type"))
    for material in missing_materials(application):
        problems.append(
            _("Material %(number)s “%(name)s” is not uploaded.")
            % {"number": material.number, "name": material.name}
        )
    return problems


def annex4(application: Any, actor: Any = None) -> bytes:
    """附件4 with the opinion boxes as the review has filled them."""
    from applications import documents
    from review.selectors import annex4_boxes

    return documents.changjiang_annex4(application, boxes=annex4_boxes(application), actor=actor)


def bars(*, enterprise: Any = None, bank: Any = None, program: Any = None) -> list[Bar]:
    """Changjiang 第九条: a listed enterprise gets no further financial support, in any program."""
    from review.models import BlacklistEntry

    if enterprise is None:
        return []
    entry = BlacklistEntry.objects.blocking(enterprise)
    if entry is None:
        return []
    # The reason names the listing program and its article: on another program's checklist the bar applies
    # too (DESIGN.md: no application in any program afterwards), and says whose rule it is.
    return [
        Bar(
            code="blacklist",
            reason=f"{entry.get_reason_display()}；{entry.program.name}依{CITATIONS['blacklist']}列入",
            message="该企业已列入黑名单，不得获得财政支持的贷款（昌江细则第九条）",
            program_id=entry.program_id,
        )
    ]


def long_overdue(*, loan: Any, days: int, on: dt.date, spans: list[Any]) -> bool:
    """第九条: more than six months overdue proposes a blacklist entry to the program's bureau (review.services)."""
    from review.services import blacklist_propose_for_loan

    return blacklist_propose_for_loan(loan=loan, days=days, on=on, spans=spans)


def loan_links(user: Any, loan: Any) -> list[tuple[str, Any]]:
    """The loan page links to the loan's recovery case (第七条) and, for its bank and the bureau, to a 第九条 misuse
    proposal."""
    from django.urls import reverse

    from programs.changjiang.models import RecoveryCase
    from review.services import may_propose_misuse

    links: list[tuple[str, Any]] = []
    case = RecoveryCase.objects.visible_to(user).filter(loan=loan).first()
    if case is not None:
        links.append(
            (
                reverse("changjiang:recovery-case", args=[case.public_id]),
                gettext_lazy("Joint recovery case (第七条)"),
            )
        )
    if may_propose_misuse(user, loan):
        links.append(
            (
                reverse("review:blacklist-propose", args=[loan.public_id]),
                gettext_lazy("Propose a blacklist entry: loan used outside the business (第九条)"),
            )
        )
    return links


def menu() -> tuple[MenuEntry, ...]:
    """The kind's own pages in the menu: the credit plan (第五条), recovery cases (第七条), reports to the province
    (第十条), each for the roles that see it."""
    everyone = frozenset(
        {
            Role.LEADING_GROUP,
            Role.BUREAU_STAFF,
            Role.BUREAU_HEAD,
            Role.AUDITOR,
            Role.BANK,
            Role.ADMIN,
        }
    )
    return (
        MenuEntry("changjiang:credit-plan", gettext_lazy("Credit plan"), everyone),
        MenuEntry("changjiang:recovery-cases", gettext_lazy("Joint recovery"), everyone),
        MenuEntry(
            "changjiang:provincial-reports",
            gettext_lazy("Reports to the province"),
            everyone - {Role.BANK},
        ),
    )


def setup_program(program: Any) -> None:
    """A new district of the kind gets the eleven materials of 附件2."""
    from applications.models import MaterialType

    if not MaterialType.objects.filter(program=program).exists():
        MaterialType.objects.bulk_create(
            MaterialType(
                program=program,
                number=n,
                name=name,
                required=required,
                note=note,
                supplied_by_bank=n in SUPPLIED_BY_BANK,
            )
            for n, name, required, note in MATERIALS
        )


def credit_plan_chart(user: Any, filters: Any = None) -> Any:
    from programs.changjiang.charts import credit_plan_chart as chart

    return chart(user, filters)


def build() -> KindSpec:
    from applications import documents, eligibility
    from applications.forms import ChangjiangApplicationForm
    from programs.changjiang import registration

    return KindSpec(
        kind=KIND,
        label=gettext_lazy("Changjiang Kedaitong (recommendation and risk compensation)"),
        reference_prefix="CJ",
        workflow=workflow(),
        features=frozenset(
            {
                Feature.MEETINGS,
                Feature.PUBLICITY,
                Feature.BLACKLIST,
                Feature.POST_LOAN_REPORTS,
                Feature.COMPENSATION,
                Feature.CREDIT_PLAN,
                Feature.JOINT_RECOVERY,
                Feature.PROVINCIAL_REPORTS,
            }
        ),
        roles=frozenset({Role.LEADING_GROUP}),
        citations=CITATIONS,
        checklist=eligibility.changjiang_checklist,
        application_form=ChangjiangApplicationForm,
        form_problems=form_problems,
        profile_problems=profile_problems,
        annexes=(
            Annex("annex2", "附件2 “科贷通”申请资料清单", documents.changjiang_annex2),
            Annex("annex3", "附件3 “科贷通”贷款申请报告", documents.changjiang_annex3),
            Annex("annex4", "附件4 昌江区“科贷通”贷款备案审核表", annex4),
        ),
        submission_annex="annex3",
        review_template="review/_changjiang.html",
        detail_template="applications/_changjiang_facts.html",
        registration_problems=registration.registration_problems,
        bars=bars,
        upload_kinds=frozenset(
            {"banks", "disbursements", "repayments", "interest", "overdue", "reports"}
        ),
        granted_credit=guards.granted_credit,
        long_overdue=long_overdue,
        setup_program=setup_program,
        loan_links=loan_links,
        menu=menu(),
        charts=(credit_plan_chart,),
    )
