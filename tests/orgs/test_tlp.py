"""TLP 2.0 and audiences in the one tenant rule: who reads a restricted advisory, where its
flags exist, and who is told of them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from advisories.choices import Tlp
from advisories.feeds.csaf import csaf_tlp
from advisories.models import Advisory
from advisories.selectors import advisories_visible_to
from advisories.services import advisory_update
from exposure.models import Flag, FlagEvent
from exposure.services import advisories_match
from notifications.dispatch import flag_events_dispatch
from notifications.models import Delivery, DeliveryItem
from notifications.services import channel_create
from notifications.sla import overdue_reminders_send
from orgs.choices import Role
from orgs.models import Organization, User
from orgs.scoping import hidden_advisory_ids
from orgs.tokens import token_authenticate, token_create
from tests.api.factories import FlagFactory
from tests.conftest import Tenants
from tests.factories import (
    AffectedTargetFactory,
    InventoryItemFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
    UserFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class Audience:
    """Organization A is the audience, B is not; ``named`` (a member of B) is RED's reader."""

    tenants: Tenants
    named: User
    global_analyst: User
    analyst_of_b: User
    nobody: User
    editor: User

    def actors(self) -> dict[str, User]:
        t = self.tenants
        return {
            "member of the audience": t.viewer,
            "member outside it": t.outsider,
            "granted analyst": self.global_analyst,
            "ungranted analyst": self.analyst_of_b,
            "named user": self.named,
            "user of no organization": self.nobody,
            "advisory editor": self.editor,
        }


# Who reads an advisory of each level whose audience is organization A and the named user.
READERS = {
    Tlp.CLEAR: "all",
    Tlp.GREEN: "all",
    Tlp.AMBER: {"member of the audience", "granted analyst", "advisory editor"},
    Tlp.AMBER_STRICT: {"member of the audience", "advisory editor"},
    Tlp.RED: {"named user", "advisory editor"},
}


@pytest.fixture
def audience(tenants: Tenants) -> Audience:
    named = UserFactory(username="named-reader")
    MembershipFactory(user=named, organization=tenants.org_b, role=Role.ADMIN)
    analyst_of_b = UserFactory(username="analyst-of-b")
    MembershipFactory(user=analyst_of_b, organization=tenants.org_b, role=Role.ANALYST)
    return Audience(
        tenants=tenants,
        named=named,
        global_analyst=UserFactory(username="cert-analyst", is_global_analyst=True),
        analyst_of_b=analyst_of_b,
        nobody=UserFactory(username="nobody"),
        editor=UserFactory(username="editor", is_advisory_editor=True),
    )


def restricted(audience: Audience, tlp: str, **fields: object) -> Advisory:
    advisory = PublishedAdvisoryFactory(tlp=tlp, title=f"{tlp} advisory", **fields)
    advisory.audience_organizations.set([audience.tenants.org_a])
    advisory.audience_users.set([audience.named])
    return advisory


@pytest.mark.parametrize("tlp", list(READERS), ids=str)
def test_each_level_is_read_by_its_audience_only(audience, tlp):
    advisory = restricted(audience, tlp)
    readers = {
        name
        for name, user in audience.actors().items()
        if advisories_visible_to(user=user).filter(pk=advisory.pk).exists()
    }
    expected = set(audience.actors()) if READERS[tlp] == "all" else READERS[tlp]
    assert readers == expected
    assert not advisories_visible_to(user=AnonymousUser()).exists()


def test_sectors_and_tiers_widen_the_audience_to_their_organizations(audience):
    # B is a health organization (tests/conftest.py); the sector brings its members in.
    advisory = PublishedAdvisoryFactory(tlp=Tlp.AMBER, audience_sectors=["health"])
    assert advisory.pk not in hidden_advisory_ids(audience.tenants.outsider)
    assert advisory.pk in hidden_advisory_ids(audience.tenants.viewer)
    tiered = PublishedAdvisoryFactory(tlp=Tlp.AMBER, audience_tiers=["special_interest"])
    assert tiered.pk in hidden_advisory_ids(audience.tenants.outsider)
    Organization.objects.filter(pk=audience.tenants.org_b.pk).update(
        criticality_tier="special_interest"
    )
    assert tiered.pk not in hidden_advisory_ids(audience.tenants.outsider)


def test_an_organization_token_narrows_amber_and_never_carries_red(audience):
    tenants = audience.tenants
    amber = restricted(audience, Tlp.AMBER)
    red = restricted(audience, Tlp.RED)
    # The named user is also a member of A, so their B token could reach A's AMBER only by A.
    MembershipFactory(user=audience.named, organization=tenants.org_a, role=Role.VIEWER)
    _token, text = token_create(user=audience.named, name="b", organization=tenants.org_b)
    assert {amber.pk, red.pk} <= hidden_advisory_ids(_bearer(text))
    _token, text = token_create(user=audience.named, name="personal", organization=None)
    assert hidden_advisory_ids(_bearer(text)) & {amber.pk, red.pk} == set()


def _bearer(text: str) -> User:
    """The user as a request authenticated by the token ``text`` carries it."""
    token = token_authenticate(text)
    assert token is not None
    user = User.objects.get(pk=token.user_id)
    user.api_token = token  # type: ignore[attr-defined]
    return user


