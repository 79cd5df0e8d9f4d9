"""`{% subsidy_share program year %}`: the subsidy share of the program's version, as printed, never typed in.

The share is a figure of the version (四(一): 已结算利息的…, `ProgramVersion.subsidy_share`); a year's run reads the version in force at the
year's end, a page without a year the one in force today. An empty string where the version has none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

from applications.scope import current_program
from kedaitong.templatetags.money import share

register = template.Library()


@register.simple_tag(takes_context=True)
def subsidy_share(context: dict[str, Any], program: Any = None, year: int | None = None) -> str:
    if program is None:
        request = context.get("request")
        program = current_program(request.user) if request is not None else None
    if program is None:
        return ""
    day = dt.date(year, 12, 31) if year else timezone.localdate()
    version = program.version_on(day) or program.versions.order_by("-effective_from").first()
    return share(version.subsidy_share) if version is not None else ""
