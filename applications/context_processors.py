"""The program switch in the page header: the program the user works in, and the others they may switch to."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from applications.scope import current_program, programs_of


def program_switch(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    options = programs_of(user)
    return {
        "current_program": current_program(user),
        "program_options": options if len(options) > 1 else [],
    }
