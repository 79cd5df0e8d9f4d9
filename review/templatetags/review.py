"""`{% load review %}`: the review queue of the user, for the home pages."""

from __future__ import annotations

from typing import Any

from django import template

from review.selectors import queue_for

register = template.Library()


@register.simple_tag
def review_queue(user: Any, limit: int = 10) -> dict[str, Any]:
    """The count and the oldest `limit` items waiting for `user`."""
    queue = queue_for(user)
    return {"count": queue.count(), "items": list(queue.order_by("submitted_at", "pk")[:limit])}
