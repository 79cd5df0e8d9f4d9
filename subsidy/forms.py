from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kedaitong.uploads import EvidenceFileField


class RunForm(forms.Form):
    year = forms.CharField(label=_("Year of disbursement"), max_length=4)
    budget = forms.CharField(label=_("Budget (yuan)"), max_length=20)
    cutoff = forms.DateField(
        label=_("Settlement cutoff"),
        required=False,
        help_text=_("Default: 31 December of the year."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class AuditForm(forms.Form):
    opinion = EvidenceFileField(label=_("Accountant's opinion (PDF, JPEG or PNG)"))


class PaymentForm(forms.Form):
    bank = forms.CharField(widget=forms.HiddenInput)
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=60)


class FilingForm(forms.Form):
    materials = EvidenceFileField(label=_("Filing materials (PDF, JPEG or PNG)"))
    statement = forms.CharField(
        label=_("Statement"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class OpinionForm(forms.Form):
    body = forms.ChoiceField(label=_("Reviewing body"))
    approved = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Approve")), ("no", _("Reject"))],
    )
    signer = forms.CharField(label=_("Signed by"), max_length=50)
    opinion = forms.CharField(
        label=_("Opinion"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, bodies=(), **kwargs):
        super().__init__(*args, **kwargs)
        from subsidy.models import ReviewBody

        self.fields["body"].choices = [(b, ReviewBody(b).label) for b in bodies]


class ComplaintForm(forms.Form):
    received_on = forms.DateField(
        label=_("Complaint received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    complainant = forms.CharField(label=_("Complainant"), max_length=100)
    description = forms.CharField(
        label=_("What the bank charged, as verified"), widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = EvidenceFileField(label=_("Evidence (PDF, JPEG or PNG)"))


class FraudForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Who"), choices=[("bank", _("Bank")), ("enterprise", _("Enterprise"))]
    )
    code = forms.CharField(
        label=_("Bank code or unified social credit code"),
        max_length=30,
        help_text=_("As recorded in the portal."),
    )
    found_on = forms.DateField(label=_("Found on"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(
        label=_("What was found"), widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = EvidenceFileField(label=_("Evidence (PDF, JPEG or PNG)"))


class LPRImportForm(forms.Form):
    file = forms.FileField(label=_("LPR file (.xlsx or .csv)"))
