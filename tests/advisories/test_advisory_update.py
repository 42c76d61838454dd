"""Editing an advisory: targets compiled, a revision for published ones, and matching asked for."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from advisories.models import AffectedTarget
from advisories.services import advisory_publish, advisory_update
from tests.factories import AdvisoryFactory, ProductFactory, PublishedAdvisoryFactory

pytestmark = pytest.mark.django_db


def test_editing_a_published_advisory_records_a_revision_and_asks_for_matching(
    django_capture_on_commit_callbacks,
):
    advisory = PublishedAdvisoryFactory(severity="medium")
    with django_capture_on_commit_callbacks() as callbacks:
        advisory = advisory_update(advisory=advisory, data={"severity": "critical"})
    assert advisory.match_requested_at is not None
    assert advisory.revisions.get().summary == "Changed: severity."
    assert len(callbacks) == 1


def test_editing_a_draft_asks_for_nothing(django_capture_on_commit_callbacks):
    advisory = AdvisoryFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        advisory = advisory_update(advisory=advisory, data={"title": "Better title"})
    assert (advisory.title, advisory.match_requested_at) == ("Better title", None)
    assert callbacks == []
    assert not advisory.revisions.exists()


def test_replacing_targets_compiles_them(django_capture_on_commit_callbacks):
    product = ProductFactory()
    advisory = PublishedAdvisoryFactory()
    with django_capture_on_commit_callbacks():
        advisory_update(
            advisory=advisory,
            data={},
            targets=[
                {"kind": "product_range", "product": product, "version_range": "< 2.0"},
                {"kind": "product_range", "product": product, "version_range": "later ones"},
            ],
        )
    good, unparsed = advisory.targets.order_by("pk")
    assert good.intervals.count() == 1 and not good.needs_review
    assert unparsed.needs_review and not unparsed.intervals.exists()


def test_unknown_fields_are_refused():
    advisory = AdvisoryFactory()
    with pytest.raises(ValidationError):
        advisory_update(advisory=advisory, data={"status": "published"})
    with pytest.raises(ValidationError):
        advisory_update(advisory=advisory, data={}, targets=[{"kind": "vendor", "colour": "red"}])


def test_publishing_compiles_targets_saved_without_compiling(django_capture_on_commit_callbacks):
    product = ProductFactory()
    advisory = AdvisoryFactory()
    target = AffectedTarget.objects.create(
        advisory=advisory, kind="product_range", product=product, version_range="< 3"
    )
    with django_capture_on_commit_callbacks():
        advisory_publish(advisory=advisory)
    assert target.intervals.count() == 1


def test_a_purl_target_is_keyed_by_the_purls_identity():
    advisory = AdvisoryFactory()
    advisory_update(
        advisory=advisory, data={}, targets=[{"kind": "purl", "purl": "pkg:nuget/Newtonsoft.Json"}]
    )
    target = advisory.targets.get()
    assert (target.purl_type, target.purl_name) == ("nuget", "newtonsoft.json")
