"""Serializers of the advisory API.

An advisory is written as a whole: its targets, CVE ids and references travel nested in the
advisory's body, because they are validated, compiled and recorded in its revision history
together. Each nested target is checked against the model's rules here, so that an error names
the target and field (``targets[1].product``) rather than failing in the service.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from advisories.choices import TargetKind
from advisories.models import (
    CVE_ID_VALIDATOR,
    Advisory,
    AdvisoryReference,
    AdvisoryRevision,
    AffectedTarget,
    Source,
)
from config.api_exceptions import validation_detail
from config.api_serializers import CountryCodeField, StrictModelSerializer, StrictSerializer
from exposure.choices import Confidence
from vendors.choices import CriticalityTier, Sector


class SourceSerializer(StrictModelSerializer[Source]):
    url = serializers.HyperlinkedIdentityField(view_name="api:source-detail")

    country = CountryCodeField()

    class Meta:
        model = Source
        fields = [
            "id",
            "url",
            "name",
            "slug",
            "kind",
            "country",
            "website",
            "description",
            "feed_kind",
            "feed_url",
            "feed_enabled",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The database refuses an enabled feed without kind and URL; say so as a 400.
        merged = {
            name: attrs.get(name, getattr(self.instance, name, ""))
            for name in ("feed_enabled", "feed_kind", "feed_url")
        }
        if merged["feed_enabled"] and not (merged["feed_kind"] and merged["feed_url"]):
            raise serializers.ValidationError(
                {"feed_enabled": "An enabled feed needs a feed kind and a feed URL."}
            )
        return attrs


# What each kind of target must name (the model's check constraints, said per field).
TARGET_KIND_NEEDS: dict[TargetKind, tuple[str, ...]] = {
    TargetKind.VENDOR: ("vendor",),
    TargetKind.PRODUCT: ("product",),
    TargetKind.PRODUCT_RANGE: ("product", "version_range"),
    TargetKind.CPE: ("cpe",),
    TargetKind.PURL: ("purl",),
    TargetKind.JURISDICTION: ("country",),
}


class AffectedTargetSerializer(StrictModelSerializer[AffectedTarget]):
    """One rule of what the advisory covers; which fields count depends on ``kind``."""

    country = CountryCodeField()

    class Meta:
        model = AffectedTarget
        fields = [
            "id",
            "kind",
            "is_exclusion",
            "vendor",
            "include_subsidiaries",
            "product",
            "version_range",
            "cpe",
            "version_start_including",
            "version_start_excluding",
            "version_end_including",
            "version_end_excluding",
            "purl",
            "country",
            "note",
            "needs_review",
            "review_reason",
        ]
        read_only_fields = ["needs_review", "review_reason"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Targets are replaced as a whole even in a PATCH, where DRF would not require a kind.
        if "kind" not in attrs:
            raise serializers.ValidationError({"kind": "This field is required."})
        missing = [
            name for name in TARGET_KIND_NEEDS[TargetKind(attrs["kind"])] if not attrs.get(name)
        ]
        if missing:
            label = TargetKind(attrs["kind"]).label
            raise serializers.ValidationError(
                {name: f"A target of kind '{label}' needs this." for name in missing}
            )
        # The model's remaining rules, checked before the service saves anything.
        try:
            AffectedTarget(**attrs).full_clean(exclude=["advisory"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(validation_detail(error)) from None
        return attrs


class AdvisoryReferenceSerializer(StrictModelSerializer[AdvisoryReference]):
    class Meta:
        model = AdvisoryReference
        fields = ["url", "summary", "category"]


@extend_schema_field(
    {"type": "array", "items": {"type": "string", "pattern": r"^CVE-\d{4}-\d{4,}$"}}
)
class CveIdsField(serializers.ListField):
    """The advisory's CVE ids as a list of strings (``CVE-2024-3400``)."""

    child = serializers.CharField(max_length=30, validators=[CVE_ID_VALIDATOR])

    def get_attribute(self, instance: Advisory) -> list[str]:
        return [cve.cve_id for cve in instance.cves.all()]

    def to_internal_value(self, data: Any) -> list[str]:
        # "cve-2024-3400" is the same id; normalise before validating, and drop repeats.
        if isinstance(data, list):
            data = [item.strip().upper() if isinstance(item, str) else item for item in data]
        values: list[str] = super().to_internal_value(data)
        return list(dict.fromkeys(values))


