"""What the Quzhou kind registers: its bank-led workflow (二), checklist, 附件1, loan rules, bars and features."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kedaitong.programs import Annex, Bar, Feature, KindSpec, Step, TransitionSpec, WorkflowSpec
from kedaitong.roles import Role
from programs import common
from programs.quzhou import KIND, guards

# Quzhou 附件1 prints these profile fields (IP counts by kind, staff figures, high-tech revenue and R&D).
ANNEX1_FIELDS = (
    "ip_invention",
    "ip_utility",
    "ip_design",
    "ip_software",
    "ip_ic_layout",
    "ip_plant_variety",
    "ip_other",
    "employees",
    "staff_college_tech",
    "staff_rnd",
    "staff_rnd_recruited",
    "high_tech_revenue",
    "rnd_expense",
)

CITATIONS = {
    "eligibility": "衢州方案一（一）",
    "program_list": "衢州方案一（一）",
    "term": "衢州方案一（二）",
    "bank_filing": "衢州方案一（三）",
    "max_amount": "衢州方案附件1",
    "application": "衢州方案二",
    "report": "衢州方案二",
    "granted_credit": "同意放贷意见书，衢州方案二",
    "subsidy": "衢州方案四（一）",
    "fraud": "衢州方案六",
}

BANK_REVIEW = "bank_review"
CREDIT_GRANTED = "credit_granted"
DISBURSED = "disbursed"
REPORTED = "reported"
CORRECTION_REQUESTED = "correction_requested"
ACKNOWLEDGED = "acknowledged"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"


def workflow() -> WorkflowSpec:
    """Quzhou 二: 企业向备案银行提交附件1 → 银行独立审核，出具同意放贷意见书 → 拨付贷款、出具放款凭证 → 附件1和放款凭证报送市科技局."""
    return WorkflowSpec(
        transitions=(
            TransitionSpec("submit_to_bank", gettext_lazy("Submit to the bank"), Role.ENTERPRISE),
            TransitionSpec("withdraw", gettext_lazy("Withdraw"), Role.ENTERPRISE),
            TransitionSpec(
                "bank_accept",
                gettext_lazy("Agree to lend (同意放贷意见书)"),
                Role.BANK,
                (guards.bank_accepted,),
            ),
            TransitionSpec(
                "bank_decline",
                gettext_lazy("Decline to lend"),
                Role.BANK,
                (guards.bank_declined,),
            ),
            TransitionSpec("disburse", gettext_lazy("Disburse"), Role.BANK, (common.loan_opened,)),
            TransitionSpec(
                "report",
                gettext_lazy("Report to the city bureau"),
                Role.BANK,
                (guards.voucher_filed,),
            ),
            TransitionSpec(
                "acknowledge", gettext_lazy("Acknowledge the report"), Role.BUREAU_STAFF
            ),
            TransitionSpec(
                "request_correction", gettext_lazy("Ask the bank to correct"), Role.BUREAU_STAFF
            ),
        ),
        submit="submit_to_bank",
        done={
            "submit_to_bank": gettext_lazy("submitted the application to the bank"),
            "withdraw": gettext_lazy("withdrew the application"),
            "bank_accept": gettext_lazy("agreed to lend (同意放贷意见书)"),
            "bank_decline": gettext_lazy("declined to lend"),
            "disburse": gettext_lazy("disbursed the loan"),
            "report": gettext_lazy("reported to the city bureau"),
            "acknowledge": gettext_lazy("acknowledged the report"),
            "request_correction": gettext_lazy("asked the bank to correct the report"),
        },
        steps=(
            Step(gettext_lazy("Bank review"), (BANK_REVIEW,)),
            Step(gettext_lazy("Bank agreed to lend"), (CREDIT_GRANTED,)),
            Step(gettext_lazy("Disbursed"), (DISBURSED, CORRECTION_REQUESTED)),
            Step(gettext_lazy("Reported to the city bureau"), (REPORTED,)),
            Step(gettext_lazy("Acknowledged by the bureau"), (ACKNOWLEDGED,)),
        ),
        next_role={
            BANK_REVIEW: Role.BANK,
            CREDIT_GRANTED: Role.BANK,
            DISBURSED: Role.BANK,
            CORRECTION_REQUESTED: Role.BANK,
            REPORTED: Role.BUREAU_STAFF,
        },
        queues={
            Role.BANK: (BANK_REVIEW, CREDIT_GRANTED, DISBURSED, CORRECTION_REQUESTED),
            Role.BUREAU_STAFF: (REPORTED,),
        },
        bank_states=(
            BANK_REVIEW,
            CREDIT_GRANTED,
            DISBURSED,
            REPORTED,
            CORRECTION_REQUESTED,
            ACKNOWLEDGED,
            REJECTED,
            WITHDRAWN,
        ),
        open_states=("draft", BANK_REVIEW),
        bank_decision=("bank_accept", "bank_decline"),
    )


def profile_problems(enterprise: Any, today: dt.date | None = None) -> list[str]:
    """Quzhou 附件1 (申请表): IP, staff, high-tech revenue, R&D, and sales and profit of the last three years."""
    from applications.services import figure_problems, profile_field_problems

    annex = _("Quzhou annex 1")
    return profile_field_problems(enterprise, ANNEX1_FIELDS, annex) + figure_problems(
        enterprise, annex, today
    )


def details_for(application: Any) -> Any:
    """附件1's second table and introductions. Reading never creates the row: an unsaved blank stands in until a
    valid form saves it (a page view or an invalid post writes nothing)."""
    from applications.models import QuzhouDetails

    return QuzhouDetails.objects.filter(application=application).first() or QuzhouDetails(
        application=application
    )


def form_problems(application: Any) -> list[str]:
    """Table two and the two introductions of 附件1, and at least one member of the project team."""
    from applications.services import COMPANY_INTRO_MAX, PROJECT_INTRO_MAX

    details = details_for(application)
    problems = common.missing(details.project_name.strip(), _("Project name"))
    problems += common.missing(details.company_intro.strip(), _("Company introduction"))
    problems += common.missing(details.project_intro.strip(), _("Project introduction"))
    # 附件1 二: 联系人 and 联系电话 are blanks of the form (mobile and e-mail are alternatives to reach them).
    problems += common.missing(details.contact_name.strip(), _("Contact person (Quzhou annex 1)"))
    problems += common.missing(details.contact_phone.strip(), _("Contact phone (Quzhou annex 1)"))
    if len(details.company_intro) > COMPANY_INTRO_MAX:
        problems.append(
            _("The company introduction has %(count)d characters; at most %(max)d (附件1).")
            % {"count": len(details.company_intro), "max": COMPANY_INTRO_MAX}
        )
    if len(details.project_intro) > PROJECT_INTRO_MAX:
        problems.append(
            _("The project introduction has %(count)d characters; at most %(max)d (附件1).")
            % {"count": len(details.project_intro), "max": PROJECT_INTRO_MAX}
        )
    if not application.team.exists():
        problems.append(_("Add at least one main member of the project team."))
    return problems


def bars(*, enterprise: Any = None, bank: Any = None, program: Any = None) -> list[Bar]:
    """Quzhou 六: 骗取科技金融合作贷款、财政贴息的，一经发现，不得再参与 (within the program that found it)."""
    from subsidy.selectors import fraud_bar

    if program is None or (enterprise is None and bank is None):
        return []
    found = []
    for record in fraud_bar(bank=bank, enterprise=enterprise, program=program):
        party = record.bank or record.enterprise
        found.append(
            Bar(
                code="fraud",
                reason=f"已被认定骗取贷款或贴息（{record.found_on:%Y-%m-%d}）",
                message=f"{party}已被认定骗取科技金融合作贷款或贴息（{record.found_on:%Y-%m-%d}），不得再参与（衢州方案六）",
                program_id=record.program_id,
                on_bank=record.bank_id is not None,
            )
        )
    return found


def build() -> KindSpec:
    from applications import documents, eligibility
    from applications.forms import QuzhouApplicationForm, QuzhouDetailsForm
    from programs.quzhou import registration

    return KindSpec(
        kind=KIND,
        label=gettext_lazy("Quzhou cooperation loan (interest subsidy)"),
        reference_prefix="QZ",
        workflow=workflow(),
        features=frozenset(
            {
                Feature.SUBSIDY,
                Feature.BANK_FILING,
                Feature.FRAUD_RECORDS,
                Feature.PROGRAM_LIST,
                Feature.LOAN_FORM,
                Feature.LOAN_DOCUMENTS,
            }
        ),
        # The accounting firm and the PBoC branch of the subsidy audit (四(一)) are the subsidy app's roles.
        roles=frozenset(),
        citations=CITATIONS,
        checklist=eligibility.quzhou_checklist,
        application_form=QuzhouApplicationForm,
        details_form=QuzhouDetailsForm,
        details_for=details_for,
        form_problems=form_problems,
        profile_problems=profile_problems,
        annexes=(Annex("annex1", "附件1 衢州市科技金融合作贷款申请表", documents.quzhou_annex1),),
        submission_annex="annex1",
        review_template="review/_quzhou.html",
        detail_template="",
        registration_problems=registration.registration_problems,
        bars=bars,
        upload_kinds=frozenset(
            {"banks", "enterprises", "disbursements", "repayments", "interest", "overdue"}
        ),
        granted_credit=guards.granted_credit,
    )
