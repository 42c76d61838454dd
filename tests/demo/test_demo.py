"""``manage.py load_demo``: the demo world it builds, and that building it twice changes nothing."""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import Count, Model
from django.test import Client
from django.urls import reverse

from advisories.choices import AdvisoryKind, AdvisoryStatus, ReferenceCategory
from advisories.models import Advisory, AffectedTarget
from demo.builder import organization_items
from demo.organizations import ORGANIZATIONS
from orgs.choices import ItemSource, Role
from orgs.models import InventoryItem, Membership, Organization, User
from vendors.models import Product, Vendor

# The rows of shared/reference/real-advisories.md: date, issuer (source slug and a word of its
# name), kind.
REAL_ADVISORIES = [
    (datetime.date(2017, 9, 13), "us-dhs-cisa", "DHS", AdvisoryKind.PROHIBITION),
    (datetime.date(2017, 12, 12), "us-congress", "Congress", AdvisoryKind.PROHIBITION),
    (datetime.date(2018, 6, 13), "european-parliament", "Parliament", AdvisoryKind.INFORMATIONAL),
    (datetime.date(2021, 3, 12), "us-fcc", "FCC", AdvisoryKind.PROHIBITION),
    (datetime.date(2022, 3, 15), "bsi", "BSI", AdvisoryKind.VENDOR_WARNING),
    (datetime.date(2022, 3, 15), "csirt-italia-acn", "CSIRT Italia", AdvisoryKind.VENDOR_WARNING),
    (datetime.date(2022, 3, 25), "us-fcc", "FCC", AdvisoryKind.PROHIBITION),
    (datetime.date(2022, 4, 21), "csirt-italia-acn", "ACN", AdvisoryKind.PROHIBITION),
    (datetime.date(2024, 6, 20), "us-commerce-bis", "BIS", AdvisoryKind.PROHIBITION),
]


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def printed_logins(output: str) -> list[tuple[str, str]]:
    """(username, password) from the table the command prints last."""
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["username", "password"])
    return [tuple(line.split(None, 2)[:2]) for line in lines[header + 1 :] if line.strip()]  # type: ignore[misc]


def database_snapshot() -> dict[str, Any]:
    """Every row of every table, by primary key: any insert, update or delete shows."""
    snapshot: dict[str, Any] = {}
    for model in apps.get_models(include_auto_created=True):
        fields = [field.attname for field in model._meta.concrete_fields]
        rows = model._default_manager.order_by("pk").values_list(*fields)
        snapshot[model._meta.label] = list(rows)
    return snapshot


@pytest.mark.django_db
def test_load_demo_builds_the_catalogue_with_ownership_and_aliases():
    load_demo()

    assert Vendor.objects.count() >= 25
    assert Product.objects.count() >= 90
    uk = Vendor.objects.get(name="Kaspersky Labs Limited")
    assert uk.parent is not None and uk.parent.name == "AO Kaspersky Lab"
    assert uk.country == "GB" and uk.parent.country == "RU"
    kaspersky = uk.parent
    assert {"Kaspersky", "Kaspersky Lab"} <= set(kaspersky.aliases.values_list("name", flat=True))
    endpoint = kaspersky.products.get(name="Kaspersky Endpoint Security for Business")
    assert endpoint.risk_trait_count == 3
    assert {
        "Kaspersky Anti-Virus",
        "Kaspersky Internet Security",
        "Kaspersky Total Security",
        "Kaspersky Security Center",
    } <= set(kaspersky.products.values_list("name", flat=True))
    log4j = Product.objects.get(purl_name="log4j-core")
    assert (log4j.purl_type, log4j.purl_namespace) == ("maven", "org.apache.logging.log4j")


@pytest.mark.django_db
def test_every_organization_gets_a_realistic_inventory():
    load_demo()

    organizations = Organization.objects.annotate(items=Count("inventory_items"))
    assert organizations.count() >= 12
    for organization in organizations:
        assert 50 <= organization.items <= 500, organization
    assert {o.criticality_tier for o in organizations} >= {
        "critical_infrastructure",
        "special_interest",
        "standard",
    }
    items = InventoryItem.objects.all()
    assert not items.exclude(source=ItemSource.DEMO).exists()
    assert items.filter(version="").exists()
    assert items.filter(product=None).exists()
    # Misspellings and in-house tools stay unresolved for the reconciliation page ...
    for raw_vendor in ("Kasperski", "Acme Corp"):
        assert items.filter(raw_vendor=raw_vendor).exists()
        assert not items.filter(raw_vendor=raw_vendor, product__isnull=False).exists()
    # ... while aliases and purls resolve, and the derived keys are filled in.
    kaspersky_orgs = items.filter(product__vendor__name="AO Kaspersky Lab").values("organization")
    assert kaspersky_orgs.distinct().count() >= 4
    resolved_by_alias = items.get(
        organization__slug="stadtwerke-nordhafen", external_ref="demo-stadtwerke-nordhafen-0001"
    )
    assert resolved_by_alias.product.name == "Kaspersky Endpoint Security for Business"
    assert resolved_by_alias.version_key
    by_purl = items.filter(purl__startswith="pkg:maven/org.apache.logging.log4j/log4j-core@")
    assert by_purl.filter(version="2.14.1").exists() and by_purl.filter(version="2.17.1").exists()
    assert not by_purl.filter(product=None).exists()
    assert not by_purl.filter(purl_name="").exists()
    assert items.filter(product__vendor__name__startswith="Hangzhou Hikvision").exists()


