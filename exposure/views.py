"""Pages of exposure: the overview."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from exposure.selectors import organizations_with_exposure


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    organizations = organizations_with_exposure(user=request.user)
    return render(request, "exposure/overview.html", {"organizations": organizations})
