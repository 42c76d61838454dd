"""Advisory list and page: filters, sorting, CSV, drafts hidden, scoped impact, bounded
queries."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from advisories.models import AffectedTarget
from advisories.services import target_compile
from exposure.models import MatchRun
from tests.factories import PublishedAdvisoryFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("advisories:advisory_list")


def test_list_shows_published_advisories_and_hides_drafts_from_members(client, world):
    client.force_login(world.tenants.viewer)
    response = client.get(LIST)
    assert response.status_code == 200
    assert b"BSI-2022-0315" in response.content
    assert b"DRAFT-0001" not in response.content


def test_editors_see_drafts_in_the_list(client, world):
    client.force_login(world.editor)
    assert b"DRAFT-0001" in client.get(LIST).content


def test_list_filters_with_the_advisory_filterset(client, world):
    PublishedAdvisoryFactory(identifier="CVE-ADV-1", title="Router bug", severity="critical")
    client.force_login(world.tenants.viewer)
    response = client.get(LIST, {"severity": "critical"})
    assert b"CVE-ADV-1" in response.content
    assert b"BSI-2022-0315" not in response.content
    response = client.get(LIST, {"q": "kaspersky"})
    assert b"BSI-2022-0315" in response.content
    assert b"CVE-ADV-1" not in response.content


def test_list_sorts_by_whitelisted_columns_only(client, world):
    PublishedAdvisoryFactory(identifier="AAA-1", severity="critical")
    PublishedAdvisoryFactory(identifier="ZZZ-1", severity="low")
    client.force_login(world.tenants.viewer)
    rows = client.get(LIST, {"sort": "-severity"}).context["page"].object_list
    assert rows[0].identifier == "AAA-1"
    rows = client.get(LIST, {"sort": "identifier"}).context["page"].object_list
    assert rows[0].identifier == "AAA-1"
    assert client.get(LIST, {"sort": "summary"}).status_code == 200  # unknown: default order


def test_empty_filter_result_says_so(client, world):
    client.force_login(world.tenants.viewer)
    response = client.get(LIST, {"q": "nothing-matches-this"})
    assert b"No advisory matches these filters" in response.content


def test_csv_export_counts_only_the_users_flags(client, world):
    client.force_login(world.tenants.viewer)
    response = client.get(LIST, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    header, *rows = body.strip().splitlines()
    assert header.startswith("identifier,title")
    kaspersky = next(row for row in rows if row.startswith("BSI-2022-0315"))
    assert ",1,http" in kaspersky  # one open flag in organization A, not two


def test_csv_export_defuses_formulas(client, world):
    PublishedAdvisoryFactory(identifier="X-1", title="=HYPERLINK(1)")
    client.force_login(world.tenants.viewer)
    body = b"".join(client.get(LIST, {"format": "csv"}).streaming_content).decode()
    assert "'=HYPERLINK(1)" in body


def test_advisory_page_shows_targets_and_the_scoped_impact(client, world):
    client.force_login(world.tenants.viewer)
    response = client.get(world.warning.get_absolute_url())
    assert response.status_code == 200
    impact = response.context["impact"]
    assert (impact.organizations, impact.items, impact.active) == (1, 1, 1)
    assert [row.name for row in impact.rows] == ["Stadtwerke Alpha"]
    assert b"Klinikum Beta" not in response.content
    assert b"Kaspersky" in response.content


def test_advisory_page_shows_targets_that_need_review_with_the_reason(client, world):
    from advisories.models import AffectedTarget
    from advisories.services import target_compile

    target = AffectedTarget(
        advisory=world.warning,
        kind="product_range",
        product=world.product,
        version_range="see vendor bulletin",
    )
    target_compile(target=target)
    client.force_login(world.tenants.viewer)
    response = client.get(world.warning.get_absolute_url())
    assert b"Needs review" in response.content
    assert escape(target.review_reason).encode() in response.content


def test_draft_page_is_not_found_for_members(client, world):
    client.force_login(world.tenants.viewer)
    assert client.get(world.draft.get_absolute_url()).status_code == 404
    client.force_login(world.editor)
    assert client.get(world.draft.get_absolute_url()).status_code == 200


def test_user_without_organizations_sees_advisories_but_no_impact(client, world):
    client.force_login(UserFactory(username="newcomer"))
    response = client.get(world.warning.get_absolute_url())
    assert response.context["impact"].rows == []


def test_list_makes_the_same_number_of_queries_for_many_advisories(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.tenants.viewer)
    with django_assert_max_num_queries(15) as few:
        client.get(LIST)
    PublishedAdvisoryFactory.create_batch(60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 50


def test_advisory_page_makes_the_same_number_of_queries_for_many_flags(
    client, world, django_assert_max_num_queries
):
    from tests.factories import InventoryItemFactory, OrganizationFactory
    from tests.web.conftest import flag_for

    client.force_login(world.editor)
    url = world.warning.get_absolute_url()
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(10):
        organization = OrganizationFactory()
        for _ in range(3):
            flag_for(world.warning, InventoryItemFactory(organization=organization))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.context["impact"].organizations == 12


def test_list_filters_by_issue_date_with_labelled_date_pickers(client, world):
    PublishedAdvisoryFactory(identifier="OLD-1", issued_on="2019-05-01")
    PublishedAdvisoryFactory(identifier="NEW-1", issued_on="2024-05-01")
    client.force_login(world.tenants.viewer)
    response = client.get(LIST, {"issued_after": "2020-01-01"})
    identifiers = [a.identifier for a in response.context["page"].object_list]
    assert "NEW-1" in identifiers
    assert "OLD-1" not in identifiers
    assert b'aria-label="Issued from"' in response.content
    assert b'aria-label="Issued to"' in response.content


def test_advisory_page_shows_how_each_target_was_read_and_its_caveat(client, world):
    target = AffectedTarget(
        advisory=world.warning,
        kind="product_range",
        product=world.product,
        version_range="<V7.15_installed_on_AB300_controllers",
    )
    target_compile(target=target)
    client.force_login(world.tenants.viewer)

    page = client.get(world.warning.get_absolute_url()).content.decode()

    assert "&lt; 7.15 — condition: installed on AB300 controllers" in page
    assert escape("<V7.15_installed_on_AB300_controllers") in page
    assert "Its flags are possible" in page


def running_advisory_run(advisory):
    """An advisory run of three chunks (a fourth was split): one done (two flags), one failed,
    one pending."""
    run = MatchRun.objects.create(
        kind="advisory", status="running", advisory_ids=[advisory.pk], started_at=timezone.now()
    )
    for status, created in (("succeeded", 2), ("failed", 0), ("pending", 0), ("split", 9)):
        MatchRun.objects.create(
            kind="chunk",
            status=status,
            parent=run,
            advisory_ids=[advisory.pk],
            flags_created=created,
        )
    return run


def test_advisory_page_shows_its_matching_run_in_progress_to_platform_readers(client, world):
    running_advisory_run(world.warning)
    client.force_login(world.editor)
    response = client.get(world.warning.get_absolute_url())
    progress = response.content.decode().split('data-testid="match-progress"')[1].split("</p>")[0]
    assert "in progress" in progress
    assert "2 of 3 chunks done" in " ".join(progress.split())
    assert "2 flags created or reopened in every organization so far" in " ".join(progress.split())
    assert 'hx-trigger="every 3s"' in progress


def test_advisory_page_shows_no_matching_run_to_organization_members(client, world):
    running_advisory_run(world.warning)
    client.force_login(world.tenants.viewer)
    response = client.get(world.warning.get_absolute_url())
    assert response.context["match_run"] is None
    assert b"match-progress" not in response.content
