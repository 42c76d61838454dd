"""The campaign boxes of other apps' pages: an advisory's campaign (or the button that opens
one) and an organization's campaigns. A tag, so that the advisory and organization apps need
not know campaigns exist; what it shows goes through the tenant rule."""

from __future__ import annotations

from typing import Any

from django import template

from advisories.choices import AdvisoryStatus, RecommendedAction
from advisories.models import Advisory
from campaigns.models import Campaign, Plan
from campaigns.selectors import campaigns_visible, plan_progress
from campaigns.services import can_run_campaigns
from orgs.models import Organization

register = template.Library()


@register.inclusion_tag("campaigns/_advisory_campaign.html", takes_context=True)
def advisory_campaign(context: dict[str, Any], advisory: Advisory) -> dict[str, Any]:
    user = context["request"].user
    campaign = campaigns_visible(user=user).filter(advisory=advisory).first()
    can_open = (
        campaign is None
        and advisory.status == AdvisoryStatus.PUBLISHED
        and advisory.recommended_action == RecommendedAction.REPLACE
        and not Campaign.objects.filter(advisory=advisory).exists()
        and can_run_campaigns(user)
    )
    return {"advisory": advisory, "campaign": campaign, "can_open": can_open}


@register.inclusion_tag("campaigns/_organization_campaigns.html", takes_context=True)
def organization_campaigns(context: dict[str, Any], organization: Organization) -> dict[str, Any]:
    user = context["request"].user
    plans = (
        Plan.objects.visible_to(user)
        .filter(organization=organization)
        .select_related("campaign", "organization")
        .order_by("-campaign__opened_at")
    )
    return {"rows": [plan_progress(plan=plan) for plan in plans]}
