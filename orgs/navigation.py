"""The main navigation: the sections of the site a signed-in user can use, by their role.

A viewer reads, an analyst also triages and keeps the inventory, an admin also runs the
organization's notifications and reads its audit trail; editors curate the catalogue. A link
to a page that would only refuse the user is not offered. Other sections add their entry to
``NAVIGATION``; each says who it is for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from orgs.choices import ROLE_RANK, Role
from orgs.permissions import can_edit_catalogue
from orgs.scoping import Actor, highest_role


@dataclass(frozen=True)
class Reader:
    """Who is looking: their highest role in any organization, whether they curate the
    catalogue, and whether they are staff (who configure single sign-on)."""

    role: Role | None
    editor: bool
    staff: bool = False

    def at_least(self, minimum: Role) -> bool:
        return self.role is not None and ROLE_RANK[self.role] >= ROLE_RANK[minimum]


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    shown_to: Callable[[Reader], bool]


def _everyone(reader: Reader) -> bool:
    return True


def _triagers(reader: Reader) -> bool:
    return reader.at_least(Role.ANALYST)


def _admins(reader: Reader) -> bool:
    return reader.at_least(Role.ADMIN)


def _not_admins(reader: Reader) -> bool:
    return not reader.at_least(Role.ADMIN)


def _reconcilers(reader: Reader) -> bool:
    # Editors map unknown names; analysts keep the inventories whose names are unknown.
    return reader.editor or reader.at_least(Role.ANALYST)


NAVIGATION: list[NavEntry] = [
    NavEntry("Overview", "home", _everyone),
    NavEntry("My flags", "exposure:my_flags", _triagers),
    NavEntry("Flags", "exposure:flag_list", _everyone),
    NavEntry("Assets", "exposure:asset_list", _everyone),
    NavEntry("Organizations", "orgs:organization_list", _everyone),
    NavEntry("Reports", "reports:reports", _everyone),
    NavEntry("Reconciliation", "orgs:reconciliation", _reconcilers),
    NavEntry("Advisories", "advisories:advisory_list", _everyone),
    NavEntry("Campaigns", "campaigns:campaign_list", _everyone),
    NavEntry("Vendors", "vendors:vendor_list", _everyone),
    NavEntry("Products", "vendors:product_list", _everyone),
    # Admins run their organizations' channels; everyone else reads what reaches them.
    NavEntry("Notifications", "notifications:channel_list", _admins),
    NavEntry("Notifications", "notifications:mine", _not_admins),
    NavEntry("Audit", "audit:entry_list", _admins),
    NavEntry("Single sign-on", "orgs:sso_provider_list", lambda reader: reader.staff),
]


def navigation_for(user: Actor) -> list[tuple[str, str, str]]:
    """``(label, url, url name)`` of every section ``user`` can use, in the order of the menu
    (the name lets the page hang a section's own menu after it, as the saved views are)."""
    if not user.is_authenticated:
        return []
    reader = Reader(
        role=highest_role(user), editor=can_edit_catalogue(user), staff=bool(user.is_staff)
    )
    return [
        (entry.label, reverse(entry.url_name), entry.url_name)
        for entry in NAVIGATION
        if entry.shown_to(reader)
    ]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``nav``, worked out only when a page shows it."""
    return {"nav": SimpleLazyObject(lambda: navigation_for(request.user))}
