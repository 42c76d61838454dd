"""Forms of the notification pages: a channel's settings, and an organization's SLA days."""

from __future__ import annotations

from typing import Any

from django import forms

from advisories.choices import AdvisoryKind, Severity
from notifications.choices import ChannelKind, ChannelMode, NotificationEvent
from notifications.models import Channel
from notifications.selectors import organizations_administered
from orgs.models import Organization
from orgs.scoping import Actor


class RecipientsField(forms.CharField):
    """Email addresses, one per line (or separated by commas), as a list."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value


class ChannelForm(forms.Form):
    """A channel's settings. The organization and kind are chosen when it is created; the URL,
    once saved, is never shown again (an incoming-webhook URL is a credential), so on edit an
    empty URL keeps the saved one."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), empty_label=None)
    name = forms.CharField(max_length=100, help_text="E.g. “SOC mailbox” or “#security-alerts”.")
    kind = forms.ChoiceField(choices=ChannelKind.choices)
    recipients = RecipientsField(
        required=False, help_text="Email channels: one address per line, at most 20."
    )
    url = forms.URLField(
        label="URL",
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text="Webhook, Slack and Teams channels: the address to post to.",
    )
    enabled = forms.BooleanField(required=False, initial=True)
    mode = forms.ChoiceField(
        choices=ChannelMode.choices,
        initial=ChannelMode.IMMEDIATE,
        widget=forms.RadioSelect,
        label="When",
    )
    events = forms.MultipleChoiceField(
        choices=NotificationEvent.choices,
        initial=list(NotificationEvent.values),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checks"}),
    )
    min_severity = forms.ChoiceField(
        choices=Severity.choices,
        initial=Severity.NONE,
        label="Minimum severity",
        help_text="Only advisories at least this severe.",
    )
    advisory_kinds = forms.MultipleChoiceField(
        choices=AdvisoryKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checks"}),
        label="Advisory kinds",
        help_text="None ticked: every kind.",
    )

    def __init__(self, *args: Any, user: Actor, channel: Channel | None = None, **kwargs: Any):
        if channel is not None:
            kwargs.setdefault(
                "initial",
                {
                    "organization": channel.organization_id,
                    "name": channel.name,
                    "kind": channel.kind,
                    "recipients": channel.recipients,
                    "enabled": channel.enabled,
                    "mode": channel.mode,
                    "events": channel.events,
                    "min_severity": channel.min_severity,
                    "advisory_kinds": channel.advisory_kinds,
                },
            )
        super().__init__(*args, **kwargs)
        self.channel = channel
        organization = self.fields["organization"]
        assert isinstance(organization, forms.ModelChoiceField)
        organization.queryset = organizations_administered(user=user)
        if channel is not None:
            # Fixed once created: they decide what the other fields mean.
            del self.fields["organization"]
            del self.fields["kind"]
            self.fields["url"].help_text = (
                f"Saved: {channel.target_display}. Leave empty to keep it."
                if channel.url
                else self.fields["url"].help_text
            )

    def channel_data(self) -> dict[str, Any]:
        """The cleaned values as the channel services take them."""
        data = {
            name: self.cleaned_data[name]
            for name in (
                "name",
                "recipients",
                "url",
                "enabled",
                "mode",
                "events",
                "min_severity",
                "advisory_kinds",
            )
        }
        if self.channel is not None and not data["url"]:
            del data["url"]
        return data


class SlaForm(forms.Form):
    """An organization's SLA: days to act on a flag of each severity, when the advisory sets
    no deadline of its own."""

    sla_critical_days = forms.IntegerField(label="Critical", min_value=1, max_value=3650)
    sla_high_days = forms.IntegerField(label="High", min_value=1, max_value=3650)
    sla_medium_days = forms.IntegerField(label="Medium", min_value=1, max_value=3650)
    sla_low_days = forms.IntegerField(label="Low", min_value=1, max_value=3650)
