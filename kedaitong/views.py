"""Home pages by role, health check, and the error pages."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from applications.models import Application, Enterprise, Program
from kedaitong.audit import log_action
from kedaitong.db import MoneySum
from kedaitong.models import Job
from kedaitong.roles import Role
from loans.models import Bank, Loan


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "home/anonymous.html", {"programs": _programs_in_force()})
    role = user.effective_role
    if not role:
        if user.account_claims.exists():  # a dispute's claimant follows its claim there
            return redirect("applications:account")
        return render(request, "home/no_role.html", status=403)
    applications = Application.objects.visible_to(user).select_related(
        # publicity_entry__batch: an application in publicity shows 公示中 or 待公示 by its batch
        "enterprise",
        "bank",
        "program_version__program",
        "publicity_entry__batch",
    )
    loans = Loan.objects.visible_to(user).select_related(
        "enterprise", "bank", "program_version__program"
    )
    from reports.dashboard import dashboard_context, tally_totals

    context = {
        "role": role,
        "recent_applications": _latest(applications),
        "recent_loans": _latest(loans),
    }
    # A whole program's figures come from the tallies kept with every change (reports/tallies.py); a bank's
    # or an enterprise's own records are counted directly.
    context |= tally_totals(user) or {
        "application_count": applications.count(),
        "applications_by_state": _by_state(applications),
        "loan_totals": loans.aggregate(count=Count("id"), principal=MoneySum("principal")),
    }

    dashboard, status = dashboard_context(request)  # 400 when the charts' filter was refused
    context |= dashboard
    context["show_npl"] = role != Role.ENTERPRISE
    if role == Role.ENTERPRISE:
        context["enterprise"] = user.enterprise
    elif role == Role.BANK:
        context["bank"] = user.bank
    elif role == Role.ADMIN:
        context["counts"] = {
            "enterprises": Enterprise.objects.count(),
            "banks": Bank.objects.count(),
        }
        from operations.models import AuditCheck, BackupRun

        # The daily checks' last results (audit_verify, backup): what an administrator must see first.
        context["audit_check"] = AuditCheck.objects.first()
        context["backup_run"] = BackupRun.objects.first()
    else:
        context["program"] = user.program
    return render(request, home_template(role), context, status=status)


# The program's roles share one home page: its figures, charts and records; all but the auditor its review queue.
GOVERNMENT_HOME = {Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.LEADING_GROUP, Role.AUDITOR}


def home_template(role: str) -> str:
    return "home/government.html" if role in GOVERNMENT_HOME else f"home/{role}.html"


def _programs_in_force() -> list[tuple[Program, list[str]]]:
    """Each program with the figures of the version in force today (every figure from the version, none typed in)."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from kedaitong.money import yuan_to_wan
    from kedaitong.templatetags.money import share

    found = []
    for program in Program.objects.order_by("pk"):
        version = program.version_on(timezone.localdate())
        if version is None:
            continue
        terms = []
        if version.max_amount is not None:
            terms.append(
                _("loans up to %(wan)s ten-thousand yuan")
                % {"wan": f"{yuan_to_wan(version.max_amount).normalize():f}"}
            )
        if version.enterprise_annual_cap is not None:
            terms.append(
                _("at most %(wan)s ten-thousand yuan a year per enterprise, annualized")
                % {"wan": f"{yuan_to_wan(version.enterprise_annual_cap).normalize():f}"}
            )
        if version.max_term_months is not None:
            terms.append(_("a term of at most %(n)d months") % {"n": version.max_term_months})
        if version.rate_capped_by_lpr:
            terms.append(_("a rate at most the LPR"))
        if version.needs_recommendation:
            terms.append(_("reviewed by the science bureau and recommended to the bank"))
        if version.risk_compensation:
            terms.append(_("with a risk compensation pool"))
        if version.subsidy_share is not None:
            terms.append(
                _("banks get %(share)s of the settled interest as subsidy")
                % {"share": share(version.subsidy_share)}
            )
        found.append((program, terms))
    return found


def _latest(records: QuerySet[Any], n: int = 10) -> list[Any]:
    """The first `n` in the model's order: the ids sorted first (narrow rows), then those rows with their
    relations (sorting 50,000 joined rows took most of a bureau's home page, issue 20)."""
    ids = list(records.values_list("pk", flat=True)[:n])
    found = records.order_by().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _by_state(applications: QuerySet[Application]) -> list[tuple[str, int]]:
    # Counted here (a bank's or an enterprise's own): a GROUP BY state walks the state index over every row.
    counts = Counter(applications.order_by().values_list("state", flat=True))
    return [
        (label, counts[value]) for value, label in Application.State.choices if counts.get(value)
    ]


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """Django's reset link, which is also the invitation link: setting a password through it proves the address."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = self.user
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            log_action(
                actor=user,
                action="applications.account.email_verified",
                obj=user,
                data={"via": "password link"},
                request=self.request,
            )
        return response


def throttled(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A throttle's refusal (kedaitong/throttle.py, RATELIMIT_VIEW): the Chinese 429 page; nothing was done."""
    return render(request, "429.html", status=429)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _own_job(request: HttpRequest, public_id: uuid.UUID) -> Job:
    # A job belongs to whoever started it; anyone else gets 404.
    return get_object_or_404(Job, public_id=public_id, owner=request.user)


@require_GET
@login_required
def job_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    job = _own_job(request, public_id)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {
                "state": job.state,
                "done": job.done,
                "total": job.total,
                "percent": job.percent,
                "message": job.message,
                "link": job.link if job.state == Job.State.DONE else "",
            }
        )
    # ?follow=1 (the page a form sends its user to): once done, go on to the record the job made.
    follow = request.GET.get("follow") == "1" and job.state == Job.State.DONE and bool(job.link)
    return render(
        request,
        "kedaitong/job_detail.html",
        {
            "job": job,
            "active": job.state in (Job.State.QUEUED, Job.State.RUNNING),
            "follow": follow,
        },
    )


@require_GET
@login_required
def job_download(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    job = _own_job(request, public_id)
    if job.state != Job.State.DONE or not job.result:
        raise Http404
    response = FileResponse(job.result.open("rb"), as_attachment=True, filename=job.result_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def verify_document(request: HttpRequest, code: str) -> HttpResponse:
    """Public, no login: what an issued PDF is, when and by whom issued, and whether it is current — nothing more."""
    from kedaitong.models import IssuedDocument

    document = get_object_or_404(IssuedDocument.objects.select_related("superseded_by"), code=code)
    response = render(request, "kedaitong/verify.html", {"document": document})
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
