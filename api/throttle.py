"""A throttle per API token: at most `settings.API_THROTTLE_RATE` calls ("120/m") in each fixed window.

Counted in the throttles' cache (`RATELIMIT_USE_CACHE`, the one the portal's other throttles
use: every web process sees the same count, even when the default cache is a process's own
locmem) with `add` then `incr`, keyed by the token and the window. The first refusal of a window leaves one
audit row (`api.throttled`), so a runaway client shows in the trail without writing
a row per refused call.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from kedaitong.audit import log_action

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/m" → (120, 60): calls and window seconds."""
    count, _, unit = rate.partition("/")
    return int(count), UNITS[unit.strip()[:1]]


class TokenRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        # One instance serves every request: the wait of the refused one is kept per thread.
        self.local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if token is None:  # pragma: no cover - auth runs first and refuses without a token
            return True
        limit, window = parse_rate(settings.API_THROTTLE_RATE)
        now = time.time()
        start = int(now // window) * window
        key = f"api-throttle:{token.pk}:{window}:{start}"
        cache = caches[settings.RATELIMIT_USE_CACHE]
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            cache.add(key, 1, timeout=window + 5)
            count = 1
        if count <= limit:
            return True
        self.local.seconds_left = start + window - now
        if count == limit + 1:
            log_action(
                actor=token.created_by,
                action="api.throttled",
                obj=token,
                data={
                    "via": token.label,
                    "rate": settings.API_THROTTLE_RATE,
                    "path": request.path,
                },
                request=request,
            )
        return False

    def wait(self) -> float | None:
        return getattr(self.local, "seconds_left", None)
