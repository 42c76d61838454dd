"""Writes of organizations and their memberships: settings, who belongs, with which role.

The rules every caller (API, pages, admin actions) must keep: admins manage members but only
owners make or unmake owners; an organization always keeps at least one owner; every change is
audited with the values before and after.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from audit.services import audit_record, audit_snapshot
from orgs.choices import Role
from orgs.models import Membership, Organization, User
from orgs.scoping import Actor, has_role

# What an organization's admin may change about it; its name and slug identify it across the
# platform and are changed by superusers.
ORGANIZATION_SETTINGS = (
    "sector",
    "country",
    "criticality_tier",
    "sla_critical_days",
    "sla_high_days",
    "sla_medium_days",
    "sla_low_days",
    "description",
)
# How an organization's members sign in: set by superusers, as its name and slug are.
SIGN_IN_POLICY = ("local_passwords_allowed", "second_factor_required")


def _require(actor: Actor, organization: Organization, role: Role) -> None:
    if not has_role(actor, organization, role):
        raise PermissionDenied(f"This needs the {role.label.lower()} role in {organization.name}.")


@transaction.atomic
def organization_create(
    *, actor: Actor, request: HttpRequest | None = None, **fields: Any
) -> Organization:
    """Create an organization (superusers only: tenants are created by the platform)."""
    if not (actor.is_authenticated and actor.is_superuser):
        raise PermissionDenied("Only superusers create organizations.")
    organization = Organization(**fields)
    organization.full_clean()
    organization.save()
    audit_record(
        action="organization.create",
        actor=actor,
        organization=organization,
        obj=organization,
        after=audit_snapshot(organization),
        request=request,
    )
    return organization


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    actor: Actor,
    request: HttpRequest | None = None,
    **fields: Any,
) -> Organization:
    """Change an organization's settings (admins); its name and slug only by superusers."""
    _require(actor, organization, Role.ADMIN)
    if {"name", "slug"} & fields.keys() and not actor.is_superuser:
        raise PermissionDenied("Only superusers rename organizations.")
    if set(SIGN_IN_POLICY) & fields.keys() and not actor.is_superuser:
        raise PermissionDenied("Only superusers change how an organization signs in.")
    unknown = fields.keys() - {*ORGANIZATION_SETTINGS, *SIGN_IN_POLICY, "name", "slug"}
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    before = audit_snapshot(organization)
    for name, value in fields.items():
        setattr(organization, name, value)
    organization.full_clean()
    organization.save()
    audit_record(
        action="organization.update",
        actor=actor,
        organization=organization,
        obj=organization,
        before=before,
        after=audit_snapshot(organization),
        request=request,
    )
    return organization


@transaction.atomic
def organization_delete(
    *, organization: Organization, actor: Actor, request: HttpRequest | None = None
) -> None:
    """Delete an organization with its inventory and flags (owners only)."""
    _require(actor, organization, Role.OWNER)
    audit_record(
        action="organization.delete",
        actor=actor,
        organization=organization,
        obj=organization,
        before=audit_snapshot(organization),
        request=request,
    )
    organization.delete()


def _owner_count(organization: Organization) -> int:
    # Locking the owners' rows makes two concurrent demotions of the last two owners queue up,
    # so that the second one sees that only one owner is left.
    return len(
        Membership.objects.select_for_update()
        .filter(organization=organization, role=Role.OWNER)
        .values_list("pk", flat=True)
    )


def _require_may_grant(actor: Actor, organization: Organization, *roles: str) -> None:
    _require(actor, organization, Role.ADMIN)
    if Role.OWNER in roles:
        _require(actor, organization, Role.OWNER)


@transaction.atomic
def membership_create(
    *,
    organization: Organization,
    user: User,
    role: str,
    actor: Actor,
    request: HttpRequest | None = None,
) -> Membership:
    """Add ``user`` to ``organization`` with ``role``; only an owner may add an owner."""
    _require_may_grant(actor, organization, role)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, organization=organization, role=role)
    except IntegrityError:
        raise ValidationError({"user": "This user is already a member."}) from None
    audit_record(
        action="membership.create",
        actor=actor,
        organization=organization,
        obj=membership,
        after={"user": user.pk, "username": user.username, "role": role},
        request=request,
    )
    return membership


@transaction.atomic
def membership_update(
    *, membership: Membership, role: str, actor: Actor, request: HttpRequest | None = None
) -> Membership:
    """Change a member's role. Only an owner may make or unmake an owner, and the last owner
    stays an owner."""
    organization = membership.organization
    _require_may_grant(actor, organization, membership.role, role)
    before = membership.role
    if before == role:
        return membership
    if before == Role.OWNER and _owner_count(organization) <= 1:
        raise ValidationError({"role": "The organization's last owner must stay an owner."})
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        action="membership.role_change",
        actor=actor,
        organization=organization,
        obj=membership,
        before={"user": membership.user_id, "role": before},
        after={"user": membership.user_id, "role": role},
        request=request,
    )
    return membership


@transaction.atomic
def membership_delete(
    *, membership: Membership, actor: Actor, request: HttpRequest | None = None
) -> None:
    """Remove a member. Only an owner may remove an owner, and never the last one."""
    organization = membership.organization
    _require_may_grant(actor, organization, membership.role)
    if membership.role == Role.OWNER and _owner_count(organization) <= 1:
        raise ValidationError({"role": "The organization's last owner cannot be removed."})
    audit_record(
        action="membership.delete",
        actor=actor,
        organization=organization,
        obj=membership,
        before={"user": membership.user_id, "role": membership.role},
        request=request,
    )
    membership.delete()
