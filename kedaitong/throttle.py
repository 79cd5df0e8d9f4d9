"""The public forms' throttle: a count per sender address in the shared cache (settings.CACHES).

Used by the public objection forms (Changjiang publicity, Quzhou subsidy publicity): five an hour from
one address (docs/decisions.md). The database cache's increment is not atomic, so two simultaneous posts
may count as one, which a limit of five an hour can bear.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from kedaitong.audit import client_ip


def sender_address(request: HttpRequest) -> str | None:
    """The sender's address: REMOTE_ADDR, or behind our proxy (BEHIND_PROXY) the address it appended to X-Forwarded-For.

    Only the right-most entry is the proxy's own; those before it come from the
    client and are not trusted. Without BEHIND_PROXY the header is ignored.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return client_ip(request)


def exceeded(request: HttpRequest, scope: str, limit: int, seconds: int = 3600) -> bool:
    """Count one more request of `scope` from the sender; True once more than `limit` came within `seconds`."""
    key = f"{scope}:{sender_address(request) or 'unknown'}"
    cache.add(key, 0, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        count = 1
    return count > limit
