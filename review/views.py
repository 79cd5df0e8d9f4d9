"""Pages of the Changjiang review: queues, the review page and its actions, meetings, publicity, blacklist, inbox.

Every view parses, calls one service or selector, and renders or redirects.
Objects are looked up within the user's scope (outsider → 404); a role that
may not act gets 403; GET on an action URL is 405.
"""

from __future__ import annotations

import html
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications import history, lifecycle
from applications import services as services_app
from applications.forms import MaterialForm
from applications.models import Application, Enterprise, Program
from applications.scope import current_program
from applications.services import application_submit
from kedaitong import confirm, excel, programs
from kedaitong.client import client_address
from kedaitong.db import Unindexed
from kedaitong.errors import Conflict, NotAllowed, Refused
from kedaitong.models import Notification
from kedaitong.money import format_yuan, format_yuan_text
from kedaitong.permissions import get_visible_or_404, has_role, role_required
from kedaitong.programs import Feature
from kedaitong.roles import Role
from kedaitong.throttle import throttle
from kedaitong.uploads import serve_upload
from loans import services as loan_services
from review import forms, selectors, services
from review.models import (
    BlacklistEntry,
    Meeting,
    Objection,
    Opinion,
    PublicityBatch,
    PublicityEntry,
)

SORTS = {
    "age": ["entered", "pk"],
    "-age": ["-entered", "-pk"],
    "amount": ["amount", "pk"],
    "-amount": ["-amount", "-pk"],
    "name": ["enterprise__name", "pk"],
    "-submitted": ["-submitted_at", "-pk"],
}


def _program_with(request: HttpRequest, feature: str) -> Program:
    """The user's current program, if it runs `feature` (meetings, publicity, blacklist ...); else a 404.

    A Quzhou user has no leading-group meetings, publicity or blacklist pages; a user of a program that has
    them sees their own program's only.
    """
    program = current_program(request.user)
    if not programs.has_feature(program, feature):
        raise Http404
    assert program is not None
    return program


def _queue_banks(user: Any) -> list[tuple[str, str]] | None:
    """The banks of the user's program, for the queue's bank filter; None for a bank (its queue is its own)."""
    if has_role(user, Role.BANK):
        return None
    from loans.models import Bank

    return list(Bank.objects.visible_to(user).order_by("name").values_list("code", "name"))


@require_GET
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.BANK)
def queue(request: HttpRequest) -> HttpResponse:
    """What waits for this role, oldest first; the same handful of queries whatever the page size."""
    form = forms.QueueFilterForm(
        request.GET or None,
        states=selectors.queue_states(request.user),
        banks=_queue_banks(request.user),
    )
    queue = applications = selectors.queue_for(request.user)
    sort, size = "age", 25
    if form.is_valid():
        data = form.cleaned_data
        q = data["q"].strip()
        if q:
            # The enterprises named or of that code (two subqueries, each read from an index of its own: the
            # names' index is scanned once a query), and each waiting application's enterprise looked up in
            # their list while the queue's index is read (Unindexed); joined row by row, every waiting
            # application had its enterprise's name matched (issue 20).
            enterprises = Enterprise.objects.values("pk")
            applications = applications.alias(
                searched_enterprise=Unindexed("enterprise_id", output_field=BigIntegerField())
            ).filter(
                Q(searched_enterprise__in=enterprises.filter(name__holds=q))
                | Q(searched_enterprise__in=enterprises.filter(credit_code=q.upper()))
            )
        if data["state"]:
            applications = applications.filter(state=data["state"])
        if data.get("bank"):
            applications = applications.filter(bank__code=data["bank"])
        if data["submitted_from"]:
            applications = applications.filter(submitted_at__date__gte=data["submitted_from"])
        if data["submitted_to"]:
            applications = applications.filter(submitted_at__date__lte=data["submitted_to"])
        if data["amount_min"] is not None:
            applications = applications.filter(amount__gte=data["amount_min"])
        if data["amount_max"] is not None:
            applications = applications.filter(amount__lte=data["amount_max"])
        sort = data["sort"] or "age"
        size = data["size"] or 25
    # Unfiltered, the page's count is the menu's, counted once (selectors.queue_count): a count over the queue's
    # index is faster than counting beside the page's ids (`COUNT(*) OVER ()`, 8 against 5 ms at 7,700 waiting),
    # which a filtered page does (`queue_page`).
    count = selectors.queue_count(request.user) if applications is queue else None
    page = selectors.queue_page(
        applications.order_by(*SORTS[sort]),
        size,
        request.GET.get("page"),
        count=count,
        fields=selectors.queue_fields(applications),
        rows_from=queue,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "review/queue.html",
        {
            "form": form,
            "page": page,
            "rows": _queue_rows(page.object_list),
            "query": query.urlencode(),
        },
        status=400 if form.errors else 200,
    )


# One row of the queue's table. The rows are drawn here rather than by a loop in review/queue.html: a dozen
# variables, filters and translations a row were most of the page's template time (issue 20). The HTML is the
# one the template loop drew, character for character (tests/review/test_queue.py compares them).
QUEUE_ROW = (
    "\n    <tr>"
    '\n      <td data-label="{l_reference}"><a href="{url}">{reference}</a></td>'
    '\n      <td data-label="{l_enterprise}">{name}{resubmitted}</td>'
    '\n      <td data-label="{l_code}">{code}</td>'
    '\n      <td data-label="{l_bank}">{bank}</td>'
    '\n      <td class="num" data-label="{l_amount}">{amount}</td>'
    '\n      <td data-label="{l_state}"><span class="state state-{state}">{state_display}</span>{draft}</td>'
    '\n      <td data-label="{l_submitted}">{submitted}</td>'
    '\n      <td class="num age" data-label="{l_age}">{age}</td>'
    "\n    </tr>\n  "
)


