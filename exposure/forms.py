"""Forms of flag triage: a status change with its reason, an assignment, a comment, and the
triage list's bulk action. The rules themselves (which moves are allowed, what needs a reason
or an expiry) live in ``exposure.triage``; these forms only collect the input."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet

from exposure.choices import FlagStatus
from exposure.models import Flag
from exposure.triage import BULK_LIMIT, HUMAN_STATUS_CHOICES, TRANSITIONS
from orgs.models import User

# The words a person uses for a move, by the status it leads to.
STATUS_VERBS = {
    FlagStatus.OPEN: "Reopen",
    FlagStatus.ACKNOWLEDGED: "Acknowledge",
    FlagStatus.MITIGATED: "Mark mitigated",
    FlagStatus.RISK_ACCEPTED: "Accept the risk",
    FlagStatus.FALSE_POSITIVE: "Mark as false positive",
}
ASSIGN_ME = "assign_me"
UNASSIGN = "unassign"


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to accept a risk or call a flag a false positive.",
    )


def _expiry_field() -> forms.DateField:
    return forms.DateField(
        label="Risk accepted until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The flag reopens for review after this day.",
    )


class FlagStatusForm(forms.Form):
    """Move one flag on: only the moves its current status allows are offered."""

    status = forms.ChoiceField(label="New status")
    reason = _reason_field()
    risk_accepted_until = _expiry_field()

    def __init__(self, *args: Any, flag: Flag, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS.get(flag.status, frozenset())
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (value, STATUS_VERBS[FlagStatus(value)])
            for value, _label in HUMAN_STATUS_CHOICES
            if value in allowed
        ]

    @property
    def has_moves(self) -> bool:
        """Whether the flag can be moved by a person at all (a resolved one cannot)."""
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        return bool(field.choices)


class FlagAssignForm(forms.Form):
    """Give the flag to a member of its organization, or to nobody."""

    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody"
    )

    def __init__(self, *args: Any, members: QuerySet[User, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = members


class FlagCommentForm(forms.Form):
    note = forms.CharField(
        label="Comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class IdsField(forms.Field):
    """The ids of the rows ticked in a list (``flags=1&flags=7``), at most ``BULK_LIMIT``;
    empty when none is ticked (the form says whether that is allowed)."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, noun: str, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.noun = noun

    def to_python(self, value: Any) -> list[int]:
        values = value or []
        if not all(str(v).isdigit() for v in values):
            raise forms.ValidationError(f"{self.noun.capitalize()} ids are whole numbers.")
        ids = list(dict.fromkeys(int(v) for v in values))
        if len(ids) > BULK_LIMIT:
            raise forms.ValidationError(f"Change at most {BULK_LIMIT} {self.noun}s at once.")
        return ids


class FlagBulkForm(forms.Form):
    """One action on every ticked flag of the triage list, or on every active flag of the
    ticked items of the affected-assets list."""

    flags = IdsField(noun="flag")
    items = IdsField(noun="item")
    action = forms.ChoiceField(
        label="With the selected flags",
        # The everyday moves first; reopening is the rare one.
        choices=[
            *(
                (value, STATUS_VERBS[FlagStatus(value)])
                for value, _label in HUMAN_STATUS_CHOICES
                if value != FlagStatus.OPEN
            ),
            (FlagStatus.OPEN.value, STATUS_VERBS[FlagStatus.OPEN]),
            (ASSIGN_ME, "Assign to me"),
            (UNASSIGN, "Unassign"),
        ],
    )
    reason = _reason_field()
    risk_accepted_until = _expiry_field()

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if not self.errors and not cleaned.get("flags") and not cleaned.get("items"):
            self.add_error("flags", "Tick at least one flag.")
        return cleaned

    def status(self) -> str | None:
        """The status the action moves to, or ``None`` for an assignment."""
        action: str = self.cleaned_data["action"]
        return None if action in (ASSIGN_ME, UNASSIGN) else action

    def expiry(self) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data.get("risk_accepted_until")
        return value
