"""Advisories, who publishes them, and the rules of what they cover."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django_countries import countries
from django_countries.fields import CountryField

from advisories.choices import (
    SEVERITY_RANK,
    AdvisoryKind,
    AdvisoryStatus,
    FeedKind,
    FeedRunStatus,
    RecommendedAction,
    ReferenceCategory,
    Severity,
    SourceKind,
    TargetKind,
    Tlp,
)
from vendors.fields import VersionKeyField
from vendors.matching.freetext import join_caveats
from vendors.models import Product, Vendor

CVE_ID_VALIDATOR = RegexValidator(
    r"^CVE-\d{4}-\d{4,}$", "Enter a CVE id such as CVE-2024-3400.", code="invalid_cve"
)


class Source(models.Model):
    """Who publishes advisories: a national CERT (BSI), a regulator (FCC), a vendor PSIRT, or
    the team itself. A source may have a feed that is imported on a schedule."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER)
    country = CountryField(blank=True)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    feed_kind = models.CharField(max_length=20, choices=FeedKind.choices, default="", blank=True)
    feed_url = models.URLField(max_length=500, blank=True)
    feed_enabled = models.BooleanField(default=False)
    feed_openpgp_key = models.TextField(
        "feed OpenPGP public key",
        blank=True,
        help_text="The ASCII-armored public key(s) the provider signs its CSAF documents with. "
        "When set, every document must carry a valid signature by one of them.",
    )
    feed_token = models.CharField(
        "feed API token",
        max_length=200,
        blank=True,
        help_text="For a CSAF provider whose non-public (TLP) folders ask for a token, such as "
        "another Vendorwatch's: sent to the provider's own address only.",
    )
    # What the last runs saw (ETags, Last-Modified, each document's timestamp), so that a run
    # fetches only what changed; written by the feed importer only (advisories/feeds/).
    feed_state = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(feed_enabled=False) | (~Q(feed_kind="") & ~Q(feed_url="")),
                name="source_enabled_feed_has_kind_and_url",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Advisory(models.Model):
    """A statement by a source that some vendors or products put organizations at risk.

    It may be a CVE advisory for a version range, a national CERT's warning against a vendor
    (the BSI on Kaspersky, 2022), a prohibition such as a ban or covered list, or information.
    Its targets say what it covers. Only published advisories flag inventory; withdrawing one
    resolves its flags.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="advisories")
    identifier = models.CharField(
        max_length=100, help_text="The source's id for it, e.g. BSI-2022-0001 or CVE-2024-3400."
    )
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=AdvisoryKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    # The severity as a number, higher worse, kept by the database: lists (the API's keyset
    # pages included) sort by it, Critical first when descending, where the label's
    # alphabetical order would start with Critical, then High, Low, Medium.
    severity_rank = models.GeneratedField(
        expression=models.Case(
            *(models.When(severity=s, then=models.Value(r)) for s, r in SEVERITY_RANK.items()),
            default=models.Value(0),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    cvss_score = models.DecimalField(
        "CVSS base score",
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    cvss_vector = models.CharField("CVSS vector", max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=AdvisoryStatus.choices, default=AdvisoryStatus.DRAFT
    )
    recommended_action = models.CharField(
        max_length=10, choices=RecommendedAction.choices, default=RecommendedAction.ASSESS
    )
    action_details = models.TextField(
        blank=True, help_text="What organizations are asked to do, in the source's terms."
    )
    action_deadline = models.DateField(null=True, blank=True)
    audience_sectors = models.JSONField(
        default=list, blank=True, help_text="Sectors the advisory is aimed at (Sector codes)."
    )
    audience_tiers = models.JSONField(
        default=list,
        blank=True,
        help_text="Criticality tiers it is aimed at, e.g. critical infrastructure operators.",
    )
    tlp = models.CharField(
        "TLP",
        max_length=12,
        choices=Tlp.choices,
        default=Tlp.GREEN,
        help_text="Who may read it: CLEAR and GREEN every signed-in user (CLEAR also the public "
        "CSAF feed); AMBER the audience's organizations and analysts granted them; AMBER+STRICT "
        "members of the audience's organizations only; RED the named users only.",
    )
    # With the sectors and tiers above, the audience an AMBER advisory is restricted to (and
    # that a RED one's flags are limited to, with its named users): see orgs.scoping.
    audience_organizations = models.ManyToManyField(
        "orgs.Organization", blank=True, related_name="+"
    )
    audience_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name="named users",
        help_text="For TLP:RED: the people who may read it.",
    )
    known_exploited = models.BooleanField(default=False)
    # Exploitation signals of its CVEs (CveSignal), kept here by advisories.exploitation so
    # that the matcher's priority and the flag lists read the advisory row alone.
    kev_due_date = models.DateField(
        "KEV due date",
        null=True,
        blank=True,
        editable=False,
        help_text="The earliest CISA KEV due date of its CVEs, when the catalog lists one.",
    )
    epss = models.FloatField(
        "EPSS score",
        null=True,
        blank=True,
        editable=False,
        help_text="The highest EPSS probability (0–1) of its CVEs: the chance of exploitation "
        "in the next 30 days.",
    )
    epss_percentile = models.FloatField(
        "EPSS percentile",
        null=True,
        blank=True,
        editable=False,
        help_text="The highest EPSS percentile (0–1) of its CVEs.",
    )
    issued_on = models.DateField(
        null=True, blank=True, help_text="When the source issued it (not when it was entered)."
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_reason = models.TextField(blank=True)
    source_version = models.CharField(
        max_length=50, blank=True, help_text="The source document's own version, e.g. CSAF '2'."
    )
    raw_document = models.JSONField(null=True, blank=True, editable=False)
    raw_format = models.CharField(max_length=20, blank=True, editable=False)
    # Written by the feed importer only (advisories/feeds/).
    source_violations = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Mandatory tests of its standard that the source document fails without "
        "changing what it says, one {path, message} each; it was imported all the same.",
    )
    nothing_to_match = models.CharField(
        max_length=300,
        blank=True,
        editable=False,
        help_text="Why the imported document names nothing to match (no product tree, no "
        "vulnerabilities); such a document is kept as a draft, never published as it is.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # Durable pending-work marker: set in the same transaction as the change that needs
    # matching, cleared by the matcher once it has matched that state (see exposure/).
    match_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-issued_on", "-published_at", "-pk"]
        verbose_name_plural = "advisories"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "identifier"], name="advisory_unique_identifier_per_source"
            ),
            models.CheckConstraint(
                condition=Q(status=AdvisoryStatus.DRAFT) | Q(published_at__isnull=False),
                name="advisory_published_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=AdvisoryStatus.WITHDRAWN) | Q(withdrawn_at__isnull=False),
                name="advisory_withdrawn_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="advisory_status_published_idx"),
            models.Index(fields=["kind", "severity"], name="advisory_kind_severity_idx"),
            models.Index(fields=["-issued_on"], name="advisory_issued_idx"),
            # Who may see what asks for the few restricted advisories (orgs.scoping).
            models.Index(
                fields=["tlp"],
                condition=Q(tlp__in=[Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]),
                name="advisory_restricted_idx",
            ),
            models.Index(
                fields=["match_requested_at"],
                condition=Q(match_requested_at__isnull=False),
                name="advisory_match_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identifier}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("advisories:advisory_detail", kwargs={"pk": self.pk})


class AdvisoryRevision(models.Model):
    """One version of an advisory: what changed, when, and a snapshot of it at that point."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    source_version = models.CharField(max_length=50, blank=True)
    summary = models.TextField(help_text="What changed in this revision.")
    snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["advisory", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["advisory", "number"], name="revision_unique_number_per_advisory"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.advisory.identifier} revision {self.number}"


