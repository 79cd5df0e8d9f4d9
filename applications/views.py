"""Enterprise and application pages, each looked up within the user's scope."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from applications.models import Application, Enterprise
from kedaitong.permissions import get_visible_or_404
from loans.models import Loan


@require_GET
@login_required
def enterprise_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    enterprise = get_visible_or_404(Enterprise.objects.visible_to(request.user), public_id=public_id)
    applications = (
        Application.objects.visible_to(request.user)
        .filter(enterprise=enterprise)
        .select_related("bank", "program_version__program")
    )
    loans = Loan.objects.visible_to(request.user).filter(enterprise=enterprise).select_related("bank")
    return render(
        request,
        "applications/enterprise_detail.html",
        {"enterprise": enterprise, "applications": applications, "loans": loans},
    )


@require_GET
@login_required
def application_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    application = get_visible_or_404(
        Application.objects.visible_to(request.user).select_related(
            "enterprise", "bank", "program_version__program", "product_type"
        ),
        public_id=public_id,
    )
    return render(request, "applications/application_detail.html", {"application": application})
