"""The advisory editor: editors only, drafts with targets, pickers, range check, publish and
withdraw with confirmation, every write audited."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from advisories.models import Advisory
from audit.models import AuditEntry
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

CREATE = reverse("advisories:advisory_create")


def _draft_data(source, vendor, **extra):
    data = {
        "source": source.pk,
        "identifier": "CSIRT-IT-2022-01",
        "title": "Assess products of Russian vendors",
        "summary": "Risk-assess products from companies linked to Russia.",
        "kind": "vendor_warning",
        "severity": "high",
        "recommended_action": "assess",
        "cve_ids": "",
        "reference_urls": "https://www.csirt.gov.it/\n",
        "audience_tiers": ["critical_infrastructure"],
        "targets-TOTAL_FORMS": "2",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
        "targets-0-kind": "vendor",
        "targets-0-vendor": vendor.pk,
        "targets-0-include_subsidiaries": "on",
        "targets-1-kind": "product_range",
        "targets-1-product": "",
        "targets-1-version_range": "",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    "url",
    [
        reverse("advisories:advisory_create"),
        reverse("advisories:range_check") + "?version_range=1.0",
        reverse("vendors:vendor_search") + "?q=kas",
        reverse("vendors:product_search") + "?q=kas",
    ],
)
def test_editor_pages_refuse_everyone_but_editors(client, world, url):
    for user in (world.tenants.owner, world.tenants.outsider):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(world.editor)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("action", ["advisory_publish", "advisory_withdraw"])
def test_publish_and_withdraw_refuse_members(client, world, action):
    client.force_login(world.tenants.owner)
    url = reverse(f"advisories:{action}", kwargs={"pk": world.warning.pk})
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x"}).status_code == 403
    world.warning.refresh_from_db()
    assert world.warning.status == "published"


def test_editor_creates_a_draft_with_targets_and_it_is_audited(client, world):
    source = SourceFactory(name="CSIRT Italia", slug="csirt-it")
    client.force_login(world.editor)
    data = _draft_data(source, world.vendor)
    # The second row was added and left blank: it is ignored.
    data.update({"targets-1-kind": "", "targets-1-product": ""})
    response = client.post(CREATE, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    advisory = Advisory.objects.get(identifier="CSIRT-IT-2022-01")
    assert advisory.status == "draft"
    assert advisory.created_by == world.editor
    assert [(t.kind, t.vendor, t.include_subsidiaries) for t in advisory.targets.all()] == [
        ("vendor", world.vendor, True)
    ]
    assert advisory.references.get().url == "https://www.csirt.gov.it/"
    assert AuditEntry.objects.filter(action="advisory.create", object_id=str(advisory.pk)).exists()


def test_target_form_requires_what_its_kind_needs(client, world):
    source = SourceFactory()
    client.force_login(world.editor)
    response = client.post(CREATE, _draft_data(source, world.vendor))
    assert response.status_code == 400
    errors = response.context["formset"].forms[1].errors
    assert "product" in errors
    assert "version_range" in errors
    assert not Advisory.objects.filter(identifier="CSIRT-IT-2022-01").exists()


def test_target_form_drops_fields_of_other_kinds(client, world):
    source = SourceFactory()
    client.force_login(world.editor)
    data = _draft_data(source, world.vendor, **{"targets-TOTAL_FORMS": "1"})
    data["targets-0-kind"] = "jurisdiction"
    data["targets-0-country"] = "RU"
    assert client.post(CREATE, data).status_code == 302
    target = Advisory.objects.get(identifier="CSIRT-IT-2022-01").targets.get()
    assert (target.kind, target.country, target.vendor) == ("jurisdiction", "RU", None)


def test_unreadable_range_is_saved_for_review(client, world):
    source = SourceFactory()
    client.force_login(world.editor)
    data = _draft_data(source, world.vendor)
    data.update({"targets-1-product": world.product.pk, "targets-1-version_range": "see bulletin"})
    assert client.post(CREATE, data).status_code == 302
    target = Advisory.objects.get(identifier="CSIRT-IT-2022-01").targets.get(kind="product_range")
    assert target.needs_review
    assert target.review_reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vers:generic/>=21.0|<21.3.10", "Read as ≥ 21 and &lt; 21.3.10"),
        ("<= 2014 R2 SP1", "Read as ≤ 2014-r2-sp1"),
        ("vers:generic/<2|>1", "check-error"),
        ("up to 4.2", "check-error"),
    ],
)
def test_range_check_shows_the_reading_or_the_error(client, world, text, expected):
    client.force_login(world.editor)
    response = client.get(reverse("advisories:range_check"), {"version_range": text})
    assert expected in response.content.decode()


@pytest.mark.parametrize(
    ("text", "caveat"),
    [
        ("<V4.12_installed_on_XY200_devices", ""),
        ("<v9.040_v8.052_v7.061", "only with the web server enabled"),
        ("vers:all/>=V2.10<V3.20", ""),
        ("< 2021 (5.3.0)", ""),
        ("see bulletin", ""),
    ],
    ids=["condition", "branches_and_typed_caveat", "vers_without_bar", "two_names", "review"],
)
def test_the_live_check_reads_as_publishing_stores(client, world, text, caveat):
    client.force_login(world.editor)
    data = _draft_data(SourceFactory(), world.vendor)
    data.update(
        {
            "targets-1-product": world.product.pk,
            "targets-1-version_range": text,
            "targets-1-caveat": caveat,
        }
    )
    check = client.get(
        reverse("advisories:range_check"),
        {"targets-1-version_range": text, "targets-1-caveat": caveat},
    ).content.decode()
    assert client.post(CREATE, data).status_code == 302

    target = Advisory.objects.get(identifier="CSIRT-IT-2022-01").targets.get(kind="product_range")
    if target.needs_review:
        assert escape(target.review_reason) in check
    else:
        assert f"Read as {escape(target.read_as)}</p>" in check
        assert target.caveat == caveat


def test_the_editor_shows_each_saved_target_as_read(client, world):
    client.force_login(world.editor)
    data = _draft_data(SourceFactory(), world.vendor, **{"targets-0-caveat": "only on-premises"})
    data.update({"targets-1-product": world.product.pk, "targets-1-version_range": "4.7.X"})
    assert client.post(CREATE, data).status_code == 302
    advisory = Advisory.objects.get(identifier="CSIRT-IT-2022-01")

    page = client.get(reverse("advisories:advisory_edit", args=[advisory.pk])).content.decode()

    assert "Read as all products — condition: only on-premises" in page
    assert "Read as ≥ 4.7.x and &lt; 4.8.x" in page


def test_vendor_search_finds_by_alias_and_fills_the_named_field(client, world):
    world.vendor.aliases.create(name="AO Kaspersky Lab")
    client.force_login(world.editor)
    response = client.get(
        reverse("vendors:vendor_search"), {"q": "AO Kasp", "target": "id_targets-0-vendor"}
    )
    assert b'data-pick-value="%d"' % world.vendor.pk in response.content
    assert b'data-pick-target="id_targets-0-vendor"' in response.content
    hostile = client.get(reverse("vendors:vendor_search"), {"q": "kas", "target": '"><x'})
    assert b'"><x' not in hostile.content


def test_publish_asks_for_confirmation_then_publishes_and_audits(client, world):
    client.force_login(world.editor)
    url = reverse("advisories:advisory_publish", kwargs={"pk": world.draft.pk})
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert b"Publish now" in confirm.content
    world.draft.refresh_from_db()
    assert world.draft.status == "draft"
    # The draft covers Kaspersky as the published warning does: the editor confirms it is no copy.
    assert client.post(url, {"not_a_duplicate": "on"}).status_code == 302
    world.draft.refresh_from_db()
    assert world.draft.status == "published"
    assert AuditEntry.objects.filter(action="advisory.publish").exists()


def test_withdraw_needs_a_reason(client, world):
    client.force_login(world.editor)
    url = reverse("advisories:advisory_withdraw", kwargs={"pk": world.warning.pk})
    assert b"Withdraw the advisory" in client.get(url).content
    assert client.post(url, {"reason": "   "}).status_code == 400
    world.warning.refresh_from_db()
    assert world.warning.status == "published"
    assert client.post(url, {"reason": "Superseded by BSI-2022-0400"}).status_code == 302
    world.warning.refresh_from_db()
    assert world.warning.status == "withdrawn"
    assert world.warning.withdrawn_reason == "Superseded by BSI-2022-0400"
    assert AuditEntry.objects.filter(action="advisory.withdraw").exists()


def test_publishing_twice_says_why_it_cannot(client, world):
    client.force_login(world.editor)
    url = reverse("advisories:advisory_publish", kwargs={"pk": world.warning.pk})
    response = client.post(url, follow=True)
    assert b"Only a draft can be published" in response.content


def _formset_from(response) -> dict[str, str]:
    """The editor's form as the page rendered it, ready to be posted back."""
    form, formset = response.context["form"], response.context["formset"]
    data: dict[str, object] = {}
    for bound_form in (form, formset.management_form, *formset.forms):
        for field in bound_form:
            value = field.value()
            if value in (None, False):
                continue
            data[field.html_name] = "on" if value is True else value
    return data


