"""`{% breadcrumbs %}`: the trail of kedaitong/breadcrumbs.py, rendered once by templates/base.html."""

from __future__ import annotations

from django import template
from django.template.loader_tags import BLOCK_CONTEXT_KEY
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kedaitong.breadcrumbs import HOME, trail

register = template.Library()

# The error pages keep no trail: the page asked for is not what they show.
NO_TRAIL = {"403.html", "404.html", "429.html", "500.html"}


def _own_title(context: template.Context) -> str:
    """The page's `{% block title %}` as the page renders it (the last crumb is what the page calls itself)."""
    blocks = context.render_context.get(BLOCK_CONTEXT_KEY)
    block = blocks.get_block("title") if blocks is not None else None
    if block is None:
        return ""
    with context.push(block=block):
        return block.nodelist.render(context).strip()


@register.simple_tag(takes_context=True)
def breadcrumbs(context: template.Context) -> SafeString | str:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None or not match.view_name or match.view_name == HOME:
        return ""
    origin = getattr(getattr(context, "template", None), "origin", None)
    if getattr(origin, "template_name", None) in NO_TRAIL:
        return ""
    own = _own_title(context)
    if not own:
        return ""
    user = context.get("user")
    role = user.effective_role if getattr(user, "is_authenticated", False) else ""
    crumbs = trail(
        match.view_name,
        match.kwargs,
        context.flatten(),
        role=role,
        program=context.get("current_program"),
    )
    links = format_html_join(
        "", '<li><a href="{}">{}</a></li>', ((c.url, c.title) for c in crumbs if c.title != own)
    )
    return format_html(
        '<nav aria-label="{}" class="breadcrumb"><ol>{}<li aria-current="page">{}</li></ol></nav>',
        _("Breadcrumb"),
        links,
        mark_safe(own),  # the template's own output, escaped as it rendered  # noqa: S308
    )
