"""Compensation pages: claims and their stages, the ledgers with Excel exports, budgets, the reconciliation at cooperation end.

Every action URL answers GET with its form (a confirmation page) and POST with
the service call; objects are looked up within the user's scope first (404),
then the role is checked (403).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from applications.models import Program
from applications.scope import current_program
from compensation import export, selectors, services
from compensation.forms import (
    AgreementForm,
    BudgetForm,
    CertificateForm,
    ClaimForm,
    CommentForm,
    DecisionForm,
    MaterialForm,
    OpinionDraftForm,
    PaymentForm,
    RecoveryForm,
    ReturnForm,
    ReturnToBankForm,
    ReverseForm,
    SendBackForm,
    SignForm,
    WriteOffForm,
)
from compensation.models import (
    BudgetChange,
    Claim,
    ClaimMaterial,
    ClaimState,
    CompensationBudget,
    CostKind,
    LegalCost,
    Recovery,
    ShareReturn,
)
from kedaitong import confirm
from kedaitong.audit import log_action
from kedaitong.models import AuditEntry
from kedaitong.money import parse_amount
from kedaitong.pdf import Issue, render_pdf
from kedaitong.permissions import get_visible_or_404, has_role, require_role
from kedaitong.programs import Feature, has_feature
from kedaitong.roles import PROGRAM_ROLES, Role
from kedaitong.uploads import serve_upload
from loans.models import Bank, Loan
from operations.selectors import history_for, history_of, may_see_history

BANK = (Role.BANK, Role.ADMIN)
BUREAU = (Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.ADMIN)
GROUP = (Role.LEADING_GROUP, Role.ADMIN)
FINANCE = (Role.AUDITOR, Role.ADMIN)
HEAD = (Role.BUREAU_HEAD, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The claim page's history shows these instead of the audit codes.
ACTION_LABELS = {
    "compensation.claim.created": gettext_lazy("Claim drafted"),
    "compensation.material.added": gettext_lazy("Material uploaded"),
    "compensation.claim.submitted": gettext_lazy("Submitted to the bureau"),
    "compensation.claim.withdrawn": gettext_lazy("Withdrawn by the bank"),
    "compensation.opinion.drafted": gettext_lazy("Bureau opinion drafted"),
    "compensation.opinion.sent_back": gettext_lazy("Draft opinion sent back to the staff"),
    "compensation.claim.reviewed": gettext_lazy("Approved by the bureau (signed by the head)"),
    "compensation.claim.returned": gettext_lazy("Returned to the bank"),
    "compensation.claim.rejected": gettext_lazy("Rejected"),
    "compensation.claim.decided": gettext_lazy("Compensation decided"),
    "compensation.decision.revoked": gettext_lazy("Decision revoked"),
    "compensation.claim.paid": gettext_lazy("Payment recorded"),
    "compensation.payment.reversed": gettext_lazy("Payment reversed"),
    "compensation.writeoff.due_recomputed": gettext_lazy(
        "Certificate due day recomputed from the calendar"
    ),
    "compensation.claim.agreement_signed": gettext_lazy("Recovery agreement recorded"),
    "compensation.recovery.recorded": gettext_lazy("Recovery recorded"),
    "compensation.recovery.reversed": gettext_lazy("Recovery reversed"),
    "compensation.return.recorded": gettext_lazy("Return recorded"),
    "compensation.return.reversed": gettext_lazy("Return reversed"),
    "compensation.return.confirmed": gettext_lazy("Return confirmed by the finance bureau"),
    "compensation.writeoff.recorded": gettext_lazy("Write-off recorded"),
    "compensation.writeoff.certificate": gettext_lazy("Write-off certificate handed in"),
    "compensation.claim.closed": gettext_lazy("Claim closed"),
    "compensation.reconciliation.printed": gettext_lazy("Reconciliation printed"),
}


def _post(request: HttpRequest) -> Any:
    """Bind forms on every POST, even an empty one (a bare confirmation), so it is validated, not re-shown."""
    return request.POST if request.method == "POST" else None


def _files(request: HttpRequest) -> Any:
    """The POST's files, or those a confirmation page kept (kedaitong/confirm.py)."""
    return confirm.files(request)


def _amount(text: Any) -> Decimal | None:
    """A typed amount for a confirmation page; None when it does not parse (the service refuses it then)."""
    try:
        return parse_amount(text, allow_zero=True) if text not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _facts(claim: Claim) -> list[tuple[str, str]]:
    return [
        (_("Claim"), claim.reference),
        (_("Bank"), claim.bank.name),
        (_("Enterprise"), f"{claim.loan.enterprise.name} · {claim.loan.contract_no}"),
    ]


ARTICLE_11 = gettext_lazy(
    "Changjiang 第十一条 2(4)(5), 4: compensation, recovery and the share returned."
)


def compensation_program(user: Any) -> Program:
    """The user's current program, if it runs risk compensation (第十一条); anyone else is an outsider (404).

    A Quzhou bank or bureau user, and an enterprise, get 404 on every compensation page.
    """
    role = user.effective_role
    program = None
    if role in (Role.ADMIN, Role.BANK) or (role in PROGRAM_ROLES and user.program_id):
        program = current_program(user)
    if program is None or not has_feature(program, Feature.COMPENSATION):
        raise Http404
    return program


