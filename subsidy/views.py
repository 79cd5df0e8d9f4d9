"""Subsidy run pages: compute (preview) and commit, the run with its stages in 四(一)'s order, export, the
public notice and its objection form, the banks' own part."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.models import Program
from applications.scope import current_program
from kedaitong import confirm
from kedaitong.audit import log_action
from kedaitong.client import client_address
from kedaitong.permissions import get_visible_or_404, require_role
from kedaitong.programs import Feature, has_feature, kinds_with
from kedaitong.roles import PROGRAM_ROLES, Role
from kedaitong.throttle import throttle
from kedaitong.uploads import serve_upload
from loans.models import Bank
from operations.selectors import history_of, may_see_history
from subsidy import export, services, tasks
from subsidy.forms import (
    AuditForm,
    CancelForm,
    IssueForm,
    MeetingForm,
    ObjectionForm,
    PaymentForm,
    PublicityForm,
    ReviewForm,
    RulingForm,
    RunForm,
)
from subsidy.models import BANK_VISIBLE_STATES, RunObjection, RunState, SubsidyRun

MAKER_ROLES = (Role.BUREAU_STAFF,)


def subsidy_program(user) -> Program:
    """The user's current program, if it runs the interest subsidy (四); anyone else is an outsider (404)."""
    role = user.effective_role
    program = current_program(user) if role == Role.ADMIN or role in PROGRAM_ROLES else None
    if program is None or not has_feature(program, Feature.SUBSIDY):
        raise Http404
    return program


def _stored(run: SubsidyRun) -> tuple[list, list, list]:
    lines = list(run.lines.select_related("bank"))
    for line in lines:
        line.bank_name = line.bank.name
    return lines, services.bank_totals(lines), list(run.exclusions.all())


@require_GET
@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    """Runs, and the preview of a year: computed here when the year is small, as a background job when it is large."""
    from django.conf import settings

    program = subsidy_program(request.user)
    runs = SubsidyRun.objects.visible_to(request.user).filter(program=program)
    preview = None
    large = 0
    form = RunForm(request.GET or None)
    can_make = request.user.effective_role in MAKER_ROLES
    if request.GET and form.is_valid():
        try:
            services.parse_inputs(
                year=form.cleaned_data["year"],
                budget=form.cleaned_data["budget"],
                cutoff=form.cleaned_data["cutoff"],
            )
            count = tasks.year_loan_count(program, form.cleaned_data["year"])
            if count > getattr(settings, "SUBSIDY_PREVIEW_INLINE_MAX_LOANS", 5000):
                large = count  # the page offers the preview as a background job instead
            else:
                preview = services.compute_run(
                    program=program,
                    year=form.cleaned_data["year"],
                    budget=form.cleaned_data["budget"],
                    cutoff=form.cleaned_data["cutoff"],
                )
        except services.SubsidyInputError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "subsidy/run_list.html",
        {
            "program": program,
            "runs": runs,
            "form": form,
            "preview": preview,
            "can_make": can_make,
            "large": large,
            "job_params": tasks.job_params(program, form) if large else None,
            "totals": preview.bank_totals() if preview else [],
        },
    )


@require_POST
@login_required
def run_create(request: HttpRequest) -> HttpResponse:
    """Queue the commit (or, with action=preview, a large year's preview) as a job; its page shows progress and result."""
    from kedaitong.jobs import job_enqueue

    program = subsidy_program(request.user)
    require_role(request.user, *MAKER_ROLES)
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            year, _budget, _cutoff = services.parse_inputs(
                year=form.cleaned_data["year"],
                budget=form.cleaned_data["budget"],
                cutoff=form.cleaned_data["cutoff"],
            )
        except services.SubsidyInputError as exc:
            form.add_error(None, str(exc))
        else:
            preview = request.POST.get("action") == "preview"
            job = job_enqueue(
                owner=request.user,
                task=tasks.run_preview_job if preview else tasks.run_commit_job,
                params=tasks.job_params(program, form),
                title=f"试算{year}年度贴息（不保存）" if preview else f"生成{year}年度贴息批次",
            )
            # The progress page, which goes on to the saved run once the job is done (?follow=1).
            return redirect(
                reverse("job-detail", kwargs={"public_id": job.public_id})
                + ("" if preview else "?follow=1")
            )
    runs = SubsidyRun.objects.visible_to(request.user).filter(program=program)
    return render(
        request,
        "subsidy/run_list.html",
        {"program": program, "runs": runs, "form": form, "can_make": True},
        status=400,
    )