def test_editor_edits_a_draft_and_its_targets(client, world):
    client.force_login(world.editor)
    url = reverse("advisories:advisory_edit", kwargs={"pk": world.draft.pk})
    data = _formset_from(client.get(url))
    data.update({"title": "Replace Kaspersky products", "targets-0-kind": "product"})
    data["targets-0-product"] = world.product.pk
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    world.draft.refresh_from_db()
    assert world.draft.title == "Replace Kaspersky products"
    assert [(t.kind, t.product) for t in world.draft.targets.all()] == [("product", world.product)]
    assert AuditEntry.objects.filter(action="advisory.update").exists()


def test_withdrawn_advisory_cannot_be_edited(client, world):
    world.warning.status = "withdrawn"
    world.warning.withdrawn_at = world.warning.published_at
    world.warning.save()
    client.force_login(world.editor)
    url = reverse("advisories:advisory_edit", kwargs={"pk": world.warning.pk})
    assert client.get(url).status_code == 302


def test_impact_preview_shows_what_unsaved_targets_would_flag_and_keeps_nothing(client, world):
    client.force_login(world.editor)
    source = SourceFactory()
    data = _draft_data(source, world.vendor, **{"targets-TOTAL_FORMS": "1"})
    advisories_before = Advisory.objects.count()
    response = client.post(reverse("advisories:impact_preview"), data)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.organization_count == 2
    assert preview.item_count == 2
    assert b'data-testid="preview-organizations">2<' in response.content
    assert Advisory.objects.count() == advisories_before


def test_impact_preview_of_a_member_is_refused(client, world):
    client.force_login(world.tenants.owner)
    data = _draft_data(SourceFactory(), world.vendor, **{"targets-TOTAL_FORMS": "1"})
    assert client.post(reverse("advisories:impact_preview"), data).status_code == 403


def test_publish_confirmation_previews_the_drafts_impact(client, world):
    client.force_login(world.editor)
    response = client.get(reverse("advisories:advisory_publish", kwargs={"pk": world.draft.pk}))
    assert response.context["preview"].organization_count == 2
    assert b"Stadtwerke Alpha" in response.content
