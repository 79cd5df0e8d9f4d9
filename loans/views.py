"""Bank pages, looked up within the user's scope: a bank sees only itself."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kedaitong.db import MoneySum
from kedaitong.permissions import get_visible_or_404, role_required
from kedaitong.roles import PROGRAM_ROLES, Role
from loans.models import Bank, Loan


@require_GET
@role_required(*PROGRAM_ROLES, Role.BANK, Role.ADMIN)
def bank_list(request: HttpRequest) -> HttpResponse:
    banks = Bank.objects.visible_to(request.user).annotate(
        loan_count=Count("loans", distinct=True), principal=MoneySum("loans__principal")
    )
    return render(request, "loans/bank_list.html", {"banks": banks})


@require_GET
@login_required
def bank_detail(request: HttpRequest, code: str) -> HttpResponse:
    bank = get_visible_or_404(Bank.objects.visible_to(request.user), code=code)
    loans = (
        Loan.objects.visible_to(request.user)
        .filter(bank=bank)
        .select_related("enterprise", "program_version__program")
    )
    agreements = bank.agreements.select_related("program")
    return render(
        request,
        "loans/bank_detail.html",
        {"bank": bank, "loans": loans[:50], "loan_count": loans.count(), "agreements": agreements},
    )
