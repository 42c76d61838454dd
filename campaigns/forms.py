"""Forms of the campaign pages; each feeds one service, which checks and writes."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from campaigns.choices import DEFAULT_MILESTONES, CampaignScope
from campaigns.models import Milestone, Plan
from vendors.choices import CriticalityTier, Sector
from vendors.models import Product


class CampaignOpenForm(forms.Form):
    title = forms.CharField(max_length=300, required=False, help_text="Defaults to the advisory's.")
    guidance = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    scope = forms.ChoiceField(choices=CampaignScope.choices, initial=CampaignScope.FLAGGED)
    scope_sectors = forms.MultipleChoiceField(
        label="Sectors", choices=Sector.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    scope_tiers = forms.MultipleChoiceField(
        label="Criticality tiers",
        choices=CriticalityTier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    replacement_products = forms.ModelMultipleChoiceField(
        label="Suggested replacements",
        queryset=Product.objects.select_related("vendor").order_by("vendor__name", "name"),
        required=False,
        help_text="Products of the catalogue to suggest instead.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, name, offset in DEFAULT_MILESTONES:
            self.fields[f"days_{key}"] = forms.IntegerField(
                label=f"{name}: days after the advisory", min_value=0, initial=offset
            )

    def milestones(self) -> list[tuple[str, str, int]]:
        return [
            (key, name, self.cleaned_data[f"days_{key}"]) for key, name, _ in DEFAULT_MILESTONES
        ]

    def milestone_fields(self) -> list[forms.BoundField]:
        return [self[f"days_{key}"] for key, _name, _offset in DEFAULT_MILESTONES]


class MilestoneForm(forms.Form):
    name = forms.CharField(max_length=200)
    due_on = forms.DateField(label="Due on", widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def for_milestone(cls, milestone: Milestone, data: Any = None) -> MilestoneForm:
        return cls(
            data,
            prefix=f"m{milestone.pk}",
            initial={"name": milestone.name, "due_on": milestone.due_on},
        )


class PlanForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Plan
        fields = ["replacement_product", "replacement_text", "responsible", "target_date", "notes"]
        widgets = {
            "target_date": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["replacement_product"]
        field.queryset = Product.objects.select_related("vendor").order_by(  # type: ignore[attr-defined]
            "vendor__name", "name"
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class AttestForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="What was done, where, and by whom."
    )
    evidence = MultipleFileField(
        required=False,
        help_text="PDF, PNG, JPEG, text, CSV, XLSX or DOCX files; up to 10 MB each.",
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "Accept"), ("return", "Return")], widget=forms.RadioSelect
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Why it is returned: what is missing.",
    )


class ReportForm(forms.Form):
    """The regulator report's date (its end is the moment reported) and format."""

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(choices=[("xlsx", "XLSX"), ("pdf", "PDF")])

    def __init__(self, *args: Any, opened_on: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened_on = opened_on

    def clean_date(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                "A report shows what was true; choose a past date or today."
            )
        if self.opened_on is not None and day < self.opened_on:
            opened = self.opened_on.isoformat()
            raise forms.ValidationError(
                f"The campaign opened on {opened}; choose a date from then on."
            )
        return day
