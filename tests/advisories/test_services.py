"""Advisory writes: creating drafts, compiling targets, publishing and withdrawing."""

import pytest
from django.core.exceptions import ValidationError

from advisories.choices import AdvisoryStatus, TargetKind
from advisories.models import Advisory
from advisories.services import (
    AdvisoryStateError,
    advisory_create,
    advisory_publish,
    advisory_withdraw,
    target_compile,
)
from audit.models import AuditEntry
from tests.factories import (
    AdvisoryFactory,
    AffectedTargetFactory,
    ProductFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _intervals(target):
    return [
        (i.lower, i.lower_inclusive, i.upper, i.upper_inclusive) for i in target.intervals.all()
    ]


def test_create_makes_a_draft_with_compiled_targets_cves_and_a_revision():
    editor = UserFactory(is_advisory_editor=True)
    product = ProductFactory()
    advisory = advisory_create(
        user=editor,
        source=SourceFactory(),
        identifier="VW-2026-0001",
        title="Replace it",
        kind="vendor_warning",
        targets=[{"kind": TargetKind.PRODUCT_RANGE, "product": product, "version_range": "< 2.0"}],
        cve_ids=["cve-2024-3400", "CVE-2024-3400"],
        references=[{"url": "https://example.org/advisory", "summary": "Issuer page"}],
    )
    assert advisory.status == AdvisoryStatus.DRAFT
    assert list(advisory.cves.values_list("cve_id", flat=True)) == ["CVE-2024-3400"]
    target = advisory.targets.get()
    assert not target.needs_review
    assert len(_intervals(target)) == 1
    assert advisory.revisions.get().summary == "Created."
    assert AuditEntry.objects.filter(action="advisory.create", actor_id=editor.pk).exists()


def test_create_rejects_a_bad_cve_id_and_stores_nothing():
    with pytest.raises(ValidationError) as error:
        advisory_create(
            source=SourceFactory(),
            identifier="VW-X",
            title="t",
            kind="vulnerability",
            cve_ids=["CVE-24-1"],
        )
    assert "cve_id" in error.value.message_dict
    assert not Advisory.objects.filter(identifier="VW-X").exists()


@pytest.mark.parametrize(
    ("version_range", "needs_review"),
    [
        ("vers:generic/>=21.0|<21.3.10", False),
        ("<= 2014 R2 SP1", False),
        ("all versions", False),
        ("see vendor website", True),
        ("vers:generic/>=2.0|>=1.0", True),
    ],
)
def test_unparseable_ranges_mark_the_target_for_review_and_match_nothing(
    version_range, needs_review
):
    target = AffectedTargetFactory(
        kind=TargetKind.PRODUCT_RANGE,
        vendor=None,
        product=ProductFactory(),
        version_range=version_range,
    )
    target_compile(target=target)
    assert target.needs_review is needs_review
    assert bool(target.review_reason) is needs_review
    assert (target.intervals.count() == 0) is needs_review


def test_cpe_target_with_nvd_bounds_compiles_to_one_interval():
    target = AffectedTargetFactory(
        kind=TargetKind.CPE,
        vendor=None,
        cpe="cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
        version_start_including="7.0.0",
        version_end_including="7.0.6",
    )
    target_compile(target=target)
    assert (target.cpe_vendor, target.cpe_product) == ("fortinet", "fortios")
    [(lower, lower_inc, upper, upper_inc)] = _intervals(target)
    assert lower_inc and upper_inc and lower < upper


def test_cpe_target_with_bounds_but_a_fixed_version_needs_review():
    target = AffectedTargetFactory(
        kind=TargetKind.CPE,
        vendor=None,
        cpe="cpe:2.3:o:fortinet:fortios:7.0.1:*:*:*:*:*:*:*",
        version_end_excluding="7.0.7",
    )
    target_compile(target=target)
    assert target.needs_review
    assert "bounds" in target.review_reason


def test_purl_target_takes_its_identity_and_range():
    target = AffectedTargetFactory(
        kind=TargetKind.PURL,
        vendor=None,
        purl="pkg:maven/org.apache.logging.log4j/log4j-core",
        version_range="vers:maven/>=2.0-beta9|<2.15.0",
    )
    target_compile(target=target)
    assert (target.purl_type, target.purl_namespace, target.purl_name) == (
        "maven",
        "org.apache.logging.log4j",
        "log4j-core",
    )
    assert not target.needs_review


def test_publish_then_withdraw_moves_the_status_and_keeps_history():
    advisory = AdvisoryFactory()
    advisory_publish(advisory=advisory)
    advisory.refresh_from_db()
    assert advisory.status == AdvisoryStatus.PUBLISHED and advisory.published_at
    with pytest.raises(AdvisoryStateError):
        advisory_publish(advisory=advisory)
    with pytest.raises(AdvisoryStateError):
        advisory_withdraw(advisory=advisory, reason="  ")
    advisory_withdraw(advisory=advisory, reason="Superseded by a later warning.")
    advisory.refresh_from_db()
    assert advisory.status == AdvisoryStatus.WITHDRAWN
    assert [r.summary for r in advisory.revisions.order_by("number")] == [
        "Published.",
        "Withdrawn: Superseded by a later warning.",
    ]
    assert list(
        AuditEntry.objects.filter(object_id=str(advisory.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["advisory.publish", "advisory.withdraw"]
