"""Serializers of the advisory API.

An advisory is written as a whole: its targets, CVE ids and references travel nested in the
advisory's body, because they are validated, compiled and recorded in its revision history
together. Each nested target is checked against the model's rules here, so that an error names
the target and field (``targets[1].product``) rather than failing in the service.
"""

import functools
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from advisories.checks import advisory_field_errors
from advisories.choices import TargetKind
from advisories.models import (
    CVE_ID_VALIDATOR,
    Advisory,
    AdvisoryCve,
    AdvisoryReference,
    AdvisoryRevision,
    AffectedTarget,
    FeedRun,
    Source,
)
from api.exceptions import validation_detail
from api.rows import Row, RowFormat
from api.serializers import CountryCodeField, StrictModelSerializer, StrictSerializer
from exposure.choices import Confidence
from orgs.api.serializers import AssetSerializer
from vendors.choices import CriticalityTier, Sector


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A national CERT",
            value={
                "id": 3,
                "url": "https://vendorwatch.example.org/api/v1/sources/3/",
                "name": "BSI",
                "slug": "bsi",
                "kind": "national_cert",
                "country": "DE",
                "website": "https://www.bsi.bund.de/",
                "description": "Germany's Federal Office for Information Security.",
                "feed_kind": "csaf_provider",
                "feed_url": "https://wid.cert-bund.de/.well-known/csaf/provider-metadata.json",
                "feed_enabled": True,
                "created_at": "2026-03-02T09:15:00Z",
                "updated_at": "2026-11-20T16:42:07.183204Z",
            },
            response_only=True,
        ),
        OpenApiExample(
            "A national CERT",
            value={
                "name": "BSI",
                "slug": "bsi",
                "kind": "national_cert",
                "country": "DE",
                "website": "https://www.bsi.bund.de/",
                "feed_kind": "csaf_provider",
                "feed_url": "https://wid.cert-bund.de/.well-known/csaf/provider-metadata.json",
                "feed_enabled": True,
            },
            request_only=True,
        ),
    ]
)
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
            "caveat",
            "note",
            "needs_review",
            "review_reason",
            "range_caveat",
            "read_as",
        ]
        read_only_fields = ["needs_review", "review_reason", "range_caveat", "read_as"]

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


class SourceViolationSerializer(StrictSerializer):
    """A mandatory test of its standard that the source document fails without changing what
    it says (CSAF 2.0 section 6.1); the document was imported all the same."""

    path = serializers.CharField(help_text="Where, as a JSON pointer into the source document.")
    message = serializers.CharField(help_text="Which test, and what it found.")


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


def target_example(target_id: int, kind: str, **fields: Any) -> dict[str, Any]:
    """A target as the API shows it: every field, blank where its kind does not use it."""
    return {
        "id": target_id,
        "kind": kind,
        "is_exclusion": False,
        "vendor": None,
        "include_subsidiaries": False,
        "product": None,
        "version_range": "",
        "cpe": "",
        "version_start_including": "",
        "version_start_excluding": "",
        "version_end_including": "",
        "version_end_excluding": "",
        "purl": "",
        "country": "",
        "caveat": "",
        "note": "",
        "needs_review": False,
        "review_reason": "",
        "range_caveat": "",
        "read_as": "",
        **fields,
    }


