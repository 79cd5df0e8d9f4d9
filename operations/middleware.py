"""Every request's changes to money rows are recorded with its user and page (`operations.history`)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from operations.history import acting


class HistoryContextMiddleware:
    """After authentication: the logged-in user (or nobody) and `web:<METHOD> <path>` act for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        with acting(user=user, via=f"web:{request.method} {request.path}"):
            return self.get_response(request)
