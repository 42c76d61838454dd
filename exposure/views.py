"""Pages of exposure: the overview dashboard."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from exposure.charts import bars, line_chart
from exposure.dashboard import dashboard_overview


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The flags of every organization the user may see, at a glance."""
    data = dashboard_overview(user=request.user)
    context = {
        "overview": data,
        "severity_bars": bars([(r.key, r.label, r.count) for r in data.by_severity]),
        "kind_bars": bars([(r.key, r.label, r.count) for r in data.by_kind]),
        "trend": line_chart([(point.day, point.count) for point in data.trend]),
    }
    return render(request, "exposure/overview.html", context)
