"""Attestations with evidence: who may attest and review, what evidence is refused (storing
nothing), where files are kept and who may download them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from campaigns.attestations import attestation_review, attestation_submit
from campaigns.choices import AttestationStatus, CampaignEventKind
from campaigns.evidence import EvidenceFile
from campaigns.models import Attestation, Campaign, CampaignEvent, Evidence, Plan
from campaigns.services import campaign_open
from tests.campaigns.conftest import World

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def evidence_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {**settings.STORAGES["evidence"], "OPTIONS": {"location": root}},
    }
    return root


@pytest.fixture
def campaign(world: World) -> Campaign:
    return campaign_open(advisory=world.advisory, user=world.analyst)


def plan_of(campaign: Campaign, organization: Any) -> Plan:
    return Plan.objects.get(campaign=campaign, organization=organization)


def attest(
    world: World, campaign: Campaign, *files: EvidenceFile, key: str = "identify"
) -> Attestation:
    return attestation_submit(
        plan=plan_of(campaign, world.tenants.org_a),
        milestone=campaign.milestones.get(key=key),
        user=world.tenants.owner,
        statement="Three Kaspersky clients found at the plant.",
        files=list(files),
    )


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_an_admin_attests_with_evidence_kept_outside_the_web_root(
    world: World, campaign: Campaign, evidence_root: Path
) -> None:
    attestation = attest(world, campaign, EvidenceFile("inventory-scan.pdf", PDF))

    evidence = attestation.evidence.get()
    assert evidence.name == "inventory-scan.pdf"
    assert evidence.content_type == "application/pdf"
    assert evidence.size == len(PDF)
    (path,) = stored_files(evidence_root)
    assert path.read_bytes() == PDF
    assert "inventory-scan" not in path.name  # the uploaded name is never a path
    assert not str(path).startswith(str(settings.STATIC_ROOT))
    event = CampaignEvent.objects.get(kind=CampaignEventKind.ATTESTED)
    assert event.data["evidence"] == ["inventory-scan.pdf"]
    assert AuditEntry.objects.filter(
        action="campaign.attest", organization_id=world.tenants.org_a.pk
    ).exists()


@pytest.mark.parametrize(
    "upload, message",
    [
        (EvidenceFile("removal.exe", b"MZ\x90\x00"), "evidence may be"),
        (EvidenceFile("removal.pdf", b"MZ\x90\x00 not a pdf"), "not a PDF"),
        (EvidenceFile("../../etc/removal.pdf", PDF), "path characters"),
        (EvidenceFile("..\\removal.pdf", PDF), "path characters"),
        (EvidenceFile("removal.pdf", b""), "empty"),
    ],
)
def test_bad_evidence_is_refused_by_name_and_nothing_is_stored(
    world: World, campaign: Campaign, evidence_root: Path, upload: EvidenceFile, message: str
) -> None:
    good = EvidenceFile("scan.pdf", PDF)

    with pytest.raises(ValidationError, match=message) as error:
        attest(world, campaign, good, upload)

    assert "evidence" in error.value.message_dict
    assert not Attestation.objects.exists()
    assert not Evidence.objects.exists()
    assert stored_files(evidence_root) == []
    assert not CampaignEvent.objects.filter(kind=CampaignEventKind.ATTESTED).exists()


def test_oversized_evidence_is_refused_with_the_limit(
    world: World, campaign: Campaign, evidence_root: Path, settings: Any
) -> None:
    settings.CAMPAIGN_EVIDENCE_MAX_BYTES = 1000

    with pytest.raises(ValidationError, match="larger than 1,000 bytes"):
        attest(world, campaign, EvidenceFile("big.pdf", PDF + b"0" * 1000))

    assert stored_files(evidence_root) == []
    assert not Attestation.objects.exists()


def test_only_an_admin_of_the_organization_attests(world: World, campaign: Campaign) -> None:
    plan = plan_of(campaign, world.tenants.org_a)
    for user in (world.tenants.viewer, world.tenants.analyst, world.tenants.outsider):
        with pytest.raises(PermissionDenied):
            attestation_submit(
                plan=plan, milestone=campaign.milestones.first(), user=user, statement="Done."
            )


def test_an_analyst_returns_with_a_reason_and_the_admin_attests_anew(
    world: World, campaign: Campaign
) -> None:
    first = attest(world, campaign)
    with pytest.raises(ValidationError, match="already submitted, awaiting review"):
        attest(world, campaign)
    with pytest.raises(ValidationError, match="Say why"):
        attestation_review(attestation=first, user=world.analyst, accept=False)

    attestation_review(
        attestation=first, user=world.analyst, accept=False, reason="Attach the scan report."
    )
    second = attest(world, campaign, EvidenceFile("scan.pdf", PDF))
    attestation_review(attestation=second, user=world.tenants.analyst, accept=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.review_reason) == (
        AttestationStatus.RETURNED,
        "Attach the scan report.",
    )
    assert second.status == AttestationStatus.ACCEPTED
    kinds = list(
        CampaignEvent.objects.filter(organization=world.tenants.org_a).values_list(
            "kind", flat=True
        )
    )
    assert kinds == ["attested", "returned", "attested", "accepted"]
    assert AuditEntry.objects.filter(action="campaign.attestation_return").exists()
    assert AuditEntry.objects.filter(action="campaign.attestation_accept").exists()


def test_nobody_reviews_their_own_attestation_nor_an_outsider_any(
    world: World, campaign: Campaign
) -> None:
    attestation = attest(world, campaign)

    with pytest.raises(PermissionDenied, match="someone other"):
        attestation_review(attestation=attestation, user=world.tenants.owner, accept=True)
    with pytest.raises(PermissionDenied):
        attestation_review(attestation=attestation, user=world.tenants.outsider, accept=True)
    with pytest.raises(PermissionDenied):
        attestation_review(attestation=attestation, user=world.tenants.viewer, accept=True)


def test_evidence_is_downloaded_by_its_organization_and_404_for_another(
    world: World, campaign: Campaign
) -> None:
    evidence = attest(world, campaign, EvidenceFile("scan.pdf", PDF)).evidence.get()
    url = reverse("campaigns:evidence_download", args=[evidence.pk])

    client = Client()
    client.force_login(world.tenants.viewer)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"

    client.force_login(world.tenants.outsider)
    assert client.get(url).status_code == 404
    client.force_login(world.analyst)
    assert client.get(url).status_code == 200
