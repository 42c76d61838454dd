"""The one tenant-scoping place: who sees which organization's rows."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from exposure.models import Flag, FlagEvent
from orgs.choices import Role
from orgs.models import ApiToken, InventoryItem, Membership, Organization
from orgs.scoping import has_role, organization_ids, role_in, sees_all_organizations
from orgs.tokens import token_authenticate, token_create
from tests.factories import InventoryItemFactory, PublishedAdvisoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(tenants):
    item_a = InventoryItemFactory(organization=tenants.org_a)
    item_b = InventoryItemFactory(organization=tenants.org_b)
    advisory = PublishedAdvisoryFactory()
    flag_a = Flag.objects.create(advisory=advisory, item=item_a, organization=tenants.org_a)
    flag_b = Flag.objects.create(advisory=advisory, item=item_b, organization=tenants.org_b)
    FlagEvent.objects.create(flag=flag_a, kind="created")
    FlagEvent.objects.create(flag=flag_b, kind="created")
    return tenants


SCOPED_MODELS = [
    (Organization, "pk"),
    (Membership, "organization_id"),
    (InventoryItem, "organization_id"),
    (Flag, "organization_id"),
    (FlagEvent, "flag__organization_id"),
]


@pytest.mark.parametrize(
    ("model", "org_path"), SCOPED_MODELS, ids=lambda v: getattr(v, "__name__", v)
)
def test_outsider_sees_nothing_of_another_organization(data, model, org_path):
    visible_orgs = set(model.objects.visible_to(data.outsider).values_list(org_path, flat=True))
    assert visible_orgs == {data.org_b.pk}


@pytest.mark.parametrize(
    ("model", "org_path"), SCOPED_MODELS, ids=lambda v: getattr(v, "__name__", v)
)
def test_member_sees_only_own_organization(data, model, org_path):
    visible_orgs = set(model.objects.visible_to(data.viewer).values_list(org_path, flat=True))
    assert visible_orgs == {data.org_a.pk}


@pytest.mark.parametrize(
    ("model", "org_path"), SCOPED_MODELS, ids=lambda v: getattr(v, "__name__", v)
)
def test_anonymous_sees_nothing(data, model, org_path):
    assert not model.objects.visible_to(AnonymousUser()).exists()


def test_inactive_member_sees_nothing(data):
    data.viewer.is_active = False
    data.viewer.save()
    assert not InventoryItem.objects.visible_to(data.viewer).exists()


@pytest.mark.parametrize("platform_role", ["is_global_analyst", "is_superuser"])
def test_global_analyst_and_superuser_see_every_organization(data, platform_role):
    user = UserFactory(**{platform_role: True})
    orgs = set(Flag.objects.visible_to(user).values_list("organization_id", flat=True))
    assert orgs == {data.org_a.pk, data.org_b.pk}


def _with_org_token(user, organization):
    token = ApiToken.objects.create(
        user=user, organization=organization, name="t", prefix=f"p{user.pk}", secret_hash="x" * 64
    )
    user.api_token = token
    return user


def test_organization_token_narrows_a_superuser_to_its_organization(data):
    admin = _with_org_token(UserFactory(is_superuser=True), data.org_b)
    orgs = set(InventoryItem.objects.visible_to(admin).values_list("organization_id", flat=True))
    assert orgs == {data.org_b.pk}


def test_organization_token_of_a_former_member_sees_nothing(data):
    user = _with_org_token(data.viewer, data.org_a)
    Membership.objects.filter(user=data.viewer).delete()
    assert not InventoryItem.objects.visible_to(user).exists()


def test_personal_token_keeps_the_users_scope(data):
    token = ApiToken.objects.create(
        user=data.viewer,
        name="personal",
        prefix="personal",
        secret_hash="y" * 64,
        expires_at=timezone.now(),
    )
    data.viewer.api_token = token
    orgs = set(
        InventoryItem.objects.visible_to(data.viewer).values_list("organization_id", flat=True)
    )
    assert orgs == {data.org_a.pk}


@pytest.mark.parametrize(
    ("who", "minimum", "expected"),
    [
        ("owner", Role.OWNER, True),
        ("analyst", Role.ANALYST, True),
        ("analyst", Role.ADMIN, False),
        ("viewer", Role.VIEWER, True),
        ("viewer", Role.ANALYST, False),
        ("outsider", Role.VIEWER, False),
    ],
)
def test_has_role_follows_the_role_ladder(data, who, minimum, expected):
    assert has_role(getattr(data, who), data.org_a, minimum) is expected


def test_global_analyst_acts_as_analyst_but_not_admin(data):
    analyst = UserFactory(is_global_analyst=True)
    assert role_in(analyst, data.org_a) == Role.ANALYST
    assert not has_role(analyst, data.org_a, Role.ADMIN)


def test_with_role_limits_rows_to_organizations_where_the_role_is_held(data):
    assert InventoryItem.objects.with_role(data.viewer, Role.ANALYST).count() == 0
    assert InventoryItem.objects.with_role(data.analyst, Role.ANALYST).count() == 1
    assert (
        InventoryItem.objects.with_role(data.outsider, Role.ANALYST)
        .filter(organization=data.org_a)
        .count()
        == 0
    )


def test_advisory_editor_reads_every_organization_but_cannot_triage(data):
    editor = UserFactory(is_advisory_editor=True)
    orgs = set(InventoryItem.objects.visible_to(editor).values_list("organization_id", flat=True))
    assert orgs == {data.org_a.pk, data.org_b.pk}
    assert role_in(editor, data.org_a) == Role.VIEWER
    assert InventoryItem.objects.with_role(editor, Role.VIEWER).count() == 2
    assert InventoryItem.objects.with_role(editor, Role.ANALYST).count() == 0


@pytest.mark.parametrize(
    "who",
    [
        "member",
        "member_org_token",
        "superuser",
        "superuser_org_token",
        "analyst_org_token",
        "former_member_org_token",
        "no_organization",
    ],
)
def test_the_organizations_a_token_reaches_are_decided_by_the_one_rule(data, who):
    # Whatever the kind of user and token, the organizations a request may see are those of
    # organization_ids(), and every scoped model's rows follow them.
    user = {
        "member": data.owner,
        "member_org_token": data.owner,
        "superuser": UserFactory(is_superuser=True),
        "superuser_org_token": UserFactory(is_superuser=True),
        "analyst_org_token": UserFactory(is_global_analyst=True),
        "former_member_org_token": data.owner,
        "no_organization": UserFactory(),
    }[who]
    organization = None
    if who in ("member_org_token", "former_member_org_token"):
        organization = data.org_a
    elif who == "superuser_org_token":
        organization = data.org_b
    elif who == "analyst_org_token":
        # Issued as an admin of B; a global analyst still reads B once no longer a member.
        Membership.objects.create(user=user, organization=data.org_b, role=Role.ADMIN)
        organization = data.org_b
    _token, raw = token_create(user=user, name="scoping", organization=organization)
    if who in ("former_member_org_token", "analyst_org_token"):
        Membership.objects.filter(user=user, organization=organization).delete()
    token = token_authenticate(raw)
    assert token is not None
    authenticated = token.user
    authenticated.api_token = token
    expected = {
        "member": {data.org_a.pk},
        "member_org_token": {data.org_a.pk},
        "superuser": None,
        "superuser_org_token": {data.org_b.pk},
        "analyst_org_token": {data.org_b.pk},
        "former_member_org_token": set(),
        "no_organization": set(),
    }[who]
    ids = organization_ids(authenticated)
    assert ids == (None if expected is None else frozenset(expected))
    assert sees_all_organizations(authenticated) == (expected is None)
    for model, org_path in SCOPED_MODELS:
        seen = set(model.objects.visible_to(authenticated).values_list(org_path, flat=True))
        assert seen == (expected if expected is not None else {data.org_a.pk, data.org_b.pk})


@pytest.mark.parametrize("minimum", list(Role))
@pytest.mark.parametrize("who", ["viewer", "analyst", "owner", "outsider", "editor", "analyst_g"])
def test_rows_with_a_role_are_those_of_the_organizations_with_that_role(data, who, minimum):
    user = {
        "editor": UserFactory(is_advisory_editor=True),
        "analyst_g": UserFactory(is_global_analyst=True),
    }.get(who) or getattr(data, who)
    with_role = organization_ids(user, minimum=minimum)
    by_role_in = {
        organization.pk
        for organization in Organization.objects.all()
        if has_role(user, organization, minimum)
    }
    if with_role is None:
        assert by_role_in == set(Organization.objects.values_list("pk", flat=True))
    else:
        assert with_role == by_role_in
    items = set(
        InventoryItem.objects.with_role(user, minimum).values_list("organization_id", flat=True)
    )
    assert items <= (by_role_in if with_role is not None else items)
    assert items == {
        pk for pk in by_role_in if InventoryItem.objects.filter(organization_id=pk).exists()
    }
