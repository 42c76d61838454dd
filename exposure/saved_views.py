"""Saved views: a user names the filters of a flag list, optionally shares them with one of
their organizations, and finds them in the navigation. Writes are audited; reads go through
``SavedView.objects.visible_to``, which applies the one tenant rule."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, QueryDict

from audit.services import audit_record
from exposure.choices import SavedViewPage
from exposure.filtersets import FlagFilterSet
from exposure.models import SavedView
from orgs.models import Organization, User
from orgs.scoping import Actor

# A navigation menu, not an archive: a user with more should delete some.
MAX_VIEWS_PER_USER = 50


def _filter_params() -> frozenset[str]:
    """The query parameters the flag lists read: every filter's (a range has two), and sort."""
    params = {"sort"}
    form = FlagFilterSet().form
    for name, field in form.fields.items():
        suffixes = getattr(field.widget, "suffixes", None)
        params |= {f"{name}_{suffix}" for suffix in suffixes} if suffixes else {name}
    return frozenset(params)


def _clean_query(query: str) -> str:
    """The filters of ``query`` alone, empty values and anything else (a page number, a
    parameter no filter reads) left out."""
    params = _filter_params()
    kept = QueryDict(mutable=True)
    for key, values in QueryDict(query).lists():
        if key in params:
            kept.setlist(key, [value for value in values if value])
    return kept.urlencode()


@transaction.atomic
def saved_view_create(
    *,
    user: Actor,
    name: str,
    page: str,
    query: str,
    organization: Organization | None = None,
    request: HttpRequest | None = None,
) -> SavedView:
    """Keep the filters ``query`` of the list ``page`` under ``name``; shared with
    ``organization``'s members when given, which must be one the user may see."""
    name = name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Name the view."
    elif len(name) > SavedView._meta.get_field("name").max_length:  # type: ignore[operator]
        errors["name"] = "Use at most 80 characters."
    if page not in SavedViewPage.values:
        errors["page"] = "Save a view of the flag list or of the affected assets."
    query = _clean_query(query)
    if len(query) > 2000:
        errors["query"] = "These filters are too many to keep; narrow them."
    if organization is not None and not (
        Organization.objects.visible_to(user).filter(pk=organization.pk).exists()
    ):
        errors["organization"] = "Share it with one of your organizations."
    if not isinstance(user, User):
        raise PermissionDenied("Sign in to save a view.")
    if SavedView.objects.filter(owner=user).count() >= MAX_VIEWS_PER_USER:
        errors["name"] = f"You keep {MAX_VIEWS_PER_USER} views already; delete one first."
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            view = SavedView.objects.create(
                owner=user, name=name, page=page, query=query, organization=organization
            )
    except IntegrityError:
        raise ValidationError({"name": f"You have a view named “{name}” already."}) from None
    audit_record(
        action="saved_view.create",
        actor=user,
        organization=organization,
        obj=view,
        after=_snapshot(view),
        request=request,
    )
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, user: Actor, request: HttpRequest | None = None) -> None:
    """Delete a view; only its owner may."""
    if view.owner_id != user.pk:
        raise PermissionDenied("Only the person who saved a view may delete it.")
    before = _snapshot(view)
    pk = view.pk
    view.delete()
    audit_record(
        action="saved_view.delete",
        actor=user,
        organization=view.organization,
        object_type="exposure.savedview",
        object_id=str(pk),
        object_repr=before["name"],
        before=before,
        request=request,
    )


def _snapshot(view: SavedView) -> dict[str, Any]:
    return {
        "name": view.name,
        "page": view.page,
        "query": view.query,
        "organization": view.organization_id,
    }
