"""Forms of the enterprise side. Amounts of the annexes are typed in 万元 and stored in yuan."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from applications.credit_code import validate as validate_credit_code
from applications.models import (
    AnnualFigure,
    Application,
    Enterprise,
    MaterialType,
    Patent,
    Program,
    ProgramVersion,
    Qualification,
    QuzhouDetails,
    RegistrationPlace,
    TeamMember,
)
from applications.services import COMPANY_INTRO_MAX, PROJECT_INTRO_MAX
from kedaitong.models import User
from kedaitong.money import WAN, yuan_to_wan
from kedaitong.uploads import EvidenceFileField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class CreditCodeField(forms.CharField):
    def clean(self, value: Any) -> str:
        code = str(super().clean(value) or "").strip().upper()
        reason = validate_credit_code(code)
        if reason:
            raise ValidationError(
                _("Invalid unified social credit code (GB 32100-2015): %(reason)s"),
                params={"reason": reason},
                code="credit_code",
            )
        return code


class RegistrationForm(forms.Form):
    credit_code = CreditCodeField(
        label=_("Unified social credit code"), max_length=18, min_length=18
    )
    name = forms.CharField(label=_("Enterprise name"), max_length=100)
    display_name = forms.CharField(label=_("Your name"), max_length=50)
    email = forms.EmailField(label=_("E-mail"))
    username = forms.CharField(label=_("User name"), max_length=150)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username=username).exists():
            raise ValidationError(_("This user name is taken."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(
                    first, User(username=data.get("username", ""), email=data.get("email", ""))
                )
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ClaimForm(forms.Form):
    """Issue 17: the evidence that the account speaks for the enterprise, for the bureau of one program."""

    program = forms.ModelChoiceField(
        label=_("Program (its bureau confirms the account)"),
        queryset=Program.objects.all(),
        empty_label=None,
        help_text=_(
            "The bureau of this program checks your evidence: the program you will apply to."
        ),
    )
    licence = EvidenceFileField(label=_("Business licence (PDF, JPEG or PNG)"))
    authorization = EvidenceFileField(
        label=_("Authorization letter signed and sealed by the enterprise (授权委托书)"),
        help_text=_("It names you as the person who acts for the enterprise on this portal."),
    )
    statement = forms.CharField(
        label=_("Note to the bureau"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DisputeForm(RegistrationForm):
    """A company that finds its credit code taken: an account of its own and the dispute, with its evidence."""

    name = None  # the enterprise is on record already
    program = ClaimForm.base_fields["program"]
    licence = ClaimForm.base_fields["licence"]
    authorization = ClaimForm.base_fields["authorization"]
    statement = forms.CharField(
        label=_("Why the enterprise is yours and the other account is not"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("confirm", _("Confirm")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (told to the claimant; required to refuse)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for the refusal; the claimant is told it."))
        return data


class BankInviteForm(forms.Form):
    """A cooperating bank invites its customer (issue 17): the account is confirmed by the bank's word."""

    program = forms.ModelChoiceField(
        label=_("Program"), queryset=Program.objects.none(), empty_label=None
    )
    credit_code = CreditCodeField(
        label=_("Unified social credit code"), max_length=18, min_length=18
    )
    name = forms.CharField(label=_("Enterprise name"), max_length=100)
    display_name = forms.CharField(label=_("Contact person"), max_length=50)
    email = forms.EmailField(label=_("Contact e-mail"))

    def __init__(self, *args: Any, programs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]


class InviteForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=50)
    email = forms.EmailField(label=_("E-mail"))


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "name",
            "registered_region",
            "registration_place",
            "address",
            "kedaitong_entry_no",
            "kedaitong_entry_on",
            "legal_representative",
            "contact_name",
            "contact_phone",
            "contact_mobile",
            "contact_email",
            "founded_on",
            "registered_capital",
            "paid_in_capital",
            "industry",
            "main_business",
            "tech_field",
            "employees",
            "revenue",
            "total_assets",
            "last_year_sales",
            "last_year_tax",
            "ip_invention",
            "ip_utility",
            "ip_design",
            "ip_software",
            "ip_ic_layout",
            "ip_plant_variety",
            "ip_other",
            "staff_college_tech",
            "staff_rnd",
            "staff_rnd_recruited",
            "high_tech_revenue",
            "rnd_expense",
        ]
        widgets = {"founded_on": DateInput(), "kedaitong_entry_on": DateInput()}
        help_texts = {
            "registered_region": _("Province, city and district, e.g. 江西省景德镇市昌江区."),
            "industry": _("Decides the SME size thresholds (工信部联企业〔2011〕300号)."),
            "registration_place": _("Quzhou applicants only (附件1 企业注册地)."),
            "kedaitong_entry_no": _(
                "Changjiang applicants: the number under which the Jiangxi Kedaitong business system (江西省科贷通业务管理系统) entered the enterprise (第二条)."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The places every program's form offers (Quzhou 附件1 企业注册地); a second city adds its own rows.
        places = RegistrationPlace.objects.select_related("program").order_by("program", "order")
        field = self.fields["registration_place"]
        field.queryset = places  # type: ignore[attr-defined]
        if len({p.program_id for p in places}) > 1:
            field.label_from_instance = lambda p: f"{p.program.name} · {p.name}"  # type: ignore[attr-defined]


class QualificationForm(forms.ModelForm):
    evidence = EvidenceFileField(label=_("Evidence (PDF, JPEG or PNG)"), required=False)

    class Meta:
        model = Qualification
        fields = [
            "kind",
            "number",
            "name",
            "year",
            "issued_on",
            "valid_until",
            "listing",
            "level",
            "talent_program",
            "share",
            "project_type",
            "executed_as_planned",
            "evidence",
        ]
        widgets = {"issued_on": DateInput(), "valid_until": DateInput()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        K = Qualification.Kind
        required = {
            K.NATIONAL_TECH_SME: ["year"],
            K.PROVINCIAL_TECH_SME: ["year"],
            K.HIGH_TECH: ["number", "valid_until"],
            K.LISTING: ["listing", "year"],
            K.TALENT: ["name", "talent_program", "level", "share"],
            K.PROJECT: ["number", "name", "level", "year"],
            K.AWARD: ["name", "level", "year"],
        }.get(kind, [])
        for name in required:
            if data.get(name) in (None, ""):
                self.add_error(name, _("Required for this kind of qualification."))
        return data


class PatentForm(forms.ModelForm):
    class Meta:
        model = Patent
        fields = ["number", "title"]


class AnnualFigureForm(forms.ModelForm):
    class Meta:
        model = AnnualFigure
        fields = ["year", "revenue", "profit"]


class WanAmountField(forms.DecimalField):
    """An amount typed in 万元 (as the annexes print it), at most six decimals (the fen)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=14, decimal_places=6, min_value=Decimal("0.000001"), **kwargs)
        # Every bound is stated in 万元, the unit the user typed (issue 18 item 8), not Django's bare numbers.
        self.error_messages.update(
            {
                "min_value": _("An amount in 10,000 yuan must be greater than zero."),
                "max_digits": _("At most 8 digits before the decimal point in 10,000 yuan."),
                "max_whole_digits": _("At most 8 digits before the decimal point in 10,000 yuan."),
                "max_decimal_places": _(
                    "An amount in 10,000 yuan has at most six decimals (the fen)."
                ),
            }
        )


class ApplicationForm(forms.ModelForm):
    """The loan fields shared by both programs; the limits cite the program's article."""

    amount_wan = WanAmountField(label=_("Amount applied for (10,000 yuan)"))
    creation_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Application
        fields = ["bank", "planned_disbursement_on", "term_months"]
        widgets = {"planned_disbursement_on": DateInput()}

    article_amount = ""
    article_term = ""

    def __init__(self, *args: Any, version: ProgramVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version = version
        banks = self.fields["bank"]
        banks.queryset = banks.queryset.cooperating_in(version.program)  # type: ignore[attr-defined]
        self.fields["bank"].required = False
        if self.instance.pk:
            self.fields["amount_wan"].initial = f"{(self.instance.amount / WAN).normalize():f}"
            del self.fields["creation_token"]
        else:
            self.fields["creation_token"].initial = uuid.uuid4()
        self.order_fields(["amount_wan"])  # the amount first, as the annexes ask it

    def clean_amount_wan(self) -> Decimal:
        wan = self.cleaned_data["amount_wan"]
        yuan = wan * WAN
        if yuan != yuan.quantize(Decimal("0.01")):
            raise ValidationError(_("An amount in 10,000 yuan has at most six decimals (the fen)."))
        limit = self.version.max_amount
        if limit is not None and yuan > limit:
            # Typed in 万元, refused in 万元 (issue 18 item 8): 500万元, not 5,000,000.00元.
            raise ValidationError(
                _("At most %(limit)s ten-thousand yuan (%(article)s)."),
                params={"limit": f"{yuan_to_wan(limit):f}", "article": self.article_amount},
            )
        return wan

    def clean_term_months(self) -> int | None:
        term = self.cleaned_data.get("term_months")
        limit = self.version.max_term_months
        if term is not None and limit is not None and term > limit:
            raise ValidationError(
                _("A single loan's term is at most %(limit)d months (%(article)s)."),
                params={"limit": limit, "article": self.article_term},
            )
        return term

    def save(self, commit: bool = True) -> Application:
        self.instance.amount = (self.cleaned_data["amount_wan"] * WAN).quantize(Decimal("0.01"))
        return super().save(commit)


class ChangjiangApplicationForm(ApplicationForm):
    article_amount = "昌江细则第一条"

    class Meta(ApplicationForm.Meta):
        fields = [
            "purpose",
            "bank",
            "planned_disbursement_on",
            "term_months",
            "annual_rate",
            "product_type",
        ]
        labels = {"purpose": _("Reason for the loan (附件3)")}
        widgets = {
            "planned_disbursement_on": DateInput(),
            "purpose": forms.Textarea(attrs={"rows": 3}),
        }


class QuzhouApplicationForm(ApplicationForm):
    article_amount = "衢州方案附件1"
    article_term = "衢州方案一（二）"


class IntroField(forms.CharField):
    """A text with a character limit that says how long it is."""

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(widget=forms.Textarea(attrs={"rows": 6}), required=False, **kwargs)

    def validate(self, value: str) -> None:
        super().validate(value)
        if len(value) > self.limit:
            raise ValidationError(
                _("%(count)d characters; at most %(limit)d (附件1)."),
                params={"count": len(value), "limit": self.limit},
                code="too_long",
            )


class QuzhouDetailsForm(forms.ModelForm):
    company_intro = IntroField(
        limit=COMPANY_INTRO_MAX, label=_("Company introduction (at most 500 characters)")
    )
    project_intro = IntroField(
        limit=PROJECT_INTRO_MAX, label=_("Project introduction (at most 1000 characters)")
    )
    total_investment_wan = WanAmountField(
        label=_("Planned total investment (10,000 yuan)"), required=False
    )

    class Meta:
        model = QuzhouDetails
        fields = [
            "loan_card_no",
            "project_name",
            "project_field",
            "energy_saving",
            "tech_source",
            "ip_method",
            "expected_sales",
            "expected_profit_tax",
            "expected_new_products",
            "expected_utility_patents",
            "expected_invention_patents",
            "talents_recruited",
            "talents_trained",
            "partners",
            "contact_name",
            "contact_phone",
            "contact_mobile",
            "contact_email",
            "company_intro",
            "project_intro",
        ]
        widgets = {"partners": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.total_investment is not None:
            self.fields[
                "total_investment_wan"
            ].initial = f"{(self.instance.total_investment / WAN).normalize():f}"

    def save(self, commit: bool = True) -> QuzhouDetails:
        wan = self.cleaned_data.get("total_investment_wan")
        self.instance.total_investment = (
            None if wan is None else (wan * WAN).quantize(Decimal("0.01"))
        )
        return super().save(commit)


class TeamMemberForm(forms.ModelForm):
    class Meta:
        model = TeamMember
        fields = ["name", "employer", "title", "id_number"]

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        try:
            return ric.validate(value)
        except StdnumError:
            raise ValidationError(
                _(
                    "Invalid resident ID number (GB 11643-1999: 18 characters, a real birth date and the check character)."
                ),
                code="id_number",
            ) from None


class MaterialForm(forms.Form):
    material_type = forms.ModelChoiceField(
        label=_("Material"), queryset=MaterialType.objects.none()
    )
    file = EvidenceFileField(label=_("File (PDF, JPEG or PNG)"))

    def __init__(self, *args: Any, program: Program, by_bank: bool = False, **kwargs: Any) -> None:
        """`by_bank`: the bank's own materials (附件2 第11项), else the enterprise's (all the others)."""
        super().__init__(*args, **kwargs)
        self.fields["material_type"].queryset = MaterialType.objects.filter(
            program=program, supplied_by_bank=by_bank
        )
        if by_bank:
            self.fields["material_type"].empty_label = None  # usually one: preselected
