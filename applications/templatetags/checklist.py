"""Template filters for eligibility checklists as pages show them."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from applications.eligibility import RuleResult, presented

register = template.Library()


@register.filter(name="presented")
def presented_filter(results: Iterable[RuleResult] | None) -> list[RuleResult]:
    """第六条(一): the alternatives not needed show 已满足其一 (`applications.eligibility.presented`)."""
    return presented(results or [])