@pytest.mark.django_db
def test_every_real_advisory_is_published_with_issuer_date_and_reference():
    load_demo()

    for issued_on, source_slug, issuer, kind in REAL_ADVISORIES:
        advisory = Advisory.objects.get(source__slug=source_slug, issued_on=issued_on, kind=kind)
        assert issuer in advisory.source.name
        assert advisory.status == AdvisoryStatus.PUBLISHED
        assert advisory.published_at is not None
        assert advisory.summary
        assert advisory.references.filter(category=ReferenceCategory.SELF).exists()
        assert advisory.targets.exists()
    bsi = Advisory.objects.get(source__slug="bsi")
    assert set(bsi.audience_tiers) == {"critical_infrastructure", "special_interest"}
    bod = Advisory.objects.get(identifier="BOD-17-01")
    assert bod.action_deadline == datetime.date(2017, 12, 12)
    bis = Advisory.objects.get(source__slug="us-commerce-bis")
    assert bis.action_deadline == datetime.date(2024, 9, 29)
    assert "2024-07-20" in bis.action_details


@pytest.mark.django_db
def test_advisory_targets_cover_every_kind_and_all_compile():
    load_demo()

    targets = AffectedTarget.objects.all()
    assert set(targets.values_list("kind", flat=True)) == {
        "vendor",
        "product",
        "product_range",
        "cpe",
        "purl",
        "jurisdiction",
    }
    assert not targets.filter(needs_review=True).exists(), list(
        targets.filter(needs_review=True).values_list("review_reason", flat=True)
    )
    assert targets.filter(is_exclusion=True).exists()
    # Ranges are compiled into intervals, and the CPE target keeps the NVD bounds.
    for target in targets.filter(kind__in=["product_range", "purl", "cpe"]):
        assert target.intervals.exists(), target
    fortios = targets.get(kind="cpe", version_end_including="7.0.6")
    assert (fortios.cpe_vendor, fortios.cpe_product) == ("fortinet", "fortios")
    assert (
        targets.filter(
            kind="vendor", vendor__name="AO Kaspersky Lab", include_subsidiaries=True
        ).count()
        >= 5
    )
    assert targets.filter(kind="jurisdiction", country="RU").exists()
    log4shell = Advisory.objects.get(identifier="CVE-2021-44228")
    assert log4shell.cves.filter(cve_id="CVE-2021-44228").exists()
    assert log4shell.targets.filter(
        kind="purl", version_range="vers:maven/>=2.0-beta9|<2.15.0"
    ).exists()
    drafts = Advisory.objects.filter(status=AdvisoryStatus.DRAFT)
    assert drafts.count() == 1 and drafts.get().targets.exists()


@pytest.mark.django_db
def test_demo_users_hold_one_role_each():
    load_demo()

    assert User.objects.get(username="admin").is_superuser
    editor = User.objects.get(username="editor")
    assert editor.is_advisory_editor and editor.is_staff and not editor.is_superuser
    assert User.objects.get(username="analyst").is_global_analyst
    roles = dict(
        Membership.objects.filter(organization__slug="stadtwerke-nordhafen").values_list(
            "user__username", "role"
        )
    )
    assert roles == {
        "owner": Role.OWNER,
        "orgadmin": Role.ADMIN,
        "member": Role.ANALYST,
        "viewer": Role.VIEWER,
    }
    hospital = User.objects.get(username="hospital")
    assert list(hospital.organizations.values_list("slug", flat=True)) == ["klinikum-lindenau"]


@pytest.mark.django_db(transaction=True)
def test_second_run_changes_nothing():
    """Committed for real, so that whatever runs after commit (the matcher) runs too."""
    first = load_demo()
    assert "Created" in first
    before = database_snapshot()
    assert before["orgs.InventoryItem"] and before["advisories.Advisory"]

    second = load_demo()

    assert "nothing to do" in second
    after = database_snapshot()
    assert {label: len(rows) for label, rows in after.items()} == {
        label: len(rows) for label, rows in before.items()
    }
    for label, rows in before.items():
        assert after[label] == rows, f"{label} changed on the second run"


