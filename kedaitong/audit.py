"""Writing the audit trail: every state change and money record leaves one row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from kedaitong.client import client_address, current_client_address
from kedaitong.models import AuditEntry, User

# What a change came through besides its actor (a bank's API token): every audit row written
# while it is set carries it as data["via"], services deep inside the call included.
_via: ContextVar[str] = ContextVar("kedaitong_audit_via", default="")


@contextmanager
def acting_via(label: str) -> Iterator[None]:
    """Within the block, every audit row names `label` (e.g. the API token) as what the actor used."""
    token = _via.set(label)
    try:
        yield
    finally:
        _via.reset(token)


def current_via() -> str:
    return _via.get()


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address (kedaitong.client): of `request`, else of the request this thread is answering."""
    if request is None:
        return current_client_address()
    return client_address(request)


def log_action(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one audit row. `action` is a namespaced code such as `applications.application.approve`."""
    via = _via.get()
    if via:
        data = {**(data or {}), "via": via}
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=str(actor) if actor is not None else "system",
        actor_role=getattr(actor, "effective_role", "") if actor is not None else "",
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
        ip_address=client_ip(request),
    )