# The examples of the advisory API: the BSI's 2022 warning against Kaspersky (source 3 is the
# BSI of SourceSerializer's example, vendor 7 is AO Kaspersky Lab) and Palo Alto Networks'
# advisory on CVE-2024-3400 (product 57 is PAN-OS), both published. The views derive the
# draft, the edited and the withdrawn forms from them.
VENDOR_WARNING_SUMMARY = (
    "The BSI warns against using anti-virus software of the Russian vendor Kaspersky. It runs "
    "with far-reaching system rights and keeps a permanent, encrypted connection to its "
    "vendor's servers that users cannot check; a vendor acting under pressure from its state "
    "could turn it against its own customers."
)
VENDOR_WARNING_ACTION = (
    "Replace the products with those of other vendors. Plan the switch carefully: removing "
    "protection in haste leaves systems without any."
)
VENDOR_WARNING_REFERENCE = {
    "url": "https://www.bsi.bund.de/DE/Service-Navi/Presse/Pressemitteilungen/Presse2022/"
    "220315_Kaspersky-Warnung.html",
    "summary": "BSI press release of 15 March 2022",
    "category": "self",
}
VENDOR_WARNING: dict[str, Any] = {
    "id": 118,
    "url": "https://vendorwatch.example.org/api/v1/advisories/118/",
    "source": 3,
    "source_name": "BSI",
    "identifier": "BSI-2022-0001",
    "title": "Replace Kaspersky anti-virus products",
    "summary": VENDOR_WARNING_SUMMARY,
    "kind": "vendor_warning",
    "severity": "high",
    "cvss_score": None,
    "cvss_vector": "",
    "status": "published",
    "recommended_action": "replace",
    "action_details": VENDOR_WARNING_ACTION,
    "action_deadline": None,
    "audience_sectors": [],
    "audience_tiers": ["critical_infrastructure", "special_interest"],
    "tlp": "clear",
    "known_exploited": False,
    "kev_due_date": None,
    "epss": None,
    "epss_percentile": None,
    "issued_on": "2022-03-15",
    "source_version": "",
    "published_at": "2026-03-02T10:03:55Z",
    "withdrawn_at": None,
    "withdrawn_reason": "",
    "source_violations": [],
    "nothing_to_match": "",
    "targets": [
        target_example(
            402,
            "vendor",
            vendor=7,
            include_subsidiaries=True,
            note="AO Kaspersky Lab and every company it owns.",
            read_as="all products",
        )
    ],
    "cve_ids": [],
    "references": [VENDOR_WARNING_REFERENCE],
    "created_at": "2026-03-02T09:41:26Z",
    "updated_at": "2026-03-02T10:03:55Z",
}
PAN_OS_RANGES = "vers:generic/>=10.2.0|<10.2.9-h1|>=11.0.0|<11.0.4-h1|>=11.1.0|<11.1.2-h3"
PAN_OS_READ_AS = "≥ 10.2 and < 10.2.9-h1 or ≥ 11 and < 11.0.4-h1 or ≥ 11.1 and < 11.1.2-h3"
CVE_ADVISORY: dict[str, Any] = {
    "id": 131,
    "url": "https://vendorwatch.example.org/api/v1/advisories/131/",
    "source": 9,
    "source_name": "Palo Alto Networks PSIRT",
    "identifier": "CVE-2024-3400",
    "title": "PAN-OS GlobalProtect: unauthenticated command injection",
    "summary": "A command injection in the GlobalProtect feature of PAN-OS lets an "
    "unauthenticated attacker run code with root privileges on the firewall. Only firewalls "
    "with a GlobalProtect gateway or portal configured are exposed. Exploited in the wild.",
    "kind": "vulnerability",
    "severity": "critical",
    "cvss_score": 10.0,
    "cvss_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
    "status": "published",
    "recommended_action": "update",
    "action_details": "Install the hotfix release for your branch (10.2.9-h1, 11.0.4-h1, "
    "11.1.2-h3 or later).",
    "action_deadline": "2024-04-19",
    "audience_sectors": [],
    "audience_tiers": [],
    "tlp": "clear",
    "known_exploited": True,
    "kev_due_date": "2024-04-19",
    "epss": 0.94335,
    "epss_percentile": 0.99954,
    "issued_on": "2024-04-12",
    "source_version": "",
    "published_at": "2026-03-04T14:20:31Z",
    "withdrawn_at": None,
    "withdrawn_reason": "",
    "source_violations": [
        {
            "path": "/vulnerabilities/0/cwe/name",
            "message": "test 6.1.11 (Invalid CWE): CWE-78 name 'OS Command Injection' does not "
            'match catalog name "Improper Neutralization of Special Elements used in an OS '
            "Command ('OS Command Injection')\"",
        }
    ],
    "nothing_to_match": "",
    "targets": [
        target_example(
            455,
            "product_range",
            product=57,
            version_range=PAN_OS_RANGES,
            read_as=PAN_OS_READ_AS,
        )
    ],
    "cve_ids": ["CVE-2024-3400"],
    "references": [
        {
            "url": "https://security.paloaltonetworks.com/CVE-2024-3400",
            "summary": "Palo Alto Networks Security Advisory",
            "category": "self",
        },
        {
            "url": "https://nvd.nist.gov/vuln/detail/CVE-2024-3400",
            "summary": "NVD",
            "category": "external",
        },
    ],
    "created_at": "2026-03-04T14:12:08Z",
    "updated_at": "2026-03-04T14:20:31Z",
}
# What a client sends to create the vendor warning above (as a draft).
ADVISORY_EXAMPLE = OpenApiExample(
    "A vendor warning",
    value={
        "source": 3,
        "identifier": "BSI-2022-0001",
        "title": "Replace Kaspersky anti-virus products",
        "summary": VENDOR_WARNING_SUMMARY,
        "kind": "vendor_warning",
        "severity": "high",
        "recommended_action": "replace",
        "action_details": VENDOR_WARNING_ACTION,
        "audience_tiers": ["critical_infrastructure", "special_interest"],
        "tlp": "clear",
        "issued_on": "2022-03-15",
        "targets": [
            {
                "kind": "vendor",
                "vendor": 7,
                "include_subsidiaries": True,
                "note": "AO Kaspersky Lab and every company it owns.",
            }
        ],
        "references": [VENDOR_WARNING_REFERENCE],
    },
    request_only=True,
)


