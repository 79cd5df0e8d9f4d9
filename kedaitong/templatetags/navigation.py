"""`{% load navigation %}`: the main menu's list and the layout's argument-less URLs, for templates/base.html.

Every page draws the layout, so its cost is paid by every request: the menu's loop took four template nodes
an item (a bureau's menu has about twenty items), and each `{% url %}` reversed its name again.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from kedaitong.context_processors import nav_url

register = template.Library()

# One item of the menu, as the loop in base.html drew it (the same characters: tests/kedaitong/test_nav_counts.py).
ITEM = '\n            <li><a href="{}"{}>{}{}</a></li>\n          '
CURRENT = mark_safe(' aria-current="page"')
COUNT = '<span class="nav-count">{}</span>'


@register.simple_tag(takes_context=True)
def nav_list(context: template.Context) -> SafeString:
    """The `<li>` of each of `nav_items`, the current page's marked `aria-current`, its count beside it."""
    request = context.get("request")
    path = getattr(request, "path", None)
    drawn = []
    for item in context.get("nav_items") or ():
        count = format_html(" " + COUNT, item.count) if item.count else ""
        drawn.append(
            format_html(ITEM, item.url, CURRENT if path == item.url else "", item.label, count)
        )
    return mark_safe("".join(drawn))


@register.simple_tag
def url_of(name: str) -> Any:
    """`{% url name %}` for a URL without arguments, reversed once (kedaitong.context_processors.nav_url)."""
    return nav_url(name)
