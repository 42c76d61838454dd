"""Tenants and what they run: users, organizations, memberships, API tokens, inventory."""

import re
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django_countries.fields import CountryField

from orgs.choices import (
    BusinessCriticality,
    Environment,
    ImportFormat,
    ImportMode,
    ImportStatus,
    ItemSource,
    Role,
    TokenAccess,
)
from orgs.scoping import OrganizationQuerySet, OrgScopedQuerySet
from vendors.choices import CriticalityTier, Sector
from vendors.fields import VersionKeyField
from vendors.matching.cpe import cpe_part, cpe_vendor_product
from vendors.matching.names import normalize_name
from vendors.matching.purls import PurlError, purl_identity
from vendors.matching.versions import version_key
from vendors.models import Product

# An e-mail address's domain: labels of letters, digits and hyphens, at least two of them.
DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")


class User(AbstractUser):
    """A person who signs in.

    What they may see in an organization comes from their memberships. Two platform roles
    reach beyond organizations: advisory editors write and publish advisories and curate the
    catalogue; global analysts read every organization (a national CERT's analysts).
    """

    is_advisory_editor = models.BooleanField(
        default=False,
        help_text="May write, publish and withdraw advisories and edit the catalogue.",
    )
    is_global_analyst = models.BooleanField(
        default=False, help_text="May see and triage every organization's exposure."
    )

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Organization(models.Model):
    """A tenant: a company or public body whose inventory Vendorwatch watches.

    Its sector and criticality tier decide whether an advisory is aimed at it; its SLA days
    decide when a flag without an advisory deadline falls due.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    sector = models.CharField(max_length=30, choices=Sector.choices, default=Sector.OTHER)
    country = CountryField(blank=True)
    criticality_tier = models.CharField(
        max_length=30, choices=CriticalityTier.choices, default=CriticalityTier.STANDARD
    )
    sla_critical_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1)], help_text="Days to act on a critical flag."
    )
    sla_high_days = models.PositiveSmallIntegerField(default=30, validators=[MinValueValidator(1)])
    sla_medium_days = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(1)]
    )
    sla_low_days = models.PositiveSmallIntegerField(default=180, validators=[MinValueValidator(1)])
    description = models.TextField(blank=True)
    local_passwords_allowed = models.BooleanField(
        default=True,
        help_text="Members may sign in with a password; off, they must use single sign-on.",
    )
    second_factor_required = models.BooleanField(
        default=False,
        help_text="Every member must set up a second factor before using Vendorwatch.",
    )
    members = models.ManyToManyField(User, through="Membership", related_name="organizations")

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["sector"], name="org_sector_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orgs:organization_detail", kwargs={"slug": self.slug})


class Membership(models.Model):
    """A user's role in one organization."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["organization__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_unique_user_organization"
            ),
        ]
        indexes = [models.Index(fields=["organization", "role"], name="membership_org_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.organization}"


class ApiToken(models.Model):
    """A bearer token for the REST API.

    A personal token acts with its user's rights; an organization token is limited to one
    organization. Only a SHA-256 hash of the secret is stored: tokens are long random strings,
    so a fast hash is safe and keeps every request from paying for a password hash. The
    public prefix finds the row.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text="Limits the token to this organization; empty for a personal token.",
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    access = models.CharField(max_length=20, choices=TokenAccess.choices, default=TokenAccess.READ)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="token_user_revoked_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdentityProvider(models.Model):
    """Whose single sign-on an allauth social application is, and who is sent to it.

    The application (``SocialApp``) keeps how to talk to the provider: issuer URL, client id
    and secret. This row adds the organization it belongs to (none: any organization's people
    may use it), the e-mail domains routed to it at sign-in, and, through its rules, which
    memberships and platform roles its people get.
    """

    app = models.OneToOneField(
        "socialaccount.SocialApp", on_delete=models.CASCADE, related_name="identity_provider"
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identity_providers",
        help_text="Empty for a provider of the whole platform.",
    )
    email_domains = models.TextField(
        blank=True,
        help_text="E-mail domains whose people sign in here, one per line (example.org).",
    )

    class Meta:
        ordering = ["app__name"]

    def __str__(self) -> str:
        return self.app.name

    def domains(self) -> list[str]:
        return [domain.lower() for domain in self.email_domains.split()]

    def clean(self) -> None:
        domains = self.domains()
        bad = [domain for domain in domains if not DOMAIN.fullmatch(domain)]
        if bad:
            raise ValidationError({"email_domains": f"Not an e-mail domain: {', '.join(bad)}."})
        others = IdentityProvider.objects.exclude(pk=self.pk).select_related("app")
        for other in others:
            taken = sorted(set(domains) & set(other.domains()))
            if taken:
                raise ValidationError(
                    {"email_domains": f"{', '.join(taken)} already signs in with {other}."}
                )
        self.email_domains = "\n".join(dict.fromkeys(domains))


class ProviderRule(models.Model):
    """One mapping rule of an identity provider: people whose ``claim`` holds ``value`` (a
    group, say) get a role in an organization, or a platform role. Rules are applied again at
    every sign-in, so a group taken away at the provider takes the role away here."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="rules")
    claim = models.CharField(max_length=100, default="groups")
    value = models.CharField(max_length=200)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    advisory_editor = models.BooleanField(default=False)
    global_analyst = models.BooleanField(default=False)

    class Meta:
        ordering = ["provider", "claim", "value"]

    def __str__(self) -> str:
        return f"{self.claim} = {self.value}"

    def clean(self) -> None:
        if bool(self.organization_id) != bool(self.role):
            raise ValidationError(
                {"role": "A rule granting a membership names both organization and role."}
            )
        if not (self.role or self.advisory_editor or self.global_analyst):
            raise ValidationError(
                {"role": "The rule grants nothing: name a role, or a platform role."}
            )
        try:
            # The provider may be unsaved yet (added with its rules in the admin).
            owner = self.provider.organization_id
        except IdentityProvider.DoesNotExist:
            owner = None
        if owner is not None and (self.advisory_editor or self.global_analyst):
            raise ValidationError(
                {"advisory_editor": "An organization's provider cannot grant platform roles."}
            )
        if owner is not None and self.organization_id not in (None, owner):
            raise ValidationError(
                {"organization": "An organization's provider grants roles there only."}
            )


# What tells one item apart from the organization's other items of the same product: shown
# beside every flag (lists, pages, exports, the API) so that analysts know which asset it is.
ASSET_FIELDS = ("external_ref", "hostname", "site", "environment", "criticality", "quantity")


class InventoryItem(models.Model):
    """One thing an organization runs.

    It keeps the vendor and product names exactly as they were entered, and points to the
    catalogue product once they resolve. Items that resolve to nothing are kept and listed for
    reconciliation: dropping them would hide exactly the products nobody has catalogued yet.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The indexes below that start with the organization serve its lookups.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="inventory_items", db_index=False
    )
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="inventory_items"
    )
    raw_vendor = models.CharField("vendor (as entered)", max_length=200, blank=True)
    raw_product = models.CharField("product (as entered)", max_length=200, blank=True)
    normalized_vendor = models.CharField(max_length=200, blank=True, editable=False)
    normalized_product = models.CharField(max_length=200, blank=True, editable=False)
    version = models.CharField(max_length=100, blank=True)
    version_key = VersionKeyField(null=True, blank=True, editable=False)
    cpe = models.CharField("CPE", max_length=500, blank=True)
    # The part its own CPE name gives ("a", "o", "h", "-" for NA); blank when the name leaves
    # it open, or the item has none (see vendors.matching.cpe.part_code).
    cpe_part = models.CharField(max_length=1, blank=True, editable=False)
    cpe_vendor = models.CharField(max_length=200, blank=True, editable=False)
    cpe_product = models.CharField(max_length=200, blank=True, editable=False)
    purl = models.CharField(max_length=500, blank=True)
    purl_type = models.CharField(max_length=50, blank=True, editable=False)
    purl_namespace = models.CharField(max_length=200, blank=True, editable=False)
    purl_name = models.CharField(max_length=200, blank=True, editable=False)
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    environment = models.CharField(
        max_length=20, choices=Environment.choices, default=Environment.PRODUCTION
    )
    criticality = models.CharField(
        "business criticality",
        max_length=20,
        choices=BusinessCriticality.choices,
        default=BusinessCriticality.MEDIUM,
    )
    source = models.CharField(max_length=20, choices=ItemSource.choices, default=ItemSource.MANUAL)
    external_ref = models.CharField(
        "external reference",
        max_length=200,
        blank=True,
        help_text="The item's id in the system it came from (CMDB id, SBOM bom-ref).",
    )
    # Where the asset is, so that analysts can tell apart items that run the same product.
    hostname = models.CharField(
        max_length=255, blank=True, help_text="The host it runs on, or a group of hosts."
    )
    site = models.CharField(
        max_length=200, blank=True, help_text="Where it runs: a plant, an office, a data centre."
    )
    notes = models.TextField(blank=True)
    # Durable pending-work marker: set in the same transaction as the change that needs
    # matching, cleared by the matcher once it has matched that state (see exposure/).
    match_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["raw_vendor", "raw_product", "version", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(raw_product="", cpe="", purl="", product=None),
                name="item_identifies_something",
            ),
            # An external reference names one asset of its source system: two items of an
            # organization with the same one would be that asset twice (and flagged twice).
            # The services and imports say so naming the item that has it; this holds when two
            # writers race.
            models.UniqueConstraint(
                fields=["organization", "source", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="item_unique_external_ref",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "product"], name="item_org_product_idx"),
            # An organization's inventory in the lists' order (Meta.ordering): a page is read
            # from the index, the filters checked on the rows it walks, rather than every item
            # of the organization sorted. The environment and criticality, the inventory's
            # usual filters, ride along (PostgreSQL), so a filtered page is found in the index
            # alone instead of reading every row it passes over.
            models.Index(
                fields=["organization", "raw_vendor", "raw_product", "version", "id"],
                include=["environment", "criticality"],
                name="item_org_listing_idx",
            ),
            models.Index(fields=["product", "version_key"], name="item_product_version_idx"),
            models.Index(
                fields=["cpe_vendor", "cpe_product", "version_key"], name="item_cpe_version_idx"
            ),
            models.Index(
                fields=["purl_type", "purl_namespace", "purl_name", "version_key"],
                name="item_purl_version_idx",
            ),
            models.Index(
                fields=["normalized_vendor", "normalized_product"], name="item_normalized_names_idx"
            ),
            models.Index(
                fields=["organization", "normalized_vendor", "normalized_product"],
                condition=models.Q(product=None),
                name="item_unresolved_idx",
            ),
            models.Index(
                fields=["organization", "match_requested_at"],
                condition=models.Q(match_requested_at__isnull=False),
                name="item_match_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        label = " ".join(part for part in (self.raw_vendor, self.raw_product) if part)
        label = label or (str(self.product) if self.product_id else self.cpe or self.purl)
        return f"{label} {self.version}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived keys are pure functions of the entered values; deriving them here keeps them
        # right however the row is written.
        self.refresh_derived_fields()
        super().save(*args, **kwargs)

    def refresh_derived_fields(self) -> None:
        """Recompute the normalized names, version key and identifier parts from the input."""
        self.normalized_vendor = normalize_name(self.raw_vendor)
        self.normalized_product = normalize_name(self.raw_product, legal_forms=False)
        parts = cpe_vendor_product(self.cpe) if self.cpe else None
        self.cpe_vendor, self.cpe_product = parts or ("", "")
        self.cpe_part = cpe_part(self.cpe) if self.cpe else ""
        try:
            identity = purl_identity(self.purl) if self.purl else ("", "", "")
        except PurlError:
            identity = ("", "", "")
        self.purl_type, self.purl_namespace, self.purl_name = identity
        # Package versions compare by their ecosystem's rules (Debian's "~", RPM's "+"), so the
        # key is computed in the purl type's scheme, the same one targets on it use.
        scheme = self.purl_type or None
        self.version_key = version_key(self.version, scheme=scheme) if self.version else None


class ImportJob(models.Model):
    """One uploaded inventory file (CSV or CycloneDX) and what became of it.

    Small files are applied while the upload waits; large ones are queued and a Celery worker
    applies them, reporting its progress here. The file itself is kept in ``content`` — in the
    database, because the worker may run on another machine — until it has been processed.
    A file is applied all-or-nothing: a failed job stored no items, and ``errors`` says why.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_format = models.CharField(max_length=20, choices=ImportFormat.choices)
    mode = models.CharField(max_length=20, choices=ImportMode.choices, default=ImportMode.ADD)
    filename = models.CharField(max_length=255, blank=True)
    content = models.BinaryField(default=bytes, blank=True, editable=False)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    rows_parsed = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    # In replace mode, an item whose external reference matches one of the previous import
    # is updated in place, so that its flags keep their history.
    updated_count = models.PositiveIntegerField(default=0)
    removed_count = models.PositiveIntegerField(default=0)
    # Items whose names resolved to no catalogue product: kept, and listed for reconciliation.
    unresolved_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life: when the job was queued (or sent again), and while a worker
    # applies it, a stamp every few seconds (operations.heartbeats). A job whose stamps stopped
    # lost its worker; the sweeper requeues it, or fails it once ``attempts`` are used up.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="importjob_org_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_file_format_display()} import {self.pk} ({self.get_status_display()})"