def test_flags_of_a_hidden_advisory_are_hidden_in_an_organization_one_sees(audience):
    tenants = audience.tenants
    red = restricted(audience, Tlp.RED)
    item = InventoryItemFactory(organization=tenants.org_b)
    flag = Flag.objects.create(advisory=red, item=item, organization=tenants.org_b)
    FlagEvent.objects.create(flag=flag, kind="created")
    assert Flag.objects.visible_to(audience.named).filter(pk=flag.pk).exists()
    assert FlagEvent.objects.visible_to(audience.named).filter(flag=flag).exists()
    # The owner of B sees every row of B, except what a RED advisory names someone else for.
    assert not Flag.objects.visible_to(tenants.outsider).filter(pk=flag.pk).exists()
    assert not FlagEvent.objects.visible_to(tenants.outsider).filter(flag=flag).exists()


def _matched(advisory: Advisory) -> set[int]:
    Advisory.objects.filter(pk=advisory.pk).update(match_requested_at=timezone.now())
    advisories_match(advisory_ids=[advisory.pk])
    return set(
        Flag.objects.filter(advisory=advisory)
        .exclude(status="resolved")
        .values_list("organization_id", flat=True)
    )


@pytest.fixture
def covered(audience):
    """A vendor whose product organizations A, B and a third one all run."""
    vendor = VendorFactory()
    product = ProductFactory(vendor=vendor)
    third = OrganizationFactory()
    for organization in (audience.tenants.org_a, audience.tenants.org_b, third):
        InventoryItemFactory(organization=organization, product=product)
    return vendor, third


@pytest.mark.parametrize(
    ("tlp", "where"),
    [
        (Tlp.GREEN, {"a", "b", "third"}),
        (Tlp.AMBER, {"a"}),
        (Tlp.AMBER_STRICT, {"a"}),
        # RED: where a named user is a member (the named user belongs to B).
        (Tlp.RED, {"b"}),
    ],
    ids=str,
)
def test_flags_of_a_restricted_advisory_exist_only_where_it_may_be_read(
    audience, covered, tlp, where
):
    vendor, third = covered
    advisory = restricted(audience, tlp)
    AffectedTargetFactory(advisory=advisory, vendor=vendor)
    names = {audience.tenants.org_a.pk: "a", audience.tenants.org_b.pk: "b", third.pk: "third"}
    assert {names[pk] for pk in _matched(advisory)} == where


def test_narrowing_the_audience_resolves_the_flags_outside_it(audience, covered):
    vendor, _third = covered
    advisory = PublishedAdvisoryFactory(tlp=Tlp.GREEN)
    AffectedTargetFactory(advisory=advisory, vendor=vendor)
    assert len(_matched(advisory)) == 3
    advisory_update(
        advisory=advisory,
        data={"tlp": Tlp.AMBER, "audience_organizations": [audience.tenants.org_b]},
    )
    assert _matched(advisory) == {audience.tenants.org_b.pk}


def test_no_channel_is_told_of_a_red_advisory(audience, covered):
    vendor, _third = covered
    tenants = audience.tenants
    for organization, owner in ((tenants.org_a, tenants.owner), (tenants.org_b, tenants.outsider)):
        channel_create(
            organization=organization,
            kind="webhook",
            actor=owner,
            name=f"hook of {organization.slug}",
            url="https://soar.example.org/hook",
        )
    red = restricted(audience, Tlp.RED)
    amber = restricted(audience, Tlp.AMBER)
    for advisory in (red, amber):
        AffectedTargetFactory(advisory=advisory, vendor=vendor)
        _matched(advisory)
    flag_events_dispatch()
    told = set(DeliveryItem.objects.values_list("flag__advisory_id", "delivery__organization_id"))
    assert told == {(amber.pk, tenants.org_a.pk)}


@pytest.mark.parametrize(
    ("distribution", "tlp"),
    [
        ({"tlp": {"label": "WHITE"}}, Tlp.CLEAR),
        ({"tlp": {"label": "GREEN"}}, Tlp.GREEN),
        ({"tlp": {"label": "AMBER"}}, Tlp.AMBER),
        ({"tlp": {"label": "AMBER"}, "text": "TLP:AMBER+STRICT: members only."}, Tlp.AMBER_STRICT),
        ({"tlp": {"label": "RED"}}, Tlp.RED),
        ({"text": "no label"}, Tlp.GREEN),
        (None, Tlp.GREEN),
    ],
)
def test_imported_csaf_keeps_its_tlp(distribution, tlp):
    assert csaf_tlp(distribution) == tlp


def test_an_overdue_red_flag_is_recalled_only_to_an_assignee_it_names(audience):
    tenants = audience.tenants
    today = datetime.date(2026, 3, 15)
    red = restricted(audience, Tlp.RED)
    item = InventoryItemFactory(organization=tenants.org_a)
    due = today - datetime.timedelta(days=1)
    # The analyst of A is not named; A's owner is, once the advisory names them.
    FlagFactory(advisory=red, item=item, assignee=tenants.analyst, due_date=due)
    red_of_owner = FlagFactory(
        advisory=red, item=InventoryItemFactory(organization=tenants.org_a), due_date=due
    )
    red_of_owner.assignee = tenants.owner
    red_of_owner.save()
    red.audience_users.add(tenants.owner)
    channel_create(
        organization=tenants.org_a,
        kind="webhook",
        actor=tenants.owner,
        name="hook",
        url="https://soar.example.org/hook",
        events=["overdue"],
    )

    overdue_reminders_send(today=today)

    told = {
        (delivery.recipient_user_id, delivery.channel_id is not None)
        for delivery in Delivery.objects.filter(kind="overdue")
    }
    assert told == {(tenants.owner.pk, False)}