def _escape(value: Any) -> str:
    """Django's `escape` (which is `html.escape` of the text) without its lazy-text wrapper: it is called a
    dozen times a row."""
    return html.escape(str(value))


def _queue_rows(rows: list[dict[str, Any]]) -> SafeString:
    """The queue table's rows (`selectors.QUEUE_FIELDS` dicts) as HTML, every value escaped."""
    if not rows:
        return mark_safe("")
    today = timezone.localdate()
    labels = {
        "l_reference": _("Reference"),
        "l_enterprise": _("Enterprise"),
        "l_code": _("Credit code"),
        "l_bank": _("Bank"),
        "l_amount": _("Amount (yuan)"),
        "l_state": _("State"),
        "l_submitted": _("Submitted at"),
        "l_age": _("Age (days)"),
    }
    # The column names escaped once into the row's pattern (a brace in a translation stays a brace).
    pattern = QUEUE_ROW
    for name, label in labels.items():
        pattern = pattern.replace(
            "{" + name + "}", _escape(label).replace("{", "{{").replace("}", "}}")
        )
    draft_word = _escape(_("Draft (numbered at submission)"))
    resubmitted = f' <span class="state state-returned">{_escape(_("resubmitted"))}</span>'
    awaiting = f" · {_escape(_('awaiting sign-off'))}"
    shown: dict[tuple[str, Any], str] = {}  # each state's words, worked out once a page
    drawn = []
    for row, url in zip(rows, _review_urls(rows), strict=True):
        submitted, age = row["submitted_at"], selectors.age_in_days(row["entered"], today)
        batch_start = row["publicity_entry__batch__start_date"]
        publicity_start = (
            None
            if batch_start is None
            else PublicityBatch.period_start_of(
                batch_start, row["publicity_entry__batch__created_at"]
            )
        )
        state = row["state"]
        words = shown.get((state, publicity_start))
        if words is None:
            words = shown[state, publicity_start] = _escape(
                Application.state_display(state, publicity_start, today)
            )
        drawn.append(
            pattern.format(
                url=_escape(url),
                reference=_escape(row["reference"]) if row["reference"] else draft_word,
                name=_escape(row["enterprise__name"]),
                resubmitted=resubmitted if row.get("resubmitted") else "",
                code=_escape(row["enterprise__credit_code"]),
                bank=_escape(row["bank__name"]) if row["bank__name"] else "—",
                amount=format_yuan(row["amount"]) if row["amount"] is not None else "",
                state=_escape(state),
                state_display=words,
                draft=awaiting if row.get("pending_draft") else "",
                submitted=timezone.localdate(submitted).isoformat() if submitted else "—",
                age="—" if age is None else age,
            )
        )
    return mark_safe("".join(drawn))


def _review_urls(rows: list[dict[str, Any]]) -> list[str]:
    """Each row's review page URL: reversed once with a placeholder id, then filled in (a reverse per row was a
    tenth of a 100-row queue page's Python time)."""
    placeholder = str(uuid.UUID(int=0))
    pattern = reverse("review:application-review", args=[placeholder])
    return [pattern.replace(placeholder, str(row["public_id"])) for row in rows]


def _review_context(request: HttpRequest, application: Application, **extra: Any) -> dict[str, Any]:
    user = request.user
    spec = programs.spec(application)
    names = {t.name for t in selectors.available_transitions(application, user)}
    permitted = {t.name for t in _permitted_transitions(application, user)}
    post = request.POST if request.method == "POST" else None
    files = confirm.files(request)
    action = request.POST.get("action") if post else None

    def bound(name: str, form_class: Any, with_files: bool = False, **kwargs: Any) -> Any:
        chosen = action in name.split("|")
        if with_files:
            return form_class(post if chosen else None, files if chosen else None, **kwargs)
        return form_class(post if chosen else None, **kwargs)

    documents = spec.has(Feature.LOAN_DOCUMENTS)
    bank_decision = selectors.latest_bank_decision(application)
    loan = application.loans.select_related("bank").first()
    decision_names = "|".join(spec.workflow.bank_decision or ())
    context: dict[str, Any] = {
        "application": application,
        "kind_template": spec.review_template,
        "transitions": names,
        "permitted": permitted,
        "labels": selectors.transition_labels(application),
        "bank_decision_names": spec.workflow.bank_decision or (),
        "eligibility": selectors.eligibility_comparison(application),
        "materials": selectors.material_lines(application),
        "history": history.lines(application, selectors.history(application)),
        "opinions": Opinion.objects.filter(application=application).select_related(
            "handler", "head"
        ),
        "draft": selectors.unsigned_bureau_draft(application),
        "boxes": selectors.annex4_boxes(application),
        "group_decision": selectors.latest_group_decision(application),
        "bank_decision": bank_decision,
        "entry": selectors.publicity_entry(application),
        "granted": selectors.granted_credit(application),
        "loan": loan,
        "vouchers": list(loan.documents.select_related("uploaded_by")) if loan else [],
        "correction": selectors.history(application)
        .filter(action="applications.application.request_correction")
        .last()
        if application.state == Application.State.CORRECTION_REQUESTED
        else None,
        "comment_form": bound("accept|acknowledge", forms.CommentForm),
        "return_form": bound("return_for_changes", forms.ReturnForm, application=application),
        "draft_form": bound("draft", forms.DraftForm),
        "bank_form": bound(
            decision_names,
            forms.LetterDecisionForm if documents else forms.BankDecisionForm,
            with_files=documents,
        ),
        "disburse_form": bound(
            "disburse",
            forms.VoucherDisburseForm if documents else forms.DisburseForm,
            with_files=documents,
            initial=_disburse_initial(application),
        ),
        "report_form": bound("report", forms.ReportForm, with_files=True),
        "correction_form": bound("request_correction", forms.CorrectionForm),
        "may_draft": has_role(user, Role.BUREAU_STAFF)
        and application.state == Application.State.BUREAU_REVIEW
        and "return_for_changes" in permitted,
        "may_withdraw": has_role(user, Role.ENTERPRISE)
        and application.state in spec.workflow.open_states,
        "may_resubmit": has_role(user, Role.ENTERPRISE)
        and lifecycle.possible(application, spec.workflow.submit),
        "bank_material_form": _bank_material_form(application, user),
    }
    stale = extra.get("stale")
    if stale is not None and post is not None:
        context["typed"] = _typed(post, application, action or "")
    context.update(extra)
    return context


