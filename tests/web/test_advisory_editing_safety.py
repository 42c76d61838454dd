"""Safer advisory editing: CVSS vectors scored by the ``cvss`` library, deadlines after the
issue date, over-long fields refused rather than cut, duplicate warnings before saving and
publishing, an explicit choice to publish an advisory that matches nothing, and the other
advisories that flag a flag's item."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from advisories.models import Advisory, AdvisoryCve
from tests.factories import AdvisoryFactory, PublishedAdvisoryFactory, SourceFactory
from tests.web.conftest import flag_for

pytestmark = pytest.mark.django_db

CREATE = reverse("advisories:advisory_create")
PREVIEW = reverse("advisories:impact_preview")
CVSS_31_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8, critical


def _data(source, vendor=None, **extra):
    data = {
        "source": source.pk,
        "identifier": "CERT-2026-0042",
        "title": "Remote code execution in the management console",
        "kind": "vulnerability",
        "severity": "critical",
        "recommended_action": "update",
        "targets-TOTAL_FORMS": "1" if vendor else "0",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
    }
    if vendor:
        data.update({"targets-0-kind": "vendor", "targets-0-vendor": vendor.pk})
    data.update(extra)
    return data


def _post(client, world, **extra):
    client.force_login(world.editor)
    return client.post(CREATE, _data(SourceFactory(slug="cert"), **extra))


def test_a_cvss_vector_that_is_not_one_is_refused_on_its_field(client, world):
    response = _post(client, world, cvss_vector="banana")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Not a CVSS vector" in errors["cvss_vector"][0]
    assert not Advisory.objects.filter(identifier="CERT-2026-0042").exists()


def test_a_cvss_vector_missing_metrics_says_which(client, world):
    response = _post(client, world, cvss_vector="CVSS:3.1/AV:N/AC:L")
    assert response.status_code == 400
    assert "PR, UI, S, C, I, A" in response.context["form"].errors["cvss_vector"][0]


@pytest.mark.parametrize(
    ("score", "severity", "field", "message"),
    [
        ("5.0", "critical", "cvss_score", "The vector scores 9.8 (CVSS 3.1), not 5.0."),
        ("9.8", "medium", "severity", "is critical severity, not medium"),
    ],
)
def test_score_and_severity_must_be_the_vectors(client, world, score, severity, field, message):
    response = _post(
        client, world, cvss_vector=CVSS_31_CRITICAL, cvss_score=score, severity=severity
    )
    assert response.status_code == 400
    assert message in response.context["form"].errors[field][0]


@pytest.mark.parametrize(
    ("vector", "score", "severity"),
    [
        (CVSS_31_CRITICAL, "9.8", "critical"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "9.3", "critical"),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "7.5", "high"),
    ],
)
def test_a_vector_with_its_own_score_and_severity_is_saved(client, world, vector, score, severity):
    response = _post(client, world, cvss_vector=vector, cvss_score=score, severity=severity)
    assert response.status_code == 302, response.context["form"].errors
    assert Advisory.objects.get(identifier="CERT-2026-0042").cvss_vector == vector


def test_a_deadline_before_the_issue_date_is_refused(client, world):
    response = _post(client, world, issued_on="2026-03-15", action_deadline="2022-03-15")
    assert response.status_code == 400
    assert response.context["form"].errors["action_deadline"] == [
        "The deadline 2022-03-15 is before the issue date 2026-03-15."
    ]
    assert _post(
        client, world, issued_on="2026-03-15", action_deadline="2026-03-15"
    ).status_code == (302)


def test_an_over_long_title_is_a_field_error_not_a_cut(client, world):
    client.force_login(world.editor)
    page = client.get(CREATE).content.decode()
    # No maxlength for the browser to cut a pasted text at: the server says what is wrong.
    assert "maxlength" not in page
    response = _post(client, world, title="A" * 5000)
    assert response.status_code == 400
    assert response.context["form"].errors["title"] == [
        "Ensure this value has at most 300 characters (it has 5000)."
    ]
    assert not Advisory.objects.filter(identifier="CERT-2026-0042").exists()


def _api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_the_api_refuses_over_long_fields_and_bad_vectors_by_name(world):
    source = SourceFactory(slug="cert")
    body = {
        "source": source.pk,
        "identifier": "CERT-2026-0099",
        "title": "B" * 5000,
        "kind": "vulnerability",
        "severity": "critical",
        "cvss_vector": "banana",
        "issued_on": "2026-03-15",
        "action_deadline": "2020-01-01",
    }
    response = _api(world.editor).post("/api/v1/advisories/", body, format="json")
    assert response.status_code == 400
    assert response.json()["title"] == ["Ensure this field has no more than 300 characters."]
    assert not Advisory.objects.filter(identifier="CERT-2026-0099").exists()
    body["title"] = "A fitting title"
    response = _api(world.editor).post("/api/v1/advisories/", body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert "Not a CVSS vector" in errors["cvss_vector"][0]
    assert "before the issue date" in errors["action_deadline"][0]


def test_the_api_checks_a_partial_update_against_the_stored_vector(world):
    advisory = AdvisoryFactory(cvss_vector=CVSS_31_CRITICAL, cvss_score="9.8", severity="critical")
    client = _api(world.editor)
    response = client.patch(
        f"/api/v1/advisories/{advisory.pk}/", {"severity": "low"}, format="json"
    )
    assert response.status_code == 400
    assert "not low" in response.json()["severity"][0]


def test_the_preview_warns_of_an_advisory_on_the_same_vendor_with_a_link(client, world):
    client.force_login(world.editor)
    response = client.post(PREVIEW, _data(SourceFactory(slug="cert"), world.vendor))
    assert response.status_code == 200
    found = {d.advisory for d in response.context["duplicates"]}
    assert found == {world.warning, world.draft}
    page = response.content.decode()
    assert f'href="{world.warning.get_absolute_url()}"' in page
    assert "a target on the same vendor (Kaspersky)" in page


def test_the_preview_warns_of_the_same_cve_ids_and_the_same_identifier(client, world):
    other = PublishedAdvisoryFactory(identifier="PSIRT-7", title="Console RCE")
    AdvisoryCve.objects.create(advisory=other, cve_id="CVE-2026-1234")
    client.force_login(world.editor)
    data = _data(other.source, identifier="psirt-7", cve_ids="cve-2026-1234 CVE-2026-9999")
    response = client.post(PREVIEW, data)
    [duplicate] = response.context["duplicates"]
    assert duplicate.advisory == other
    assert duplicate.reasons == (
        "the same source and identifier (PSIRT-7)",
        "the same CVE ids (CVE-2026-1234)",
    )


def test_a_withdrawn_advisory_or_the_advisory_itself_is_no_duplicate(client, world):
    world.warning.status = "withdrawn"
    world.warning.withdrawn_at = world.warning.published_at
    world.warning.save()
    client.force_login(world.editor)
    data = _data(world.draft.source, world.vendor, advisory=str(world.draft.pk))
    data["identifier"] = world.draft.identifier
    response = client.post(PREVIEW, data)
    assert response.context["duplicates"] == []


def test_publishing_a_lookalike_needs_a_confirmation(client, world):
    client.force_login(world.editor)
    url = reverse("advisories:advisory_publish", kwargs={"pk": world.draft.pk})
    page = client.get(url)
    assert world.warning.get_absolute_url() in page.content.decode()
    refused = client.post(url)
    assert refused.status_code == 400
    assert "confirm it is not a copy" in refused.content.decode()
    world.draft.refresh_from_db()
    assert world.draft.status == "draft"
    assert client.post(url, {"not_a_duplicate": "on"}).status_code == 302
    world.draft.refresh_from_db()
    assert world.draft.status == "published"


def test_publishing_without_targets_needs_the_informational_choice(client, world):
    empty = AdvisoryFactory(identifier="INFO-1", kind="informational")
    client.force_login(world.editor)
    url = reverse("advisories:advisory_publish", kwargs={"pk": empty.pk})
    assert "It is informational and matches nothing" in client.get(url).content.decode()
    refused = client.post(url)
    assert refused.status_code == 400
    assert "confirm that it is informational and matches nothing" in refused.content.decode()
    empty.refresh_from_db()
    assert empty.status == "draft"
    assert client.post(url, {"matches_nothing": "on"}).status_code == 302
    empty.refresh_from_db()
    assert empty.status == "published"


def test_the_flag_page_lists_the_other_advisories_flagging_its_item(client, world):
    other = PublishedAdvisoryFactory(identifier="CVE-2026-0001", title="Kaspersky driver flaw")
    flag_for(other, world.item_a)
    hidden = PublishedAdvisoryFactory(identifier="CVE-2026-0002", title="Only in Beta")
    flag_for(hidden, world.item_b)
    client.force_login(world.tenants.owner)
    page = client.get(world.flag_a.get_absolute_url()).content.decode()
    assert "Other advisories flagging this item" in page
    assert "CVE-2026-0001" in page
    assert "CVE-2026-0002" not in page  # another organization's item
    client.force_login(world.tenants.outsider)
    page = client.get(world.flag_b.get_absolute_url()).content.decode()
    assert "CVE-2026-0002" in page and "CVE-2026-0001" not in page
