"""The triage list and a flag's page: scoped lists with filters, sorting and export; bulk
actions all or none; status changes with reasons, risk acceptance with an expiry, assignment
and comments through the triage services; the history; bounded queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exposure.flag_filters import ORGANIZATIONS_LISTED
from exposure.models import Flag, FlagEvent
from tests.factories import (
    InventoryItemFactory,
    MembershipFactory,
    OrganizationFactory,
    PublishedAdvisoryFactory,
    UserFactory,
)
from tests.web.conftest import flag_for

pytestmark = pytest.mark.django_db

LIST = reverse("exposure:flag_list")
BULK = reverse("exposure:flag_bulk")


def listed(response) -> list[int]:
    return [flag.pk for flag in response.context["page"].object_list]


def test_list_shows_the_users_open_flags_by_default(client, world):
    closed = flag_for(
        world.warning,
        InventoryItemFactory(organization=world.tenants.org_a),
        status="mitigated",
    )
    client.force_login(world.tenants.viewer)
    response = client.get(LIST)
    assert response.status_code == 200
    assert listed(response) == [world.flag_a.pk]
    assert response.context["filtered"] is False
    body = response.content.decode()
    assert "row-overdue" in body and "overdue" in body
    assert "Klinikum Beta" not in body
    assert listed(client.get(LIST, {"status": "mitigated"})) == [closed.pk]


def test_list_filters_with_the_flag_filterset(client, world):
    critical = PublishedAdvisoryFactory(identifier="CVE-2024-0001", severity="critical")
    other = flag_for(critical, InventoryItemFactory(organization=world.tenants.org_a))
    client.force_login(world.tenants.viewer)
    assert listed(client.get(LIST, {"severity": "critical"})) == [other.pk]
    assert listed(client.get(LIST, {"overdue": "true"})) == [world.flag_a.pk]
    assert listed(client.get(LIST, {"q": "CVE-2024"})) == [other.pk]
    assert b"No flag matches" in client.get(LIST, {"q": "nothing like it"}).content
    # An organization the user cannot see is refused like one that does not exist.
    refused = client.get(LIST, {"organization": world.tenants.org_b.pk})
    assert listed(refused) == []


def test_list_sorts_by_whitelisted_columns(client, world):
    critical = PublishedAdvisoryFactory(identifier="CVE-2024-0001", severity="critical")
    other = flag_for(critical, InventoryItemFactory(organization=world.tenants.org_a), priority=1)
    Flag.objects.filter(pk=world.flag_a.pk).update(priority=90)
    client.force_login(world.tenants.viewer)
    assert listed(client.get(LIST)) == [world.flag_a.pk, other.pk]
    assert listed(client.get(LIST, {"sort": "-severity"})) == [other.pk, world.flag_a.pk]
    assert listed(client.get(LIST, {"sort": "item_label; drop"})) == [world.flag_a.pk, other.pk]


def test_csv_export_is_the_filtered_list(client, world):
    client.force_login(world.editor)
    response = client.get(LIST, {"format": "csv", "organization": world.tenants.org_a.pk})
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("flag_id,organization,advisory")
    assert len(lines) == 2 and "Stadtwerke Alpha" in lines[1]


def test_analyst_acknowledges_several_flags_at_once(client, world):
    second = flag_for(world.warning, InventoryItemFactory(organization=world.tenants.org_a))
    client.force_login(world.tenants.analyst)
    response = client.post(
        BULK,
        {"flags": [world.flag_a.pk, second.pk], "action": "acknowledged", "next": f"{LIST}?page=1"},
    )
    assert response.status_code == 302 and response.url == f"{LIST}?page=1"
    statuses = set(Flag.objects.filter(pk__in=[world.flag_a.pk, second.pk]).values_list("status"))
    assert statuses == {("acknowledged",)}
    assert FlagEvent.objects.filter(kind="status_changed", actor=world.tenants.analyst).count() == 2


def test_bulk_change_is_all_or_none(client, world):
    client.force_login(world.tenants.analyst)
    response = client.post(
        BULK, {"flags": [world.flag_a.pk], "action": "risk_accepted"}, follow=True
    )
    assert "Nothing was changed" in response.content.decode()
    world.flag_a.refresh_from_db()
    assert world.flag_a.status == "open"
    # A flag of another organization among them is "no such flag", and nothing changes.
    response = client.post(
        BULK, {"flags": [world.flag_a.pk, world.flag_b.pk], "action": "acknowledged"}, follow=True
    )
    assert f"No such flags: {world.flag_b.pk}" in response.content.decode()
    world.flag_a.refresh_from_db()
    assert world.flag_a.status == "open"


def test_viewers_cannot_triage_in_bulk(client, world):
    client.force_login(world.tenants.viewer)
    response = client.post(
        BULK, {"flags": [world.flag_a.pk], "action": "acknowledged"}, follow=True
    )
    assert "analyst role" in response.content.decode()
    world.flag_a.refresh_from_db()
    assert world.flag_a.status == "open"


def test_bulk_assigns_to_me_and_unassigns(client, world):
    client.force_login(world.tenants.analyst)
    client.post(BULK, {"flags": [world.flag_a.pk], "action": "assign_me"})
    world.flag_a.refresh_from_db()
    assert world.flag_a.assignee == world.tenants.analyst
    mine = client.get(LIST, {"assignee": world.tenants.analyst.pk})
    assert listed(mine) == [world.flag_a.pk]
    client.post(BULK, {"flags": [world.flag_a.pk], "action": "unassign"})
    world.flag_a.refresh_from_db()
    assert world.flag_a.assignee is None


def test_bulk_without_a_selection_says_so(client, world):
    client.force_login(world.tenants.analyst)
    response = client.post(BULK, {"action": "acknowledged"}, follow=True)
    assert "Tick at least one flag" in response.content.decode()


def detail(flag, action=""):
    name = f"exposure:flag_{action}" if action else "exposure:flag_detail"
    return reverse(name, kwargs={"pk": flag.pk})


def test_flag_page_shows_the_match_and_history_and_hides_triage_from_viewers(client, world):
    client.force_login(world.tenants.viewer)
    FlagEvent.objects.create(flag=world.flag_a, kind="created", to_status="open")
    response = client.get(detail(world.flag_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "BSI-2022-0315" in body and "Matcher" in body and "flagged the item" in body
    assert response.context["overdue"] is True
    assert response.context["can_triage"] is False
    assert "Change the status" not in body
    assert (
        client.post(detail(world.flag_a, "status"), {"status": "acknowledged"}).status_code == 403
    )


def test_analyst_acknowledges_then_accepts_the_risk_until_a_date(client, world):
    client.force_login(world.tenants.analyst)
    response = client.post(detail(world.flag_a, "status"), {"status": "acknowledged"})
    assert response.status_code == 302
    until = timezone.localdate() + timedelta(days=90)
    missing = client.post(
        detail(world.flag_a, "status"), {"status": "risk_accepted", "reason": "Replacing in Q3"}
    )
    assert missing.status_code == 400
    assert "risk_accepted_until" in missing.context["status_form"].errors
    client.post(
        detail(world.flag_a, "status"),
        {"status": "risk_accepted", "reason": "Replacing in Q3", "risk_accepted_until": until},
    )
    world.flag_a.refresh_from_db()
    assert (world.flag_a.status, world.flag_a.risk_accepted_until) == ("risk_accepted", until)
    page = client.get(detail(world.flag_a)).content.decode()
    assert "Replacing in Q3" in page
    assert "moved it from acknowledged to <strong>risk accepted</strong>" in page
    assert f"Risk accepted until {until:%-d %b %Y}" in page


def test_only_allowed_moves_are_offered(client, world):
    client.force_login(world.tenants.analyst)
    form = client.get(detail(world.flag_a)).context["status_form"]
    offered = [value for value, _label in form.fields["status"].choices]
    assert offered == ["acknowledged", "risk_accepted", "false_positive"]
    response = client.post(detail(world.flag_a, "status"), {"status": "open"})
    assert response.status_code == 400


def test_analyst_assigns_a_member_and_comments(client, world):
    client.force_login(world.tenants.analyst)
    response = client.post(detail(world.flag_a, "assign"), {"assignee": world.tenants.owner.pk})
    assert response.status_code == 302
    stranger = UserFactory(username="stranger")
    refused = client.post(detail(world.flag_a, "assign"), {"assignee": stranger.pk})
    assert refused.status_code == 400
    client.post(detail(world.flag_a, "comment"), {"note": "Vendor contacted."})
    world.flag_a.refresh_from_db()
    assert world.flag_a.assignee == world.tenants.owner
    page = client.get(detail(world.flag_a)).content.decode()
    assert "assigned it to owner-a" in page and "Vendor contacted." in page


def test_viewers_are_not_offered_as_assignees_and_cannot_be_given_a_flag(client, world):
    client.force_login(world.tenants.analyst)
    form = client.get(detail(world.flag_a)).context["assign_form"]
    offered = set(form.fields["assignee"].queryset)
    assert {world.tenants.owner, world.tenants.analyst} <= offered
    assert world.tenants.viewer not in offered
    refused = client.post(detail(world.flag_a, "assign"), {"assignee": world.tenants.viewer.pk})
    assert refused.status_code == 400
    world.flag_a.refresh_from_db()
    assert world.flag_a.assignee is None


def test_another_organizations_flag_is_not_found(client, world):
    client.force_login(world.tenants.outsider)
    assert client.get(detail(world.flag_a)).status_code == 404
    for action in ("status", "assign", "comment"):
        assert (
            client.post(detail(world.flag_a, action), {"status": "acknowledged"}).status_code == 404
        )
    world.flag_a.refresh_from_db()
    assert world.flag_a.status == "open"


def test_list_makes_the_same_number_of_queries_for_many_flags(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.tenants.analyst)
    # One of them asks whether an organization of the user requires a second factor.
    with django_assert_max_num_queries(13) as few:
        client.get(LIST)
    assignee = UserFactory()
    MembershipFactory(user=assignee, organization=world.tenants.org_a)
    for _ in range(60):
        advisory = PublishedAdvisoryFactory()
        flag_for(
            advisory, InventoryItemFactory(organization=world.tenants.org_a), assignee=assignee
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 50


def test_flag_page_makes_the_same_number_of_queries_for_a_long_history(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.tenants.analyst)
    with django_assert_max_num_queries(20) as few:
        client.get(detail(world.flag_a))
    for n in range(40):
        actor = UserFactory()
        MembershipFactory(user=actor, organization=world.tenants.org_a)
        FlagEvent.objects.create(flag=world.flag_a, kind="commented", note=f"note {n}", actor=actor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(detail(world.flag_a))


def test_organization_filter_offers_the_users_organizations_escaped_and_keeps_the_choice(
    client, world
):
    odd = OrganizationFactory(name="<b>Wasser & Co</b>", slug="wasser")
    MembershipFactory(user=world.tenants.viewer, organization=odd, role="viewer")
    client.force_login(world.tenants.viewer)
    body = client.get(LIST, {"organization": world.tenants.org_a.pk}).content.decode()
    assert f'<option value="{world.tenants.org_a.pk}" selected>Stadtwerke Alpha</option>' in body
    assert "&lt;b&gt;Wasser &amp; Co&lt;/b&gt;</option>" in body
    assert "Klinikum Beta" not in body


def test_a_possible_flag_says_why_in_the_list_and_on_its_page(client, world):
    Flag.objects.filter(pk=world.flag_a.pk).update(
        confidence="possible", possible_reason="installed on AB300 controllers"
    )
    client.force_login(world.tenants.viewer)

    listing = client.get(LIST).content.decode()
    page = client.get(detail(world.flag_a)).content.decode()

    assert "possible: installed on AB300 controllers" in listing
    assert "Possible because" in page
    assert "installed on AB300 controllers; check whether this item is affected." in page


def test_an_analyst_of_many_organizations_searches_for_one_instead_of_scrolling(client, world):
    """Past ORGANIZATIONS_LISTED organizations the filter and the share field are search boxes
    whose matches are the user's own organizations; the chosen one keeps its name."""
    many = [
        OrganizationFactory(name=f"Gemeinde {n:02}", slug=f"gemeinde-{n:02}")
        for n in range(ORGANIZATIONS_LISTED)
    ]
    for organization in many:
        MembershipFactory(user=world.tenants.analyst, organization=organization, role="analyst")
    client.force_login(world.tenants.analyst)
    body = client.get(LIST, {"organization": many[3].pk}).content.decode()
    assert "Gemeinde 07" not in body
    assert 'id="id_organization-search"' in body and 'value="Gemeinde 03"' in body
    assert f'name="organization" value="{many[3].pk}" id="id_organization"' in body
    assert 'id="save-view-share-search"' in body and 'id="save-view-share"' in body
    assert client.get(LIST, {"organization": many[3].pk}).context["page"].object_list == []

    pick = reverse("exposure:filter_pick", kwargs={"kind": "organization"})
    options = client.get(pick, {"term": "gemeinde 1", "target": "id_organization"})
    assert [label for _pk, label, _d in options.context["options"]] == [
        f"Gemeinde {n}" for n in range(10, 20)
    ]
    # Organization B is not the analyst's: no match, by name or otherwise.
    assert client.get(pick, {"term": world.tenants.org_b.name}).context["options"] == []
    assert client.get(pick, {"term": world.tenants.org_a.name}).context["options"] == [
        (world.tenants.org_a.pk, world.tenants.org_a.name, world.tenants.org_a.get_sector_display())
    ]


def test_a_member_of_few_organizations_keeps_the_drop_downs(client, world):
    client.force_login(world.tenants.viewer)
    body = client.get(LIST, {"severity": "high"}).content.decode()
    assert '<select name="organization" id="id_organization">' in body
    assert '<select name="organization" id="save-view-share">' in body
