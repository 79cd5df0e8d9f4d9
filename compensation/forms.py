"""Forms of the compensation pages; amounts stay text here and are parsed by the services (no silent rounding)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compensation.models import ClaimOpinion, CostKind, MaterialKind
from kedaitong.uploads import EvidenceFileField

DATE = forms.DateInput(attrs={"type": "date"})


def money_field(label: str, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=40,  # longer text reaches the parser, which names the 14-digit limit
        required=required,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class ClaimForm(forms.Form):
    loan = forms.ChoiceField(label=_("Loan"))
    requested_amount = money_field(_("Compensation requested (yuan)"))
    loss_principal = money_field(_("Unpaid principal (yuan)"))
    loss_interest = money_field(_("Unpaid interest (yuan)"), required=False)
    case_number = forms.CharField(
        label=_("Court acceptance or police filing number"), max_length=80
    )
    description = forms.CharField(
        label=_("How the loan went bad and what the bank did"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, loans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loan"].choices = [
            (str(loan.public_id), f"{loan.contract_no} · {loan.enterprise.name}") for loan in loans
        ]


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=_("Material"), choices=MaterialKind.choices)
    file = EvidenceFileField(label=_("File (PDF, JPEG or PNG)"))


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OpinionDraftForm(forms.Form):
    """第十一条 2(2): the bureau's opinion as staff draft it; the head signs it or sends it back."""

    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        choices=ClaimOpinion.Recommendation.choices,
        widget=forms.RadioSelect,
    )
    amount = money_field(_("Compensation proposed (yuan)"), required=False)
    text = forms.CharField(
        label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if (
            data.get("recommendation") == ClaimOpinion.Recommendation.APPROVE
            and not (data.get("amount") or "").strip()
        ):
            self.add_error("amount", _("An approval proposes the compensation amount."))
        return data


class SignForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for sending the draft back"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class ReturnToBankForm(forms.Form):
    comment = forms.CharField(
        label=_("What the bank must correct"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("decide", _("Compensate")),
            ("return", _("Return to the bank")),
            ("reject", _("Reject")),
        ],
        widget=forms.RadioSelect,
        initial="decide",
    )
    amount = money_field(_("Compensation (yuan)"), required=False)
    covered_loss = money_field(_("Loss it covers (yuan)"), required=False)
    comment = forms.CharField(
        label=_("Minutes / opinion"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=60)


class AgreementForm(forms.Form):
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    file = EvidenceFileField(label=_("Signed recovery agreement (PDF, JPEG or PNG)"))


class RecoveryForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    gross = money_field(_("Gross recovery (yuan)"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in CostKind.choices:
            self.fields[f"{kind}_amount"] = money_field(
                _("%(kind)s (yuan)") % {"kind": label}, required=False
            )
            self.fields[f"{kind}_receipt"] = EvidenceFileField(
                label=_("%(kind)s receipt") % {"kind": label}, required=False
            )

    def clean(self):
        data = super().clean()
        for kind, _label in CostKind.choices:
            if (data.get(f"{kind}_amount") or "").strip() and not data.get(f"{kind}_receipt"):
                self.add_error(f"{kind}_receipt", _("Every legal cost needs its receipt."))
        return data


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(forms.Form):
    amount = money_field(_("Amount returned (yuan)"))
    returned_on = forms.DateField(label=_("Returned on"), widget=DATE)
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=60)


class WriteOffForm(forms.Form):
    written_off_on = forms.DateField(label=_("Written off on"), widget=DATE)


class CertificateForm(forms.Form):
    file = EvidenceFileField(label=_("Write-off certificate (PDF, JPEG or PNG)"))


class BudgetForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    amount = money_field(_("Budget (yuan)"))
    reason = forms.CharField(
        label=_("Reason (required to change a budget already set)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LedgerFilterForm(forms.Form):
    """The query string of the claim list and the ledgers (bank, state, year of decision, search)."""

    bank = forms.CharField(label=_("Bank"), required=False, max_length=30)
    state = forms.ChoiceField(label=_("State"), required=False)
    year = forms.IntegerField(
        label=_("Year of decision"), required=False, min_value=2000, max_value=2100
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from compensation.models import ClaimState

        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", ""), *ClaimState.choices]  # type: ignore[attr-defined]
