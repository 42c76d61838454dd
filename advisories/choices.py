"""Choices of sources, advisories and their targets."""

from django.db import models


class SourceKind(models.TextChoices):
    NATIONAL_CERT = "national_cert", "National CERT / cyber-security agency"
    GOVERNMENT = "government", "Government or legislature"
    REGULATOR = "regulator", "Regulator"
    VENDOR_PSIRT = "vendor_psirt", "Vendor PSIRT"
    INTERNAL = "internal", "Our own team"
    OTHER = "other", "Other"


class FeedKind(models.TextChoices):
    NONE = "", "No feed"
    CSAF_PROVIDER = "csaf_provider", "CSAF provider (provider-metadata.json)"
    CISA_KEV = "cisa_kev", "CISA Known Exploited Vulnerabilities catalog"
    FIRST_EPSS = "first_epss", "FIRST EPSS scores (daily CSV)"


class AdvisoryKind(models.TextChoices):
    VULNERABILITY = "vulnerability", "Vulnerability"
    VENDOR_WARNING = "vendor_warning", "Vendor warning"
    PROHIBITION = "prohibition", "Prohibition (ban, covered list)"
    INFORMATIONAL = "informational", "Informational"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    NONE = "none", "None"


# Severity order for sorting and thresholds (higher is worse).
SEVERITY_RANK = {
    Severity.NONE: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Tlp(models.TextChoices):
    """Traffic Light Protocol 2.0: who may read an advisory (``orgs.scoping`` enforces it)."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber_strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


class AdvisoryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class RecommendedAction(models.TextChoices):
    REPLACE = "replace", "Replace"
    UPDATE = "update", "Update"
    MITIGATE = "mitigate", "Mitigate"
    ASSESS = "assess", "Assess"


class TargetKind(models.TextChoices):
    VENDOR = "vendor", "Vendor (all products)"
    PRODUCT = "product", "Product (all versions)"
    PRODUCT_RANGE = "product_range", "Product, version range"
    CPE = "cpe", "CPE match string"
    PURL = "purl", "Package URL (purl) with version range"
    JURISDICTION = "jurisdiction", "Jurisdiction (vendors headquartered in or owned from a country)"


class ReferenceCategory(models.TextChoices):
    SELF = "self", "The advisory itself"
    EXTERNAL = "external", "External"


class FeedRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Some documents failed"
    FAILED = "failed", "Failed"
