"""The tenant matrix with TLP: every API route that reads (and the pages that show advisories,
flags and the audit trail) × each TLP level × {audience member, the audience's admin, member
(an admin) outside the audience, granted analyst, ungranted analyst, named user, user of no
organization, and a token of each}.

Organization A is the audience of the matrix's advisory and holds its flag; the named user is
a member of A too, so that a RED flag can exist there. The audit trail holds an entry about
that flag in A and one about a flag the advisory had in B before its audience was narrowed
to A. No 2xx answer to someone who may not read the advisory shows it, and its detail and its
flag's answer 404 to them; CLEAR and GREEN are read by everyone signed in.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from advisories.choices import Tlp
from audit.services import audit_record
from exposure.choices import FlagStatus, ResolutionReason
from orgs.choices import Role
from orgs.models import ApiToken, User
from orgs.tokens import token_create
from tests.api.factories import FlagFactory
from tests.api.test_tenant_matrix import ROUTES, World, allowed_methods, api_routes
from tests.api.test_tenant_matrix import world as world
from tests.factories import InventoryItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET_TITLE = "tlp-matrix-secret-title"
SECRET_IDENTIFIER = "TLP-MATRIX-0001"
# Generated documentation names no advisory; it is slow to build and left to the main matrix.
SKIPPED = {"api:schema", "api:docs", "api:redoc"}
# Who reads the matrix's advisory, by level (tokens: see ``_readers``); the named user is a
# member of the audience's organization as well.
EVERYONE = {
    "audience member",
    "admin of the audience",
    "member outside the audience",
    "granted analyst",
    "ungranted analyst",
    "named user",
    "user of no organization",
}
READERS = {
    Tlp.CLEAR: EVERYONE,
    Tlp.GREEN: EVERYONE,
    Tlp.AMBER: {"audience member", "admin of the audience", "named user", "granted analyst"},
    Tlp.AMBER_STRICT: {"audience member", "admin of the audience", "named user"},
    Tlp.RED: {"named user"},
}
PAGES: dict[str, Callable[[World], str]] = {
    "home": lambda w: reverse("home"),
    "advisory list": lambda w: reverse("advisories:advisory_list") + "?q=tlp",
    "advisory detail": lambda w: reverse("advisories:advisory_detail", args=[w.advisory.pk]),
    "flag list": lambda w: reverse("exposure:flag_list"),
    "flag detail": lambda w: reverse("exposure:flag_detail", args=[w.flag.pk]),
    "organization": lambda w: reverse("orgs:organization_detail", args=[w.tenants.org_a.slug]),
    "vendor": lambda w: reverse("vendors:vendor_detail", args=[w.vendor.slug]),
    "audit trail": lambda w: reverse("audit:entry_list"),
    "affected assets": lambda w: reverse("exposure:asset_list"),
    "reports": lambda w: reverse("reports:reports"),
    "flag export (CSV)": lambda w: reverse("exposure:flag_list") + "?format=csv",
    "advisory as CSAF": lambda w: reverse("advisories:advisory_csaf", args=[w.advisory.pk]),
    "campaigns": lambda w: reverse("campaigns:campaign_list"),
    "campaign": lambda w: w.objects["campaign"].get_absolute_url(),
    "campaign plan": lambda w: reverse(
        "campaigns:plan_detail", args=[w.objects["campaign"].pk, w.tenants.org_a.slug]
    ),
    "evidence download": lambda w: reverse(
        "campaigns:evidence_download", args=[w.objects["evidence"].pk]
    ),
}
# Pages of the advisory itself or of what exists only because of it: 404 to who may not read it.
HIDDEN_PAGES = {"advisory detail", "flag detail", "campaign", "campaign plan", "evidence download"}


def _actors(world: World) -> dict[str, User]:
    tenants = world.tenants
    named = UserFactory(username="named-reader")
    MembershipFactory(user=named, organization=tenants.org_a, role=Role.VIEWER)
    analyst_of_b = UserFactory(username="analyst-of-b")
    MembershipFactory(user=analyst_of_b, organization=tenants.org_b, role=Role.ANALYST)
    assert {tenants.owner.memberships.get().role, tenants.outsider.memberships.get().role} == {
        Role.OWNER
    }, "the audit trail is read by admins: A's and B's are the ones here"
    return {
        "audience member": tenants.viewer,
        "admin of the audience": tenants.owner,
        "member outside the audience": tenants.outsider,
        "granted analyst": UserFactory(username="cert-analyst", is_global_analyst=True),
        "ungranted analyst": analyst_of_b,
        "named user": named,
        "user of no organization": UserFactory(username="nobody"),
    }


def _clients(world: World, actors: dict[str, User]) -> dict[str, tuple[APIClient, bool]]:
    """Each actor signed in, with a personal token, and with a token of an organization of
    theirs; with whether it may read an advisory of that actor's."""
    clients: dict[str, tuple[APIClient, bool]] = {}
    for name, user in actors.items():
        session = APIClient()
        session.force_login(user)
        clients[name] = (session, False)
        for kind in ("personal", "organization"):
            membership = user.memberships.first()
            if kind == "organization" and membership is None:
                continue
            token, text = token_create(user=user, name=f"{name} {kind}")
            if kind == "organization":
                # Issued as its admins would; the test needs the token, not the admin.
                ApiToken.objects.filter(pk=token.pk).update(organization=membership.organization)
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
            clients[f"{kind} token of {name}"] = (client, kind == "organization")
    return clients


