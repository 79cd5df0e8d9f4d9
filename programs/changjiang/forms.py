"""Forms of the Changjiang kind's own pages: the credit plan (第五条), recovery actions (第七条), the report to the
province (第十条). The rules are the services'; the forms only parse what was typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import DateInput
from loans.models import Bank
from programs.changjiang.models import Party


class CreditPlanForm(forms.Form):
    bank = forms.ModelChoiceField(label=_("Cooperating bank"), queryset=Bank.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    amount = forms.DecimalField(
        label=_("Planned amount (yuan)"), min_value=0, max_digits=16, decimal_places=2
    )
    count = forms.IntegerField(label=_("Planned number of loans"), min_value=0)
    reason = forms.CharField(
        label=_("Why it is set or changed"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=_("Kept with the change, with your name and the time (第五条)."),
    )
    seen_change = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, banks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = banks


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class DocumentsField(forms.FileField):
    """Several files in one input; each is checked by content in the service (all kept or none)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(DocumentsField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class RecoveryActionForm(forms.Form):
    party = forms.ChoiceField(label=_("Party"), choices=Party.choices)
    acted_on = forms.DateField(label=_("Date"), widget=DateInput())
    what = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    result = forms.CharField(
        label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    documents = DocumentsField(
        label=_("Documents (PDF, JPEG or PNG)"),
        help_text=_("Demand letters, court filings, receipts ... up to ten files."),
    )

    def __init__(self, *args: Any, parties: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["party"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [c for c in Party.choices if c[0] in parties]


class ServiceUnitForm(forms.Form):
    service_unit = forms.CharField(label=_("Service unit"), max_length=100)


class CloseCaseForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        help_text=_("Repaid, recovered, compensated and written off ..."),
    )


class ProduceReportForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"), coerce=int, choices=[(q, f"Q{q}") for q in range(1, 5)]
    )


class MarkSentForm(forms.Form):
    sent_on = forms.DateField(label=_("Sent on"), widget=DateInput())
    reference = forms.CharField(
        label=_("Reference of the sending"),
        max_length=100,
        help_text=_("The letter's number or the provincial system's reference."),
    )