@pytest.mark.django_db
def test_a_deleted_item_comes_back_and_nothing_else_changes():
    load_demo()
    InventoryItem.objects.filter(external_ref="demo-klinikum-lindenau-0003").delete()

    output = load_demo()

    assert "1  inventory items" in output
    assert "vendors" not in output.split("Demo logins")[0]
    assert InventoryItem.objects.filter(external_ref="demo-klinikum-lindenau-0003").exists()


@pytest.mark.django_db
def test_refuses_in_production_unless_forced(settings):
    settings.DJANGO_ENV = "production"

    with pytest.raises(CommandError, match="production"):
        load_demo()
    assert not Vendor.objects.exists()

    load_demo("--force")
    assert Vendor.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_loading_logs_nothing_but_warnings_before_the_logins(caplog):
    """``make run`` ends with the demo logins: the in-process tasks' INFO lines (some sixty
    of them) must not bury them."""
    caplog.set_level(logging.INFO)
    output = load_demo()
    assert "Demo logins" in output
    assert [r.getMessage() for r in caplog.records if r.levelno < logging.WARNING] == []
    # Logging works as before once the load is done.
    logging.getLogger("celery.app.trace").info("after the load")
    assert caplog.records[-1].getMessage() == "after the load"


def test_the_quick_start_database_passes_the_system_checks_without_a_warning(tmp_path):
    """``make run`` on SQLite: the checks ``migrate`` and ``runserver`` print are clean."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'quick.sqlite3'}"}
    env.pop("CELERY_BROKER_URL", None)
    checked = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout, checked.stdout + checked.stderr


@pytest.mark.django_db
def test_printed_logins_sign_in_through_the_login_form():
    logins = printed_logins(load_demo())

    assert [username for username, _ in logins] == [
        "admin",
        "editor",
        "analyst",
        "owner",
        "orgadmin",
        "member",
        "viewer",
        "hospital",
    ]
    for username, password in logins:
        assert len(password) >= 12
        client = Client()
        response = client.post(reverse("account_login"), {"login": username, "password": password})
        assert response.status_code == 302, username
        assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)


@pytest.mark.django_db
def test_demo_logins_show_isolation_and_the_editor_reaches_the_admin():
    load_demo()
    hospital = Client()
    hospital.force_login(
        User.objects.get(username="hospital"),
        backend="allauth.account.auth_backends.AuthenticationBackend",
    )
    overview = hospital.get(reverse("home")).content.decode()
    assert "Klinikum Lindenau" in overview
    assert "Stadtwerke Nordhafen" not in overview

    editor = Client()
    editor.force_login(
        User.objects.get(username="editor"),
        backend="allauth.account.auth_backends.AuthenticationBackend",
    )
    assert editor.get(reverse("admin:advisories_advisory_changelist")).status_code == 200
    assert editor.get(reverse("admin:vendors_vendor_changelist")).status_code == 200


def test_generated_inventories_are_deterministic():
    for spec in ORGANIZATIONS:
        first, second = organization_items(spec), organization_items(spec)
        assert [_item_fields(i) for i in first] == [_item_fields(i) for i in second]
        assert len({item.external_ref for item in first}) == spec.item_count


def _item_fields(item: Model) -> tuple[Any, ...]:
    return tuple(getattr(item, f) for f in ("raw_vendor", "raw_product", "version", "external_ref"))


@pytest.mark.django_db(transaction=True)
def test_the_demo_is_matched_when_it_commits_and_leaves_no_work_pending():
    """`make run` serves a world whose flags are already there (Celery runs eagerly)."""
    from exposure.models import Flag

    load_demo()

    assert not InventoryItem.objects.filter(match_requested_at__isnull=False).exists()
    assert not Advisory.objects.filter(match_requested_at__isnull=False).exists()
    kaspersky_items = InventoryItem.objects.filter(product__vendor__slug="kaspersky-lab")
    assert kaspersky_items.exists()
    bsi_warning = Advisory.objects.get(source__slug="bsi", issued_on=datetime.date(2022, 3, 15))
    flagged = set(
        Flag.objects.filter(advisory=bsi_warning, status="open").values_list("item_id", flat=True)
    )
    assert set(kaspersky_items.values_list("pk", flat=True)) <= flagged
    organizations_flagged = Flag.objects.values("organization").distinct().count()
    assert organizations_flagged >= Organization.objects.count() // 2
