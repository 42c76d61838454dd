"""The overview dashboard: scoped figures, the trend, empty state, bounded queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exposure.choices import FlagStatus
from exposure.dashboard import dashboard_overview, open_flag_trend
from exposure.models import Flag
from tests.factories import InventoryItemFactory, UserFactory
from tests.web.conftest import flag_for

pytestmark = pytest.mark.django_db

HOME = reverse("home")


def test_member_sees_only_their_organizations_figures(client, world):
    client.force_login(world.tenants.viewer)
    response = client.get(HOME)
    assert response.status_code == 200
    overview = response.context["overview"]
    assert overview.active_total == 1
    assert overview.overdue_total == 1
    assert [org.name for org in overview.organizations] == ["Stadtwerke Alpha"]
    assert b"Klinikum Beta" not in response.content


def test_editor_sees_every_organization(client, world):
    client.force_login(world.editor)
    response = client.get(HOME)
    overview = response.context["overview"]
    assert overview.active_total == 2
    assert {org.name for org in overview.organizations} == {"Stadtwerke Alpha", "Klinikum Beta"}
    assert overview.sole_organization is None
    assert b"Across the 2 organizations you can see" in response.content


def test_a_member_of_one_organization_is_told_whose_figures_they_are(client, world):
    Flag.objects.filter(organization__name="Stadtwerke Alpha").update(
        status=FlagStatus.MITIGATED, status_changed_at=timezone.now()
    )
    client.force_login(world.tenants.viewer)
    response = client.get(HOME)
    alpha = response.context["overview"].sole_organization
    assert alpha is not None and alpha[0] == "Stadtwerke Alpha"
    # Named even with no open flag, when no table lists it.
    assert f'The exposure of <a href="{alpha[1]}">Stadtwerke Alpha</a>'.encode() in response.content


def test_dashboard_breaks_flags_down_by_severity_kind_and_vendor(client, world):
    client.force_login(world.editor)
    response = client.get(HOME)
    overview = response.context["overview"]
    assert {row.key: row.count for row in overview.by_severity}["high"] == 2
    assert {row.key: row.count for row in overview.by_kind}["vendor_warning"] == 2
    assert [(v.name, v.active, v.organizations) for v in overview.vendors] == [("Kaspersky", 2, 2)]
    assert [a.identifier for a in overview.recent_advisories] == ["BSI-2022-0315"]
    assert b'role="img"' in response.content


def test_closed_flags_leave_the_counts(client, world):
    Flag.objects.filter(pk=world.flag_a.pk).update(
        status=FlagStatus.MITIGATED, status_changed_at=timezone.now()
    )
    client.force_login(world.tenants.viewer)
    overview = client.get(HOME).context["overview"]
    assert overview.active_total == 0
    assert overview.organizations == []


def test_user_without_organizations_gets_the_empty_state(client, world):
    client.force_login(UserFactory(username="newcomer"))
    response = client.get(HOME)
    assert response.status_code == 200
    assert b"not a member of any organization" in response.content
    assert response.context["overview"].active_total == 0


def test_trend_counts_a_flag_from_first_seen_until_closed(world):
    today = timezone.localdate()
    now = timezone.now()
    Flag.objects.filter(pk=world.flag_a.pk).update(first_seen_at=now - timedelta(days=10))
    Flag.objects.filter(pk=world.flag_b.pk).update(
        first_seen_at=now - timedelta(days=200),
        status=FlagStatus.RESOLVED,
        resolution_reason="item_removed",
        resolved_at=now - timedelta(days=5),
    )
    trend = {p.day: p.count for p in open_flag_trend(user=world.editor, today=today, days=30)}
    assert len(trend) == 30
    assert trend[today - timedelta(days=20)] == 1  # only flag_b, from before the window
    assert trend[today - timedelta(days=7)] == 2  # both
    assert trend[today] == 1  # flag_b resolved five days ago


def test_overview_is_cached_per_set_of_visible_organizations(world):
    first = dashboard_overview(user=world.tenants.viewer)
    Flag.objects.filter(pk=world.flag_a.pk).update(status=FlagStatus.MITIGATED)
    assert dashboard_overview(user=world.tenants.viewer).active_total == first.active_total
    assert dashboard_overview(user=world.tenants.viewer, use_cache=False).active_total == 0
    # Another organization's member does not get organization A's cached figures.
    assert dashboard_overview(user=world.tenants.outsider).active_total == 1


def test_dashboard_makes_the_same_number_of_queries_for_many_flags(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.editor)
    with django_assert_max_num_queries(20) as few:
        client.get(HOME)
    for _ in range(30):
        item = InventoryItemFactory(organization=world.tenants.org_a, product=world.product)
        flag_for(world.warning, item, due_date=timezone.localdate() - timedelta(days=3))
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(HOME)
    assert response.context["overview"].active_total == 32
