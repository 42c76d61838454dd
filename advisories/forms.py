"""Forms for advisories, shared by the admin and the editor pages."""

from typing import Any

from django import forms

from advisories.models import Advisory
from vendors.choices import CriticalityTier, Sector


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
            "withdrawn_reason",
            "source_version",
        ]
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}),
            "action_deadline": forms.DateInput(attrs={"type": "date"}),
        }

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
        return cleaned
