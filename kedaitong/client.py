"""The client's address, worked out once per request: for the audit trail, django-axes and the throttles.

Without `BEHIND_PROXY` the address is `REMOTE_ADDR`: `X-Forwarded-For` is a header
anyone can send, so it is ignored. With `BEHIND_PROXY`, each of the
`TRUSTED_PROXY_COUNT` proxies in front of the portal appended the address it saw
to `X-Forwarded-For`, so the client is the entry that many places from the right
(the right-most entry no trusted proxy could have written); entries to its left
came from the client and are not believed. A header with fewer entries than
trusted proxies (the request skipped a proxy) gives its left-most entry, the one
the first proxy it met appended; a header that is missing or whose entry is not
an address gives `REMOTE_ADDR`, the proxy itself, so forged garbage never earns a
fresh address.

`ClientAddressMiddleware` stores the result on the request (`request.client_address`)
and, for code that has no request at hand (services called from a view), in a
context variable that `current_client_address()` reads until the response is made.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_current: ContextVar[str | None] = ContextVar("kedaitong_client_address", default=None)


def _address(value: str) -> str | None:
    """`value` as a normalised IP address, or None; tolerates a port (`1.2.3.4:5678`, `[2001:db8::1]:443`)."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # IPv4 with a port; IPv6 has several colons
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def resolve_client_address(request: HttpRequest) -> str | None:
    """The client's address by the rule above (a pure function of the request and the settings)."""
    remote = _address(request.META.get("REMOTE_ADDR", "") or "")
    if not settings.BEHIND_PROXY:
        return remote
    entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if not entries:
        return remote
    trusted = max(1, int(settings.TRUSTED_PROXY_COUNT))
    chosen = entries[-trusted] if len(entries) >= trusted else entries[0]
    return _address(chosen) or remote


def client_address(request: HttpRequest | None) -> str | None:
    """The address the middleware worked out for `request` (or works it out, for a request built in a test)."""
    if request is None:
        return None
    if not hasattr(request, "client_address"):
        request.client_address = resolve_client_address(request)  # type: ignore[attr-defined]
    return request.client_address  # type: ignore[attr-defined,no-any-return]


def current_client_address() -> str | None:
    """The address of the request being answered in this thread, or None outside a request (commands, jobs)."""
    return _current.get()


def ratelimit_address(request: HttpRequest) -> str:
    """For django-ratelimit (`RATELIMIT_IP_META_KEY`): never empty, since the library refuses an empty one."""
    return client_address(request) or "0.0.0.0"  # noqa: S104 - a key, not a bind address


class ClientAddressMiddleware:
    """First in the chain: every later layer (axes, throttles, views, the audit trail) reads the same address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = resolve_client_address(request)
        request.client_address = address  # type: ignore[attr-defined]
        token = _current.set(address)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
