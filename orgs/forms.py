"""Forms of the organization pages: an inventory item, an inventory upload, and mapping an
unresolved name to a catalogue product."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from listing.pages import OneOfSelect
from orgs.choices import BusinessCriticality, Environment, ImportFormat, ImportMode
from orgs.importers.common import NOTES_MAX_LENGTH
from orgs.models import InventoryItem
from vendors.matching.cpe import CpeError, parse_cpe23
from vendors.matching.purls import PurlError, parse_purl
from vendors.models import Product


class QuickSelect(OneOfSelect):
    """A one-of-many filter drop-down built in Python rather than from Django's per-option
    templates, which take a tenth of a second for the hundreds of organizations a CERT sees or
    the world's countries."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        values = value if isinstance(value, list | tuple) else [value]
        chosen = {str(v) for v in values if v not in (None, "")}
        options = [
            f'<option value="{escape(key)}"{" selected" if str(key) in chosen else ""}>'
            f"{escape(label)}</option>"
            for key, label in [("", self.any_label), *(c for c in self.choices if c[0] != "")]
        ]
        final = self.build_attrs(self.attrs, attrs)
        # Every value and label above is escaped; the attributes are escaped by flatatt.
        return mark_safe(  # noqa: S308
            f'<select name="{escape(name)}"{flatatt(final)}>{"".join(options)}</select>'
        )


def _max_length(name: str) -> int:
    """The column's limit, so that the form refuses what the database would."""
    return int(getattr(InventoryItem._meta.get_field(name), "max_length", 0) or 0)


class InventoryItemForm(forms.Form):
    """What a person enters about an item; the catalogue product is found from it.

    A plain form rather than a ModelForm: the inventory services own writing the item (its
    derived keys, resolution, matching and audit), so the form only checks what was typed.
    """

    raw_vendor = forms.CharField(
        label="Vendor",
        required=False,
        max_length=_max_length("raw_vendor"),
        help_text="As your records name it, e.g. “AO Kaspersky Lab”.",
    )
    raw_product = forms.CharField(
        label="Product",
        required=False,
        max_length=_max_length("raw_product"),
        help_text="Matched to the catalogue by name; unknown names wait for reconciliation.",
    )
    version = forms.CharField(required=False, max_length=_max_length("version"))
    cpe = forms.CharField(
        label="CPE 2.3 name",
        required=False,
        max_length=_max_length("cpe"),
        widget=forms.TextInput(attrs={"class": "mono", "placeholder": "cpe:2.3:a:vendor:…"}),
    )
    purl = forms.CharField(
        label="Package URL",
        required=False,
        max_length=_max_length("purl"),
        widget=forms.TextInput(attrs={"class": "mono", "placeholder": "pkg:npm/lodash@4.17.21"}),
    )
    quantity = forms.IntegerField(min_value=1, max_value=2_147_483_647, initial=1)
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.PRODUCTION)
    criticality = forms.ChoiceField(
        label="Business criticality",
        choices=BusinessCriticality.choices,
        initial=BusinessCriticality.MEDIUM,
    )
    external_ref = forms.CharField(
        label="External reference",
        required=False,
        max_length=_max_length("external_ref"),
        help_text="Its id in the system it came from (CMDB id, SBOM bom-ref).",
    )
    hostname = forms.CharField(
        required=False,
        max_length=_max_length("hostname"),
        help_text="The host it runs on, or a group of hosts.",
    )
    site = forms.CharField(
        required=False,
        max_length=_max_length("site"),
        help_text="Where it runs: a plant, an office, a data centre.",
    )
    notes = forms.CharField(
        required=False, max_length=NOTES_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_cpe(self) -> str:
        cpe: str = self.cleaned_data["cpe"]
        if cpe:
            try:
                parse_cpe23(cpe)
            except CpeError as error:
                raise forms.ValidationError(str(error)) from error
        return cpe

    def clean_purl(self) -> str:
        purl: str = self.cleaned_data["purl"]
        if purl:
            try:
                parse_purl(purl)
            except PurlError as error:
                raise forms.ValidationError(str(error)) from error
        return purl

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if not any(cleaned.get(name) for name in ("raw_product", "cpe", "purl")) and not any(
            name in self.errors for name in ("raw_product", "cpe", "purl")
        ):
            raise forms.ValidationError(
                "Give a product name, a CPE or a package URL: one of them says what it is."
            )
        return cleaned

    @classmethod
    def initial_from(cls, item: InventoryItem) -> dict[str, Any]:
        """The form's values for an existing item."""
        return {name: getattr(item, name) for name in cls.base_fields}


class InventoryUploadForm(forms.Form):
    """An inventory file to import: CSV or a CycloneDX JSON SBOM."""

    file = forms.FileField(
        label="Inventory file",
        help_text="CSV (UTF-8, comma or semicolon) or a CycloneDX 1.4–1.6 JSON SBOM.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,text/csv,application/json"}),
    )
    file_format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "Recognise from the file"), *ImportFormat.choices],
    )
    mode = forms.ChoiceField(
        choices=ImportMode.choices, initial=ImportMode.ADD, widget=forms.RadioSelect
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.INVENTORY_IMPORT_MAX_BYTES
        # Checked before reading, so that an oversized upload is never loaded into memory.
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                f"The file is larger than the limit of {limit // (1024 * 1024)} MB; split it "
                "into smaller files."
            )
        return upload


class NameMappingForm(forms.Form):
    """Map one spelling of the reconciliation page to a catalogue product."""

    raw_vendor = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    raw_product = forms.CharField(max_length=200, widget=forms.HiddenInput)
    product = forms.ModelChoiceField(
        queryset=Product.objects.select_related("vendor"),
        widget=forms.HiddenInput,
        error_messages={"required": "Pick the catalogue product these items are."},
    )
