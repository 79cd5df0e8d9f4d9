"""Forms of the review pages; they parse and validate input, the services decide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application, MaterialType
from kedaitong.form_renderer import REMEMBERING
from kedaitong.forms import AmountField
from kedaitong.uploads import EvidenceFileField
from review.models import BlacklistEntry, LeadingGroupRole, Opinion


class MoneyField(AmountField):
    """Yuan with at most two decimals and 14 integer digits (`kedaitong.forms.AmountField`)."""


class QueueFilterForm(forms.Form):
    # Drawn on every queue page: its widgets' HTML is kept by their context (kedaitong/form_renderer.py).
    default_renderer = REMEMBERING
    SORTS = [
        ("age", _("Oldest first")),
        ("-age", _("Newest first")),
        ("-amount", _("Largest amount first")),
        ("amount", _("Smallest amount first")),
        ("name", _("Enterprise name")),
        ("-submitted", _("Latest submission first")),
    ]
    PAGE_SIZES = [(10, "10"), (25, "25"), (50, "50"), (100, "100")]

    q = forms.CharField(label=_("Name or credit code"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False)
    bank = forms.ChoiceField(label=_("Bank"), required=False)
    submitted_from = forms.DateField(
        label=_("Submitted from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    submitted_to = forms.DateField(
        label=_("Submitted until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    amount_min = MoneyField(label=_("Amount from (yuan)"), required=False)
    amount_max = MoneyField(label=_("Amount up to (yuan)"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)
    size = forms.TypedChoiceField(
        label=_("Per page"), required=False, choices=PAGE_SIZES, coerce=int, empty_value=25
    )

    def __init__(
        self,
        *args: Any,
        states: list[str],
        banks: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Application.State.choices)
        self.fields["state"].choices = [("", _("All"))] + [(s, labels[s]) for s in states]
        if banks is None:  # a bank's own queue: no bank filter
            del self.fields["bank"]
        else:
            self.fields["bank"].choices = [("", _("All"))] + list(banks)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start and end and end < start:
            self.add_error("submitted_to", _("The end date is before the start date."))
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and high < low:
            self.add_error("amount_max", _("The upper amount is below the lower one."))
        return data


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Opinion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )


class ReturnForm(forms.Form):
    """A reason per item of 附件2 (empty items are fine), plus anything else."""

    comment = forms.CharField(
        label=_("Overall note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    other = forms.CharField(label=_("Other"), required=False, max_length=500)

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.materials = list(
            MaterialType.objects.filter(program=application.program_version.program_id).order_by(
                "number"
            )
        )
        for material in self.materials:
            self.fields[f"item_{material.number}"] = forms.CharField(
                label=f"{material.number}. {material.name}", required=False, max_length=500
            )

    def reasons(self) -> list[tuple[str, str]]:
        found = [
            (f"{m.number}. {m.name}", self.cleaned_data.get(f"item_{m.number}", ""))
            for m in self.materials
        ]
        found.append((str(_("Other")), self.cleaned_data.get("other", "")))
        return [(item, reason) for item, reason in found if reason.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not self.reasons():
            raise forms.ValidationError(_("A return needs at least one reason."))
        return data


class DraftForm(forms.Form):
    recommendation = forms.ChoiceField(
        label=_("Recommendation"), choices=Opinion.Recommendation.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Bureau opinion (科技局意见)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class BankDecisionForm(forms.Form):
    credit_amount = MoneyField(label=_("Credit amount (yuan)"), required=False)
    annual_rate = forms.DecimalField(
        label=_("Annual rate (%)"),
        required=False,
        max_digits=7,
        decimal_places=4,
        min_value=Decimal("0.0001"),
    )
    term_months = forms.IntegerField(
        label=_("Term (months)"), required=False, min_value=1, max_value=360
    )
    opinion = forms.CharField(
        label=_("Opinion or reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    head_name = forms.CharField(label=_("Head (负责人)"), required=False, max_length=50)


class DisburseForm(forms.Form):
    contract_no = forms.CharField(label=_("Contract number"), max_length=50)
    contract_date = forms.DateField(
        label=_("Contract signing date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    disbursement_date = forms.DateField(
        label=_("Disbursement date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    maturity_date = forms.DateField(
        label=_("Maturity date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    principal = MoneyField(label=_("Principal (yuan)"))
    annual_rate = forms.DecimalField(
        label=_("Annual rate (%)"), max_digits=7, decimal_places=4, min_value=Decimal("0.0001")
    )


class LetterDecisionForm(BankDecisionForm):
    """Quzhou 二: the bank's decision; an approval is its 同意放贷意见书 (the signed one, or printed by the portal)."""

    letter = EvidenceFileField(
        label=_("Signed approval letter (同意放贷意见书, optional)"),
        required=False,
        help_text=_("Without a file the portal prints the letter from this decision."),
    )


