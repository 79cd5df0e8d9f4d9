"""Every API call with a live token leaves one audit row naming the token (issue 21: 每次调用都记入审计日志)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from kedaitong.audit import log_action

API_PREFIX = "/api/v1/"


class ApiCallAuditMiddleware:
    """After the answer: `api.call` with the method, path, query, status and the token's name.

    Calls refused before a token was recognised (401) name no token and write nothing; calls
    over the rate (429) are counted by the throttle, which writes one row per window.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        token = getattr(request, "api_token", None)
        if token is None or not request.path.startswith(API_PREFIX) or response.status_code == 429:
            return response
        from api.models import ApiToken

        log_action(
            actor=token.created_by,
            action="api.call",
            obj=token,
            data={
                "via": token.label,
                "method": request.method,
                "path": request.path,
                "query": request.META.get("QUERY_STRING", "")[:500],
                "status": response.status_code,
                "idempotency_key": request.headers.get("Idempotency-Key", "")[:100],
            },
            request=request,
        )
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return response