@extend_schema_serializer(
    examples=[
        OpenApiExample("A vendor warning", value=VENDOR_WARNING, response_only=True),
        OpenApiExample("A CVE advisory", value=CVE_ADVISORY, response_only=True),
        ADVISORY_EXAMPLE,
    ]
)
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
    source_violations = SourceViolationSerializer(
        many=True,
        read_only=True,
        help_text="Mandatory CSAF tests the imported document fails without changing what it "
        "says; it was imported all the same.",
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
            "tlp",
            "audience_organizations",
            "audience_users",
            "known_exploited",
            "kev_due_date",
            "epss",
            "epss_percentile",
            "issued_on",
            "source_version",
            "published_at",
            "withdrawn_at",
            "withdrawn_reason",
            "source_violations",
            "nothing_to_match",
            "targets",
            "cve_ids",
            "references",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "withdrawn_reason", "nothing_to_match"]
        # Who the audience names is for its editors to set; a reader is told the label only
        # (the audience's organizations are other tenants).
        extra_kwargs = {
            "audience_organizations": {"write_only": True},
            "audience_users": {"write_only": True},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            # Editing replaces the advisory's fields and targets (advisory_update); its CVE ids
            # and references are given when it is created.
            fixed = {"cve_ids", "references"} & set(self.initial_data)
            if fixed:
                raise serializers.ValidationError(
                    {name: "Given when the advisory is created; not editable." for name in fixed}
                )

        def value(name: str) -> Any:
            # A partial update checks what it sends against what the advisory already says.
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        errors = advisory_field_errors(
            cvss_vector=value("cvss_vector") or "",
            cvss_score=value("cvss_score"),
            severity=value("severity"),
            issued_on=value("issued_on"),
            action_deadline=value("action_deadline"),
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# The advisory list's rows (api/rows.py): these columns of each advisory, of its targets and of
# its references, and AdvisorySerializer's fields built from them.
ADVISORY_ROW_COLUMNS = (
    "id",
    # Not shown: read by the keyset pages of ?ordering=-severity_rank.
    "severity_rank",
    "source_id",
    "source__name",
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
    "tlp",
    "known_exploited",
    "kev_due_date",
    "epss",
    "epss_percentile",
    "issued_on",
    "source_version",
    "published_at",
    "withdrawn_at",
    "withdrawn_reason",
    "source_violations",
    "nothing_to_match",
    "created_at",
    "updated_at",
)
TARGET_ROW_COLUMNS = (
    "advisory_id",
    "id",
    "kind",
    "is_exclusion",
    "vendor_id",
    "include_subsidiaries",
    "product_id",
    "version_range",
    "cpe",
    "version_start_including",
    "version_start_excluding",
    "version_end_including",
    "version_end_excluding",
    "purl",
    "country",
    "caveat",
    "note",
    "needs_review",
    "review_reason",
    "range_caveat",
    "read_as",
)
REFERENCE_ROW_COLUMNS = ("advisory_id", "url", "summary", "category")


def target_row(row: Row) -> dict[str, Any]:
    """A target as AffectedTargetSerializer shows it, from TARGET_ROW_COLUMNS."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "is_exclusion": row["is_exclusion"],
        "vendor": row["vendor_id"],
        "include_subsidiaries": row["include_subsidiaries"],
        "product": row["product_id"],
        "version_range": row["version_range"],
        "cpe": row["cpe"],
        "version_start_including": row["version_start_including"],
        "version_start_excluding": row["version_start_excluding"],
        "version_end_including": row["version_end_including"],
        "version_end_excluding": row["version_end_excluding"],
        "purl": row["purl"],
        "country": row["country"],
        "caveat": row["caveat"],
        "note": row["note"],
        "needs_review": row["needs_review"],
        "review_reason": row["review_reason"],
        "range_caveat": row["range_caveat"],
        "read_as": row["read_as"],
    }


def reference_row(row: Row) -> dict[str, Any]:
    """A reference as AdvisoryReferenceSerializer shows it, from REFERENCE_ROW_COLUMNS."""
    return {"url": row["url"], "summary": row["summary"], "category": row["category"]}


@functools.cache
def _related_rows() -> tuple[QuerySet[Any, Any], QuerySet[Any, Any], QuerySet[Any, Any]]:
    """Advisories' targets, CVE ids and references in their rows' order and columns, built
    once (as the lists' own rows are, api/rows.py) and never evaluated themselves: each request
    filters a copy."""
    return (
        AffectedTarget.objects.order_by("is_exclusion", "pk").values(*TARGET_ROW_COLUMNS),
        AdvisoryCve.objects.order_by("cve_id").values_list("advisory_id", "cve_id"),
        AdvisoryReference.objects.order_by("pk").values(*REFERENCE_ROW_COLUMNS),
    )


def advisory_rows(rows: list[Row], out: RowFormat) -> list[dict[str, Any]]:
    """Advisories as AdvisorySerializer shows them, from ADVISORY_ROW_COLUMNS, with their
    targets, CVE ids and references read for all of them at once (three queries)."""
    ids = [row["id"] for row in rows]
    target_rows, cve_rows, reference_rows = _related_rows()
    targets: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for target in target_rows.filter(advisory_id__in=ids):
        targets[target["advisory_id"]].append(target_row(target))
    cve_ids: dict[int, list[str]] = defaultdict(list)
    for advisory_id, cve_id in cve_rows.filter(advisory_id__in=ids):
        cve_ids[advisory_id].append(cve_id)
    references: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for reference in reference_rows.filter(advisory_id__in=ids):
        references[reference["advisory_id"]].append(reference_row(reference))
    return [
        {
            "id": row["id"],
            "url": out.url(row["id"]),
            "source": row["source_id"],
            "source_name": row["source__name"],
            "identifier": row["identifier"],
            "title": row["title"],
            "summary": row["summary"],
            "kind": row["kind"],
            "severity": row["severity"],
            "cvss_score": row["cvss_score"],
            "cvss_vector": row["cvss_vector"],
            "status": row["status"],
            "recommended_action": row["recommended_action"],
            "action_details": row["action_details"],
            "action_deadline": row["action_deadline"],
            "audience_sectors": row["audience_sectors"],
            "audience_tiers": row["audience_tiers"],
            "tlp": row["tlp"],
            "known_exploited": row["known_exploited"],
            "kev_due_date": row["kev_due_date"],
            "epss": row["epss"],
            "epss_percentile": row["epss_percentile"],
            "issued_on": row["issued_on"],
            "source_version": row["source_version"],
            "published_at": out.date_time(row["published_at"]),
            "withdrawn_at": out.date_time(row["withdrawn_at"]),
            "withdrawn_reason": row["withdrawn_reason"],
            "source_violations": [
                {"path": violation["path"], "message": violation["message"]}
                for violation in row["source_violations"]
            ],
            "nothing_to_match": row["nothing_to_match"],
            "targets": targets[row["id"]],
            "cve_ids": cve_ids[row["id"]],
            "references": references[row["id"]],
            "created_at": out.date_time(row["created_at"]),
            "updated_at": out.date_time(row["updated_at"]),
        }
        for row in rows
    ]


class AdvisoryFlagCountsSerializer(StrictSerializer):
    """The advisory's flags, counted in the organizations you may see."""

    organizations = serializers.IntegerField(help_text="Organizations it has active flags in.")
    items = serializers.IntegerField(help_text="Inventory items with an active flag of it.")
    active = serializers.IntegerField(help_text="Flags open or acknowledged.")
    overdue = serializers.IntegerField(help_text="Active flags past their due date.")
    closed = serializers.IntegerField(
        help_text="Flags mitigated, resolved, risk-accepted or marked false positives."
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A vendor warning",
            value={
                **VENDOR_WARNING,
                "flag_counts": {
                    "organizations": 3,
                    "items": 23,
                    "active": 23,
                    "overdue": 4,
                    "closed": 15,
                },
            },
            response_only=True,
        ),
        OpenApiExample(
            "A CVE advisory",
            value={
                **CVE_ADVISORY,
                "flag_counts": {
                    "organizations": 1,
                    "items": 1,
                    "active": 1,
                    "overdue": 1,
                    "closed": 7,
                },
            },
            response_only=True,
        ),
    ]
)
class AdvisoryDetailSerializer(AdvisorySerializer):
    """One advisory, with the counts of its flags in the organizations you may see."""

    flag_counts = AdvisoryFlagCountsSerializer(read_only=True)

    class Meta(AdvisorySerializer.Meta):
        fields = [*AdvisorySerializer.Meta.fields, "flag_counts"]


WITHDRAW_EXAMPLE = OpenApiExample(
    "A duplicate",
    value={"reason": "Entered twice: advisory 118 (BSI-2022-0001) is the same warning."},
    request_only=True,
)


PUBLISH_EXAMPLE = OpenApiExample(
    "An informational advisory without targets",
    value={"matches_nothing": True},
    request_only=True,
)


@extend_schema_serializer(examples=[PUBLISH_EXAMPLE])
class AdvisoryPublishSerializer(StrictSerializer):
    matches_nothing = serializers.BooleanField(
        default=False,
        help_text="Publish an advisory without targets, which flags nothing: it is "
        "informational. Needed (true) exactly when it has no targets.",
    )


@extend_schema_serializer(examples=[WITHDRAW_EXAMPLE])
class AdvisoryWithdrawSerializer(StrictSerializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the advisory no longer holds; shown to organizations."
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A new draft",
            value={
                "number": 1,
                "source_version": "",
                "summary": "Created.",
                "snapshot": {
                    "title": "Replace Kaspersky anti-virus products",
                    "summary": VENDOR_WARNING_SUMMARY,
                    "kind": "vendor_warning",
                    "severity": "high",
                    "cvss_score": None,
                    "status": "draft",
                    "recommended_action": "replace",
                    "action_deadline": None,
                    "audience_sectors": [],
                    "audience_tiers": ["critical_infrastructure", "special_interest"],
                    "cves": [],
                    "targets": ["AO Kaspersky Lab"],
                },
                "created_at": "2026-03-02T09:41:26Z",
                "created_by": 5,
            },
            response_only=True,
        )
    ]
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
    possible_reason = serializers.CharField(
        help_text="Why a possible match is not confirmed (a caveat, or 'version unknown')."
    )
    asset = AssetSerializer(read_only=True, allow_null=True)


