"""Throttles on the public forms and logins: django-ratelimit, counting in the shared cache, per client address.

Every throttle has a name and a rate in `settings.THROTTLE_RATES` ("10/h": ten per
hour). Counts live in the cache every web process shares (the database by
default, with an atomic increment: kedaitong/cache.py), keyed by the client's
address as kedaitong/client.py works it out (behind the proxy too), or by what the
form names (the e-mail address of a password reset). A request over the limit is
answered by the Chinese 429 page (`kedaitong.views.throttled`), before the view
runs, so it sends no mail and saves nothing.

For a view of another app (the public objection forms, say)::

    from kedaitong.throttle import throttle

    @throttle("objection")                       # per client address, POST only
    def public_objection(request, ...): ...

    @throttle("password-reset-email", key=posted("email"))   # per typed e-mail address
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

View = Callable[..., HttpResponse]
Key = str | Callable[[str, HttpRequest], str]


def rate(name: str) -> Callable[[str, HttpRequest], str]:
    """The rate of throttle `name`, read per request (so a changed setting applies at once)."""

    def current(group: str, request: HttpRequest) -> str:
        return str(settings.THROTTLE_RATES[name])

    if name not in settings.THROTTLE_RATES:
        raise KeyError(f"no rate for throttle {name!r} in settings.THROTTLE_RATES")
    return current


def posted(field: str) -> Callable[[str, HttpRequest], str]:
    """A key: the value posted in `field`, trimmed and in lower case (an e-mail address, a user name)."""

    def key(group: str, request: HttpRequest) -> str:
        return str(request.POST.get(field, "")).strip().lower()

    return key


def throttle(name: str, *, key: Key = "ip", method: str | tuple[str, ...] = "POST") -> Any:
    """Refuse `method` requests (POST by default) beyond the rate of `name`, counting each one, valid or not."""
    return ratelimit(group=f"kedaitong:{name}", key=key, rate=rate(name), method=method, block=True)


def throttle_failures(name: str, *, key: Key = "ip") -> Callable[[View], View]:
    """Refuse POSTs once `name`'s rate of failed ones is used up; count only those not answered by a redirect.

    For the login form: a successful login (302) costs nothing, so an office behind
    one address is never throttled for logging in, only for guessing.
    """
    group = f"kedaitong:{name}"

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "POST":
                return view(request, *args, **kwargs)
            usage = get_usage(request, group=group, key=key, rate=rate(name), method="POST")
            if usage is not None and usage["count"] >= usage["limit"]:
                raise Ratelimited()
            response = view(request, *args, **kwargs)
            if response.status_code != 302:
                get_usage(
                    request, group=group, key=key, rate=rate(name), method="POST", increment=True
                )
            return response

        return wrapped

    return decorator
