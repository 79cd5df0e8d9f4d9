"""The enterprise's home page panel: SME size, one eligibility checklist per program, and the next steps."""

from __future__ import annotations

from typing import Any

from django import template

from applications.eligibility import passes
from applications.models import Enterprise, Program
from applications.selectors import enterprise_checklist
from applications.sme import classify

register = template.Library()


@register.inclusion_tag("applications/_enterprise_panel.html")
def enterprise_panel(enterprise: Enterprise | None) -> dict[str, Any]:
    if enterprise is None:
        return {"enterprise": None}
    programs = []
    for program in Program.objects.all():
        checklist = enterprise_checklist(enterprise, program)
        programs.append({"program": program, "checklist": checklist, "eligible": passes(checklist)})
    return {
        "enterprise": enterprise,
        "size": classify(
            enterprise.industry, enterprise.employees, enterprise.revenue, enterprise.total_assets
        ),
        "programs": programs,
    }
