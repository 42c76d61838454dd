"""Filters of the campaigns API."""

from __future__ import annotations

import django_filters

from campaigns.choices import AttestationStatus, CampaignStatus
from campaigns.models import Attestation, Campaign, Evidence, Plan


class CampaignFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CampaignStatus.choices)
    advisory = django_filters.NumberFilter(field_name="advisory_id")

    class Meta:
        model = Campaign
        fields = ["status", "advisory"]


class PlanFilterSet(django_filters.FilterSet):
    campaign = django_filters.NumberFilter(field_name="campaign_id")

    class Meta:
        model = Plan
        fields = ["campaign"]


class AttestationFilterSet(django_filters.FilterSet):
    campaign = django_filters.NumberFilter(field_name="plan__campaign_id")
    plan = django_filters.NumberFilter(field_name="plan_id")
    status = django_filters.ChoiceFilter(choices=AttestationStatus.choices)

    class Meta:
        model = Attestation
        fields = ["campaign", "plan", "status"]


class EvidenceFilterSet(django_filters.FilterSet):
    attestation = django_filters.NumberFilter(field_name="attestation_id")

    class Meta:
        model = Evidence
        fields = ["attestation"]
