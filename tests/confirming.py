"""Posting an action that asks for confirmation (kedaitong/confirm.py): the first POST, then the confirmation."""

from __future__ import annotations

from typing import Any


def post_confirmed(client: Any, url: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    """POST `data`; if the answer is a confirmation page, press its confirm button with what it carries.

    Any other answer (a redirect, a refusal, a form with errors) is returned as it is, so callers
    assert the same outcomes as before confirmations existed.
    """
    first = client.post(url, data or {}, **extra)
    page = confirmation(first)
    if page is None:
        return first
    return client.post(url, confirm_data(first), **extra)


def confirmation(response: Any) -> dict[str, Any] | None:
    """The confirmation page's context, when `response` is one (status 200)."""
    if response.status_code != 200 or response.context is None:
        return None
    try:
        return response.context["confirm"]
    except KeyError:
        return None


def confirm_data(response: Any) -> dict[str, list[str]]:
    """What the confirm button posts: the hidden values, the token and the stash."""
    page = response.context["confirm"]
    data: dict[str, list[str]] = {}
    for name, value in page["hidden"]:
        data.setdefault(name, []).append(value)
    data["confirm_token"] = [page["token"]]
    if page["stash"]:
        data["confirm_stash"] = [page["stash"]]
    return data
