"""Flags over the API: who sees them, and triage — status, bulk changes, assignment, comments."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from exposure.choices import FlagEventKind, FlagStatus
from exposure.models import Flag
from orgs.choices import Role
from tests.api.base import TenantListTests, TenantRetrieveTests
from tests.api.factories import FlagFactory
from tests.factories import InventoryItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


class TestFlags(TenantListTests, TenantRetrieveTests):
    basename = "flag"
    model = Flag

    def make(self, tenants, organization):
        return FlagFactory(item=InventoryItemFactory(organization=organization))


@pytest.fixture
def flag(tenants):
    return FlagFactory(item=InventoryItemFactory(organization=tenants.org_a))


def _transition(api, user, flag, **body):
    return api.session(user).post(f"/api/v1/flags/{flag.pk}/transition/", body, format="json")


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED),
        (FlagStatus.ACKNOWLEDGED, FlagStatus.MITIGATED),
        (FlagStatus.OPEN, FlagStatus.FALSE_POSITIVE),
        (FlagStatus.ACKNOWLEDGED, FlagStatus.FALSE_POSITIVE),
        (FlagStatus.MITIGATED, FlagStatus.OPEN),
        (FlagStatus.FALSE_POSITIVE, FlagStatus.OPEN),
    ],
)
def test_allowed_moves_change_the_status_and_write_history_and_audit(
    tenants, api, flag, start, target
):
    Flag.objects.filter(pk=flag.pk).update(status=start)
    response = _transition(api, tenants.analyst, flag, status=target, reason="checked on site")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == target
    event = flag.events.get()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        start,
        target,
        tenants.analyst,
        "checked on site",
    )
    expected_kind = (
        FlagEventKind.REOPENED if target == FlagStatus.OPEN else FlagEventKind.STATUS_CHANGED
    )
    assert event.kind == expected_kind
    entry = AuditEntry.objects.get(object_type="exposure.flag", object_id=str(flag.pk))
    assert (entry.organization_id, entry.actor_id) == (tenants.org_a.pk, tenants.analyst.pk)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (FlagStatus.OPEN, FlagStatus.MITIGATED),
        (FlagStatus.OPEN, FlagStatus.OPEN),
        (FlagStatus.MITIGATED, FlagStatus.ACKNOWLEDGED),
        (FlagStatus.RESOLVED, FlagStatus.OPEN),
        (FlagStatus.RESOLVED, FlagStatus.ACKNOWLEDGED),
    ],
)
def test_moves_off_the_paths_are_refused(tenants, api, flag, start, target):
    Flag.objects.filter(pk=flag.pk).update(status=start, resolution_reason="item_removed")
    response = _transition(api, tenants.analyst, flag, status=target, reason="x")
    assert response.status_code == 400
    assert "status" in response.json()
    assert Flag.objects.get(pk=flag.pk).status == start
    assert not flag.events.exists()


def test_nobody_can_set_resolved(tenants, api, flag):
    response = _transition(api, tenants.owner, flag, status="resolved", reason="done")
    assert response.status_code == 400
    assert "status" in response.json()


def test_risk_acceptance_needs_a_reason_and_a_future_expiry(tenants, api, flag):
    no_reason = _transition(
        api, tenants.analyst, flag, status="risk_accepted", risk_accepted_until=str(TOMORROW)
    )
    assert "reason" in no_reason.json()
    no_expiry = _transition(api, tenants.analyst, flag, status="risk_accepted", reason="budget")
    assert "risk_accepted_until" in no_expiry.json()
    past = _transition(
        api,
        tenants.analyst,
        flag,
        status="risk_accepted",
        reason="budget",
        risk_accepted_until=str(timezone.localdate()),
    )
    assert "risk_accepted_until" in past.json()
    accepted = _transition(
        api,
        tenants.analyst,
        flag,
        status="risk_accepted",
        reason="budget",
        risk_accepted_until=str(TOMORROW),
    )
    assert accepted.status_code == 200
    assert accepted.json()["risk_accepted_until"] == str(TOMORROW)


def test_a_false_positive_needs_a_reason(tenants, api, flag):
    response = _transition(api, tenants.analyst, flag, status="false_positive")
    assert response.status_code == 400
    assert "reason" in response.json()


def test_reopening_clears_the_risk_expiry(tenants, api, flag):
    Flag.objects.filter(pk=flag.pk).update(
        status=FlagStatus.RISK_ACCEPTED, risk_accepted_until=TOMORROW
    )
    response = _transition(api, tenants.analyst, flag, status="open", reason="vendor changed")
    assert response.json()["risk_accepted_until"] is None


def test_a_viewer_cannot_triage(tenants, api, flag):
    response = _transition(api, tenants.viewer, flag, status="acknowledged")
    assert response.status_code == 403
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.OPEN


def test_a_global_analyst_triages_any_organization(tenants, api, flag):
    analyst = UserFactory(is_global_analyst=True)
    assert _transition(api, analyst, flag, status="acknowledged").status_code == 200


def test_an_outsider_cannot_triage_and_learns_nothing(tenants, api, flag):
    response = _transition(api, tenants.outsider, flag, status="acknowledged")
    assert response.status_code == 404
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.OPEN


def test_bulk_change_moves_every_flag(tenants, api):
    flags = [FlagFactory(item=InventoryItemFactory(organization=tenants.org_a)) for _ in range(3)]
    response = api.session(tenants.analyst).post(
        "/api/v1/flags/bulk-transition/",
        {"flags": [f.pk for f in flags], "status": "acknowledged", "reason": "triaged"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert set(Flag.objects.values_list("status", flat=True)) == {FlagStatus.ACKNOWLEDGED}
    assert AuditEntry.objects.filter(action="flag.status_change").count() == 3


def test_bulk_change_is_all_or_nothing(tenants, api):
    movable = FlagFactory(item=InventoryItemFactory(organization=tenants.org_a))
    stuck = FlagFactory(
        item=InventoryItemFactory(organization=tenants.org_a),
        status=FlagStatus.RESOLVED,
        resolution_reason="item_removed",
    )
    response = api.session(tenants.analyst).post(
        "/api/v1/flags/bulk-transition/",
        {"flags": [movable.pk, stuck.pk], "status": "acknowledged"},
        format="json",
    )
    assert response.status_code == 400
    assert f"Flag {stuck.pk}" in response.json()["flags"][0]
    assert Flag.objects.get(pk=movable.pk).status == FlagStatus.OPEN
    assert not AuditEntry.objects.filter(action="flag.status_change").exists()


def test_bulk_change_with_a_foreign_flag_is_refused_like_a_missing_one(tenants, api):
    own = FlagFactory(item=InventoryItemFactory(organization=tenants.org_b))
    foreign = FlagFactory(item=InventoryItemFactory(organization=tenants.org_a))
    client = api.session(tenants.outsider)
    with_foreign = client.post(
        "/api/v1/flags/bulk-transition/",
        {"flags": [own.pk, foreign.pk], "status": "acknowledged"},
        format="json",
    )
    with_missing = client.post(
        "/api/v1/flags/bulk-transition/",
        {"flags": [own.pk, 10**9], "status": "acknowledged"},
        format="json",
    )
    assert with_foreign.status_code == with_missing.status_code == 400
    assert with_foreign.json()["flags"] == [f"No such flags: {foreign.pk}."]
    assert set(Flag.objects.values_list("status", flat=True)) == {FlagStatus.OPEN}


def test_bulk_change_by_a_viewer_is_forbidden(tenants, api, flag):
    response = api.session(tenants.viewer).post(
        "/api/v1/flags/bulk-transition/", {"flags": [flag.pk], "status": "acknowledged"}
    )
    assert response.status_code == 403


def test_assigning_to_a_member_records_it(tenants, api, flag):
    response = api.session(tenants.analyst).post(
        f"/api/v1/flags/{flag.pk}/assign/", {"assignee": tenants.owner.pk}
    )
    assert response.status_code == 200
    assert response.json()["assignee_username"] == "owner-a"
    assert flag.events.get().kind == FlagEventKind.ASSIGNED
    assert AuditEntry.objects.filter(action="flag.assign").exists()


def test_assigning_to_a_viewer_is_refused_naming_the_field(tenants, api, flag):
    response = api.session(tenants.analyst).post(
        f"/api/v1/flags/{flag.pk}/assign/", {"assignee": tenants.viewer.pk}
    )
    assert response.status_code == 400
    assert "assignee" in response.json()
    flag.refresh_from_db()
    assert flag.assignee is None


def test_assigning_to_another_organizations_user_is_refused_naming_the_field(tenants, api, flag):
    response = api.session(tenants.analyst).post(
        f"/api/v1/flags/{flag.pk}/assign/", {"assignee": tenants.outsider.pk}
    )
    assert response.status_code == 400
    assert "assignee" in response.json()
    assert Flag.objects.get(pk=flag.pk).assignee is None


def test_assigning_to_a_colleague_of_a_sister_organization_is_refused(tenants, api, flag):
    """Seeing a user (through another shared organization) does not make them a member."""
    sister = MembershipFactory(user=tenants.analyst, role=Role.VIEWER).organization
    colleague = MembershipFactory(organization=sister).user
    response = api.session(tenants.analyst).post(
        f"/api/v1/flags/{flag.pk}/assign/", {"assignee": colleague.pk}
    )
    assert response.status_code == 400
    assert "assignee" in response.json()


def test_comments_join_the_history_and_the_history_lists_them(tenants, api, flag):
    client = api.session(tenants.analyst)
    comment = client.post(f"/api/v1/flags/{flag.pk}/comment/", {"note": "Asked the vendor."})
    assert comment.status_code == 201
    history = api.session(tenants.viewer).get(f"/api/v1/flags/{flag.pk}/events/")
    assert history.status_code == 200
    assert [row["note"] for row in history.json()["results"]] == ["Asked the vendor."]
    assert history.json()["results"][0]["actor_username"] == "analyst-a"


def test_an_outsider_cannot_read_a_flags_history(tenants, api, flag):
    assert api.session(tenants.outsider).get(f"/api/v1/flags/{flag.pk}/events/").status_code == 404


def test_flag_filters_by_status_severity_and_organization(tenants, api):
    wanted = FlagFactory(
        item=InventoryItemFactory(organization=tenants.org_a), advisory__severity="critical"
    )
    FlagFactory(item=InventoryItemFactory(organization=tenants.org_a), advisory__severity="low")
    FlagFactory(
        item=InventoryItemFactory(organization=tenants.org_a),
        advisory__severity="critical",
        status=FlagStatus.MITIGATED,
    )
    response = api.session(tenants.viewer).get(
        "/api/v1/flags/",
        {"status": "open", "severity": "critical", "organization": tenants.org_a.pk},
    )
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_filtering_by_a_foreign_organization_is_refused_like_a_missing_one(tenants, api):
    client = api.session(tenants.outsider)
    foreign = client.get("/api/v1/flags/", {"organization": tenants.org_a.pk})
    missing = client.get("/api/v1/flags/", {"organization": 10**9})
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["organization"][0].replace(str(tenants.org_a.pk), "N") == missing.json()[
        "organization"
    ][0].replace(str(10**9), "N")


def test_a_possible_flag_says_why(tenants, api, flag):
    Flag.objects.filter(pk=flag.pk).update(
        confidence="possible", possible_reason="installed on XY200 devices"
    )
    body = api.session(tenants.viewer).get(f"/api/v1/flags/{flag.pk}/").json()
    assert (body["confidence"], body["possible_reason"]) == (
        "possible",
        "installed on XY200 devices",
    )
    listed = api.session(tenants.viewer).get("/api/v1/flags/").json()["results"]
    assert [row["possible_reason"] for row in listed if row["id"] == flag.pk] == [
        "installed on XY200 devices"
    ]


@pytest.fixture
def signalled(tenants):
    """Flags of advisories with and without exploitation signals, in organization A."""

    def make(label, **advisory):
        return FlagFactory(
            item=InventoryItemFactory(organization=tenants.org_a),
            item_label=label,
            **{f"advisory__{name}": value for name, value in advisory.items()},
        )

    return {
        "kev": make("kev", known_exploited=True, kev_due_date=TOMORROW, epss=0.42),
        "likely": make("likely", epss=0.91, epss_percentile=0.999),
        "unlikely": make("unlikely", epss=0.002, epss_percentile=0.3),
        "unscored": make("unscored"),
    }


def _labels(response):
    assert response.status_code == 200, response.json()
    return [row["item_label"] for row in response.json()["results"]]


def test_flags_filter_by_known_exploited_and_a_least_epss_score(tenants, api, signalled):
    client = api.session(tenants.viewer)
    assert _labels(client.get("/api/v1/flags/", {"known_exploited": "true"})) == ["kev"]
    assert set(_labels(client.get("/api/v1/flags/", {"known_exploited": "false"}))) == {
        "likely",
        "unlikely",
        "unscored",
    }
    assert set(_labels(client.get("/api/v1/flags/", {"epss_min": "0.4"}))) == {"kev", "likely"}
    refused = client.get("/api/v1/flags/", {"epss_min": "1.5"})
    assert refused.status_code == 400
    assert "epss_min" in refused.json()


def test_flags_order_by_epss_with_the_unscored_last_and_page_through_it(tenants, api, signalled):
    client = api.session(tenants.viewer)
    expected = ["likely", "kev", "unlikely", "unscored"]
    assert _labels(client.get("/api/v1/flags/", {"ordering": "-advisory__epss"})) == expected
    assert _labels(client.get("/api/v1/flags/", {"ordering": "advisory__epss"})) == [
        "unlikely",
        "kev",
        "likely",
        "unscored",
    ]
    seen, response = (
        [],
        client.get("/api/v1/flags/", {"ordering": "-advisory__epss", "page_size": 1}),
    )
    while True:
        seen += _labels(response)
        if not response.json()["next"]:
            break
        response = client.get(response.json()["next"])
    assert seen == expected
    exploited_first = _labels(
        client.get("/api/v1/flags/", {"ordering": "-advisory__known_exploited"})
    )
    assert exploited_first[0] == "kev"


def test_a_flag_shows_its_advisorys_exploitation_signals(tenants, api, signalled):
    body = api.session(tenants.viewer).get(f"/api/v1/flags/{signalled['kev'].pk}/").json()
    assert {
        name: body["advisory"][name] for name in ("known_exploited", "kev_due_date", "epss")
    } == {
        "known_exploited": True,
        "kev_due_date": TOMORROW.isoformat(),
        "epss": 0.42,
    }
    [row] = (
        api.session(tenants.viewer)
        .get("/api/v1/flags/", {"known_exploited": "true"})
        .json()["results"]
    )
    assert row["advisory"] == body["advisory"]


def test_flags_order_by_severity_critical_first_descending_and_page_through_it(tenants, api):
    """The label's alphabet would read Critical, High, Low, Medium; ``severity`` sorts by the
    advisory's rank, as the flag page's Severity column does, and the cursor follows it."""
    for severity in ["medium", "critical", "low", "high", "none"]:
        FlagFactory(
            item=InventoryItemFactory(organization=tenants.org_a),
            item_label=severity,
            advisory__severity=severity,
        )
    client = api.session(tenants.viewer)
    most_severe_first = ["critical", "high", "medium", "low", "none"]
    seen, response = [], client.get("/api/v1/flags/", {"ordering": "-severity", "page_size": 2})
    while True:
        seen += _labels(response)
        if not response.json()["next"]:
            break
        response = client.get(response.json()["next"])
    assert seen == most_severe_first
    assert _labels(client.get("/api/v1/flags/", {"ordering": "severity"})) == list(
        reversed(most_severe_first)
    )
    backwards = client.get(response.json()["previous"])
    assert _labels(backwards) == ["medium", "low"]
