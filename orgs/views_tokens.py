"""The API tokens page: issue a token (its text shown this once), list tokens, and revoke one
after a confirmation page."""

from __future__ import annotations

import datetime
from typing import Any

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from orgs.choices import Role, TokenAccess
from orgs.models import Organization
from orgs.tokens import token_create, token_revoke, token_status, tokens_visible_to


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'SIEM export'.")
    access = forms.ChoiceField(choices=TokenAccess.choices, initial=TokenAccess.READ)
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        empty_label="Personal: acts with all your rights",
        help_text="An organization token reaches that organization only.",
    )
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day it works; empty for no expiry.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organization.objects.with_role(user, Role.ADMIN)

    def expires_at(self) -> datetime.datetime | None:
        """The moment the token stops: the start of the day after ``expires_on``."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
        )


@never_cache
@login_required
@reauthentication_required(allow_get=True)
def token_list(request: HttpRequest) -> HttpResponse:
    """List the user's tokens; on POST issue one and show its text once (after a recent
    confirmation of the password or second factor: a token outlives the session)."""
    issued = None
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            token, issued = token_create(
                user=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                access=form.cleaned_data["access"],
                organization=form.cleaned_data["organization"],
                expires_at=form.expires_at(),
                request=request,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "expires_at" in error.error_dict:
                error = ValidationError({"expires_on": error.error_dict["expires_at"]})
            form.add_error(None, error)
        else:
            messages.success(request, f"Token “{token.name}” issued. Copy it now.")
            form = TokenForm(user=request.user)
    tokens = [
        (token, token_status(token))
        for token in tokens_visible_to(user=request.user).select_related("organization", "user")
    ]
    return render(
        request,
        "orgs/tokens.html",
        {"form": form, "tokens": tokens, "issued": issued},
    )


@never_cache
@login_required
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a token after a confirmation page: scripts that use it stop working at once."""
    token = get_object_or_404(
        tokens_visible_to(user=request.user).select_related("organization", "user"), pk=pk
    )
    if request.method == "POST":
        token_revoke(token=token, user=request.user, request=request)
        messages.success(request, f"Token “{token.name}” revoked.")
        return redirect("tokens")
    return render(
        request, "orgs/token_revoke.html", {"token": token, "status": token_status(token)}
    )