def _bank_material_form(application: Application, user: Any, **kwargs: Any) -> Any:
    """附件2 第11项: the form the application's bank adds its own material with, during its review; else None."""
    if not (
        has_role(user, Role.BANK)
        and user.bank_id == application.bank_id
        and application.state == Application.State.BANK_REVIEW
    ):
        return None
    form = MaterialForm(program=application.program_version.program, by_bank=True, **kwargs)
    return form if form.fields["material_type"].queryset.exists() else None


def _typed(post: Any, application: Application, action: str) -> list[tuple[str, str]]:
    """What the user typed into a refused stale form, label and text, to show whatever the state is now."""
    form_class = {
        "accept": forms.CommentForm,
        "acknowledge": forms.CommentForm,
        "return_for_changes": forms.ReturnForm,
        "draft": forms.DraftForm,
        "bank_approve": forms.BankDecisionForm,
        "bank_reject": forms.BankDecisionForm,
        "bank_accept": forms.BankDecisionForm,
        "bank_decline": forms.BankDecisionForm,
        "disburse": forms.DisburseForm,
        "report": forms.ReportForm,
        "request_correction": forms.CorrectionForm,
        "sign": forms.CommentForm,
    }.get(action)
    if form_class is None:
        return []
    form = form_class(application=application) if form_class is forms.ReturnForm else form_class()
    found = []
    for name, field in form.fields.items():
        value = post.get(name, "").strip()
        if not value:
            continue
        choices = dict(getattr(field, "choices", []) or [])
        found.append((str(field.label), str(choices.get(value, value))))
    return found


def _seen_draft(request: HttpRequest) -> int | None:
    """The hidden `seen_draft` of the opinion forms: the draft's pk, 0 for none; absent means unchecked."""
    if "seen_draft" not in request.POST:
        return None
    raw = request.POST["seen_draft"].strip()
    try:
        return int(raw or services.NO_DRAFT)
    except ValueError:
        return -1  # matches no draft: refused as stale


def _permitted_transitions(application: Application, user: Any) -> list[Any]:
    """Transitions from the current state whose role and scope fit `user`.

    Conditions that the action's own form fulfils (the bank's decision, the
    return's reasons, the disbursed loan) are left to the service; the others
    must hold already (see `selectors.available_transitions`).
    """
    return selectors.permitted_transitions(application, user)


def _disburse_initial(application: Application) -> dict[str, Any]:
    decision = selectors.latest_bank_decision(application)
    return {
        "principal": selectors.granted_credit(application),
        "annual_rate": decision.annual_rate if decision else None,
        "disbursement_date": timezone.localdate(),
    }


def _render_review(
    request: HttpRequest, application: Application, status: int, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "review/application_review.html",
        _review_context(request, application, **extra),
        status=status,
    )


def _scoped_application(request: HttpRequest, public_id: uuid.UUID) -> Application:
    return get_visible_or_404(
        Application.objects.visible_to(request.user).select_related(
            "enterprise", "bank", "program_version__program", "product_type"
        ),
        public_id=public_id,
    )


