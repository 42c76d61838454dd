"""The catalogue: vendors, their products, and the names they go by."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django_countries.fields import CountryField

from vendors.choices import CpePart, ProductCategory
from vendors.matching.cpe import product_cpe_name
from vendors.matching.names import normalize_name
from vendors.matching.purls import product_purl


class Vendor(models.Model):
    """A company whose products organizations run.

    A vendor may belong to a parent company; a subsidiary inherits its parent's jurisdiction
    (a UK subsidiary of a Russian company is still under Russian state pressure), which is what
    jurisdiction advisories match on.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    name = models.CharField(max_length=200)
    # Derived from ``name`` on save: the key that inventory resolution and uniqueness use.
    # Product names keep legal-form words ("iPhone SE"); vendor names drop them ("AO", "Ltd").
    normalized_name = models.CharField(max_length=200, editable=False)
    slug = models.SlugField(max_length=200, unique=True)
    country = CountryField(blank=True, help_text="Country of headquarters.")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidiaries",
        help_text="The company that owns this one; its jurisdiction is inherited.",
    )
    cpe_vendor = models.CharField(
        "CPE vendor",
        max_length=200,
        blank=True,
        help_text="The vendor part of this vendor's CPE names, e.g. 'kaspersky'.",
    )
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    # Durable pending-work marker: set in the same transaction as the change that needs
    # matching, cleared by the matcher once it has matched that state (see exposure/).
    match_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["normalized_name"], name="vendor_unique_normalized_name"
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="vendor_not_its_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["cpe_vendor"], name="vendor_cpe_vendor_idx"),
            models.Index(fields=["country"], name="vendor_country_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The normalized name is a pure function of the name; deriving it here keeps the two
        # consistent however the row is written (form, admin, import, shell).
        self.normalized_name = normalize_name(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("vendors:vendor_detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        self.cpe_vendor = self.cpe_vendor.strip().lower()
        alias = (
            VendorAlias.objects.filter(normalized_name=normalize_name(self.name))
            .exclude(vendor_id=self.pk)
            .select_related("vendor")
            .first()
        )
        if alias is not None:
            raise ValidationError(
                {"name": f"This name is an alias of the vendor '{alias.vendor}'."}
            )
        # Walk up the ownership chain so that an edit can never close a loop.
        seen: set[int] = {self.pk} if self.pk else set()
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk in seen:
                raise ValidationError(
                    {"parent": "This parent would make the ownership chain a loop."}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class VendorAlias(models.Model):
    """Another name a vendor goes by (a former name, a legal entity, a common misspelling).

    Inventory rows whose raw vendor name equals an alias resolve to the vendor.
    """

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    normalized_name = models.CharField(max_length=200, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "vendor aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["normalized_name"], name="vendor_alias_unique_normalized_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.vendor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.normalized_name = normalize_name(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Names are compared normalized ("Kaspersky Lab JSC" is "kaspersky lab"), so an alias
        # that normalizes to a vendor's name would resolve nothing new, or resolve to two.
        normalized = normalize_name(self.name)
        if not normalized:
            raise ValidationError({"name": "Enter a name with at least one letter or digit."})
        clash = Vendor.objects.filter(normalized_name=normalized).first()
        if clash is not None:
            raise ValidationError({"name": f"This is already the name of the vendor '{clash}'."})
        other = VendorAlias.objects.filter(normalized_name=normalized).exclude(pk=self.pk).first()
        if other is not None:
            raise ValidationError({"name": f"This is already an alias of '{other.vendor}'."})


class Product(models.Model):
    """Something a vendor makes that organizations run: software, a device, a service.

    Risk traits describe why a product is dangerous when its vendor cannot be trusted: deep or
    kernel-level access, a permanent connection to the vendor's cloud, updates the vendor pushes.
    They raise the priority of flags on the product.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    normalized_name = models.CharField(max_length=200, editable=False)
    slug = models.SlugField(max_length=200)
    category = models.CharField(
        max_length=40, choices=ProductCategory.choices, default=ProductCategory.OTHER
    )
    # The parts of its CPE name and purl: what matching and resolution join on. Editors give
    # the whole name (``cpe``, ``purl`` below), which the services parse into these.
    cpe_part = models.CharField(
        "CPE part",
        max_length=1,
        choices=CpePart.choices,
        blank=True,
        help_text="Application, operating system or hardware; blank when not known.",
    )
    cpe_vendor = models.CharField("CPE vendor", max_length=200, blank=True)
    cpe_product = models.CharField(
        "CPE product",
        max_length=200,
        blank=True,
        help_text="The product part of its CPE names, e.g. 'endpoint_security'.",
    )
    purl_type = models.CharField("purl type", max_length=50, blank=True)
    purl_namespace = models.CharField("purl namespace", max_length=200, blank=True)
    purl_name = models.CharField("purl name", max_length=200, blank=True)
    deep_system_access = models.BooleanField(
        default=False, help_text="Runs with kernel-level or administrative access."
    )
    permanent_cloud_connection = models.BooleanField(
        default=False, help_text="Keeps a permanent, non-verifiable connection to the vendor."
    )
    vendor_pushed_updates = models.BooleanField(
        default=False, help_text="The vendor can push code or signature updates at will."
    )
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    # Durable pending-work marker: set in the same transaction as the change that needs
    # matching, cleared by the matcher once it has matched that state (see exposure/).
    match_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["vendor__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "normalized_name"], name="product_unique_name_per_vendor"
            ),
            models.UniqueConstraint(
                fields=["vendor", "slug"], name="product_unique_slug_per_vendor"
            ),
        ]
        indexes = [
            models.Index(fields=["cpe_vendor", "cpe_product"], name="product_cpe_idx"),
            models.Index(
                fields=["purl_type", "purl_namespace", "purl_name"], name="product_purl_idx"
            ),
            models.Index(Lower("name"), name="product_lower_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor.name} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.normalized_name = normalize_name(self.name, legal_forms=False)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "vendors:product_detail", kwargs={"vendor_slug": self.vendor.slug, "slug": self.slug}
        )

    @property
    def cpe(self) -> str:
        """Its CPE 2.3 name, every version, made from the stored parts ("" without one)."""
        return product_cpe_name(self.cpe_part, self.cpe_vendor, self.cpe_product)

    @property
    def purl(self) -> str:
        """Its package URL, every version, made from the stored parts ("" without one)."""
        return product_purl(self.purl_type, self.purl_namespace, self.purl_name)

    @property
    def risk_trait_count(self) -> int:
        return sum(
            (self.deep_system_access, self.permanent_cloud_connection, self.vendor_pushed_updates)
        )

    def clean(self) -> None:
        self.cpe_vendor = self.cpe_vendor.strip().lower()
        self.cpe_product = self.cpe_product.strip().lower()
        self.purl_type = self.purl_type.strip().lower()
        if (self.cpe_product or self.cpe_part) and not self.cpe_vendor:
            raise ValidationError({"cpe_vendor": "A CPE part or product needs its CPE vendor."})
        if self.purl_name and not self.purl_type:
            raise ValidationError({"purl_type": "A purl name needs its purl type."})


class ProductAlias(models.Model):
    """Another name a product goes by (an old name, an edition, how asset tools report it)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200)
    normalized_name = models.CharField(max_length=200, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "product aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "normalized_name"], name="product_alias_unique_per_product"
            ),
        ]
        indexes = [models.Index(fields=["normalized_name"], name="product_alias_norm_idx")]

    def __str__(self) -> str:
        return f"{self.name} → {self.product}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.normalized_name = normalize_name(self.name, legal_forms=False)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        normalized = normalize_name(self.name, legal_forms=False)
        if not normalized:
            raise ValidationError({"name": "Enter a name with at least one letter or digit."})
        if self.product_id is None:
            return
        siblings = Product.objects.filter(vendor_id=self.product.vendor_id)
        clash = siblings.filter(normalized_name=normalized).first()
        if clash is not None:
            raise ValidationError({"name": f"This is already the name of the product '{clash}'."})
        other = (
            ProductAlias.objects.filter(
                product__vendor_id=self.product.vendor_id, normalized_name=normalized
            )
            .exclude(pk=self.pk)
            .select_related("product")
            .first()
        )
        if other is not None:
            raise ValidationError({"name": f"This is already an alias of '{other.product}'."})
