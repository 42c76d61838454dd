"""Choices of organizations, memberships, tokens and inventory."""

from django.db import models


class Role(models.TextChoices):
    """A member's role in one organization, from most to least powerful."""

    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    ANALYST = "analyst", "Analyst"
    VIEWER = "viewer", "Viewer"


# Higher rank, more rights; a role can do everything the roles below it can.
ROLE_RANK = {Role.VIEWER: 1, Role.ANALYST: 2, Role.ADMIN: 3, Role.OWNER: 4}


class TokenAccess(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    DEVELOPMENT = "development", "Development"
    TEST = "test", "Test"
    OTHER = "other", "Other"


class BusinessCriticality(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ItemSource(models.TextChoices):
    """Where an inventory item came from."""

    MANUAL = "manual", "Entered by hand"
    CSV = "csv", "CSV import"
    CYCLONEDX = "cyclonedx", "CycloneDX SBOM"
    API = "api", "API"
    DEMO = "demo", "Demo data"


class ImportFormat(models.TextChoices):
    """File formats an inventory can be imported from."""

    CSV = "csv", "CSV"
    CYCLONEDX = "cyclonedx", "CycloneDX JSON"


class ImportMode(models.TextChoices):
    """What an import does to the items already there."""

    ADD = "add", "Add to the inventory"
    REPLACE = "replace", "Replace the items from the same source"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
