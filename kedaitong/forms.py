"""Form fields shared by every app: an amount in yuan parsed by the one parser, and filters read through forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from kedaitong.money import parse_amount


class AmountField(forms.CharField):
    """Yuan as typed (thousands separators, ¥), parsed by `kedaitong.money.parse_amount`.

    More than two decimals, more than 14 integer digits, exponents (1e30),
    negatives and (unless `allow_zero`) zero are refused with the parser's
    Chinese message; the text typed stays in the form.
    """

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)
        self.allow_zero = allow_zero

    def clean(self, value: Any) -> Decimal | None:  # type: ignore[override]
        value = super().clean(value)
        if value in ("", None):
            return None
        try:
            return parse_amount(value, allow_zero=self.allow_zero)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid_amount") from None