def _readers(tlp: str, clients: dict[str, tuple[APIClient, bool]]) -> set[str]:
    readers = set()
    for name, (_client, organization_token) in clients.items():
        actor = name.split(" token of ")[-1]
        # RED is for the named person: an organization's token does not carry it.
        if actor in READERS[tlp] and not (tlp == Tlp.RED and organization_token):
            readers.add(name)
    return readers


def _restrict(world: World, tlp: str, actors: dict[str, User]) -> None:
    """Make the matrix's advisory ``tlp`` for organization A and the named user, with audit
    entries about its flag in A and about the flag it had in B before its audience narrowed."""
    advisory = world.advisory
    advisory.tlp, advisory.title, advisory.identifier = tlp, SECRET_TITLE, SECRET_IDENTIFIER
    advisory.save()
    advisory.audience_organizations.set([world.tenants.org_a])
    advisory.audience_users.set([actors["named user"]])
    audit_record(
        action="flag.comment",
        actor=actors["named user"],
        organization=world.tenants.org_a,
        obj=world.flag,
        after={"note": "Seen, replacing it."},
    )
    in_b = FlagFactory(
        advisory=advisory,
        item=InventoryItemFactory(organization=world.tenants.org_b),
        status=FlagStatus.RESOLVED,
        resolution_reason=ResolutionReason.NO_LONGER_MATCHES,
    )
    audit_record(action="flag.status_change", organization=world.tenants.org_b, obj=in_b)


def _shows_secret(content: bytes) -> bool:
    text = content.decode(errors="replace")
    return SECRET_TITLE in text or SECRET_IDENTIFIER in text


@pytest.mark.parametrize("tlp", list(READERS), ids=str)
def test_no_route_shows_a_restricted_advisory_outside_its_audience(world, tlp):
    actors = _actors(world)
    _restrict(world, tlp, actors)
    clients = _clients(world, actors)
    readers = _readers(tlp, clients)
    routes = sorted(
        (name, view)
        for name, view in api_routes()
        if name not in SKIPPED and "get" in allowed_methods(view)
    )
    failures, seen_by = [], set()
    for actor, (client, _organization_token) in clients.items():
        for name, _view in routes:
            case = ROUTES[name]
            target = case.target(world) if case.target else None
            url = reverse(name, kwargs={"pk": target.pk} if target is not None else None)
            response = client.get(url)
            body = b"".join(response) if response.streaming else response.content
            shown = 200 <= response.status_code < 300 and _shows_secret(body)
            if shown:
                seen_by.add(actor)
            if actor not in readers and shown:
                failures.append(f"{actor}: GET {url} → {response.status_code} showed it")
            hidden_object = target in (world.advisory, world.flag)
            if actor not in readers and hidden_object and response.status_code != 404:
                failures.append(f"{actor}: GET {url} → {response.status_code}, not 404")
    assert failures == []
    # The detectors work: everyone who may read it does see it somewhere.
    assert seen_by == readers


@pytest.mark.parametrize("tlp", list(READERS), ids=str)
def test_no_page_shows_a_restricted_advisory_outside_its_audience(world, tlp):
    actors = _actors(world)
    _restrict(world, tlp, actors)
    failures, seen_by = [], set()
    for actor, user in actors.items():
        client = Client()
        client.force_login(user)
        for page, url in PAGES.items():
            response = client.get(url(world))
            body = b"".join(response) if response.streaming else response.content
            shown = response.status_code == 200 and _shows_secret(body)
            if shown:
                seen_by.add(actor)
                if actor not in READERS[tlp]:
                    failures.append(f"{actor}: {page} showed it")
            hidden = page in HIDDEN_PAGES and actor not in READERS[tlp]
            if hidden and response.status_code != 404:
                failures.append(f"{actor}: {page} → {response.status_code}, not 404")
    assert failures == []
    assert seen_by == READERS[tlp]