def _claim(request: HttpRequest, public_id: Any) -> Claim:
    compensation_program(request.user)
    return get_visible_or_404(
        Claim.objects.visible_to(request.user).with_parts(), public_id=public_id
    )


def _exported(request: HttpRequest, action: str, rows: int) -> None:
    """A ledger leaves the portal: one audit row with its filters and size (pages and PDFs are not audited)."""
    log_action(
        actor=request.user,
        action=action,
        data={"filters": request.GET.dict(), "rows": rows},
        request=request,
    )


def _xlsx(filename: str, write: Callable[[Any], None]) -> HttpResponse:
    response = HttpResponse(content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    write(response)
    return response


# --- Claims ------------------------------------------------------------------------------------------


@require_GET
@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    program = compensation_program(request.user)
    flt = selectors.LedgerFilter.from_query(request.GET)
    claims = (
        Claim.objects.visible_to(request.user)
        .with_parts()
        .filter(program=program)
        .order_by("-created_at")
    )
    if flt.errors:
        claims = claims.none()
    if flt.state:
        claims = claims.filter(state=flt.state)
    if flt.bank:
        claims = claims.filter(bank__code=flt.bank)
    if flt.q:
        claims = claims.filter(
            Q(reference__icontains=flt.q)
            | Q(loan__contract_no__icontains=flt.q)
            | Q(loan__enterprise__name__icontains=flt.q)
        )
    today = timezone.localdate()
    late_only = request.GET.get("late") == "1"
    if late_only:
        claims = claims.filter(selectors.late_certificate_q(today))
    claims = list(claims[:500])
    write_offs = []
    for claim in claims:
        write_off = selectors._has(claim, "write_off")
        claim.late_certificate = bool(write_off and write_off.is_late(today))
        claim.due_provisional = bool(write_off and write_off.calendar_unknown)
        write_offs.append(write_off)
    return render(
        request,
        "compensation/claim_list.html",
        {
            "claims": claims,
            "flt": flt,
            "states": ClaimState.choices,
            "banks": Bank.objects.visible_to(request.user),
            "can_file": has_role(request.user, *BANK),
            "pending": selectors.pending_returns(request.user).count()
            if has_role(request.user, *FINANCE)
            else 0,
            "late": selectors.late_certificates(request.user, today)
            .filter(program=program)
            .count(),
            "late_only": late_only,
            "unknown_years": selectors.provisional_years(write_offs),
        },
        status=400 if flt.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def claim_create(request: HttpRequest) -> HttpResponse:
    program = compensation_program(request.user)
    require_role(request.user, *BANK)
    loans = (
        Loan.objects.visible_to(request.user)
        .filter(program_version__program=program)
        .select_related("enterprise")
        .order_by("contract_no")
    )
    # Only loans without an open claim are offered (issue 18 item 8); the service refuses the others too.
    offered = selectors.claimable_loans(loans)
    form = ClaimForm(_post(request), loans=offered[:1000])
    valid = request.method == "POST" and form.is_valid()
    if request.method == "POST" and not valid and "loan" in form.errors:
        # A loan that gained an open claim since the form was shown (another tab, a colleague): say so.
        try:
            posted = uuid.UUID(str(request.POST.get("loan", ""))[:40])
        except ValueError:
            posted = None
        if posted and selectors.loans_with_open_claim(loans).filter(public_id=posted).exists():
            form.errors["loan"] = form.error_class([services.OPEN_CLAIM_MESSAGE])
    if valid:
        loan = get_object_or_404(loans, public_id=form.cleaned_data["loan"])
        try:
            claim = services.claim_create(
                actor=request.user,
                loan=loan,
                requested_amount=form.cleaned_data["requested_amount"],
                loss_principal=form.cleaned_data["loss_principal"],
                loss_interest=form.cleaned_data["loss_interest"] or "0",
                case_number=form.cleaned_data["case_number"],
                description=form.cleaned_data["description"],
                request=request,
            )
        except services.CompensationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Claim drafted; upload the five materials, then submit."))
            return redirect("compensation:claim-detail", public_id=claim.public_id)
    return render(
        request,
        "compensation/claim_form.html",
        {"form": form, "with_open_claim": selectors.loans_with_open_claim(loans).count()},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@login_required
def claim_detail(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    role = request.user.effective_role
    recoveries = list(
        claim.recoveries.select_related("reverses").prefetch_related("legal_costs", "returns")
    )
    reversed_ids = {r.reverses_id for r in recoveries if r.reverses_id}
    for r in recoveries:
        r.is_reversed = r.pk in reversed_ids
        returns = list(r.returns.all())
        reversed_returns = {x.reverses_id for x in returns if x.reverses_id}
        for x in returns:
            x.is_reversed = x.pk in reversed_returns
    history = list(
        AuditEntry.objects.filter(
            content_type__model="claim",
            content_type__app_label="compensation",
            object_id=str(claim.pk),
        ).order_by("at")
    )
    state_labels = dict(ClaimState.choices)
    for entry in history:
        entry.label = ACTION_LABELS.get(entry.action, entry.action)
        entry.state_label = state_labels.get(entry.to_state, entry.to_state)
    write_off = selectors._has(claim, "write_off")
    decision = selectors._has(claim, "decision")
    reversal = selectors._has(decision, "reversal") if decision else None
    return render(
        request,
        "compensation/claim_detail.html",
        {
            "claim": claim,
            "S": ClaimState,
            "materials": claim.materials.all(),
            "missing": services.missing_materials(claim),
            "decision": decision,
            "reversal": reversal,
            "opinion": selectors.bureau_opinion(claim),
            "open_draft": services.open_opinion(claim)
            if claim.state == ClaimState.SUBMITTED
            else None,
            "payment": claim.payment,
            "reversed_payments": [p for p in claim.payments.all() if p.reverses_id],
            "is_head": role in HEAD,
            "agreement": selectors._has(claim, "agreement"),
            "write_off": write_off,
            "write_off_late": bool(write_off and write_off.is_late()),
            "unknown_years": selectors.provisional_years([write_off]),
            "recoveries": recoveries,
            "history": history,
            "line": selectors.ledger_line(claim, timezone.localdate()),
            "is_bank": role in BANK,
            "is_bureau": role in BUREAU,
            "is_group": role in GROUP,
            "is_finance": role in FINANCE,
            "material_form": MaterialForm(),
            "record_history": history_of(claim) if may_see_history(request.user) else None,
        },
    )


def _action(
    request: HttpRequest,
    claim: Claim,
    *,
    roles: tuple[str, ...],
    title: str,
    form: Any,
    perform: Callable[[Any], Any],
    done: str,
    button: str | None = None,
    multipart: bool = False,
    extra: dict[str, Any] | None = None,
    restate: Callable[[Any], confirm.Restatement] | None = None,
) -> HttpResponse:
    """GET: the form; POST: validate, call the service, report its refusal on the same form (what was typed is kept).

    With `restate`, the action cannot be undone: a valid POST first gets the confirmation page
    (kedaitong/confirm.py) and the service runs only on the confirmed POST; 返回修改 shows the form again.
    """
    require_role(request.user, *roles)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid() and restate is not None:
        if confirm.going_back(request):
            status = 200
        elif not confirm.confirmed(request):
            return confirm.ask(request, restate(form.cleaned_data))
    if status == 400 and form.is_valid():
        try:
            perform(form.cleaned_data)
        except services.CompensationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return redirect("compensation:claim-detail", public_id=claim.public_id)
    return render(
        request,
        "compensation/action.html",
        {
            "claim": claim,
            "title": title,
            "form": form,
            "button": button or title,
            "multipart": multipart,
            **(extra or {}),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def material_upload(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    form = MaterialForm(_post(request), _files(request))
    return _action(
        request,
        claim,
        roles=BANK,
        title=_("Upload a material"),
        form=form,
        multipart=True,
        done=_("Material uploaded."),
        perform=lambda d: services.material_add(
            actor=request.user, claim=claim, kind=d["kind"], upload=d["file"], request=request
        ),
    )


@require_GET
@login_required
def material_download(request: HttpRequest, public_id: Any, pk: int) -> HttpResponse:
    claim = _claim(request, public_id)
    material = get_object_or_404(ClaimMaterial, claim=claim, pk=pk)
    return serve_upload(material.file, filename=material.file_name)


@require_http_methods(["GET", "POST"])
@login_required
def claim_submit(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    return _action(
        request,
        claim,
        roles=BANK,
        title=_("Submit the claim"),
        form=CommentForm(_post(request)),
        done=_("Claim submitted."),
        perform=lambda d: services.claim_submit(actor=request.user, claim=claim, request=request),
    )


@require_http_methods(["GET", "POST"])
@login_required
def claim_withdraw(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    return _action(
        request,
        claim,
        roles=BANK,
        title=_("Withdraw the claim"),
        form=CommentForm(_post(request)),
        done=_("Claim withdrawn."),
        perform=lambda d: services.claim_withdraw(actor=request.user, claim=claim, request=request),
    )


# The bureau's review page (第十一条 2(2)): each form's action, and who may post it (maker-checker).
REVIEW_FORMS: dict[str, Any] = {
    "draft": OpinionDraftForm,
    "sign": SignForm,
    "send_back": SendBackForm,
    "return": ReturnToBankForm,
}
REVIEW_ROLES = {
    "draft": (Role.BUREAU_STAFF,),
    "sign": (Role.BUREAU_HEAD,),
    "send_back": (Role.BUREAU_HEAD,),
    "return": (Role.BUREAU_STAFF, Role.BUREAU_HEAD),
}


def _seen_version(request: HttpRequest) -> int | None:
    """The hidden `seen_version` of the review forms: the open draft's version, 0 for none; absent: unchecked."""
    raw = request.POST.get("seen_version")
    if raw is None:
        return None
    try:
        return int(raw.strip() or services.NO_DRAFT)
    except ValueError:
        return -1  # matches no draft: refused as stale


@require_http_methods(["GET", "POST"])
@login_required
def claim_review(request: HttpRequest, public_id: Any) -> HttpResponse:
    """第十一条 2(2): the bureau's review, maker-checker as in the application review.

    Staff draft the opinion and the amount proposed (each draft a new version) or return the claim to the bank;
    the head signs the draft (to the leading group, or rejected) or sends it back to staff. A form that showed
    another draft than the one waiting now is refused with 409, naming who saved, signed or sent back what, and
    keeps what was typed.
    """
    claim = _claim(request, public_id)
    require_role(request.user, *BUREAU)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    bound = {
        name: cls(request.POST if action == name else None) for name, cls in REVIEW_FORMS.items()
    }
    status, stale = 200, None
    if request.method == "POST":
        if action not in REVIEW_FORMS:
            messages.error(request, _("Choose what to do."))
            status = 400
        else:
            require_role(request.user, *REVIEW_ROLES[action])
            form = bound[action]
            if not form.is_valid():
                status = 400
            else:
                d = form.cleaned_data
                try:
                    if action == "draft":
                        services.claim_opinion_draft(
                            actor=request.user,
                            claim=claim,
                            recommendation=d["recommendation"],
                            amount=d["amount"] or None,
                            text=d["text"],
                            seen=_seen_version(request),
                            request=request,
                        )
                    elif action == "sign":
                        services.claim_opinion_sign(
                            actor=request.user,
                            claim=claim,
                            comment=d["comment"],
                            seen=_seen_version(request),
                            request=request,
                        )
                    elif action == "send_back":
                        services.claim_opinion_send_back(
                            actor=request.user,
                            claim=claim,
                            reason=d["reason"],
                            seen=_seen_version(request),
                            request=request,
                        )
                    else:
                        services.claim_send_back(
                            actor=request.user,
                            claim=claim,
                            reject=False,
                            comment=d["comment"],
                            request=request,
                        )
                except services.OpinionRefused as exc:
                    raise PermissionDenied(str(exc)) from exc
                except services.StaleOpinion as exc:
                    stale, status = exc, 409
                    claim = _claim(request, public_id)
                except services.CompensationError as exc:
                    form.add_error(None, str(exc))
                    status = 400
                else:
                    messages.success(request, REVIEW_DONE[action])
                    return redirect("compensation:claim-detail", public_id=claim.public_id)
    user = request.user
    in_review = claim.state == ClaimState.SUBMITTED
    draft = services.open_opinion(claim)
    typed = []
    if stale is not None and action in bound:
        form = bound[action]
        for name, field in form.fields.items():
            value = request.POST.get(name, "").strip()
            if value:
                choices = dict(getattr(field, "choices", []) or [])
                typed.append((str(field.label), str(choices.get(value, value))))
    return render(
        request,
        "compensation/review.html",
        {
            "claim": claim,
            "draft": draft,
            "seen_version": draft.version if draft else services.NO_DRAFT,
            "opinions": claim.opinions.select_related("handler", "head", "sent_back_by"),
            "forms": bound,
            "may_draft": in_review and has_role(user, *REVIEW_ROLES["draft"]),
            "may_sign": in_review and draft is not None and has_role(user, *REVIEW_ROLES["sign"]),
            "may_return": in_review and has_role(user, *REVIEW_ROLES["return"]),
            "in_review": in_review,
            "stale": stale,
            "typed": typed,
        },
        status=status,
    )


REVIEW_DONE = {
    "draft": gettext_lazy("Draft opinion saved; it waits for the head's signature."),
    "sign": gettext_lazy("Opinion signed."),
    "send_back": gettext_lazy("The draft went back to the staff who wrote it."),
    "return": gettext_lazy("Claim returned to the bank."),
}


@require_http_methods(["GET", "POST"])
@login_required
def claim_decide(request: HttpRequest, public_id: Any) -> HttpResponse:
    """第十一条 2(3)(4): the leading group's decision within the year's budget."""
    claim = _claim(request, public_id)

    def perform(d: dict[str, Any]) -> None:
        if d["outcome"] == "decide":
            services.claim_decide(
                actor=request.user,
                claim=claim,
                amount=d["amount"],
                covered_loss=d["covered_loss"],
                minutes=d["comment"],
                request=request,
            )
        else:
            services.claim_send_back(
                actor=request.user,
                claim=claim,
                reject=d["outcome"] == "reject",
                comment=d["comment"],
                request=request,
            )

    budget = CompensationBudget.objects.filter(
        program=claim.program_id, year=timezone.localdate().year
    ).first()
    proposal = selectors.bureau_opinion(claim)
    return _action(
        request,
        claim,
        roles=GROUP,
        title=_("Leading group decision"),
        form=DecisionForm(
            _post(request), initial={"amount": proposal.amount if proposal else None}
        ),
        perform=perform,
        done=_("Decision recorded."),
        button=_("Record the decision"),
        extra={"budget": budget, "proposal": proposal},
        restate=lambda d: _decide_restatement(request, claim, d),
    )


def _decide_restatement(
    request: HttpRequest, claim: Claim, d: dict[str, Any]
) -> confirm.Restatement:
    who = confirm.actor(request.user)
    if d["outcome"] == "decide":
        amounts = [
            (_("Compensation"), _amount(d["amount"])),
            (_("Loss it covers"), _amount(d["covered_loss"])),
        ]
        line = _(
            "%(who)s decides to compensate %(bank)s for claim %(claim)s within the year's budget."
        )
    elif d["outcome"] == "reject":
        amounts, line = [], _("%(who)s rejects claim %(claim)s of %(bank)s.")
    else:
        amounts, line = [], _("%(who)s returns claim %(claim)s to %(bank)s.")
    return confirm.Restatement(
        title=_("Confirm: the leading group's decision"),
        button=_("Confirm the decision"),
        lines=[line % {"who": who, "bank": claim.bank.name, "claim": claim.reference}],
        facts=_facts(claim),
        amounts=[(label, value) for label, value in amounts if value is not None],
        article=_(
            "Changjiang 第十一条 2(3)(4): the leading group decides within the year's budget."
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def decision_revoke(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A decision taken in error, before payment: the leading group revokes it with a reason (a reversing entry)."""
    claim = _claim(request, public_id)
    return _action(
        request,
        claim,
        roles=GROUP,
        title=_("Revoke the decision"),
        form=ReverseForm(_post(request)),
        done=_("Decision revoked."),
        perform=lambda d: services.decision_revoke(
            actor=request.user, claim=claim, reason=d["reason"], request=request
        ),
        restate=lambda d: _reversal(
            request,
            claim,
            title=_("Confirm: revoke the decision"),
            what=_("%(who)s revokes the decision on claim %(claim)s; the budget gets it back."),
            amount=(
                _("Compensation decided"),
                getattr(selectors.live_decision(claim), "amount", None),
            ),
            reason=d["reason"],
        ),
    )


def _reversal(
    request: HttpRequest,
    claim: Claim,
    *,
    title: str,
    what: str,
    amount: tuple[str, Decimal | None],
    reason: str,
) -> confirm.Restatement:
    """A reversing entry in words: who, which claim, the amount that nets to zero, the reason."""
    return confirm.Restatement(
        title=title,
        button=_("Confirm the correction"),
        lines=[
            what % {"who": confirm.actor(request.user), "claim": claim.reference},
            _("Reason: %(reason)s") % {"reason": reason},
            _("A reversing entry is added; nothing is deleted."),
        ],
        facts=_facts(claim),
        amounts=[amount] if amount[1] is not None else [],
        article=ARTICLE_11,
    )


@require_http_methods(["GET", "POST"])
@login_required
def claim_pay(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    return _action(
        request,
        claim,
        roles=BUREAU,
        title=_("Record the payment"),
        form=PaymentForm(_post(request)),
        done=_("Payment recorded."),
        perform=lambda d: services.claim_pay(
            actor=request.user,
            claim=claim,
            paid_on=d["paid_on"],
            voucher_no=d["voucher_no"],
            request=request,
        ),
        restate=lambda d: confirm.Restatement(
            title=_("Confirm: record the payment"),
            button=_("Confirm the payment"),
            lines=[
                _(
                    "%(who)s records that the compensation of claim %(claim)s was paid to %(bank)s "
                    "on %(date)s, voucher %(voucher)s."
                )
                % {
                    "who": confirm.actor(request.user),
                    "claim": claim.reference,
                    "bank": claim.bank.name,
                    "date": d["paid_on"],
                    "voucher": d["voucher_no"],
                }
            ],
            facts=_facts(claim),
            amounts=[
                (_("Compensation paid"), decision.amount)
                for decision in [selectors.live_decision(claim)]
                if decision is not None
            ],
            article=_("Changjiang 第十一条 2(4): 按程序下达科贷补偿金."),
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def payment_reverse(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A payment recorded by mistake: the bureau head reverses it with a reason before anything is built on it."""
    claim = _claim(request, public_id)
    return _action(
        request,
        claim,
        roles=HEAD,
        title=_("Reverse the payment"),
        form=ReverseForm(_post(request)),
        done=_("Payment reversed; the claim is back to decided."),
        perform=lambda d: services.payment_reverse(
            actor=request.user, claim=claim, reason=d["reason"], request=request
        ),
        restate=lambda d: _reversal(
            request,
            claim,
            title=_("Confirm: reverse the payment"),
            what=_(
                "%(who)s reverses the payment of claim %(claim)s; the claim goes back to decided."
            ),
            amount=(_("Payment reversed"), _last_payment(claim)),
            reason=d["reason"],
        ),
    )


def _last_payment(claim: Claim) -> Decimal | None:
    payment = claim.payments.filter(amount__gt=0).order_by("-pk").first()
    return payment.amount if payment else None


@require_http_methods(["GET", "POST"])
@login_required
def agreement_record(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    form = AgreementForm(_post(request), _files(request))
    return _action(
        request,
        claim,
        roles=BUREAU,
        title=_("Record the recovery agreement"),
        form=form,
        multipart=True,
        done=_("Recovery agreement recorded."),
        perform=lambda d: services.agreement_record(
            actor=request.user,
            claim=claim,
            signed_on=d["signed_on"],
            upload=d["file"],
            request=request,
        ),
    )


@require_GET
@login_required
def agreement_file(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    agreement = selectors._has(claim, "agreement")
    if agreement is None:
        raise Http404
    return serve_upload(agreement.file, filename=agreement.file_name)


@require_http_methods(["GET", "POST"])
@login_required
def recovery_create(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    form = RecoveryForm(_post(request), _files(request))

    def perform(d: dict[str, Any]) -> None:
        costs = [
            services.CostInput(kind, d[f"{kind}_amount"], d[f"{kind}_receipt"])
            for kind in CostKind.values
            if (d.get(f"{kind}_amount") or "").strip()
        ]
        services.recovery_record(
            actor=request.user,
            claim=claim,
            received_on=d["received_on"],
            gross=d["gross"],
            costs=costs,
            note=d["note"],
            request=request,
        )

    return _action(
        request,
        claim,
        roles=BANK,
        title=_("Record a recovery"),
        form=form,
        multipart=True,
        perform=perform,
        done=_("Recovery recorded."),
        restate=lambda d: _recovery_restatement(request, claim, d),
    )


def _recovery_restatement(
    request: HttpRequest, claim: Claim, d: dict[str, Any]
) -> confirm.Restatement:
    costs = [
        (label, _amount(d.get(f"{kind}_amount")))
        for kind, label in CostKind.choices
        if _amount(d.get(f"{kind}_amount")) is not None
    ]
    gross = _amount(d["gross"])
    net = gross - sum((c for _l, c in costs), Decimal("0")) if gross is not None else None
    amounts = [(_("Gross recovery"), gross), *costs, (_("Net recovery"), net)]
    return confirm.Restatement(
        title=_("Confirm: record a recovery"),
        button=_("Confirm the recovery"),
        lines=[
            _(
                "%(who)s records money recovered on %(date)s for claim %(claim)s; "
                "the pool's share of the net is then owed to the finance bureau."
            )
            % {
                "who": confirm.actor(request.user),
                "date": d["received_on"],
                "claim": claim.reference,
            }
        ],
        facts=_facts(claim),
        amounts=[(label, value) for label, value in amounts if value is not None],
        article=ARTICLE_11,
    )


def _recovery(request: HttpRequest, pk: int) -> Recovery:
    compensation_program(request.user)
    return get_object_or_404(
        Recovery.objects.select_related("claim"),
        pk=pk,
        claim__in=Claim.objects.visible_to(request.user).values("pk"),
    )


@require_http_methods(["GET", "POST"])
@login_required
def recovery_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    recovery = _recovery(request, pk)
    return _action(
        request,
        recovery.claim,
        roles=BANK + BUREAU,
        title=_("Reverse a recovery"),
        form=ReverseForm(_post(request)),
        done=_("Reversing entry recorded."),
        extra={"recovery": recovery},
        perform=lambda d: services.recovery_reverse(
            actor=request.user, recovery=recovery, reason=d["reason"], request=request
        ),
        restate=lambda d: _reversal(
            request,
            recovery.claim,
            title=_("Confirm: reverse a recovery"),
            what=_("%(who)s reverses a recovery of claim %(claim)s."),
            amount=(_("Gross recovery reversed"), recovery.gross),
            reason=d["reason"],
        ),
    )


@require_GET
@login_required
def cost_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    compensation_program(request.user)
    cost = get_object_or_404(
        LegalCost, pk=pk, recovery__claim__in=Claim.objects.visible_to(request.user).values("pk")
    )
    return serve_upload(cost.receipt, filename=cost.receipt_name)


@require_http_methods(["GET", "POST"])
@login_required
def return_create(request: HttpRequest, pk: int) -> HttpResponse:
    recovery = _recovery(request, pk)
    form = ReturnForm(_post(request), initial={"amount": recovery.share - recovery.returned})
    return _action(
        request,
        recovery.claim,
        roles=BANK,
        title=_("Record a return to the finance bureau"),
        form=form,
        done=_("Return recorded."),
        extra={"recovery": recovery},
        perform=lambda d: services.return_record(
            actor=request.user,
            recovery=recovery,
            amount=d["amount"],
            returned_on=d["returned_on"],
            voucher_no=d["voucher_no"],
            request=request,
        ),
        restate=lambda d: confirm.Restatement(
            title=_("Confirm: record a return to the finance bureau"),
            button=_("Confirm the return"),
            lines=[
                _(
                    "%(who)s records that %(bank)s returned part of the pool's share to the finance "
                    "bureau on %(date)s, voucher %(voucher)s."
                )
                % {
                    "who": confirm.actor(request.user),
                    "bank": recovery.claim.bank.name,
                    "date": d["returned_on"],
                    "voucher": d["voucher_no"],
                }
            ],
            facts=_facts(recovery.claim),
            amounts=[
                (label, value)
                for label, value in (
                    (_("Amount returned"), _amount(d["amount"])),
                    (_("Still owed before this return"), recovery.share - recovery.returned),
                )
                if value is not None
            ],
            article=ARTICLE_11,
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def return_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    compensation_program(request.user)
    share_return = get_object_or_404(
        ShareReturn.objects.select_related("recovery__claim"),
        pk=pk,
        recovery__claim__in=Claim.objects.visible_to(request.user).values("pk"),
    )
    claim = share_return.recovery.claim
    return _action(
        request,
        claim,
        roles=FINANCE,
        title=_("Confirm the returned share"),
        form=CommentForm(_post(request)),
        done=_("Return confirmed."),
        extra={"share_return": share_return},
        perform=lambda d: services.return_confirm(
            actor=request.user, share_return=share_return, request=request
        ),
        restate=lambda d: confirm.Restatement(
            title=_("Confirm: the returned share was received"),
            button=_("Confirm the receipt"),
            lines=[
                _(
                    "%(who)s confirms that the finance bureau received %(bank)s's return, voucher %(voucher)s."
                )
                % {
                    "who": confirm.actor(request.user),
                    "bank": claim.bank.name,
                    "voucher": share_return.voucher_no,
                }
            ],
            facts=_facts(claim),
            amounts=[(_("Amount returned"), share_return.amount)],
            article=ARTICLE_11,
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def return_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """A return recorded by mistake: the bank that recorded it, or the finance bureau that did not receive it, reverses it."""
    compensation_program(request.user)
    share_return = get_object_or_404(
        ShareReturn.objects.select_related("recovery__claim"),
        pk=pk,
        recovery__claim__in=Claim.objects.visible_to(request.user).values("pk"),
    )
    return _action(
        request,
        share_return.recovery.claim,
        roles=BANK + FINANCE,
        title=_("Reverse a return"),
        form=ReverseForm(_post(request)),
        done=_("Reversing entry recorded."),
        extra={"share_return": share_return},
        perform=lambda d: services.return_reverse(
            actor=request.user, share_return=share_return, reason=d["reason"], request=request
        ),
        restate=lambda d: _reversal(
            request,
            share_return.recovery.claim,
            title=_("Confirm: reverse a return"),
            what=_("%(who)s reverses a return recorded for claim %(claim)s."),
            amount=(_("Amount returned"), share_return.amount),
            reason=d["reason"],
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def writeoff_record(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    return _action(
        request,
        claim,
        roles=BANK,
        title=_("Record the write-off"),
        form=WriteOffForm(_post(request)),
        done=_("Write-off recorded."),
        perform=lambda d: services.writeoff_record(
            actor=request.user, claim=claim, written_off_on=d["written_off_on"], request=request
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def writeoff_certificate(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    form = CertificateForm(_post(request), _files(request))
    return _action(
        request,
        claim,
        roles=BANK,
        title=_("Hand in the write-off certificate"),
        form=form,
        multipart=True,
        done=_("Certificate handed in."),
        perform=lambda d: services.writeoff_certificate(
            actor=request.user, claim=claim, upload=d["file"], request=request
        ),
    )


@require_GET
@login_required
def writeoff_file(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    write_off = selectors._has(claim, "write_off")
    if write_off is None or not write_off.certificate:
        raise Http404
    return serve_upload(write_off.certificate, filename=write_off.certificate_name)


@require_http_methods(["GET", "POST"])
@login_required
def claim_close(request: HttpRequest, public_id: Any) -> HttpResponse:
    claim = _claim(request, public_id)
    return _action(
        request,
        claim,
        roles=BUREAU,
        title=_("Close the claim"),
        form=CommentForm(_post(request)),
        done=_("Claim closed."),
        perform=lambda d: services.claim_close(
            actor=request.user, claim=claim, comment=d["comment"], request=request
        ),
    )


@require_GET
@login_required
def claim_pdf(request: HttpRequest, public_id: Any) -> HttpResponse:
    """科贷补偿金补偿申请表 (第十一条 3(1)), filled from the claim."""
    claim = _claim(request, public_id)
    pdf = render_pdf(
        "pdf/compensation_claim.html",
        {
            "claim": claim,
            "loan": claim.loan,
            "decision": selectors.live_decision(claim),
            "opinion": selectors.bureau_opinion(claim),
            "materials": claim.materials.all(),
            "today": timezone.localdate(),
        },
        issue=Issue(
            kind="compensation.claim",
            title="科贷补偿金补偿申请表",
            issuer=claim.program.authority,
            subject=claim,
            actor=request.user,
        ),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="claim-{claim.reference}.pdf"'
    return response


# --- Ledgers, budgets, reconciliation ----------------------------------------------------------------


def _filter_refused(errors: tuple[str, ...]) -> HttpResponse:
    return HttpResponse("\n".join(errors), status=400, content_type="text/plain; charset=utf-8")


def _ledger_context(request: HttpRequest) -> dict[str, Any]:
    compensation_program(request.user)
    flt = selectors.LedgerFilter.from_query(request.GET)
    return {
        "flt": flt,
        "states": ClaimState.choices,
        "banks": Bank.objects.visible_to(request.user),
    }


@require_GET
@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """The compensation ledger (台账, 第十一条 2(6)); read-only for the finance bureau."""
    ctx = _ledger_context(request)
    lines, totals = selectors.ledger(request.user, ctx["flt"])
    unknown = selectors.provisional_years(
        selectors._has(line.claim, "write_off") for line in lines if line.due_provisional
    )
    return render(
        request,
        "compensation/ledger.html",
        ctx | {"lines": lines, "totals": totals, "unknown_years": unknown},
        status=400 if ctx["flt"].errors else 200,
    )


@require_GET
@login_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    ctx = _ledger_context(request)
    if ctx["flt"].errors:
        return _filter_refused(ctx["flt"].errors)
    lines, _totals = selectors.ledger(request.user, ctx["flt"])
    _exported(request, "compensation.ledger.exported", len(lines))
    return _xlsx("compensation-ledger.xlsx", lambda out: export.write_ledger(out, lines))


@require_GET
@login_required
def recovery_list(request: HttpRequest) -> HttpResponse:
    ctx = _ledger_context(request)
    lines, totals = selectors.recovery_lines(request.user, ctx["flt"])
    pending = (
        list(selectors.pending_returns(request.user)) if has_role(request.user, *FINANCE) else []
    )
    return render(
        request,
        "compensation/recoveries.html",
        ctx | {"lines": lines, "totals": totals, "pending": pending},
        status=400 if ctx["flt"].errors else 200,
    )


@require_GET
@login_required
def recovery_export(request: HttpRequest) -> HttpResponse:
    ctx = _ledger_context(request)
    if ctx["flt"].errors:
        return _filter_refused(ctx["flt"].errors)
    lines, _totals = selectors.recovery_lines(request.user, ctx["flt"])
    _exported(request, "compensation.recoveries.exported", len(lines))
    return _xlsx("compensation-recoveries.xlsx", lambda out: export.write_recoveries(out, lines))


def _government(request: HttpRequest) -> Program:
    program = compensation_program(request.user)
    if request.user.effective_role == Role.BANK:
        raise Http404  # budgets are the government's
    return program


@require_http_methods(["GET", "POST"])
@login_required
def budget_list(request: HttpRequest) -> HttpResponse:
    """第三条: the leading group sets the year's compensation budget."""
    program = _government(request)
    can_set = has_role(request.user, *GROUP)
    form = BudgetForm(_post(request), initial={"year": timezone.localdate().year})
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.budget_set(
                    actor=request.user,
                    program=program,
                    year=form.cleaned_data["year"],
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except services.CompensationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Budget saved."))
                return redirect("compensation:budget-list")
    lines, totals = selectors.budget_lines(program.pk)
    changes = (
        BudgetChange.objects.filter(budget__program=program)
        .select_related("budget", "changed_by")
        .order_by("-changed_at", "-pk")
    )
    return render(
        request,
        "compensation/budgets.html",
        {
            "lines": lines,
            "totals": totals,
            "form": form,
            "can_set": can_set,
            "changes": changes[:200],
            "record_history": history_for(
                "compensation.compensationbudget",
                CompensationBudget.objects.filter(program=program).values_list("pk", flat=True),
            )
            if may_see_history(request.user)
            else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@login_required
def budget_export(request: HttpRequest) -> HttpResponse:
    program = _government(request)
    lines, _totals = selectors.budget_lines(program.pk)
    return _xlsx("compensation-budgets.xlsx", lambda out: export.write_budgets(out, lines))


def _bank(request: HttpRequest, code: str) -> Bank:
    compensation_program(request.user)
    return get_visible_or_404(Bank.objects.visible_to(request.user), code=code)


def _reconciliation(request: HttpRequest, code: str) -> selectors.Reconciliation:
    bank = _bank(request, code)
    return selectors.reconciliation(request.user, bank, program=compensation_program(request.user))


@require_GET
@login_required
def reconciliation(request: HttpRequest, code: str) -> HttpResponse:
    """第十一条 5: at cooperation end, per bank, the whole statement: claims paid, decided but unpaid and in review,
    loans outstanding, recoveries owed back and returned, what the pool may still bear and may still get back."""
    rec = _reconciliation(request, code)
    return render(request, "compensation/reconciliation.html", {"rec": rec})


@require_GET
@login_required
def reconciliation_pdf(request: HttpRequest, code: str) -> HttpResponse:
    # A read: printing the statement audits nothing (issue 17; its page and Excel copy do not either);
    # its first print registers the issued document (issue 21), printing the same again writes nothing.
    rec = _reconciliation(request, code)
    program = compensation_program(request.user)
    response = HttpResponse(
        render_pdf(
            "pdf/compensation_reconciliation.html",
            {"rec": rec},
            issue=Issue(
                kind="compensation.reconciliation",
                title="合作结束科贷补偿金核查表",
                issuer=program.authority,
                subject=f"compensation.reconciliation:{program.code}:{rec.bank.code}",
                actor=request.user,
            ),
        ),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="reconciliation-{rec.bank.code}.pdf"'
    return response


@require_GET
@login_required
def reconciliation_export(request: HttpRequest, code: str) -> HttpResponse:
    rec = _reconciliation(request, code)
    return _xlsx(
        f"reconciliation-{rec.bank.code}.xlsx", lambda out: export.write_reconciliation(out, rec)
    )
