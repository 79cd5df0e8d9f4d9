"""Issue 20: the filter forms' widgets are drawn once per context (kedaitong/form_renderer.py); the HTML is the
same as Django's renderer draws, for every value, choice and language."""

from __future__ import annotations

import pytest
from django.forms.renderers import get_default_renderer
from django.utils import translation

from review.forms import QueueFilterForm

STATES = ["submitted", "bureau_review"]
BANKS = [("bank-x", "X银行"), ("bank-y", "Y<银行>")]


def drawn(data, **kwargs):
    form = QueueFilterForm(data, states=STATES, banks=BANKS, **kwargs)
    form.is_valid()
    return [str(form[name]) for name in form.fields]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"size": "10"},
        {
            "q": "甲<科技>&",
            "state": "submitted",
            "bank": "bank-y",
            "sort": "-amount",
            "size": "100",
        },
        {"submitted_from": "2026-01-02", "submitted_to": "2025-01-01", "amount_min": "12.5"},
        {"amount_min": "abc", "size": "7"},
    ],
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_remembered_widgets_are_what_django_draws(data, language):
    with translation.override(language):
        plain = drawn(data, renderer=get_default_renderer())
        assert drawn(data) == plain
        assert drawn(data) == plain  # drawn again from what was kept


def test_a_change_of_value_or_language_draws_again():
    with translation.override("zh-hans"):
        ten = drawn({"size": "10"})
        assert drawn({"size": "100"}) != ten
        chinese = drawn(None)
    with translation.override("en"):
        assert drawn(None) != chinese


def test_what_cannot_be_a_key_is_drawn_as_usual():
    """A context holding something that is not plain data (here an object) is never kept."""
    from kedaitong.form_renderer import _frozen

    with pytest.raises(TypeError):
        _frozen({"widget": {"value": object()}})
    assert _frozen({"a": [1, True]}) != _frozen({"a": [True, 1]})
