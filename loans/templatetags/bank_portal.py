"""The bank portal's blocks on the bank home page: recommended applications, loans to watch, latest uploads."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from applications.scope import current_program
from kedaitong.programs import Feature, has_feature
from loans import selectors
from loans.delinquency import Bucket
from loans.models import RecordUpload

register = template.Library()


@register.inclusion_tag("loans/_bank_portal.html", takes_context=True)
def bank_portal(context: dict[str, Any]) -> dict[str, Any]:
    user = context["request"].user
    program = current_program(user)
    year, quarter = selectors.previous_quarter(timezone.localdate())
    loans = selectors.loans_for(user)
    return {
        "request": context["request"],
        "recommended": selectors.recommended_applications(user)[:20],
        "past_due": loans.exclude(bucket=Bucket.CURRENT).order_by("-days_past_due")[:10],
        "uploads": RecordUpload.objects.visible_to(user).select_related("program", "uploaded_by")[
            :5
        ],
        "reports_missing": selectors.loans_due_a_report(loans, year, quarter).count(),
        "documents_missing": selectors.loans_missing_documents(loans).count(),
        "year": year,
        "quarter": quarter,
        # The current program's features decide which links the portal offers (kedaitong.programs).
        "loan_form": has_feature(program, Feature.LOAN_FORM),
        "loan_documents": has_feature(program, Feature.LOAN_DOCUMENTS),
        "post_loan_reports": has_feature(program, Feature.POST_LOAN_REPORTS),
    }
