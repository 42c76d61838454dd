"""Reads of exposure: the impact preview of a draft, and what each user may see."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisories.models import AffectedTarget
from advisories.services import target_compile
from exposure.models import Flag, MatchRun
from exposure.selectors import (
    advisory_impact,
    flags_for_advisory,
    match_runs_recent,
    org_exposure_summary,
)
from orgs.choices import Role
from tests.exposure.conftest import target_fields
from tests.factories import AdvisoryFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(org, other_org):
    member = UserFactory(username="member-alpha")
    MembershipFactory(user=member, organization=org, role=Role.ANALYST)
    outsider = UserFactory(username="member-beta")
    MembershipFactory(user=outsider, organization=other_org, role=Role.ANALYST)
    return {
        "member": member,
        "outsider": outsider,
        "editor": UserFactory(username="editor", is_advisory_editor=True),
        "nobody": UserFactory(username="nobody"),
    }


@pytest.fixture
def draft(catalogue, make_item, org, other_org):
    """A draft against FortiOS < 7.2.5, with items in both organizations."""
    for version in ("7.0.1", "7.2.4", "7.2.9"):
        make_item({"p": "fortios", "v": version})
    make_item({"p": "fortios"}, organization=other_org)
    advisory = AdvisoryFactory(severity="high")
    for text in ("vers:generic/<7.2.5", "whatever the vendor says"):
        target_compile(
            target=AffectedTarget(
                advisory=advisory,
                **target_fields(
                    catalogue,
                    {"kind": "product_range", "product": "fortios", "version_range": text},
                ),
            )
        )
    return advisory


def test_impact_of_a_draft_counts_organizations_and_items_without_writing(draft, users):
    impact = advisory_impact(advisory=draft, user=users["editor"], samples=1)

    assert (impact.organization_count, impact.item_count, impact.possible_count) == (2, 3, 1)
    assert impact.targets_needing_review == 1
    first, second = impact.organizations
    assert (first.name, first.item_count, len(first.sample_items)) == ("Stadtwerke Alpha", 2, 1)
    assert (second.name, second.item_count, second.possible_count) == ("Klinikum Beta", 1, 1)
    assert first.sample_items[0].label == "Fortinet FortiOS 7.0.1"
    assert not Flag.objects.exists()
    assert not MatchRun.objects.exists()


def test_impact_of_targets_without_cpe_or_purl_asks_nothing_about_them(draft, users):
    # Only CPE and purl targets can need matching in Python; a draft of product ranges does
    # not look for them, and its counts are those of the test above.
    with CaptureQueriesContext(connection) as queries:
        impact = advisory_impact(advisory=draft, user=users["editor"], samples=1)
    assert (impact.organization_count, impact.item_count, impact.possible_count) == (2, 3, 1)
    assert not [query for query in queries if "t.purl LIKE" in query["sql"]]


def test_impact_shows_a_member_only_their_own_organization(draft, users):
    impact = advisory_impact(advisory=draft, user=users["member"])
    assert [o.name for o in impact.organizations] == ["Stadtwerke Alpha"]
    assert impact.item_count == 2


def test_impact_shows_a_user_without_organizations_nothing(draft, users):
    impact = advisory_impact(advisory=draft, user=users["nobody"])
    assert (impact.organization_count, impact.item_count, impact.organizations) == (0, 0, ())


def test_flags_for_an_advisory_are_scoped_to_the_users_organizations(
    make_item, publish, users, org, other_org
):
    make_item({"p": "endpoint_security"})
    make_item({"p": "endpoint_security"}, organization=other_org)
    advisory = publish({"kind": "vendor", "vendor": "kaspersky"})

    def organizations(user):
        flags = flags_for_advisory(advisory=advisory, user=user)
        return {flag.organization_id for flag in flags}

    assert organizations(users["member"]) == {org.pk}
    assert organizations(users["outsider"]) == {other_org.pk}
    assert organizations(users["editor"]) == {org.pk, other_org.pk}
    assert organizations(users["nobody"]) == set()


def test_exposure_summary_counts_an_organizations_flags(make_item, publish, users, org):
    make_item({"p": "fortios", "v": "7.0"})
    make_item({"p": "fortios"})
    make_item({"p": "endpoint_security"})
    publish(
        {"kind": "product_range", "product": "fortios", "version_range": "vers:generic/<7.2.5"},
        severity="high",
    )
    publish({"kind": "vendor", "vendor": "kaspersky"}, severity="critical")

    summary = org_exposure_summary(organization=org, user=users["member"])

    assert (summary.active, summary.possible, summary.overdue) == (3, 1, 0)
    assert summary.active_by_severity["high"] == 2
    assert summary.active_by_severity["critical"] == 1
    assert summary.by_status["open"] == 3
    assert summary.highest_priority is not None


def test_exposure_summary_of_another_organization_is_empty(make_item, publish, users, org):
    make_item({"p": "endpoint_security"})
    publish({"kind": "vendor", "vendor": "kaspersky"})
    summary = org_exposure_summary(organization=org, user=users["outsider"])
    assert (summary.active, summary.highest_priority) == (0, None)


def test_match_runs_are_shown_to_platform_readers_only(make_item, publish, users):
    make_item({"p": "endpoint_security"})
    publish({"kind": "vendor", "vendor": "kaspersky"})
    assert len(match_runs_recent(user=users["editor"])) == 1
    assert len(match_runs_recent(user=users["member"])) == 0
