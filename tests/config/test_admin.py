"""Every model in the admin opens for a superuser: its list (also searched) and its add page."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import UserFactory

REGISTRY = sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label)


def _label(pair):
    return pair[0]._meta.label


@pytest.fixture
def superuser_client(client, db):
    user = UserFactory(username="root-admin", is_staff=True, is_superuser=True)
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    return client


@pytest.mark.parametrize("entry", REGISTRY, ids=_label)
def test_changelist_answers_200(superuser_client, entry):
    model, model_admin = entry
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert superuser_client.get(url).status_code == 200
    if model_admin.search_fields:
        assert superuser_client.get(url, {"q": "kaspersky"}).status_code == 200


@pytest.mark.parametrize("entry", REGISTRY, ids=_label)
def test_add_page_answers_200_or_is_deliberately_closed(superuser_client, entry):
    model, model_admin = entry
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    request = RequestFactory().get(url)
    request.user = UserFactory.build(is_superuser=True, is_active=True)
    expected = 200 if model_admin.has_add_permission(request) else 403
    assert superuser_client.get(url).status_code == expected


def test_every_model_of_our_apps_is_in_the_admin():
    """Registered, or shown as an inline of a registered model (attempts on their delivery)."""
    from django.apps import apps

    ours = {"vendors", "advisories", "orgs", "exposure", "audit", "notifications"}
    inlined = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    missing = [
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in ours and m not in admin.site._registry and m not in inlined
    ]
    assert missing == []


def test_cve_and_reference_edits_in_the_admin_add_advisory_revisions(superuser_client):
    from advisories.models import AdvisoryReference
    from tests.factories import PublishedAdvisoryFactory

    first, second = PublishedAdvisoryFactory(), PublishedAdvisoryFactory()

    def summaries(advisory):
        return list(advisory.revisions.order_by("number").values_list("summary", flat=True))

    response = superuser_client.post(
        reverse("admin:advisories_advisorycve_add"),
        {"advisory": first.pk, "cve_id": "CVE-2026-40001"},
    )
    assert response.status_code == 302
    cve = first.cves.get()
    assert summaries(first) == ["CVE added in the admin: CVE-2026-40001."]

    response = superuser_client.post(
        reverse("admin:advisories_advisorycve_delete", args=[cve.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert summaries(first)[-1] == "CVE removed in the admin: CVE-2026-40001."

    reference = AdvisoryReference.objects.create(
        advisory=first, url="https://example.org/advisory", summary="Vendor notice"
    )
    url = reverse("admin:advisories_advisoryreference_change", args=[reference.pk])
    moved = {
        "advisory": second.pk,
        "url": reference.url,
        "summary": reference.summary,
        "category": reference.category,
    }
    response = superuser_client.post(url, moved)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert summaries(second) == ["Reference changed in the admin: Vendor notice."]
    assert summaries(first)[-1] == f"Reference moved to {second.identifier}: Vendor notice."
    # Posting the page back unchanged records nothing.
    assert superuser_client.post(url, moved).status_code == 302
    assert len(summaries(second)) == 1