class VoucherDisburseForm(DisburseForm):
    """Quzhou 二: the disbursement with its voucher (放款凭证); 附件1 and the voucher then reach the city bureau."""

    voucher = EvidenceFileField(label=_("Disbursement voucher (放款凭证; PDF, JPEG or PNG)"))


class ReportForm(forms.Form):
    """Quzhou 二: the bank reports (again) to the city bureau: the voucher, and after a correction request what changed."""

    voucher = EvidenceFileField(
        label=_("Disbursement voucher (放款凭证; PDF, JPEG or PNG)"), required=False
    )
    note = forms.CharField(
        label=_("What was corrected"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label=_("What the bank must correct"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class MeetingForm(forms.Form):
    date = forms.DateField(
        label=_("Meeting date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    attendees = forms.MultipleChoiceField(
        label=_("Attendees (roster of 附件1)"),
        choices=LeadingGroupRole.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )


DECISIONS = [("", _("Not discussed")), ("recommend", _("Recommend")), ("decline", _("Decline"))]


class MeetingItemForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, required=False)
    amount = MoneyField(label=_("Recommended amount (yuan)"), required=False)
    opinion = forms.CharField(label=_("Opinion"), required=False, max_length=1000)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "recommend" and not data.get("amount"):
            self.add_error("amount", _("A recommendation needs an amount."))
        return data


class PublicityBatchForm(forms.Form):
    start_date = forms.DateField(
        label=_("Start (today or later)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end_date = forms.DateField(
        label=_("End (empty: the period in working days)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # 第八条: a period counts from its publication; the browser offers no earlier day (the service refuses one).
        today = timezone.localdate()
        self.fields["start_date"].initial = today
        for name in ("start_date", "end_date"):
            self.fields[name].widget.attrs["min"] = today.isoformat()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The publicity period cannot end before it starts."))
        return data


class ObjectionForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=50)
    contact = forms.CharField(label=_("Contact (phone or e-mail)"), max_length=100)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000
    )
    attachment = EvidenceFileField(label=_("File (optional)"), required=False)


class RulingForm(forms.Form):
    ruling = forms.ChoiceField(
        label=_("Ruling"),
        choices=[("upheld", _("Uphold")), ("dismissed", _("Dismiss"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason for the ruling"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class BlacklistForm(forms.Form):
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18)
    # 第九条's other ground (贷款用于非企业经营活动) is proposed on the loan's page with its evidence (BlacklistProposalForm).
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[c for c in BlacklistEntry.Reason.choices if c[0] != BlacklistEntry.Reason.MISUSE],
        help_text=_(
            "A loan used outside the business is proposed on the loan's page, with its evidence."
        ),
    )
    details = forms.CharField(
        label=_("Facts and evidence"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    evidence = EvidenceFileField(label=_("Evidence file"), required=False)
    force_majeure_note = forms.CharField(
        label=_("Force majeure (第九条 exception)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Fill in only when the overdue was caused by a major natural disaster, epidemic or other force majeure; "
            "the entry is then recorded as exempted and does not block."
        ),
        max_length=2000,
    )


class BlacklistProposalForm(forms.Form):
    """第九条 (贷款用于非企业经营活动的): the facts and the evidence of a loan used outside the business."""

    details = forms.CharField(
        label=_("How the loan was used outside the business"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=_("Amounts, dates, accounts and what the money paid for."),
    )
    evidence = EvidenceFileField(
        label=_("Evidence (PDF, JPEG or PNG)"),
        help_text=_("Bank statements, contracts, inspection records ..."),
    )


class BlacklistDecisionForm(forms.Form):
    DECISIONS = [
        (BlacklistEntry.Status.LISTED, _("Confirm: list the enterprise")),
        (BlacklistEntry.Status.EXEMPTED, _("Exempt: force majeure (第九条)")),
        (BlacklistEntry.Status.DISMISSED, _("Dismiss the proposal")),
    ]
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()
