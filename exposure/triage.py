"""Triage of flags by people: status changes with a reason, assignment, comments.

The matcher creates and resolves flags; people move them along the paths below. Every change
is written to the flag's history (``FlagEvent``) and to the audit trail in the same
transaction, so neither can miss a change the other saw.

    open ─→ acknowledged ─→ mitigated
    open, acknowledged ─→ risk_accepted (reason and a future expiry) | false_positive (reason)
    mitigated, risk_accepted, false_positive ─→ open (reopened)

``resolved`` belongs to the matcher: it sets it when the item is gone, no longer affected or
the advisory is withdrawn, and only it takes a flag out of it (when the match returns).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from exposure.choices import FlagEventKind, FlagStatus
from exposure.models import Flag, FlagEvent
from orgs.choices import Role
from orgs.models import Membership, User
from orgs.scoping import Actor, has_role

TRANSITIONS: dict[str, frozenset[str]] = {
    FlagStatus.OPEN: frozenset(
        {FlagStatus.ACKNOWLEDGED, FlagStatus.RISK_ACCEPTED, FlagStatus.FALSE_POSITIVE}
    ),
    FlagStatus.ACKNOWLEDGED: frozenset(
        {FlagStatus.MITIGATED, FlagStatus.RISK_ACCEPTED, FlagStatus.FALSE_POSITIVE}
    ),
    FlagStatus.MITIGATED: frozenset({FlagStatus.OPEN}),
    FlagStatus.RISK_ACCEPTED: frozenset({FlagStatus.OPEN}),
    FlagStatus.FALSE_POSITIVE: frozenset({FlagStatus.OPEN}),
    FlagStatus.RESOLVED: frozenset(),
}

# The statuses a person may set; ``resolved`` is the matcher's.
HUMAN_STATUSES = (
    FlagStatus.OPEN,
    FlagStatus.ACKNOWLEDGED,
    FlagStatus.MITIGATED,
    FlagStatus.RISK_ACCEPTED,
    FlagStatus.FALSE_POSITIVE,
)
HUMAN_STATUS_CHOICES = [(status.value, status.label) for status in HUMAN_STATUSES]

# Bulk changes lock every flag they touch; a bound keeps one request from locking thousands.
BULK_LIMIT = 500
# An accepted risk comes back for review within a year: an acceptance "until 2099" is a
# flag closed for ever without anyone saying so.
RISK_ACCEPTANCE_MAX_DAYS = 365
# Who may be given a flag: those who can triage it.
ASSIGNABLE_ROLES = (Role.ANALYST, Role.ADMIN, Role.OWNER)


def _require_triage(user: Actor, flag: Flag) -> None:
    if not has_role(user, flag.organization, Role.ANALYST):
        raise PermissionDenied("Triage needs the analyst role in the flag's organization.")


def _check_transition(
    flag: Flag, status: str, reason: str, risk_accepted_until: datetime.date | None
) -> None:
    """Refuse a move the paths do not allow, or one that lacks its reason or expiry."""
    if status not in TRANSITIONS.get(flag.status, frozenset()):
        if flag.status == FlagStatus.RESOLVED:
            message = "A resolved flag is closed by the matcher and reopens only if it matches."
        elif flag.status == status:
            message = f"The flag is already {flag.get_status_display().lower()}."
        else:
            message = (
                f"A flag cannot move from {FlagStatus(flag.status).label.lower()} to "
                f"{FlagStatus(status).label.lower()}."
            )
        raise ValidationError({"status": message})
    if status in (FlagStatus.RISK_ACCEPTED, FlagStatus.FALSE_POSITIVE) and not reason:
        raise ValidationError({"reason": "Say why."})
    if status == FlagStatus.RISK_ACCEPTED:
        if risk_accepted_until is None:
            raise ValidationError({"risk_accepted_until": "Say until when the risk is accepted."})
        today = timezone.localdate()
        if risk_accepted_until <= today:
            raise ValidationError({"risk_accepted_until": "The expiry must be in the future."})
        latest = today + datetime.timedelta(days=RISK_ACCEPTANCE_MAX_DAYS)
        if risk_accepted_until > latest:
            raise ValidationError(
                {
                    "risk_accepted_until": "A risk is accepted for at most a year, until "
                    f"{latest:%-d %b %Y} at the latest; accept it again then if it still holds."
                }
            )
    elif risk_accepted_until is not None:
        raise ValidationError({"risk_accepted_until": "Only an accepted risk has an expiry date."})


def _apply_transition(
    flag: Flag,
    *,
    status: str,
    reason: str,
    risk_accepted_until: datetime.date | None,
    user: Actor,
    request: HttpRequest | None,
) -> Flag:
    before = flag.status
    reopened = status == FlagStatus.OPEN
    flag.status = status
    flag.status_reason = reason
    flag.risk_accepted_until = risk_accepted_until
    flag.status_changed_at = timezone.now()
    flag.save(
        update_fields=[
            "status",
            "status_reason",
            "risk_accepted_until",
            "status_changed_at",
            "updated_at",
        ]
    )
    data: dict[str, Any] = {}
    if risk_accepted_until is not None:
        data["risk_accepted_until"] = risk_accepted_until.isoformat()
    FlagEvent.objects.create(
        flag=flag,
        actor=user if user.is_authenticated else None,
        kind=FlagEventKind.REOPENED if reopened else FlagEventKind.STATUS_CHANGED,
        from_status=before,
        to_status=status,
        note=reason,
        data=data,
    )
    audit_record(
        action="flag.reopen" if reopened else "flag.status_change",
        actor=user,
        organization=flag.organization,
        obj=flag,
        before={"status": before},
        after={"status": status, "reason": reason, **data},
        request=request,
    )
    return flag


@transaction.atomic
def flag_transition(
    *,
    flag: Flag,
    status: str,
    user: Actor,
    reason: str = "",
    risk_accepted_until: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Flag:
    """Move one flag to ``status``, recording who, why and (for an accepted risk) until when."""
    flag = Flag.objects.select_for_update().select_related("organization").get(pk=flag.pk)
    _require_triage(user, flag)
    reason = reason.strip()
    _check_transition(flag, status, reason, risk_accepted_until)
    return _apply_transition(
        flag,
        status=status,
        reason=reason,
        risk_accepted_until=risk_accepted_until,
        user=user,
        request=request,
    )


@transaction.atomic
def flags_bulk_transition(
    *,
    flag_ids: Sequence[int],
    status: str,
    user: Actor,
    reason: str = "",
    risk_accepted_until: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> list[Flag]:
    """Move many flags at once, all or none.

    Ids the user cannot see are refused exactly like ids that do not exist; one flag that
    cannot make the move refuses the whole request, naming it.
    """
    wanted = list(dict.fromkeys(flag_ids))
    if not wanted:
        raise ValidationError({"flags": "Name at least one flag."})
    if len(wanted) > BULK_LIMIT:
        raise ValidationError({"flags": f"Change at most {BULK_LIMIT} flags at once."})
    flags = {
        flag.pk: flag
        for flag in Flag.objects.visible_to(user)
        .filter(pk__in=wanted)
        .select_related("organization", "item")
        .select_for_update(of=("self",))
        .order_by("pk")
    }
    missing = [pk for pk in wanted if pk not in flags]
    if missing:
        raise ValidationError({"flags": f"No such flags: {', '.join(map(str, missing))}."})
    for organization in {flag.organization for flag in flags.values()}:
        if not has_role(user, organization, Role.ANALYST):
            raise PermissionDenied(
                f"Triage needs the analyst role in {organization.name}, which owns some of "
                "these flags."
            )
    reason = reason.strip()
    # One refusal said once, naming every flag it stops: a missing reason holds for all of
    # them, and a list of 200 identical lines hides the one that differs.
    refused: dict[str, list[int]] = {}
    for pk in wanted:
        try:
            _check_transition(flags[pk], status, reason, risk_accepted_until)
        except ValidationError as error:
            messages = [message for values in error.message_dict.values() for message in values]
            refused.setdefault(" ".join(messages), []).append(pk)
    if refused:
        errors = [_refusal(message, pks) for message, pks in refused.items()]
        raise ValidationError({"flags": errors})
    return [
        _apply_transition(
            flags[pk],
            status=status,
            reason=reason,
            risk_accepted_until=risk_accepted_until,
            user=user,
            request=request,
        )
        for pk in wanted
    ]


def _refusal(message: str, pks: list[int]) -> str:
    if len(pks) == 1:
        return f"Flag {pks[0]}: {message}"
    return f"Flags {', '.join(map(str, pks[:-1]))} and {pks[-1]}: {message}"


@transaction.atomic
def flag_assign(
    *,
    flag: Flag,
    assignee: User | None,
    user: Actor,
    request: HttpRequest | None = None,
) -> Flag:
    """Give the flag to a member of its organization, or to nobody."""
    flag = Flag.objects.select_for_update().select_related("organization").get(pk=flag.pk)
    _require_triage(user, flag)
    if (
        assignee is not None
        and not Membership.objects.filter(
            organization=flag.organization, user=assignee, role__in=ASSIGNABLE_ROLES
        ).exists()
    ):
        raise ValidationError(
            {
                "assignee": "Assign the flag to a member of its organization who can triage "
                "it (an analyst, admin or owner)."
            }
        )
    before = flag.assignee_id
    after = assignee.pk if assignee is not None else None
    if before == after:
        return flag
    flag.assignee = assignee
    flag.save(update_fields=["assignee", "updated_at"])
    FlagEvent.objects.create(
        flag=flag,
        actor=user if user.is_authenticated else None,
        kind=FlagEventKind.ASSIGNED,
        data={"from": before, "to": after},
        note=assignee.get_username() if assignee is not None else "",
    )
    audit_record(
        action="flag.assign",
        actor=user,
        organization=flag.organization,
        obj=flag,
        before={"assignee": before},
        after={"assignee": after},
        request=request,
    )
    return flag


@transaction.atomic
def flag_comment(
    *, flag: Flag, note: str, user: Actor, request: HttpRequest | None = None
) -> FlagEvent:
    """Add a comment to the flag's history."""
    _require_triage(user, flag)
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Write something."})
    event = FlagEvent.objects.create(
        flag=flag,
        actor=user if user.is_authenticated else None,
        kind=FlagEventKind.COMMENTED,
        note=note,
    )
    audit_record(
        action="flag.comment",
        actor=user,
        organization=flag.organization,
        obj=flag,
        after={"note": note},
        request=request,
    )
    return event