@require_GET
@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(
        SubsidyRun.objects.visible_to(request.user).select_related(
            "program",
            "created_by",
            "audited_by",
            "reviewed_by",
            "approved_by",
            "publicized_by",
            "issued_by",
            "cancelled_by",
        ),
        pk=pk,
    )
    lines, totals, exclusions = _stored(run)
    paid = {p.bank_id: p for p in run.payments.all()}
    for t in totals:
        t.payment = paid.get(t.bank_id)
    user = request.user
    step = NEXT_STEP.get(run.state)
    # The step's form on this page (payments have their own, one per bank, in the table below);
    # the funds document's once the publicity is over.
    acting = (
        step in STAGE_VIEWS  # type: ignore[operator]
        and _may(user, run, step)  # type: ignore[arg-type]
        and (step != "issue" or run.publicity_over())
    )
    objections = list(run.objections.select_related("ruled_by"))
    return render(
        request,
        "subsidy/run_detail.html",
        {
            "run": run,
            "lines": lines[:500],
            "line_count": len(lines),
            "totals": totals,
            "exclusions": exclusions[:500],
            "exclusion_count": len(exclusions),
            "S": RunState,
            "stages": _timeline(run),
            "step": step,
            "stage_form": STAGE_VIEWS[step][0](initial=_initial(step)) if acting else None,
            "stage_url": reverse(f"subsidy:run-{step}", args=[run.pk]) if acting else "",
            "stage_title": STAGE_VIEWS[step][2] if acting else "",
            "waiting_for": Role(services.STAGES[step].role).label if step else "",
            "objections": objections,
            "may_rule": _may(user, run, "rule"),
            "ruling_form": RulingForm(),
            "may_pay": run.state == RunState.ISSUED and _may(user, run, "pay"),
            "may_cancel": run.state not in (RunState.PAID, RunState.CANCELLED)
            and not paid
            and _may(user, run, "cancel"),
            "public_url": reverse("subsidy:public-notice", args=[run.program.code, run.year]),
            "mismatches": list(run.mismatches.all()),
            "record_history": history_of(run) if may_see_history(request.user) else None,
        },
    )


def attempt(form, call: Callable[[], object]) -> int | None:  # type: ignore[no-untyped-def]
    """Call a service for a valid form. None when it went through; else the refusal is the form's error and
    its type gives the status: 400 bad input, 409 out of 四(一)'s order or a state that forbids it; a role
    that may not act is a 403 (raised)."""
    try:
        call()
    except services.NotAllowed:
        raise PermissionDenied from None
    except services.SubsidyInputError as exc:
        form.add_error(None, str(exc))
        return 400
    except services.StageRefused as exc:
        form.add_error(None, str(exc))
        return 409
    return None