class AdvisoryCve(models.Model):
    """A CVE id an advisory is about."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="cves")
    cve_id = models.CharField("CVE id", max_length=30, validators=[CVE_ID_VALIDATOR])

    class Meta:
        ordering = ["cve_id"]
        verbose_name = "CVE"
        constraints = [
            models.UniqueConstraint(fields=["advisory", "cve_id"], name="cve_unique_per_advisory"),
        ]
        indexes = [models.Index(fields=["cve_id"], name="cve_id_idx")]

    def __str__(self) -> str:
        return self.cve_id


class CveSignal(models.Model):
    """What is known of one CVE's exploitation, whatever advisory names it.

    Two feeds write it: the CISA KEV catalog (the CVE is known to be exploited, with the date
    CISA added it and the date by which it asks for a fix) and FIRST's daily EPSS scores (the
    probability of exploitation in the next 30 days, and its percentile among all scored
    CVEs). Every advisory naming the CVE carries these signals (``advisories.exploitation``);
    they raise its flags' priority but never make a match of their own.
    """

    cve_id = models.CharField("CVE id", max_length=30, unique=True)
    kev_added_on = models.DateField(
        "added to KEV", null=True, blank=True, help_text="Set while the KEV catalog lists it."
    )
    kev_due_date = models.DateField("KEV due date", null=True, blank=True)
    epss = models.FloatField("EPSS score", null=True, blank=True)
    epss_percentile = models.FloatField("EPSS percentile", null=True, blank=True)
    epss_scored_on = models.DateField(
        "EPSS score date", null=True, blank=True, help_text="The day the EPSS model scored it."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cve_id"]
        verbose_name = "CVE exploitation signal"
        constraints = [
            models.CheckConstraint(
                condition=Q(epss__isnull=True) | Q(epss__gte=0, epss__lte=1),
                name="cvesignal_epss_is_a_probability",
            ),
            models.CheckConstraint(
                condition=Q(epss_percentile__isnull=True)
                | Q(epss_percentile__gte=0, epss_percentile__lte=1),
                name="cvesignal_percentile_in_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.cve_id

    @property
    def known_exploited(self) -> bool:
        return self.kev_added_on is not None


class AdvisoryReference(models.Model):
    """A link that backs an advisory: the source's page, a court ruling, a vendor statement."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="references")
    url = models.URLField("URL", max_length=1000)
    summary = models.CharField(max_length=300, blank=True)
    category = models.CharField(
        max_length=10, choices=ReferenceCategory.choices, default=ReferenceCategory.EXTERNAL
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.summary or self.url


class AffectedTarget(models.Model):
    """One rule of what an advisory covers.

    Six kinds: a vendor (all its products, optionally its subsidiaries'); a product, all
    versions; a product with a version range; a CPE 2.3 match string with NVD-style bounds; a
    purl with a ``vers`` range; a jurisdiction (every vendor headquartered in, or owned from, a
    country). An exclusion (fixed, known not affected) wins over every inclusion. A range that
    could not be parsed marks the target ``needs_review``: it then matches nothing until an
    editor fixes it, and the editor is told so.

    A target may carry a caveat: a condition the organization has to check before it knows
    whether it is affected ("installed on XY200 devices"). It is either written into the range
    text, and read from it (``range_caveat``), or given by hand (``caveat``: by an editor, or
    by an importer whose source names no versions). Every flag of a target with a caveat is
    *possible*, with the caveat as its reason. ``read_as`` says how the target was read, so
    that a misread is seen at a glance.
    """

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    is_exclusion = models.BooleanField(
        default=False, help_text="Fixed or known not affected: wins over every inclusion."
    )
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="targets"
    )
    include_subsidiaries = models.BooleanField(
        default=False, help_text="For a vendor target: also every company it owns."
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="targets"
    )
    version_range = models.CharField(
        max_length=500,
        blank=True,
        help_text="A vers range (vers:generic/>=21.0|<21.3.10) or the source's own text.",
    )
    cpe = models.CharField("CPE match string", max_length=500, blank=True)
    # The part the match string names ("a", "o", "h", "-" for NA); blank for ANY.
    cpe_part = models.CharField(max_length=1, blank=True, editable=False)
    cpe_vendor = models.CharField(max_length=200, blank=True, editable=False)
    cpe_product = models.CharField(max_length=200, blank=True, editable=False)
    version_start_including = models.CharField(max_length=100, blank=True)
    version_start_excluding = models.CharField(max_length=100, blank=True)
    version_end_including = models.CharField(max_length=100, blank=True)
    version_end_excluding = models.CharField(max_length=100, blank=True)
    purl = models.CharField("package URL", max_length=500, blank=True)
    purl_type = models.CharField(max_length=50, blank=True, editable=False)
    purl_namespace = models.CharField(max_length=200, blank=True, editable=False)
    purl_name = models.CharField(max_length=200, blank=True, editable=False)
    country = CountryField(blank=True, help_text="For a jurisdiction target.")
    needs_review = models.BooleanField(default=False, editable=False)
    review_reason = models.CharField(max_length=500, blank=True, editable=False)
    caveat = models.CharField(
        max_length=500,
        blank=True,
        help_text="A condition organizations must check, e.g. 'only on XY200 devices'; every "
        "flag of the target is then possible, with this as the reason.",
    )
    range_caveat = models.CharField(
        max_length=500,
        blank=True,
        editable=False,
        help_text="The condition the version range text carries, as read from it.",
    )
    read_as = models.CharField(
        max_length=1000,
        blank=True,
        editable=False,
        help_text="How the target's versions were read, e.g. '≥ 7.80 and < 9.40'.",
    )
    # What the imported document says of this target that contradicts itself (listed as
    # affected and as fixed for one CVE, say): compiling keeps such a target in review, and
    # only an editor who replaces it takes it out.
    source_conflict = models.CharField(max_length=300, blank=True, editable=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["advisory", "is_exclusion", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=TargetKind.VENDOR) | Q(vendor__isnull=False),
                name="target_vendor_kind_has_vendor",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[TargetKind.PRODUCT, TargetKind.PRODUCT_RANGE])
                | Q(product__isnull=False),
                name="target_product_kind_has_product",
            ),
            models.CheckConstraint(
                condition=~Q(kind=TargetKind.PRODUCT_RANGE) | ~Q(version_range=""),
                name="target_range_kind_has_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind=TargetKind.CPE) | ~Q(cpe=""), name="target_cpe_kind_has_cpe"
            ),
            models.CheckConstraint(
                condition=~Q(kind=TargetKind.PURL) | ~Q(purl=""), name="target_purl_kind_has_purl"
            ),
            models.CheckConstraint(
                condition=~Q(kind=TargetKind.JURISDICTION) | ~Q(country=""),
                name="target_jurisdiction_kind_has_country",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "vendor"], name="target_kind_vendor_idx"),
            models.Index(fields=["kind", "product"], name="target_kind_product_idx"),
            models.Index(fields=["cpe_vendor", "cpe_product"], name="target_cpe_idx"),
            models.Index(
                fields=["purl_type", "purl_namespace", "purl_name"], name="target_purl_idx"
            ),
            models.Index(fields=["country"], name="target_country_idx"),
        ]

    def __str__(self) -> str:
        what = {
            TargetKind.VENDOR: lambda: (
                f"{self.vendor}" + (" and its subsidiaries" if self.include_subsidiaries else "")
            ),
            TargetKind.PRODUCT: lambda: str(self.product),
            TargetKind.PRODUCT_RANGE: lambda: f"{self.product} {self.version_range}",
            TargetKind.CPE: lambda: self.cpe,
            TargetKind.PURL: lambda: f"{self.purl} {self.version_range}".strip(),
            TargetKind.JURISDICTION: lambda: f"vendors under {countries.name(self.country)}",
        }[TargetKind(self.kind)]()
        return f"{'not ' if self.is_exclusion else ''}{what}"

    @property
    def caveats(self) -> str:
        """Every condition on the target: the range text's, then the one given by hand (as the
        matcher joins them, ``exposure.engine.targets.CAVEAT_SQL``)."""
        return join_caveats(self.range_caveat, self.caveat)


