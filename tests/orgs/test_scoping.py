"""The one tenant-scoping place: who sees which organization's rows."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from exposure.models import Flag, FlagEvent
from orgs.choices import Role
from orgs.models import ApiToken, InventoryItem, Membership, Organization
from orgs.scoping import (
    has_role,
    request_visible_organization_ids,
    role_in,
    visible_organization_id_set,
)
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
    ("model", "org_path"), SCOPED_MODELS, ids=lambda v: getattr(v, "__name__", v)
)
@pytest.mark.parametrize("who", ["viewer", "outsider", "superuser", "anonymous", "org_token"])
def test_fetched_ids_scope_rows_exactly_as_visible_to_does(data, model, org_path, who):
    if who == "superuser":
        user = UserFactory(is_superuser=True)
    elif who == "anonymous":
        user = AnonymousUser()
    elif who == "org_token":
        user = data.owner
        user.api_token = ApiToken(user=user, organization=data.org_b)
    else:
        user = getattr(data, who)
    ids = visible_organization_id_set(user)
    assert (ids is None) == (who == "superuser")
    by_ids = set(model.objects.in_organizations(ids).values_list("pk", flat=True))
    by_subquery = set(model.objects.visible_to(user).values_list("pk", flat=True))
    assert by_ids == by_subquery


def test_a_reading_request_fetches_the_visible_ids_once(data, rf, django_assert_num_queries):
    request = rf.get("/api/v1/flags/")
    request.user = data.viewer
    with django_assert_num_queries(1):
        assert request_visible_organization_ids(request) == {data.org_a.pk}
        assert request_visible_organization_ids(request) == {data.org_a.pk}
    # A request that writes may change memberships between two reads: it asks each time.
    request = rf.post("/api/v1/memberships/")
    request.user = data.viewer
    with django_assert_num_queries(1):
        assert request_visible_organization_ids(request) == {data.org_a.pk}
    Membership.objects.create(user=data.viewer, organization=data.org_b, role=Role.VIEWER)
    assert request_visible_organization_ids(request) == {data.org_a.pk, data.org_b.pk}


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
def test_the_fetched_ids_are_the_visibility_querys_for_every_kind_of_token(
    data, rf, who, django_assert_num_queries
):
    # The ids a list scopes by are derived in Python from the memberships the token's lookup
    # read in its own statement; they are exactly the organizations the visibility subquery
    # (visible_to) finds, and a reading request asks no query more for them.
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
    request = rf.get("/api/v1/flags/")
    request.user = authenticated
    with django_assert_num_queries(0):
        by_token = request_visible_organization_ids(request)
    by_query = set(Organization.objects.visible_to(authenticated).values_list("pk", flat=True))
    if who == "superuser":
        assert by_token is None
        assert by_query == set(Organization.objects.values_list("pk", flat=True))
    else:
        assert by_token == by_query
    expected = {
        "member": {data.org_a.pk},
        "member_org_token": {data.org_a.pk},
        "superuser": None,
        "superuser_org_token": {data.org_b.pk},
        "analyst_org_token": {data.org_b.pk},
        "former_member_org_token": set(),
        "no_organization": set(),
    }[who]
    assert by_token == (None if expected is None else frozenset(expected))


def test_a_token_carries_its_users_memberships_for_reads_only(data, rf, django_assert_num_queries):
    # The memberships read with the token serve the request that presented it, if it only
    # reads; a request that writes reads them afresh, and so sees a change made meanwhile.
    _token, raw = token_create(user=data.viewer, name="memberships")
    token = token_authenticate(raw)
    assert token is not None
    assert token.member_of_ids == {data.org_a.pk}
    Membership.objects.create(user=data.viewer, organization=data.org_b, role=Role.VIEWER)
    user = token.user
    user.api_token = token
    reading = rf.get("/api/v1/flags/")
    reading.user = user
    with django_assert_num_queries(0):
        assert request_visible_organization_ids(reading) == {data.org_a.pk}
    writing = rf.post("/api/v1/inventory-items/")
    writing.user = user
    with django_assert_num_queries(1):
        assert request_visible_organization_ids(writing) == {data.org_a.pk, data.org_b.pk}
    # The next request presents the token again, and sees the membership.
    again = token_authenticate(raw)
    assert again is not None
    assert again.member_of_ids == {data.org_a.pk, data.org_b.pk}