def _may(user, run: SubsidyRun, step: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        services.check_actor(user, run.program, step)
    except services.NotAllowed:
        return False
    return True


def _timeline(run: SubsidyRun) -> list[dict]:
    """The stages of 四(一) with who took each and when; the first not yet taken is the current one."""
    rows = [
        (RunState.COMPUTED, run.created_at, run.created_by),
        (RunState.AUDITED, run.audited_at, run.audited_by),
        (RunState.REVIEWED, run.reviewed_at, run.reviewed_by),
        (RunState.APPROVED, run.approved_at, run.approved_by),
        (RunState.PUBLICIZED, run.publicized_at, run.publicized_by),
        (RunState.ISSUED, run.issued_at, run.issued_by),
        (RunState.PAID, run.paid_at, None),
    ]
    names = {
        RunState.COMPUTED: _("Computation"),
        RunState.AUDITED: STAGE_VIEWS["audit"][2],
        RunState.REVIEWED: STAGE_VIEWS["review"][2],
        RunState.APPROVED: STAGE_VIEWS["approve"][2],
        RunState.PUBLICIZED: STAGE_VIEWS["publicize"][2],
        RunState.ISSUED: STAGE_VIEWS["issue"][2],
        RunState.PAID: _("Payment to the banks"),
    }
    stages, current_found = [], run.state in (RunState.CANCELLED, RunState.PAID)
    for state, at, by in rows:
        done = at is not None
        current = not done and not current_found
        current_found = current_found or current
        stages.append(
            {"state": state, "label": names[state], "at": at, "by": by, "done": done}
            | {"current": current}
        )
    return stages


# The step a run in each state waits for, in 四(一)'s order.
NEXT_STEP = {
    RunState.COMPUTED: "audit",
    RunState.AUDITED: "review",
    RunState.REVIEWED: "approve",
    RunState.APPROVED: "publicize",
    RunState.PUBLICIZED: "issue",
    RunState.ISSUED: "pay",
}


@require_GET
@login_required
def run_export(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_visible_or_404(SubsidyRun.objects.visible_to(request.user), pk=pk)
    lines, totals, exclusions = _stored(run)
    log_action(
        actor=request.user,
        action="subsidy.run.exported",
        obj=run,
        data={"rows": len(lines)},
        request=request,
    )
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="subsidy-{run.program.code}-{run.year}.xlsx"'
    )
    export.write_run(
        response,
        lines=lines,
        totals=totals,
        exclusions=exclusions,
        mismatches=run.mismatches.all(),
    )
    return response


# The files a run keeps, one per stage that records one: URL kind → (file field, name field).
RUN_FILES = {
    "opinion": ("audit_opinion", "audit_opinion_name"),
    "pboc": ("pboc_file", "pboc_file_name"),
    "minutes": ("meeting_minutes", "meeting_minutes_name"),
    "document": ("document_file", "document_file_name"),
}


@require_GET
@login_required
def run_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    run = get_visible_or_404(SubsidyRun.objects.visible_to(request.user), pk=pk)
    if kind not in RUN_FILES:
        raise Http404
    file_field, name_field = RUN_FILES[kind]
    stored = getattr(run, file_field)
    if not stored:
        raise Http404
    return serve_upload(stored, filename=getattr(run, name_field))


def _initial(step: str) -> dict:
    return {"start": timezone.localdate()} if step == "publicize" else {}


# Each stage's page: its form, the service it calls, its title.
STAGE_VIEWS = {
    "audit": (
        AuditForm,
        services.run_audit,
        gettext_lazy("Audit by the accounting firm with the PBoC branch"),
    ),
    "review": (ReviewForm, services.run_review, gettext_lazy("Compliance review")),
    "approve": (
        MeetingForm,
        services.run_approve,
        gettext_lazy("Approval by the party-group meeting"),
    ),
    "publicize": (PublicityForm, services.run_publicize, gettext_lazy("Publicity")),
    "issue": (IssueForm, services.run_issue, gettext_lazy("Funds document")),
    "cancel": (CancelForm, services.run_cancel, gettext_lazy("Cancel this run")),
}


# Stages that cannot be undone ask for confirmation first (issue 18 item 4, kedaitong/confirm.py).
CONFIRMED_STEPS = ("approve", "publicize", "cancel")


def _stage_restatement(
    request: HttpRequest, run: SubsidyRun, step: str, data: dict
) -> confirm.Restatement:
    """审定, 开始公示, 撤销本批次 in words: who, which run, its total and each bank's amount."""
    lines, totals, _exclusions = _stored(run)
    who = confirm.actor(request.user)
    the_run = _("the %(year)s interest subsidy of %(program)s") % {
        "year": run.year,
        "program": run.program.name,
    }
    amounts = [(_("Subsidy in total"), run.total)] + [(t.bank_name, t.amount) for t in totals]
    facts = [(_("Loans"), str(len(lines))), (_("Banks"), str(len(totals)))]
    if step == "approve":
        return confirm.Restatement(
            title=_("Confirm: the party-group meeting's approval"),
            button=_("Confirm the approval"),
            lines=[
                _("%(who)s records that the party-group meeting of %(date)s approved %(run)s.")
                % {"who": who, "run": the_run, "date": data["meeting_date"]},
                _("The figures below are then fixed for the publicity."),
            ],
            facts=facts,
            amounts=amounts,
            article=_("Quzhou 四(一): 局党组会审定."),
        )
    if step == "publicize":
        return confirm.Restatement(
            title=_("Confirm: start the publicity"),
            button=_("Confirm and start the publicity"),
            lines=[
                _(
                    "%(who)s publishes %(run)s from %(start)s: every bank's name and amount and "
                    "every enterprise's subsidy become public, and anyone may object."
                )
                % {"who": who, "run": the_run, "start": data["start"]},
            ],
            facts=facts,
            amounts=amounts,
            article=_("Quzhou 四(一): 公示."),
        )
    return confirm.Restatement(
        title=_("Confirm: cancel this run"),
        button=_("Confirm: cancel this run"),
        lines=[
            _("%(who)s cancels %(run)s. Its settlements become free for a new run.")
            % {"who": who, "run": the_run},
            _("Reason: %(reason)s") % {"reason": data["reason"]},
        ],
        facts=facts,
        amounts=amounts,
        article=_("Quzhou 四(一): a run is cancelled before any bank is paid."),
    )


def _stage(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """GET: the stage's form; POST: the stage's service. Refusals by type: 403 role, 400 input, 409 order."""
    run = get_visible_or_404(
        SubsidyRun.objects.visible_to(request.user).select_related("program"), pk=pk
    )
    if not _may(request.user, run, step):
        raise PermissionDenied
    form_class, call, title = STAGE_VIEWS[step]
    form = form_class(request.POST or None, confirm.files(request) or None, initial=_initial(step))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and confirm.going_back(request):
            status = 200
        elif form.is_valid() and step in CONFIRMED_STEPS and not confirm.confirmed(request):
            return confirm.ask(request, _stage_restatement(request, run, step, form.cleaned_data))
        elif form.is_valid():
            refusal = attempt(
                form,
                lambda: call(actor=request.user, run=run, request=request, **form.cleaned_data),
            )
            if refusal is None:
                messages.success(request, _("Recorded: %(what)s.") % {"what": title})
                return redirect("subsidy:run-detail", pk=run.pk)
            status = refusal
    return render(
        request,
        "subsidy/run_stage.html",
        {"run": run, "form": form, "title": title, "step": step},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def run_audit(request: HttpRequest, pk: int) -> HttpResponse:
    return _stage(request, pk, "audit")


@require_http_methods(["GET", "POST"])
@login_required
def run_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _stage(request, pk, "review")


@require_http_methods(["GET", "POST"])
@login_required
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _stage(request, pk, "approve")


@require_http_methods(["GET", "POST"])
@login_required
def run_publicize(request: HttpRequest, pk: int) -> HttpResponse:
    return _stage(request, pk, "publicize")


@require_http_methods(["GET", "POST"])
@login_required
def run_issue(request: HttpRequest, pk: int) -> HttpResponse:
    return _stage(request, pk, "issue")


@require_http_methods(["GET", "POST"])
@login_required
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _stage(request, pk, "cancel")


@require_POST
@login_required
def run_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """兑现, one bank at a time from the run's page; a refusal comes back as a message there."""
    run = get_visible_or_404(SubsidyRun.objects.visible_to(request.user), pk=pk)
    if not _may(request.user, run, "pay"):
        raise PermissionDenied
    form = PaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the payment's date and voucher number."))
        return redirect("subsidy:run-detail", pk=run.pk)
    bank = get_object_or_404(Bank, code=form.cleaned_data["bank"])
    if confirm.going_back(request):
        title = _("Record payment") + f" · {bank.name}"
        return render(
            request,
            "subsidy/run_stage.html",
            {"run": run, "form": form, "title": title, "step": "pay"},
        )
    if not confirm.confirmed(request):
        total = next((t.amount for t in _stored(run)[1] if t.bank_id == bank.pk), None)
        return confirm.ask(
            request,
            confirm.Restatement(
                title=_("Confirm: record the payment"),
                button=_("Confirm the payment"),
                lines=[
                    _(
                        "%(who)s records that the subsidy of the %(year)s run was paid to %(bank)s "
                        "on %(date)s, voucher %(voucher)s."
                    )
                    % {
                        "who": confirm.actor(request.user),
                        "year": run.year,
                        "bank": bank.name,
                        "date": form.cleaned_data["paid_on"],
                        "voucher": form.cleaned_data["voucher_no"],
                    }
                ],
                amounts=[(bank.name, total)] if total is not None else [],
                article=_("Quzhou 四(一): 兑现 to the lending banks."),
            ),
        )
    try:
        services.run_record_payment(
            actor=request.user,
            run=run,
            bank=bank,
            paid_on=form.cleaned_data["paid_on"],
            voucher_no=form.cleaned_data["voucher_no"],
            request=request,
        )
    except services.NotAllowed:
        raise PermissionDenied from None
    except services.StageRefused as exc:  # out of order, or already paid
        messages.error(request, str(exc))
    except services.SubsidyInputError as exc:
        messages.error(request, str(exc))
    return redirect("subsidy:run-detail", pk=run.pk)


@require_http_methods(["GET", "POST"])
@login_required
def objection_rule(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Bureau staff uphold or dismiss an objection to the publicity, with the reason."""
    objection = get_visible_or_404(
        RunObjection.objects.visible_to(request.user).select_related("run__program"),
        public_id=public_id,
    )
    if not _may(request.user, objection.run, "rule"):
        raise PermissionDenied
    form = RulingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            refusal = attempt(
                form,
                lambda: services.objection_rule(
                    actor=request.user,
                    objection=objection,
                    upheld=form.cleaned_data["ruling"] == "upheld",
                    note=form.cleaned_data["note"],
                    request=request,
                ),
            )
            if refusal is None:
                messages.success(request, _("Ruling recorded."))
                return redirect("subsidy:run-detail", pk=objection.run.pk)
            status = refusal
    return render(
        request,
        "subsidy/objection_rule.html",
        {"objection": objection, "run": objection.run, "form": form},
        status=status,
    )


@require_GET
@login_required
def objection_file(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    objection = get_visible_or_404(
        RunObjection.objects.visible_to(request.user).exclude(attachment=""), public_id=public_id
    )
    return serve_upload(objection.attachment, filename=objection.attachment_name or "file")


# States whose figures are public (四(一) 公示) once the publicity has begun, and so shown to the banks.
PUBLIC_STATES = BANK_VISIBLE_STATES


def _public_runs():  # type: ignore[no-untyped-def]
    """Runs whose publicity has begun (runs paid before publicity dates were kept count as public)."""
    return SubsidyRun.objects.filter(state__in=PUBLIC_STATES).filter(
        Q(publicity_start__isnull=True) | Q(publicity_start__lte=timezone.localdate())
    )


def _public_run(code: str, year: int) -> SubsidyRun:
    """The public run of the program the address names: a program whose kind the registry gives subsidies."""
    return get_object_or_404(
        _public_runs().select_related("program"),
        program__kind__in=kinds_with(Feature.SUBSIDY),
        program__code=code,
        year=year,
    )


@require_GET
def public_notice(request: HttpRequest, program: str, year: int) -> HttpResponse:
    """公示 (四(一)): no login; per bank its name and amount, per loan the enterprise, its bank and the amount."""
    run = _public_run(program, year)
    lines, totals, _exclusions = _stored(run)
    return render(
        request,
        "subsidy/public_notice.html",
        {
            "run": run,
            "lines": lines,
            "totals": totals,
            "running": run.publicity_running(),
        },
    )


@require_http_methods(["GET", "POST"])
@throttle("subsidy-objection")  # per client address (settings.THROTTLE_RATES); see docs/security.md
def public_objection(request: HttpRequest, program: str, year: int) -> HttpResponse:
    """Anyone objects to a run during its publicity, no login; throttled per client address."""
    run = _public_run(program, year)
    if not run.publicity_running():
        raise Http404
    form = ObjectionForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.objection_submit(
                    run=run, ip_address=client_address(request), **form.cleaned_data
                )
            except services.StageRefused as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                return render(request, "subsidy/public_objection_done.html", {"run": run})
    return render(
        request, "subsidy/public_objection.html", {"run": run, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
@login_required
def lpr_import(request: HttpRequest) -> HttpResponse:
    """New LPR publications from a file (admins); the table itself is in the admin site."""
    from subsidy.forms import LPRImportForm
    from subsidy.lpr_import import LPRImportError, import_lpr
    from subsidy.models import LPRRate

    require_role(request.user, Role.ADMIN)
    form = LPRImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = import_lpr(
                actor=request.user, upload=upload, filename=upload.name or "", request=request
            )
        except LPRImportError as exc:
            problems = exc.problems
        else:
            messages.success(request, f"已导入{len(created)}条LPR报价")
            return redirect("subsidy:lpr-import")
    latest = LPRRate.objects.all()[:12]
    status = 400 if problems or (request.method == "POST" and not form.is_valid()) else 200
    return render(
        request,
        "subsidy/lpr_import.html",
        {"form": form, "problems": problems, "latest": latest},
        status=status,
    )


def _bank_runs(user) -> list[SubsidyRun]:
    """The runs with the bank's lines whose publicity has begun (before it, a run is the government's)."""
    require_role(user, Role.BANK)
    program = current_program(user)  # a bank's subsidy is its current program's, where it runs one
    if not has_feature(program, Feature.SUBSIDY):
        raise Http404
    return list(
        _public_runs()
        .filter(program=program, lines__bank=user.bank_id)
        .select_related("program")
        .distinct()
        .order_by("-year", "-pk")
    )


@require_GET
@login_required
def bank_subsidy(request: HttpRequest) -> HttpResponse:
    """A bank's own subsidy: for each publicized run, its lines, the loans left out and why, and the payment."""
    bank = request.user.bank
    sections = []
    for run in _bank_runs(request.user):
        lines = list(run.lines.filter(bank=bank))
        for line in lines:
            line.bank_name = bank.name
        (total,) = services.bank_totals(lines) or [None]
        sections.append(
            {
                "run": run,
                "lines": lines[:500],
                "line_count": len(lines),
                "total": total,
                "payment": run.payments.filter(bank=bank).first(),
                "exclusions": list(run.exclusions.filter(bank_code=bank.code)[:500]),
            }
        )
    return render(request, "subsidy/bank_subsidy.html", {"bank": bank, "sections": sections})


@require_GET
@login_required
def bank_subsidy_export(request: HttpRequest, pk: int) -> HttpResponse:
    runs = {run.pk: run for run in _bank_runs(request.user)}
    if pk not in runs:
        raise Http404
    run, bank = runs[pk], request.user.bank
    lines = list(run.lines.filter(bank=bank))
    for line in lines:
        line.bank_name = bank.name
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="subsidy-{run.program.code}-{run.year}-{bank.code}.xlsx"'
    )
    export.write_run(
        response,
        lines=lines,
        totals=services.bank_totals(lines),
        exclusions=run.exclusions.filter(bank_code=bank.code),
        mismatches=run.mismatches.filter(bank_code=bank.code),
    )
    return response
