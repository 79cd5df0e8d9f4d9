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
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _date(label, **kwargs):  # type: ignore[no-untyped-def]
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs
    )


def _text(label, rows: int = 3, **kwargs):  # type: ignore[no-untyped-def]
    return forms.CharField(
        label=label, max_length=2000, widget=forms.Textarea(attrs={"rows": rows}), **kwargs
    )


class AuditForm(forms.Form):
    """四(一): the accounting firm's audit, with the PBoC branch's confirmation."""

    opinion_file = EvidenceFileField(label=_("Audit report (PDF, JPEG or PNG)"))
    opinion = _text(_("The firm's opinion"), required=False)
    pboc_confirmer = forms.CharField(
        label=_("Confirmed at the PBoC branch by"),
        max_length=100,
        help_text=_("Name and department, e.g. 货币信贷管理科 王某."),
    )
    pboc_confirmed_on = _date(_("PBoC branch confirmed on"))
    pboc_file = EvidenceFileField(label=_("PBoC branch's signed confirmation (PDF, JPEG or PNG)"))
    pboc_opinion = _text(_("PBoC branch's opinion"), rows=2, required=False)


class ReviewForm(forms.Form):
    """四(一): 规范性审查."""

    opinion = _text(_("Compliance review opinion"))


class MeetingForm(forms.Form):
    """四(一): 局党组会审定."""

    meeting_date = _date(_("Party-group meeting on"))
    minutes = EvidenceFileField(label=_("Minutes (PDF, JPEG or PNG)"))
    note = _text(_("The meeting's decision"), rows=2, required=False)


class PublicityForm(forms.Form):
    start = _date(
        _("Publicity starts on"),
        help_text=_("Today or later; it lasts the working days the program version sets."),
    )


class IssueForm(forms.Form):
    """四(一): 下达贴息资金文件."""

    document_no = forms.CharField(label=_("Document number"), max_length=60)
    document_date = _date(_("Document date"))
    document_file = EvidenceFileField(label=_("Funds document (PDF, JPEG or PNG)"))


class CancelForm(forms.Form):
    reason = _text(_("Reason for cancelling"), rows=2)


class ObjectionForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=50)
    contact = forms.CharField(label=_("Contact (phone or e-mail)"), max_length=100)
    reason = _text(_("Reason"), rows=5)
    attachment = EvidenceFileField(label=_("File (optional)"), required=False)


class RulingForm(forms.Form):
    ruling = forms.ChoiceField(
        label=_("Ruling"),
        choices=[("upheld", _("Uphold")), ("dismissed", _("Dismiss"))],
        widget=forms.RadioSelect,
    )
    note = _text(_("Reason for the ruling"), rows=2)


class PaymentForm(forms.Form):
    bank = forms.CharField(widget=forms.HiddenInput)
    paid_on = forms.DateField(
        label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=60)


class FilingForm(forms.Form):
    materials = EvidenceFileField(label=_("Filing materials (PDF, JPEG or PNG)"))
    statement = forms.CharField(
        label=_("Statement"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class OpinionForm(forms.Form):
    """One body's sign-off, as signed on the joint-review form (一(三))."""

    body = forms.ChoiceField(label=_("Reviewing body"))
    approved = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Agrees")), ("no", _("Does not agree"))],
    )
    signer = forms.CharField(label=_("Signed by"), max_length=50)
    signed_on = _date(_("Signed on"))
    opinion = forms.CharField(
        label=_("Opinion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the body refuses: its reason ends the filing."),
    )
    file = EvidenceFileField(label=_("Signed page, scanned (optional)"), required=False)

    def __init__(self, *args, bodies=(), **kwargs):
        super().__init__(*args, **kwargs)
        from subsidy.models import ReviewBody

        self.fields["body"].choices = [(b, ReviewBody(b).label) for b in bodies]


class ComplaintForm(forms.Form):
    received_on = forms.DateField(
        label=_("Complaint received on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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
    found_on = forms.DateField(
        label=_("Found on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    description = forms.CharField(
        label=_("What was found"), widget=forms.Textarea(attrs={"rows": 3})
    )
    evidence = EvidenceFileField(label=_("Evidence (PDF, JPEG or PNG)"))


class LPRImportForm(forms.Form):
    file = forms.FileField(label=_("LPR file (.xlsx or .csv)"))