class OrganizationImpactSerializer(StrictSerializer):
    organization_id = serializers.IntegerField()
    name = serializers.CharField()
    item_count = serializers.IntegerField(help_text="Items it would flag.")
    possible_count = serializers.IntegerField(
        help_text="Of those, possible, not confirmed: items without a usable version, or "
        "matched by a target with a caveat."
    )
    sample_items = ImpactItemSerializer(many=True, help_text="A few of the items.")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A CVE advisory",
            value={
                "organization_count": 2,
                "item_count": 5,
                "possible_count": 1,
                "targets_needing_review": 0,
                "organizations": [
                    {
                        "organization_id": 4,
                        "name": "Hanzebank N.V.",
                        "item_count": 3,
                        "possible_count": 1,
                        "sample_items": [
                            {
                                "id": 20417,
                                "label": "Palo Alto Networks PAN-OS",
                                "confidence": "possible",
                                "priority": 60,
                                "possible_reason": "version unknown",
                                "asset": {
                                    "external_ref": "FW-HB-03",
                                    "hostname": "fw-dmz-03",
                                    "site": "Amsterdam DC2",
                                    "environment": "production",
                                    "criticality": "high",
                                    "quantity": 1,
                                },
                            },
                            {
                                "id": 20388,
                                "label": "Palo Alto Networks PAN-OS 10.2.7",
                                "confidence": "confirmed",
                                "priority": 60,
                                "possible_reason": "",
                                "asset": {
                                    "external_ref": "FW-HB-01",
                                    "hostname": "fw-core-01",
                                    "site": "Amsterdam DC1",
                                    "environment": "production",
                                    "criticality": "critical",
                                    "quantity": 2,
                                },
                            },
                            {
                                "id": 20391,
                                "label": "Palo Alto Networks PAN-OS 11.1.1",
                                "confidence": "confirmed",
                                "priority": 65,
                                "possible_reason": "",
                                "asset": {
                                    "external_ref": "FW-HB-07",
                                    "hostname": "fw-lab-07",
                                    "site": "Utrecht lab",
                                    "environment": "test",
                                    "criticality": "low",
                                    "quantity": 1,
                                },
                            },
                        ],
                    },
                    {
                        "organization_id": 1,
                        "name": "Stadtwerke Nordhafen",
                        "item_count": 2,
                        "possible_count": 0,
                        "sample_items": [
                            {
                                "id": 3152,
                                "label": "Palo Alto Networks PAN-OS 10.2.4",
                                "confidence": "confirmed",
                                "priority": 65,
                                "possible_reason": "",
                                "asset": {
                                    "external_ref": "CMDB-003152",
                                    "hostname": "fw-leit-01",
                                    "site": "Leitwarte Nordhafen",
                                    "environment": "production",
                                    "criticality": "critical",
                                    "quantity": 2,
                                },
                            },
                            {
                                "id": 3160,
                                "label": "Palo Alto Networks PAN-OS 11.0.2",
                                "confidence": "confirmed",
                                "priority": 55,
                                "possible_reason": "",
                                "asset": {
                                    "external_ref": "CMDB-003160",
                                    "hostname": "",
                                    "site": "Verwaltung Nordhafen",
                                    "environment": "production",
                                    "criticality": "medium",
                                    "quantity": 1,
                                },
                            },
                        ],
                    },
                ],
            },
            response_only=True,
        )
    ]
)
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


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A first sync, a third of the way",
            value={
                "id": 57,
                "source": 9,
                "feed_kind": "csaf_provider",
                "status": "running",
                "trigger": "schedule",
                "started_at": "2026-11-20T06:00:02.114532Z",
                "finished_at": None,
                "duration_seconds": None,
                "documents": 3120,
                "done": 1100,
                "progress": "1,100 of 3,120 documents (35 %)",
                "fetched": 1100,
                "imported": 1093,
                "updated": 0,
                "unchanged": 6,
                "failed": 1,
                "failures": [
                    {
                        "document": "https://psirt.example.com/csaf/2024/example-2024-0193.json",
                        "reason": "https://psirt.example.com/csaf/2024/example-2024-0193.json is "
                        "not valid JSON: Expecting value at line 1 column 1.",
                    }
                ],
                "notes": [],
                "message": "",
            },
            response_only=True,
        )
    ]
)
class FeedRunSerializer(StrictModelSerializer[FeedRun]):
    """One run of a source's feed, with its progress while it runs."""

    done = serializers.IntegerField(
        read_only=True,
        help_text="Documents dealt with so far (imported, updated, unchanged, "
        "failed), out of ``documents``.",
    )
    progress = serializers.CharField(read_only=True, help_text="The same, as a person reads it.")

    class Meta:
        model = FeedRun
        fields = [
            "id",
            "source",
            "feed_kind",
            "status",
            "trigger",
            "started_at",
            "finished_at",
            "duration_seconds",
            "documents",
            "done",
            "progress",
            "fetched",
            "imported",
            "updated",
            "unchanged",
            "failed",
            "failures",
            "notes",
            "message",
        ]
        read_only_fields = fields
