"""Writing the audit trail."""

from __future__ import annotations

import json
import operator
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.forms.models import model_to_dict
from django.http import HttpRequest

from audit.models import AuditEntry
from config.middleware import client_ip

if TYPE_CHECKING:
    from orgs.models import Organization


def audit_snapshot(obj: models.Model, *, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of ``obj``'s concrete field values, for an entry's before/after."""
    data = model_to_dict(obj, fields=fields)
    for field in obj._meta.concrete_fields:
        if field.name in data and isinstance(field, models.ForeignKey):
            data[field.name] = getattr(obj, field.attname)
    # Round-trip through the encoder so that dates, decimals and UUIDs become strings.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))  # type: ignore[no-any-return]


# How an object an entry is about leads to its advisory: a flag and a campaign name it, a
# campaign's milestones and plans through the campaign, an attestation through its plan.
_ADVISORY_PATHS = (
    operator.attrgetter("advisory_id"),
    operator.attrgetter("campaign.advisory_id"),
    operator.attrgetter("plan.campaign.advisory_id"),
)


def _advisory_id(obj: models.Model) -> int | None:
    """The advisory an entry about ``obj`` is about, if any."""
    if obj._meta.label_lower == "advisories.advisory":
        return int(obj.pk)
    for path in _ADVISORY_PATHS:
        try:
            return int(path(obj))
        except (AttributeError, TypeError):
            continue
    return None


def audit_record(
    *,
    action: str,
    actor: Any = None,
    organization: Organization | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    via: str = "",
) -> AuditEntry:
    """Append one entry: ``actor`` did ``action`` to ``obj`` in ``organization``.

    ``actor`` may be a user, anonymous or ``None`` (the system); ``request`` supplies the
    client address and, when ``via`` is empty, whether the call came through the API. An
    entry about an advisory (``obj`` is one, or a flag or campaign object of one) keeps its
    id, so that only who may read the advisory reads the entry.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
        advisory_id = _advisory_id(obj)
    else:
        advisory_id = None
    if request is not None and not via:
        via = "api" if request.path.startswith("/api/") else "web"
    return AuditEntry.objects.create(
        action=action,
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.get_username() if actor is not None else "",
        organization_id=organization.pk if organization is not None else None,
        organization_name=organization.name if organization is not None else "",
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        advisory_id=advisory_id,
        before=before,
        after=after,
        ip_address=(client_ip(request) or None) if request is not None else None,
        via=via,
    )