@require_GET
@login_required
def application_review(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = _scoped_application(request, public_id)
    if not request.user.effective_role:
        raise PermissionDenied
    return render(request, "review/application_review.html", _review_context(request, application))


@require_POST
@login_required
def bank_material(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Changjiang 附件2 第11项 “由合作银行出具，银行审核阶段补齐”: the bank adds (or replaces) it at its review.

    Outsider 404 (scope), another role 403, the application past the bank's review 409; a bad file re-renders
    the review page with the reason (400), nothing stored.
    """
    application = _scoped_application(request, public_id)
    if not has_role(request.user, Role.BANK):
        raise PermissionDenied
    form = MaterialForm(
        request.POST, request.FILES, program=application.program_version.program, by_bank=True
    )
    if not form.is_valid():
        return _render_review(request, application, 400, bank_material_form=form)
    try:
        services_app.material_supply_by_bank(
            actor=request.user,
            application=application,
            material_type=form.cleaned_data["material_type"],
            upload=form.cleaned_data["file"],
            request=request,
        )
    except NotAllowed as exc:
        raise PermissionDenied from exc
    except Conflict as exc:
        messages.error(request, str(exc))
        return _render_review(request, application, 409)
    except Refused as exc:
        for problem in exc.problems:
            form.add_error(None, problem)
        return _render_review(request, application, 400, bank_material_form=form)
    messages.success(request, _("The bank's material is on file; 附件2 lists it as provided."))
    return redirect(
        reverse("review:application-review", args=[application.public_id]) + "#materials"
    )


# Actions of the review page: name → (roles allowed to post it). The kind's workflow decides which apply.
ACTIONS = {
    "accept": (Role.BUREAU_STAFF,),
    "return_for_changes": (Role.BUREAU_STAFF,),
    "draft": (Role.BUREAU_STAFF,),
    "sign": (Role.BUREAU_HEAD,),
    "bank_approve": (Role.BANK,),
    "bank_reject": (Role.BANK,),
    "bank_accept": (Role.BANK,),
    "bank_decline": (Role.BANK,),
    "disburse": (Role.BANK,),
    "report": (Role.BANK,),
    "acknowledge": (Role.BUREAU_STAFF,),
    "request_correction": (Role.BUREAU_STAFF,),
    "resubmit": (Role.ENTERPRISE,),
}


@require_POST
@login_required
def application_act(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One POST endpoint for the review page's buttons; a refused or stale action re-renders with what was typed.

    Refusals are typed (kedaitong.errors): NotAllowed → 403, Conflict (a stale form) → 409, Refused → 400.
    """
    application = _scoped_application(request, public_id)
    action = request.POST.get("action", "")
    if action not in ACTIONS or not has_role(request.user, *ACTIONS[action]):
        raise PermissionDenied
    seen = request.POST.get("seen_state") or None
    user = request.user
    try:
        done = _dispatch(request, application, action, seen, user)
        if isinstance(done, HttpResponse):  # the confirmation page, or the form again (返回修改)
            return done
    except NotAllowed as exc:
        raise PermissionDenied from exc
    except Conflict as exc:
        messages.error(request, str(exc))
        return _render_review(request, _scoped_application(request, public_id), 409, stale=exc)
    except Refused as exc:
        for problem in exc.problems:
            messages.error(request, problem)
        return _render_review(request, application, 400)
    if not done:
        return _render_review(request, application, 400)
    messages.success(request, _("Saved."))
    return redirect("review:application-review", public_id=application.public_id)


def _confirm_first(
    request: HttpRequest, application: Application, action: str, data: dict[str, Any]
) -> HttpResponse | None:
    """签发 and 同意授信 cannot be undone: restate them first (kedaitong/confirm.py); None once confirmed."""
    if confirm.confirmed(request):
        return None
    if confirm.going_back(request):
        return _render_review(request, application, 200)
    who = confirm.actor(request.user)
    facts = [
        (_("Enterprise"), application.enterprise.name),
        (_("Application"), application.reference or str(application.public_id)),
        (_("Bank"), application.bank.name if application.bank else "—"),
    ]
    if action == "sign":
        draft = selectors.unsigned_bureau_draft(application)
        verdict = draft.get_recommendation_display() if draft else _("(no draft)")
        what = confirm.Restatement(
            title=_("Confirm: sign the bureau's opinion"),
            button=_("Confirm and sign"),
            lines=[
                _("%(who)s signs the bureau's opinion drafted by %(handler)s: %(verdict)s.")
                % {"who": who, "handler": draft.handler if draft else "—", "verdict": verdict},
                _("Once signed, the opinion goes to the next step and cannot be changed here."),
            ],
            facts=facts,
            amounts=[(_("Amount applied for"), application.amount)],
            article=_("Changjiang 第三条: the bureau reviews, the leading group recommends."),
        )
    else:  # bank_approve, bank_accept: 同意授信
        what = confirm.Restatement(
            title=_("Confirm: grant the credit"),
            button=_("Confirm the credit"),
            lines=[
                _(
                    "%(who)s records the bank's consent to lend to %(enterprise)s: %(amount)s, "
                    "%(rate)s%% a year, %(term)s months."
                )
                % {
                    "who": who,
                    "enterprise": application.enterprise.name,
                    "amount": format_yuan_text(data["credit_amount"] or application.amount),
                    "rate": data["annual_rate"] if data["annual_rate"] is not None else "—",
                    "term": data["term_months"] or "—",
                },
                _("The decision is recorded with your name and cannot be changed here."),
            ],
            facts=[*facts, (_("Opinion or reason"), data["opinion"])],
            amounts=[(_("Credit amount"), data["credit_amount"] or application.amount)],
            article=_(
                "Changjiang 第八条: credit granted is made public; Quzhou 三: the bank decides."
            ),
        )
    return confirm.ask(request, what)


def _dispatch(
    request: HttpRequest, application: Application, action: str, seen: str | None, user: Any
) -> bool | HttpResponse:
    common = {"actor": user, "application": application, "seen_state": seen, "request": request}
    documents = programs.has_feature(application, Feature.LOAN_DOCUMENTS)
    if action == "accept":
        form = forms.CommentForm(request.POST)
        if not form.is_valid():
            return False
        services.application_accept(comment=form.cleaned_data["comment"], **common)
    elif action == "return_for_changes":
        rform = forms.ReturnForm(request.POST, application=application)
        if not rform.is_valid():
            return False
        services.application_return(
            reasons=[services.ReturnReason(i, r) for i, r in rform.reasons()],
            comment=rform.cleaned_data["comment"],
            **common,
        )
    elif action == "draft":
        dform = forms.DraftForm(request.POST)
        if not dform.is_valid():
            return False
        services.opinion_draft(
            recommendation=dform.cleaned_data["recommendation"],
            text=dform.cleaned_data["text"],
            seen_draft=_seen_draft(request),
            **common,
        )
    elif action == "sign":
        if (page := _confirm_first(request, application, action, {})) is not None:
            return page
        services.opinion_sign(
            comment=request.POST.get("comment", "")[:2000],
            seen_draft=_seen_draft(request),
            **common,
        )
    elif action in ("bank_approve", "bank_reject", "bank_accept", "bank_decline"):
        if documents:
            bform: Any = forms.LetterDecisionForm(request.POST, confirm.files(request))
        else:
            bform = forms.BankDecisionForm(request.POST)
        if not bform.is_valid():
            return False
        data = bform.cleaned_data
        if action in ("bank_approve", "bank_accept") and (
            page := _confirm_first(request, application, action, data)
        ):
            return page
        services.bank_decide(
            approved=action in ("bank_approve", "bank_accept"),
            opinion=data["opinion"],
            credit_amount=data["credit_amount"],
            annual_rate=data["annual_rate"],
            term_months=data["term_months"],
            head_name=data["head_name"],
            letter=data.get("letter") or None,
            **common,
        )
    elif action == "disburse":
        if documents:
            fform: Any = forms.VoucherDisburseForm(request.POST, request.FILES)
        else:
            fform = forms.DisburseForm(request.POST)
        if not fform.is_valid():
            return False
        loan_services.application_disburse(**fform.cleaned_data, **common)
    elif action == "report":
        pform = forms.ReportForm(request.POST, request.FILES)
        if not pform.is_valid():
            return False
        loan_services.application_report(
            voucher=pform.cleaned_data["voucher"] or None, note=pform.cleaned_data["note"], **common
        )
    elif action == "acknowledge":
        aform = forms.CommentForm(request.POST)
        if not aform.is_valid():
            return False
        services.report_acknowledge(comment=aform.cleaned_data["comment"], **common)
    elif action == "request_correction":
        cform = forms.CorrectionForm(request.POST)
        if not cform.is_valid():
            return False
        services.report_correction_request(reason=cform.cleaned_data["reason"], **common)
    elif action == "resubmit":
        _resubmit(**common)
    return True


def _resubmit(
    *, actor: Any, application: Application, seen_state: str | None, request: HttpRequest
) -> None:
    """Resubmission is the enterprise side's submit: it checks the form, the materials and the checklist again."""
    if seen_state and seen_state != application.state:
        raise lifecycle.StaleApplication(application, selectors.last_change(application))
    application_submit(actor=actor, application=application, request=request)


@require_http_methods(["GET", "POST"])
@login_required
def application_withdraw(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The enterprise withdraws its application: GET asks for confirmation, POST withdraws."""
    application = _scoped_application(request, public_id)
    if not has_role(request.user, Role.ENTERPRISE):
        raise PermissionDenied
    form = forms.WithdrawForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.application_withdraw(
                actor=request.user,
                application=application,
                request=request,
                reason=form.cleaned_data["reason"],
                seen_state=request.POST.get("seen_state") or None,
            )
        except NotAllowed as exc:
            raise PermissionDenied from exc
        except Conflict as exc:
            messages.error(request, str(exc))
            application = _scoped_application(request, public_id)
            status = 409
        except Refused as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(request, _("The application is withdrawn."))
            return redirect("applications:application-detail", public_id=application.public_id)
    return render(
        request,
        "review/withdraw_confirm.html",
        {
            "application": application,
            "form": form,
            "open": application.state in programs.spec(application).workflow.open_states,
        },
        status=status,
    )


@require_GET
@login_required
def bank_letter(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Quzhou 二: the bank's 同意放贷意见书 — the signed file it uploaded, or the portal's print of its decision."""
    application = _scoped_application(request, public_id)
    decision = selectors.latest_bank_decision(application)
    if decision is None or not decision.approved:
        raise Http404
    if decision.letter:
        return serve_upload(decision.letter, filename=decision.letter_name or "letter")
    from review.documents import approval_letter

    response = HttpResponse(approval_letter(decision, request.user), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{application.reference}-approval-letter.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
def history_export(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The application's history as Excel: who, when, from, to, opinion, address."""
    application = _scoped_application(request, public_id)
    if not request.user.effective_role:
        raise PermissionDenied
    wb = excel.new_workbook()
    columns = [
        excel.Column(_("Time"), 20, kind="datetime"),
        excel.Column(_("Acted by"), 16),
        excel.Column(_("Role"), 12),
        excel.Column(_("Action"), 32),
        excel.Column(_("From state"), 14),
        excel.Column(_("To state"), 14),
        excel.Column(_("Opinion"), 50),
        excel.Column(_("Address"), 16),
    ]
    # Excel has no time zones: the time is written as a real date-time in the portal's zone (Asia/Shanghai).
    rows = [
        [
            timezone.localtime(h.entry.at).replace(tzinfo=None, microsecond=0),
            h.entry.actor_name,
            h.role,
            h.words,
            h.from_state,
            h.to_state,
            h.entry.comment,
            h.entry.ip_address or "",
        ]
        for h in history.lines(application, selectors.history(application))
    ]
    excel.write_sheet(wb, _("History"), columns, rows)
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"{application.file_stem}-办理记录.xlsx"
    )
    excel.save(wb, response)
    return response


# --- leading-group meetings ---------------------------------------------------------------------


@require_GET
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
def meeting_list(request: HttpRequest) -> HttpResponse:
    meetings = Meeting.objects.filter(program=_program_with(request, Feature.MEETINGS))
    return render(
        request,
        "review/meeting_list.html",
        {"meetings": meetings.prefetch_related("decisions__application__enterprise")},
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.LEADING_GROUP)
def meeting_new(request: HttpRequest) -> HttpResponse:
    """One meeting, several applications: each one recommended with an amount, declined, or left for later."""
    _program_with(request, Feature.MEETINGS)
    waiting = list(selectors.queue_for(request.user).order_by("submitted_at", "pk"))
    post = request.POST if request.method == "POST" else None
    form = forms.MeetingForm(post, initial={"date": timezone.localdate()})
    items = [
        (a, forms.MeetingItemForm(post, prefix=f"a{a.pk}", initial={"amount": a.amount}))
        for a in waiting
    ]
    if post is not None and form.is_valid() and all(f.is_valid() for _a, f in items):
        decisions = [
            services.DecisionInput(
                a,
                f.cleaned_data["decision"] == "recommend",
                f.cleaned_data["amount"],
                f.cleaned_data["opinion"],
            )
            for a, f in items
            if f.cleaned_data["decision"]
        ]
        if confirm.going_back(request):
            return render(request, "review/meeting_new.html", {"form": form, "items": items})
        if not confirm.confirmed(request):
            return confirm.ask(request, _meeting_restatement(request, form.cleaned_data, decisions))
        try:
            meeting = services.meeting_record(
                actor=request.user,
                program=request.user.program,
                request=request,
                decisions=decisions,
                **form.cleaned_data,
            )
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The meeting is recorded."))
            return redirect("review:meeting-detail", public_id=meeting.public_id)
    return render(
        request,
        "review/meeting_new.html",
        {"form": form, "items": items},
        status=400 if post else 200,
    )


def _meeting_restatement(
    request: HttpRequest, data: dict[str, Any], decisions: list[Any]
) -> confirm.Restatement:
    """记录会议及其决定: each application's outcome in words, each recommended amount in capitals."""
    lines = [
        _("%(who)s records the leading group's meeting of %(date)s with %(n)d decisions.")
        % {"who": confirm.actor(request.user), "date": data["date"], "n": len(decisions)}
    ]
    amounts = []
    for d in decisions:
        name = d.application.enterprise.name
        if d.recommended:
            lines.append(_("Recommend %(enterprise)s.") % {"enterprise": name})
            amounts.append((_("Recommended for %(enterprise)s") % {"enterprise": name}, d.amount))
        else:
            lines.append(_("Decline %(enterprise)s.") % {"enterprise": name})
    if not decisions:
        lines.append(_("No application is decided at this meeting."))
    return confirm.Restatement(
        title=_("Confirm: record the meeting and its decisions"),
        button=_("Confirm and record the meeting"),
        lines=lines,
        amounts=amounts,
        article=_("Changjiang 第三条: the leading group reviews and recommends."),
    )


@require_GET
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
def meeting_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    meetings = Meeting.objects.filter(program=_program_with(request, Feature.MEETINGS))
    meeting = get_object_or_404(meetings, public_id=public_id)
    decisions = meeting.decisions.select_related("application__enterprise")
    return render(
        request, "review/meeting_detail.html", {"meeting": meeting, "decisions": decisions}
    )


# --- publicity (bureau side) --------------------------------------------------------------------


def _program_batches(request: HttpRequest) -> Any:
    return PublicityBatch.objects.filter(program=_program_with(request, Feature.PUBLICITY))


@require_http_methods(["GET", "POST"])
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
def publicity_manage(request: HttpRequest) -> HttpResponse:
    program = _program_with(request, Feature.PUBLICITY)
    form = forms.PublicityBatchForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not has_role(request.user, Role.BUREAU_STAFF):
            raise PermissionDenied
        if form.is_valid() and not confirm.going_back(request) and not confirm.confirmed(request):
            return confirm.ask(request, _publicity_restatement(request, program, form.cleaned_data))
        if form.is_valid() and not confirm.going_back(request):
            try:
                batch = services.publicity_batch_create(
                    actor=request.user,
                    program=program,
                    request=request,
                    **form.cleaned_data,
                )
            except Refused as exc:
                form.add_error(None, str(exc))  # 400, with the dates typed kept
            else:
                messages.success(request, _("The publicity batch is open."))
                return redirect("review:publicity-batch", public_id=batch.public_id)
    waiting = (
        Application.objects.visible_to(request.user)
        .filter(
            program_version__program=program,
            state=Application.State.PUBLICITY,
            publicity_entry__isnull=True,
        )
        .select_related("enterprise", "bank")
    )
    return render(
        request,
        "review/publicity_manage.html",
        {
            "form": form,
            "batches": _program_batches(request),
            "waiting": waiting,
            "may_open": has_role(request.user, Role.BUREAU_STAFF),
        },
        status=400 if form.errors else 200,
    )


def _credit(application: Application) -> Any:
    decision = selectors.latest_bank_decision(application)
    return decision.credit_amount if decision and decision.credit_amount else application.amount


def _publicity_restatement(
    request: HttpRequest, program: Program, data: dict[str, Any]
) -> confirm.Restatement:
    """开始公示: the period and every application that goes public with its credit amount."""
    waiting = (
        Application.objects.visible_to(request.user)
        .filter(
            program_version__program=program,
            state=Application.State.PUBLICITY,
            publicity_entry__isnull=True,
        )
        .select_related("enterprise")
        .order_by("pk")
    )
    end = data.get("end_date") or _("the end of the period in working days")
    return confirm.Restatement(
        title=_("Confirm: start the publicity"),
        button=_("Confirm and start the publicity"),
        lines=[
            _(
                "%(who)s publishes %(n)d applications from %(start)s to %(end)s; "
                "anyone may object during the period."
            )
            % {
                "who": confirm.actor(request.user),
                "n": len(waiting),
                "start": data["start_date"],
                "end": end,
            }
        ],
        amounts=[(a.enterprise.name, _credit(a)) for a in waiting],
        article=_("Changjiang 第八条: credit granted is made public before the loan."),
    )


@require_GET
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
def publicity_batch(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    batch = get_object_or_404(_program_batches(request), public_id=public_id)
    entries = batch.entries.select_related(
        "application__enterprise", "application__bank"
    ).prefetch_related("objections")
    return render(
        request,
        "review/publicity_batch.html",
        {
            "batch": batch,
            "entries": entries,
            "ruling_form": forms.RulingForm(),
            "may_rule": has_role(request.user, Role.BUREAU_STAFF),
        },
    )


@require_POST
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
def publicity_close(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    batch = get_object_or_404(_program_batches(request), public_id=public_id)
    if not has_role(request.user, Role.BUREAU_STAFF):
        raise PermissionDenied
    try:
        granted = services.publicity_batch_close(actor=request.user, batch=batch, request=request)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Publicity closed: credit granted to %(n)d applications.") % {"n": len(granted)},
        )
    return redirect("review:publicity-batch", public_id=batch.public_id)


@require_POST
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
def objection_rule(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    scope = Objection.objects.filter(
        entry__batch__program=_program_with(request, Feature.PUBLICITY)
    )
    objection = get_object_or_404(scope.select_related("entry__batch"), public_id=public_id)
    if not has_role(request.user, Role.BUREAU_STAFF):
        raise PermissionDenied
    form = forms.RulingForm(request.POST)
    if form.is_valid():
        try:
            services.objection_rule(
                actor=request.user,
                objection=objection,
                request=request,
                upheld=form.cleaned_data["ruling"] == "upheld",
                note=form.cleaned_data["note"],
            )
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Ruling recorded."))
    else:
        messages.error(request, _("Choose a ruling and give its reason."))
    return redirect("review:publicity-batch", public_id=objection.entry.batch.public_id)


@require_GET
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
def objection_file(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    scope = Objection.objects.filter(
        entry__batch__program=_program_with(request, Feature.PUBLICITY)
    )
    objection = get_object_or_404(scope.exclude(attachment=""), public_id=public_id)
    return serve_upload(objection.attachment, filename=objection.attachment_name or "file")


# --- publicity (public, no login) ---------------------------------------------------------------


@require_GET
def public_publicity(request: HttpRequest) -> HttpResponse:
    """第八条: the running batches with enterprise, bank and credit amount; past batches below."""
    today = timezone.localdate()
    batches = PublicityBatch.objects.filter(start_date__lte=today).select_related("program")
    running = [b for b in batches if b.is_running(today)]
    past = [b for b in batches if b.is_over(today)][:50]
    entries = (
        PublicityEntry.objects.filter(batch__in=[b.pk for b in running])
        .select_related("application__enterprise", "application__bank", "batch")
        .order_by("batch", "pk")
    )
    return render(
        request,
        "review/public_publicity.html",
        {"running": running, "past": past, "entries": entries},
    )


@require_GET
def public_batch(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    batch = get_object_or_404(
        PublicityBatch.objects.filter(start_date__lte=timezone.localdate()), public_id=public_id
    )
    entries = batch.entries.select_related("application__enterprise", "application__bank")
    return render(request, "review/public_batch.html", {"batch": batch, "entries": entries})


@require_http_methods(["GET", "POST"])
@throttle("objection")  # per client address (settings.THROTTLE_RATES); see docs/security.md
def public_objection(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    entry = get_object_or_404(
        PublicityEntry.objects.select_related(
            "batch", "application__enterprise", "application__bank"
        ).filter(batch__start_date__lte=timezone.localdate()),
        public_id=public_id,
    )
    if not entry.batch.is_running():
        raise Http404
    form = forms.ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.objection_submit(
                    entry=entry, ip_address=client_address(request), **form.cleaned_data
                )
            except Refused as exc:
                messages.error(request, str(exc))
            else:
                return render(request, "review/public_objection_done.html", {"entry": entry})
    return render(
        request,
        "review/public_objection.html",
        {"entry": entry, "form": form},
        status=400 if form.errors else 200,
    )


# --- blacklist (第九条) --------------------------------------------------------------------------


def _blacklist_page(
    request: HttpRequest,
    form: Any,
    *,
    failed: BlacklistEntry | None = None,
    failed_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    program = _program_with(request, Feature.BLACKLIST)
    may_decide = has_role(request.user, Role.BUREAU_STAFF)
    entries = BlacklistEntry.objects.visible_to(request.user).select_related(
        "enterprise", "listed_by", "decided_by", "loan", "proposed_by", "program"
    )
    rows = [
        (
            e,
            (
                failed_form
                if failed is not None and e.pk == failed.pk
                else forms.BlacklistDecisionForm(prefix=f"e{e.pk}")
            )
            if may_decide and e.status == BlacklistEntry.Status.PROPOSED
            else None,
        )
        for e in entries
    ]
    return render(
        request,
        "review/blacklist.html",
        {
            "form": form,
            "rows": rows,
            "priority": selectors.priority_renewal(program),
            "may_add": may_decide,
            "article": programs.cite(program, "blacklist"),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
def blacklist(request: HttpRequest) -> HttpResponse:
    """第九条: the program's blacklist and priority-renewal list; its bureau staff list an enterprise of the program."""
    _program_with(request, Feature.BLACKLIST)
    form = forms.BlacklistForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not has_role(request.user, Role.BUREAU_STAFF):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            # Only an enterprise of the staff's own program (an application or a loan there).
            enterprise = (
                Enterprise.objects.visible_to(request.user)
                .filter(credit_code=data["credit_code"].strip().upper())
                .first()
            )
            if enterprise is None:
                form.add_error(
                    "credit_code", _("No enterprise of your program has this credit code.")
                )
            else:
                try:
                    entry = services.blacklist_add(
                        actor=request.user,
                        enterprise=enterprise,
                        reason=data["reason"],
                        details=data["details"],
                        evidence=data["evidence"] or None,
                        force_majeure_note=data["force_majeure_note"],
                        request=request,
                    )
                except NotAllowed as exc:
                    raise PermissionDenied from exc
                except Refused as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, _("Recorded: %(entry)s") % {"entry": entry})
                    return redirect("review:blacklist")
    return _blacklist_page(request, form, status=400 if form.errors else 200)


@require_POST
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
def blacklist_decide(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The bureau confirms, exempts or dismisses a proposed entry, with a reason; a refusal keeps what was typed."""
    _program_with(request, Feature.BLACKLIST)
    entry = get_object_or_404(BlacklistEntry.objects.visible_to(request.user), public_id=public_id)
    if not has_role(request.user, Role.BUREAU_STAFF):
        raise PermissionDenied
    form = forms.BlacklistDecisionForm(request.POST, prefix=f"e{entry.pk}")
    if form.is_valid():
        try:
            services.blacklist_decide(
                actor=request.user,
                entry=entry,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except NotAllowed as exc:
            raise PermissionDenied from exc
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("review:blacklist")
    return _blacklist_page(
        request, forms.BlacklistForm(), failed=entry, failed_form=form, status=400
    )


@require_http_methods(["GET", "POST"])
@login_required
def blacklist_propose(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """第九条 (贷款用于非企业经营活动的): the lending bank or the bureau proposes the loan's enterprise for the blacklist,
    with the facts and the evidence; the bureau decides it on the blacklist page as it decides overdue proposals."""
    from loans.models import Loan

    loan = get_visible_or_404(
        Loan.objects.visible_to(request.user).select_related(
            "enterprise", "bank", "program_version__program"
        ),
        public_id=public_id,
    )
    if not programs.has_feature(loan.program_version, Feature.BLACKLIST):
        raise Http404
    if not services.may_propose_misuse(request.user, loan):
        raise PermissionDenied
    form = forms.BlacklistProposalForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.blacklist_propose(
                actor=request.user,
                loan=loan,
                details=form.cleaned_data["details"],
                evidence=form.cleaned_data["evidence"],
                request=request,
            )
        except NotAllowed as exc:
            raise PermissionDenied from exc
        except Refused as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                _("The proposal was sent to the bureau, which decides it (第九条)."),
            )
            return redirect("loans:loan-detail", public_id=loan.public_id)
    proposals = BlacklistEntry.objects.filter(loan=loan).select_related("proposed_by", "decided_by")
    return render(
        request,
        "review/blacklist_propose.html",
        {
            "loan": loan,
            "form": form,
            "proposals": proposals,
            "article": programs.cite(loan.program_version, "blacklist"),
        },
        status=400 if form.errors else 200,
    )


@require_GET
@role_required(Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR, Role.ADMIN)
def blacklist_evidence(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _program_with(request, Feature.BLACKLIST)
    entry = get_object_or_404(
        BlacklistEntry.objects.visible_to(request.user).exclude(evidence=""), public_id=public_id
    )
    return serve_upload(entry.evidence, filename=entry.evidence_name or "evidence")


# --- inbox --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(user=request.user).select_related(
        "application__program_version__program"
    )
    if request.method == "POST":
        notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("review:inbox")
    return render(request, "review/inbox.html", {"notifications": notifications[:100]})