class TargetInterval(models.Model):
    """One interval of a target's version range, as sortable version keys.

    A range is stored as a union of intervals so that matching can compare an item's version
    key with plain SQL comparisons; a missing bound is unbounded.
    """

    target = models.ForeignKey(AffectedTarget, on_delete=models.CASCADE, related_name="intervals")
    lower = VersionKeyField(null=True, blank=True)
    lower_inclusive = models.BooleanField(default=True)
    upper = VersionKeyField(null=True, blank=True)
    upper_inclusive = models.BooleanField(default=False)

    class Meta:
        ordering = ["target", "lower"]

    def __str__(self) -> str:
        low = "(-∞" if self.lower is None else ("[" if self.lower_inclusive else "(") + self.lower
        high = "+∞)" if self.upper is None else self.upper + ("]" if self.upper_inclusive else ")")
        return f"{low}, {high}"


class FeedRun(models.Model):
    """One run of a source's feed: what it fetched, imported, left alone, and what failed, why.

    At most one run of a source is ``running`` at a time (a named constraint), so that two
    workers never walk the same feed at once.
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="feed_runs")
    feed_kind = models.CharField(max_length=20, choices=FeedKind.choices)
    status = models.CharField(
        max_length=10, choices=FeedRunStatus.choices, default=FeedRunStatus.RUNNING
    )
    trigger = models.CharField(
        max_length=20, blank=True, help_text="What started it: schedule, command, admin."
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    documents = models.PositiveIntegerField(
        default=0,
        help_text="Documents the feed lists for this run; the counts below add up to "
        "it once the run is done.",
    )
    fetched = models.PositiveIntegerField(default=0, help_text="Documents downloaded.")
    imported = models.PositiveIntegerField(default=0, help_text="New advisories.")
    updated = models.PositiveIntegerField(
        default=0, help_text="Advisories moved to a newer version."
    )
    unchanged = models.PositiveIntegerField(
        default=0, help_text="Documents not changed since the last run, or already imported."
    )
    failed = models.PositiveIntegerField(default=0, help_text="Documents refused or broken.")
    failures = models.JSONField(
        default=list, blank=True, help_text="One {document, reason} per failed document."
    )
    notes = models.JSONField(
        default=list, blank=True, help_text="What the run chose not to do, e.g. older versions."
    )
    message = models.TextField(blank=True, help_text="Why the run as a whole failed, if it did.")
    # Stamped every few seconds while the run works (operations.heartbeats); a running run
    # whose stamps stopped lost its worker, and the sweeper closes it as failed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status=FeedRunStatus.RUNNING),
                name="feedrun_one_running_per_source",
            ),
        ]
        indexes = [
            models.Index(fields=["source", "-started_at"], name="feedrun_source_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source} feed run {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def done(self) -> int:
        """Documents dealt with so far: imported, updated, left unchanged or failed."""
        return self.imported + self.updated + self.unchanged + self.failed

    @property
    def progress(self) -> str:
        """How far the run has got, as a person reads it: "250 of 1,000 documents (25 %)"."""
        if not self.documents:
            return "" if self.finished_at else "listing documents"
        percent = min(100, 100 * self.done // self.documents)
        return f"{self.done:,} of {self.documents:,} documents ({percent} %)"
