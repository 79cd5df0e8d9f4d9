"""The bank's API token pages: list, create (the token shown once), revoke (a confirmation page, then POST)."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from api import services
from api.models import ApiToken
from kedaitong.errors import Refused
from kedaitong.permissions import get_visible_or_404, role_required
from kedaitong.roles import Role

SESSION_KEY = "api_token_shown_once"
VALIDITY = (30, 90, 180, 365)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=60,
        help_text=_("What the token is for, e.g. the name of the system that uses it."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"), choices=ApiToken.Scope.choices, widget=forms.RadioSelect
    )
    valid_days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=[(d, _("%(days)s days") % {"days": d}) for d in VALIDITY],
        initial=90,
        help_text=_(
            "Until the end of the last day (the bureau's date); make a new token before then."
        ),
    )


@require_GET
@role_required(Role.BANK, Role.ADMIN)
def token_list(request: HttpRequest) -> HttpResponse:
    """A bank's tokens (the administrator: every bank's), and for a bank clerk the form to make one."""
    tokens = (
        ApiToken.objects.visible_to(request.user)
        .select_related("bank", "created_by", "revoked_by")
        .order_by("revoked_at", "-created_at")
    )
    shown = request.session.pop(SESSION_KEY, None)
    response = render(
        request,
        "api/token_list.html",
        {
            "tokens": tokens,
            "today": timezone.localdate(),
            "form": TokenForm() if request.user.effective_role == Role.BANK else None,
            "new_secret": shown["secret"] if shown else None,
            "new_name": shown["name"] if shown else None,
        },
    )
    response["Cache-Control"] = "no-store"  # the page that shows a new token once is never cached
    return response


@require_POST
@role_required(Role.BANK)
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        expires_on = timezone.localdate() + dt.timedelta(days=form.cleaned_data["valid_days"] - 1)
        try:
            made = services.token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_on=expires_on,
            )
        except Refused as exc:
            form.add_error("name" if "名称" in str(exc) else None, str(exc))
        else:
            # Shown on the next page once, then gone: only its SHA-256 is kept.
            request.session[SESSION_KEY] = {"secret": made.secret, "name": made.token.name}
            return redirect("api-tokens:list")
    tokens = ApiToken.objects.visible_to(request.user).select_related(
        "bank", "created_by", "revoked_by"
    )
    return render(
        request,
        "api/token_list.html",
        {"tokens": tokens, "today": timezone.localdate(), "form": form},
        status=400,
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.BANK, Role.ADMIN)
def token_revoke(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """GET: what revoking does; POST: revoke (the bank's clerks, or the administrator)."""
    token = get_visible_or_404(
        ApiToken.objects.visible_to(request.user).select_related("bank", "created_by"),
        public_id=public_id,
    )
    problem = ""
    if request.method == "POST":
        try:
            services.token_revoke(actor=request.user, token=token)
        except Refused as exc:
            problem = str(exc)
        else:
            messages.success(
                request, _("The token was revoked: calls with it are refused from now on.")
            )
            return redirect("api-tokens:list")
    return render(
        request,
        "api/token_revoke.html",
        {"token": token, "problem": problem},
        status=409 if problem else 200,
    )