class AdvisorySerializer(StrictModelSerializer[Advisory]):
    url = serializers.HyperlinkedIdentityField(view_name="api:advisory-detail")
    source_name = serializers.CharField(source="source.name", read_only=True)
    audience_sectors = serializers.ListField(
        child=serializers.ChoiceField(choices=Sector.choices),
        required=False,
        help_text="Sectors the advisory is aimed at.",
    )
    audience_tiers = serializers.ListField(
        child=serializers.ChoiceField(choices=CriticalityTier.choices),
        required=False,
        help_text="Criticality tiers it is aimed at.",
    )
    targets = AffectedTargetSerializer(many=True, required=False)
    cve_ids = CveIdsField(required=False)
    references = AdvisoryReferenceSerializer(many=True, required=False)

    class Meta:
        model = Advisory
        fields = [
            "id",
            "url",
            "source",
            "source_name",
            "identifier",
            "title",
            "summary",
            "kind",
            "severity",
            "cvss_score",
            "cvss_vector",
            "status",
            "recommended_action",
            "action_details",
            "action_deadline",
            "audience_sectors",
            "audience_tiers",
            "known_exploited",
            "issued_on",
            "source_version",
            "published_at",
            "withdrawn_at",
            "withdrawn_reason",
            "targets",
            "cve_ids",
            "references",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "withdrawn_reason"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            # Editing replaces the advisory's fields and targets (advisory_update); its CVE ids
            # and references are given when it is created.
            fixed = {"cve_ids", "references"} & set(self.initial_data)
            if fixed:
                raise serializers.ValidationError(
                    {name: "Given when the advisory is created; not editable." for name in fixed}
                )
        return attrs


class AdvisoryFlagCountsSerializer(StrictSerializer):
    """The advisory's flags, counted in the organizations you may see."""

    organizations = serializers.IntegerField(help_text="Organizations it has active flags in.")
    items = serializers.IntegerField(help_text="Inventory items with an active flag of it.")
    active = serializers.IntegerField(help_text="Flags open or acknowledged.")
    overdue = serializers.IntegerField(help_text="Active flags past their due date.")
    closed = serializers.IntegerField(
        help_text="Flags mitigated, resolved, risk-accepted or marked false positives."
    )


class AdvisoryDetailSerializer(AdvisorySerializer):
    """One advisory, with the counts of its flags in the organizations you may see."""

    flag_counts = AdvisoryFlagCountsSerializer(read_only=True)

    class Meta(AdvisorySerializer.Meta):
        fields = [*AdvisorySerializer.Meta.fields, "flag_counts"]


class AdvisoryWithdrawSerializer(StrictSerializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the advisory no longer holds; shown to organizations."
    )


class AdvisoryRevisionSerializer(StrictModelSerializer[AdvisoryRevision]):
    class Meta:
        model = AdvisoryRevision
        fields = ["number", "source_version", "summary", "snapshot", "created_at", "created_by"]


class ImpactItemSerializer(StrictSerializer):
    id = serializers.IntegerField(help_text="The inventory item.")
    # DRF takes declared fields off the class, so this does not replace Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    confidence = serializers.ChoiceField(choices=Confidence.choices)
    priority = serializers.IntegerField()


class OrganizationImpactSerializer(StrictSerializer):
    organization_id = serializers.IntegerField()
    name = serializers.CharField()
    item_count = serializers.IntegerField(help_text="Items it would flag.")
    possible_count = serializers.IntegerField(
        help_text="Of those, items without a usable version: possible, not confirmed."
    )
    sample_items = ImpactItemSerializer(many=True, help_text="A few of the items.")


class AdvisoryImpactSerializer(StrictSerializer):
    """What the advisory flags (or, as a draft, would flag) in the organizations you see."""

    organization_count = serializers.IntegerField()
    item_count = serializers.IntegerField()
    possible_count = serializers.IntegerField()
    targets_needing_review = serializers.IntegerField(
        help_text="Targets whose range could not be read: they match nothing until fixed."
    )
    organizations = OrganizationImpactSerializer(many=True)


def advisory_write_arguments(validated: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of the advisory services for a validated body: advisory fields,
    plus ``targets``, ``cve_ids`` and ``references`` when the body gave them."""
    arguments = dict(validated)
    if "targets" in arguments:
        arguments["targets"] = [dict(target) for target in arguments["targets"]]
    if "references" in arguments:
        arguments["references"] = [dict(reference) for reference in arguments["references"]]
    return arguments


class ImpactQuerySerializer(serializers.Serializer[Any]):
    """The impact preview's query string (strings, so not strictly typed)."""

    samples = serializers.IntegerField(
        min_value=0, max_value=50, default=5, help_text="Items to show per organization."
    )
