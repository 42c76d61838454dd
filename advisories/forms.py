"""Forms for advisories, shared by the admin and the editor pages."""

import re
from typing import Any

from django import forms

from advisories.checks import advisory_field_errors
from advisories.choices import TargetKind, Tlp
from advisories.models import Advisory, AffectedTarget
from vendors.choices import CriticalityTier, Sector

CVE_ID_PATTERN = re.compile(r"CVE-\d{4}-\d{4,}")


def without_maxlength(form: forms.BaseForm) -> None:
    """Drop the ``maxlength`` attributes Django puts on text inputs: a browser silently cuts a
    pasted text at that length, and the editor must be told instead (a field error)."""
    for field in form.fields.values():
        field.widget.attrs.pop("maxlength", None)


class AdvisoryForm(forms.ModelForm):  # type: ignore[type-arg]
    """An advisory's own fields; the audience lists are offered as checkboxes."""

    audience_sectors = forms.MultipleChoiceField(
        choices=Sector.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Sectors the advisory is aimed at; organizations in them get a higher priority.",
    )
    audience_tiers = forms.MultipleChoiceField(
        choices=[c for c in CriticalityTier.choices if c[0] != CriticalityTier.STANDARD],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Criticality tiers it is aimed at, e.g. critical infrastructure operators.",
    )

    class Meta:
        model = Advisory
        fields = [
            "source",
            "identifier",
            "title",
            "summary",
            "issued_on",
            "kind",
            "severity",
            "cvss_score",
            "cvss_vector",
            "known_exploited",
            "recommended_action",
            "action_details",
            "action_deadline",
            "audience_sectors",
            "audience_tiers",
            "tlp",
            "audience_organizations",
            "audience_users",
            "withdrawn_reason",
            "source_version",
        ]
        widgets: dict[str, forms.Widget] = {
            "issued_on": forms.DateInput(attrs={"type": "date"}),
            "action_deadline": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        without_maxlength(self)
        # A post without a label keeps the advisory's (GREEN for a new one), never a blank.
        self.fields["tlp"].required = False

    def clean_tlp(self) -> str:
        return str(self.cleaned_data.get("tlp") or self.instance.tlp)

    def clean_identifier(self) -> str:
        identifier: str = self.cleaned_data["identifier"].strip()
        if not identifier:
            raise forms.ValidationError("Enter the source's identifier for this advisory.")
        return identifier

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        score, severity = cleaned.get("cvss_score"), cleaned.get("severity")
        if score is not None and severity == "none" and score > 0:
            self.add_error("severity", "A CVSS score above 0 cannot have severity 'none'.")
        errors = advisory_field_errors(
            cvss_vector=cleaned.get("cvss_vector") or "",
            cvss_score=score,
            severity=severity,
            issued_on=cleaned.get("issued_on"),
            action_deadline=cleaned.get("action_deadline"),
        )
        for name, message in errors.items():
            if name in self.fields and not self.has_error(name):
                self.add_error(name, message)
        if cleaned.get("tlp") == Tlp.RED and not cleaned.get("audience_users"):
            self.add_error("audience_users", "Name the people a TLP:RED advisory is for.")
        return cleaned


class CatalogueChoiceWidget(forms.HiddenInput):
    """A vendor or product picked through the search box next to it (see ``vendors/views.py``
    and ``static/js/app.js``): the form posts the primary key, the page shows the name."""


class TargetForm(forms.ModelForm):  # type: ignore[type-arg]
    """One affected target as the editor enters it.

    Only the fields of the chosen kind are kept: a vendor left over from switching a row from
    "vendor" to "CPE" must not silently stay on the target. Ranges are not parsed here;
    ``advisories.services.target_compile`` parses them, and a range it cannot read marks the
    target for review instead of refusing the form, because imported advisories need the same
    leniency. The editor sees the parsed intervals or the reason as they type.
    """

    # Fields each kind uses, besides kind, exclusion, caveat and note.
    KIND_FIELDS: dict[str, tuple[str, ...]] = {
        TargetKind.VENDOR: ("vendor", "include_subsidiaries"),
        TargetKind.PRODUCT: ("product",),
        TargetKind.PRODUCT_RANGE: ("product", "version_range"),
        TargetKind.CPE: (
            "cpe",
            "version_start_including",
            "version_start_excluding",
            "version_end_including",
            "version_end_excluding",
        ),
        TargetKind.PURL: ("purl", "version_range"),
        TargetKind.JURISDICTION: ("country",),
    }
    REQUIRED: dict[str, str] = {
        TargetKind.VENDOR: "vendor",
        TargetKind.PRODUCT: "product",
        TargetKind.PRODUCT_RANGE: "product",
        TargetKind.CPE: "cpe",
        TargetKind.PURL: "purl",
        TargetKind.JURISDICTION: "country",
    }

    class Meta:
        model = AffectedTarget
        fields = [
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
        ]
        widgets = {"vendor": CatalogueChoiceWidget, "product": CatalogueChoiceWidget}
        labels = {"is_exclusion": "Exclusion (fixed or not affected)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        without_maxlength(self)

    @property
    def picked(self) -> dict[str, str]:
        """The names of the vendor and product the row points to, for the pickers' boxes."""
        names: dict[str, str] = {}
        for name in ("vendor", "product"):
            value = self[name].value()
            if value:
                field = self.fields[name]
                chosen = field.queryset.filter(pk=value).first()  # type: ignore[attr-defined]
                names[name] = str(chosen) if chosen is not None else ""
        return names

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        required = self.REQUIRED[kind]
        if not cleaned.get(required):
            self.add_error(required, "This kind of target needs it.")
        if kind == TargetKind.PRODUCT_RANGE and not cleaned.get("version_range", "").strip():
            self.add_error("version_range", "Enter the affected version range.")
        kept = set(self.KIND_FIELDS[kind])
        for name in {n for fields in self.KIND_FIELDS.values() for n in fields} - kept:
            field = self.fields[name]
            cleaned[name] = False if isinstance(field, forms.BooleanField) else field.to_python("")
        return cleaned


TargetFormSet = forms.inlineformset_factory(
    Advisory,
    AffectedTarget,
    form=TargetForm,
    extra=0,
    can_delete=True,
    min_num=0,
)


class WithdrawForm(forms.Form):
    """Withdrawing needs a reason: organizations whose flags it resolves are told why."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Organizations see this next to the flags it resolves.",
    )

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the advisory is withdrawn.")
        return reason


class PublishForm(forms.Form):
    """Publishing's confirmation: what publishing would do wrong unless the editor says it is
    meant, an advisory that matches nothing or one that looks like another."""

    matches_nothing = forms.BooleanField(
        label="It is informational and matches nothing",
        required=False,
        help_text="It has no targets: published, it flags no item in any organization.",
    )
    not_a_duplicate = forms.BooleanField(
        label="It is not a copy of the advisories above",
        required=False,
        help_text="Both would flag the same items, each with its own flags.",
    )

    def __init__(self, *args: Any, has_targets: bool, has_duplicates: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_targets:
            del self.fields["matches_nothing"]
        else:
            self.fields["matches_nothing"].required = True
            self.fields["matches_nothing"].error_messages["required"] = (
                "Add a target, or confirm that it is informational and matches nothing."
            )
        if has_duplicates:
            self.fields["not_a_duplicate"].required = True
            self.fields["not_a_duplicate"].error_messages["required"] = (
                "Check the advisories it looks like, and confirm it is not a copy."
            )
        else:
            del self.fields["not_a_duplicate"]


class AdvisoryEditorForm(AdvisoryForm):
    """The editor page's form: the advisory's fields, its CVE ids and reference links.

    The withdrawal reason is not here: withdrawing is its own confirmed step.
    """

    cve_ids = forms.CharField(
        label="CVE ids",
        required=False,
        help_text="Separated by spaces or commas, e.g. CVE-2024-3400.",
    )
    reference_urls = forms.CharField(
        label="References",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One URL per line: the source's page first.",
    )

    class Meta(AdvisoryForm.Meta):
        fields = [name for name in AdvisoryForm.Meta.fields if name != "withdrawn_reason"]
        widgets = {
            **AdvisoryForm.Meta.widgets,
            "summary": forms.Textarea(attrs={"rows": 5}),
            "action_details": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_cve_ids(self) -> list[str]:
        text: str = self.cleaned_data["cve_ids"]
        ids = [part.upper() for part in text.replace(",", " ").split()]
        bad = [cve for cve in ids if not CVE_ID_PATTERN.fullmatch(cve)]
        if bad:
            raise forms.ValidationError(f"Not a CVE id: {', '.join(bad)}.")
        return list(dict.fromkeys(ids))

    def clean_reference_urls(self) -> list[str]:
        text: str = self.cleaned_data["reference_urls"]
        urls = [line.strip() for line in text.splitlines() if line.strip()]
        validate = forms.URLField(max_length=1000, assume_scheme="https").clean
        for url in urls:
            validate(url)
        return urls


class AdvisoryEditForm(AdvisoryEditorForm):
    """Editing an advisory: its fields and targets, and for a published one what changed.

    CVE ids and references are not edited here: ``advisory_update`` changes the advisory and
    its targets, and the admin keeps the rest.
    """

    change_summary = forms.CharField(
        label="What changed",
        required=False,
        max_length=300,
        help_text="For a published advisory: recorded as its revision and shown to readers.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        without_maxlength(self)
        del self.fields["cve_ids"]
        del self.fields["reference_urls"]


def target_fields(form: TargetForm) -> dict[str, Any]:
    """The AffectedTarget fields of a valid target form, as ``advisory_create`` takes them."""
    # The inline formset adds the advisory itself to the form; the service sets it.
    return {name: form.cleaned_data[name] for name in TargetForm.Meta.fields if name != "advisory"}


def formset_targets(formset: Any) -> list[dict[str, Any]]:
    """Every target a valid formset holds: the existing ones and the filled-in new rows, less
    those marked for removal."""
    return [
        target_fields(form)
        for form in formset.forms
        if (form.instance.pk or form.has_changed()) and not formset._should_delete_form(form)
    ]
