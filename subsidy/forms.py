from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kedaitong.uploads import EvidenceFileField


class RunForm(forms.Form):
    year = forms.CharField(label=_("Year of disbursement"), max_length=4)
    budget = forms.CharField(label=_("Budget (yuan)"), max_length=20)
    cutoff = forms.DateField(
        label=_("Settlement cutoff"), required=False, help_text=_("Default: 31 December of the year."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip


class AuditForm(forms.Form):
    opinion = EvidenceFileField(label=_("Accountant's opinion (PDF, JPEG or PNG)"))


class PaymentForm(forms.Form):
    bank = forms.CharField(widget=forms.HiddenInput)
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=60)
