"""A form renderer that keeps the HTML of the widgets it has drawn, for the filter forms of busy pages.

Django draws each widget through templates: a select includes one template per option and one for each
element's attributes, about 70 template includes for the review queue's filter (a fifth of the page's Python
calls, issue 20). A widget's HTML depends only on the context given to its template (its name, value,
attributes, choices and labels) and on the active language, so it is kept under exactly those: the same
context draws the same HTML, and any change of value, choice, label or language draws it again.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal
from typing import Any

from django.forms.renderers import BaseRenderer, get_default_renderer
from django.utils.functional import Promise
from django.utils.translation import get_language

WIDGETS = "django/forms/widgets/"
LIMIT = 2048  # kept drawings (a few hundred bytes each); all are forgotten when full
_drawn: dict[tuple[Any, ...], str] = {}
_lock = threading.Lock()


# Values that cannot change once made; their repr tells apart what compares equal but is written differently
# (Decimal("1.0") and Decimal("1.00"), 1 and True).
SCALARS = (str, int, float, Decimal, dt.date, dt.time, dt.timedelta, uuid.UUID, type(None))


def _frozen(value: Any) -> Any:
    """`value` as a key: mappings and sequences as tuples (in their order, which the HTML keeps), lazy text as the
    text it reads now, immutable scalars by type and repr. Anything else raises TypeError: that widget is drawn
    as usual, never kept."""
    if type(value) is str:  # most of a context: as it is (every other scalar is a tuple)
        return value
    if isinstance(value, dict):
        return tuple((_frozen(key), _frozen(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return (type(value).__name__, *(_frozen(item) for item in value))
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, SCALARS):
        return type(value).__name__, repr(value)
    raise TypeError(type(value).__name__)


class RememberingRenderer(BaseRenderer):
    """The project's form renderer (settings.FORM_RENDERER), remembering the widgets' HTML by their context.

    A form opts in with `default_renderer = REMEMBERING` (the queue's and the dashboard's filters)."""

    @property
    def inner(self) -> BaseRenderer:
        return get_default_renderer()

    def __getattr__(self, name: str) -> Any:
        # form_template_name and the other template names: the project's renderer's
        return getattr(self.inner, name)

    def get_template(self, template_name: str) -> Any:
        return self.inner.get_template(template_name)

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if request is not None or not template_name.startswith(WIDGETS):
            return self.inner.render(template_name, context, request)
        try:
            key = (template_name, get_language(), _frozen(context))
        except TypeError:
            return self.inner.render(template_name, context, request)
        html = _drawn.get(key)
        if html is None:
            html = self.inner.render(template_name, context, request)
            with _lock:
                if len(_drawn) >= LIMIT:
                    _drawn.clear()
                _drawn[key] = html
        return html


REMEMBERING = RememberingRenderer()
