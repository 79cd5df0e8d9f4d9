"""Access in one place: who may do what, and whose objects they may see.

Rule of thumb used across the apps: look an object up within the user's
scope (`Model.objects.visible_to(user)`), so an outsider gets 404; then check
the role, so an insider without the right role gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from kedaitong.roles import Role

ModelT = TypeVar("ModelT", bound=models.Model)
View = Callable[..., HttpResponse]


def has_role(user: Any, *roles: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.effective_role in roles


def require_role(user: Any, *roles: str) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied


def role_required(*roles: Role) -> Callable[[View], View]:
    """Log in first; then 403 unless the user holds one of `roles`."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require_role(request.user, *roles)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def get_visible_or_404(queryset: models.QuerySet[ModelT], **lookup: Any) -> ModelT:
    """`queryset` is already narrowed to the user's scope: anything outside it is a 404."""
    return get_object_or_404(queryset, **lookup)
