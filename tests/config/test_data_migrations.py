"""Data migrations that bring stored rows up to a newer parser, run on rows in the old state.

Each migration's function is called with the current app registry on rows written as the
previous code stored them (no key for an "R" version; a range naming an "R" release waiting
for review; no CPE parts; prose keyed into a range; a possible flag without its reason), and
must leave them as the current code would write them, marked for matching.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from advisories.choices import TargetKind
from advisories.feeds.kev import NO_VERSIONS_CAVEAT
from advisories.models import Advisory, AffectedTarget, TargetInterval
from advisories.services import advisory_publish, target_compile
from audit.models import AuditEntry
from audit.services import audit_record
from exposure.models import Flag
from exposure.services import advisories_match
from orgs.models import InventoryItem
from tests.api.factories import FlagFactory
from tests.factories import (
    AdvisoryFactory,
    AffectedTargetFactory,
    InventoryItemFactory,
    ProductFactory,
    PublishedAdvisoryFactory,
)
from vendors.matching.versions import version_key
from vendors.models import Product

pytestmark = pytest.mark.django_db

audit_migration = importlib.import_module("audit.migrations.0003_entry_advisory")
items_migration = importlib.import_module("orgs.migrations.0006_r_prefixed_version_keys")
ranges_migration = importlib.import_module("advisories.migrations.0005_r_prefixed_ranges")


def test_items_with_r_prefixed_versions_get_their_key_and_are_marked_for_matching():
    firmware = InventoryItemFactory(version="R1.29.0")
    release = InventoryItemFactory(version="Release 2.1")
    plain = InventoryItemFactory(version="1.29.0")
    vendor_word = InventoryItemFactory(version="2014 R2")
    # As the previous code stored them: no key for the "R" ones, nothing pending.
    InventoryItem.objects.filter(pk__in=[firmware.pk, release.pk]).update(version_key=None)
    InventoryItem.objects.update(match_requested_at=None)

    items_migration.refresh_r_prefixed_keys(apps, None)

    rows = {
        row.pk: row
        for row in InventoryItem.objects.filter(
            pk__in=[firmware.pk, release.pk, plain.pk, vendor_word.pk]
        )
    }
    assert rows[firmware.pk].version_key == version_key("1.29.0") == rows[plain.pk].version_key
    assert rows[release.pk].version_key == version_key("2.1")
    assert rows[firmware.pk].match_requested_at is not None
    assert rows[release.pk].match_requested_at is not None
    # Rows whose key did not change are left alone.
    assert rows[plain.pk].match_requested_at is None
    assert rows[vendor_word.pk].match_requested_at is None


def _waiting_target(advisory: Advisory, version_range: str) -> AffectedTarget:
    target = AffectedTargetFactory(
        advisory=advisory,
        kind=TargetKind.PRODUCT_RANGE,
        vendor=None,
        product=ProductFactory(),
        version_range=version_range,
    )
    # As the previous code stored it: waiting for review, no intervals.
    TargetInterval.objects.filter(target=target).delete()
    AffectedTarget.objects.filter(pk=target.pk).update(
        needs_review=True, review_reason="'R1.30.0' is not a recognisable version or range"
    )
    return target


def test_ranges_naming_r_releases_are_parsed_again_and_their_advisory_marked():
    published = PublishedAdvisoryFactory()
    draft = AdvisoryFactory()
    ranged = _waiting_target(published, "< R1.30.0")
    drafted = _waiting_target(draft, ">= R2 | <= R2.4")
    still_bad = _waiting_target(published, "Release train Q3")
    Advisory.objects.update(match_requested_at=None)

    ranges_migration.reparse_r_prefixed_ranges(apps, None)

    ranged.refresh_from_db()
    assert (ranged.needs_review, ranged.review_reason) == (False, "")
    migrated = list(ranged.intervals.values_list("lower", "upper", "upper_inclusive"))
    # The same intervals the current code compiles from the text.
    assert migrated == list(
        target_compile(target=ranged).intervals.values_list("lower", "upper", "upper_inclusive")
    )
    assert migrated == [(None, version_key("1.30.0"), False)]
    drafted.refresh_from_db()
    assert not drafted.needs_review and drafted.intervals.count() == 1
    still_bad.refresh_from_db()
    assert still_bad.needs_review and not still_bad.intervals.exists()
    # Only the published advisory waits for matching; a draft matches nothing yet.
    published.refresh_from_db()
    draft.refresh_from_db()
    assert published.match_requested_at is not None
    assert draft.match_requested_at is None


parts_migration = importlib.import_module("exposure.migrations.0008_cpe_parts")
ANY8 = ":*:*:*:*:*:*:*:*"


def _cpe_target(advisory: Advisory, cpe: str, **fields: object) -> AffectedTarget:
    return target_compile(
        target=AffectedTarget(advisory=advisory, kind=TargetKind.CPE, cpe=cpe, **fields)
    )


def _as_before_parts_were_stored() -> None:
    InventoryItem.objects.update(cpe_part="", match_requested_at=None)
    AffectedTarget.objects.update(cpe_part="")
    Product.objects.filter(cpe_part__in=["a", "o"]).update(cpe_part="")
    Advisory.objects.update(match_requested_at=None)


def test_cpe_parts_are_filled_in_and_advisories_naming_a_part_are_marked():
    fortios = ProductFactory(cpe_vendor="fortinet", cpe_product="fortios")
    kes = ProductFactory(cpe_vendor="kaspersky", cpe_product="endpoint_security")
    kernel = ProductFactory(cpe_vendor="linux", cpe_product="linux_kernel")
    nobody = ProductFactory(cpe_vendor="acme", cpe_product="widget")
    stated = ProductFactory(cpe_part="h", cpe_vendor="fortinet", cpe_product="fortigate")
    own = {
        "kes": InventoryItemFactory(cpe=f"cpe:2.3:a:kaspersky:endpoint_security:11.1{ANY8[2:]}"),
        "kernel": InventoryItemFactory(cpe=f"cpe:2.3:a:linux:linux_kernel:6.1{ANY8[2:]}"),
        "open": InventoryItemFactory(cpe=f"cpe:2.3:*:acme:widget:1.0{ANY8[2:]}"),
        "gate": InventoryItemFactory(cpe=f"cpe:2.3:o:fortinet:fortigate:7.2{ANY8[2:]}"),
    }
    published = PublishedAdvisoryFactory()
    any_part = PublishedAdvisoryFactory()
    waiting = PublishedAdvisoryFactory()
    draft = AdvisoryFactory()
    vendor_only = PublishedAdvisoryFactory()
    targets = {
        "os": _cpe_target(published, f"cpe:2.3:o:fortinet:fortios{ANY8}"),
        "kernel": _cpe_target(published, f"cpe:2.3:o:linux:linux_kernel{ANY8}"),
        "any": _cpe_target(any_part, f"cpe:2.3:*:kaspersky:endpoint_security{ANY8}"),
        "review": _cpe_target(waiting, f"cpe:2.3:a:acme:gadget{ANY8}", version_end_excluding="x"),
        "draft": _cpe_target(draft, f"cpe:2.3:a:kaspersky:endpoint_security{ANY8}"),
    }
    AffectedTargetFactory(advisory=vendor_only)
    assert targets["review"].needs_review
    _as_before_parts_were_stored()

    parts_migration.fill_cpe_parts(apps, None)

    parts = dict(InventoryItem.objects.values_list("pk", "cpe_part"))
    assert {name: parts[item.pk] for name, item in own.items()} == {
        "kes": "a",
        "kernel": "a",
        "open": "",
        "gate": "o",
    }
    parts = dict(AffectedTarget.objects.values_list("pk", "cpe_part"))
    assert {name: parts[target.pk] for name, target in targets.items()} == {
        "os": "o",
        "kernel": "o",
        "any": "",
        "review": "a",
        "draft": "a",
    }
    parts = dict(Product.objects.values_list("pk", "cpe_part"))
    # Named as an operating system only; as an application by an item and a draft alike;
    # as an application and an operating system (so not known); by no name with a part;
    # stated by an editor, which an item's name does not overrule.
    assert [parts[p.pk] for p in (fortios, kes, kernel, nobody, stated)] == ["o", "a", "", "", "h"]
    marked = set(Advisory.objects.exclude(match_requested_at=None).values_list("pk", flat=True))
    assert marked == {published.pk}


def test_after_the_cpe_parts_migration_only_flags_of_another_part_change(
    django_capture_on_commit_callbacks,
):
    fortios = ProductFactory(cpe_vendor="fortinet", cpe_product="fortios")
    by_product = InventoryItemFactory(product=fortios, version="7.2.1")
    by_name = InventoryItemFactory(
        product=None, raw_product="", cpe=f"cpe:2.3:o:fortinet:fortios:7.2.1{ANY8[2:]}"
    )
    misfiled = InventoryItemFactory(
        product=None, raw_product="", cpe=f"cpe:2.3:a:linux:linux_kernel:6.1{ANY8[2:]}"
    )
    advisory = AdvisoryFactory()
    AffectedTarget.objects.create(
        advisory=advisory, kind=TargetKind.CPE, cpe=f"cpe:2.3:o:fortinet:fortios{ANY8}"
    )
    AffectedTarget.objects.create(
        advisory=advisory, kind=TargetKind.CPE, cpe=f"cpe:2.3:o:linux:linux_kernel{ANY8}"
    )
    with django_capture_on_commit_callbacks(execute=True):
        advisory_publish(advisory=advisory)
    # What the previous code stored and flagged: no parts, so every item confirmed.
    _as_before_parts_were_stored()
    Advisory.objects.filter(pk=advisory.pk).update(match_requested_at=timezone.now())
    advisories_match(advisory_ids=[advisory.pk])
    confirmed = {by_product.pk: "confirmed", by_name.pk: "confirmed", misfiled.pk: "confirmed"}
    assert _open_flags(advisory) == confirmed

    parts_migration.fill_cpe_parts(apps, None)
    advisories_match(advisory_ids=[advisory.pk])

    # The item known through its product stays confirmed: the advisory's own name gave the
    # product its part. Only the application is no longer what the advisory is about.
    assert _open_flags(advisory) == {by_product.pk: "confirmed", by_name.pk: "confirmed"}
    assert Flag.objects.get(item=misfiled).resolution_reason == "no_longer_matches"


def _open_flags(advisory: Advisory) -> dict[int, str]:
    return dict(
        Flag.objects.filter(advisory=advisory)
        .exclude(status="resolved")
        .values_list("item_id", "confidence")
    )


reread_migration = importlib.import_module("advisories.migrations.0008_reread_targets")
keys_migration = importlib.import_module("orgs.migrations.0010_upd_and_wildcard_version_keys")
reasons_migration = importlib.import_module(
    "exposure.migrations.0010_possible_reason_of_unversioned_items"
)


def _target_as_stored_before(
    advisory: Advisory, version_range: str, intervals: list[tuple[str | None, str | None]]
) -> AffectedTarget:
    """A product-range target as the previous reader stored it: these half-open intervals,
    no caveat, no ``read_as``."""
    target = AffectedTargetFactory(
        advisory=advisory,
        kind=TargetKind.PRODUCT_RANGE,
        vendor=None,
        product=ProductFactory(),
        version_range=version_range,
    )
    TargetInterval.objects.filter(target=target).delete()
    TargetInterval.objects.bulk_create(
        TargetInterval(target=target, lower=lower, upper=upper, lower_inclusive=lower is not None)
        for lower, upper in intervals
    )
    return target


def _stored(target: AffectedTarget) -> tuple[object, ...]:
    target.refresh_from_db()
    intervals = list(
        target.intervals.order_by("lower").values_list(
            "lower", "lower_inclusive", "upper", "upper_inclusive"
        )
    )
    return (target.needs_review, target.range_caveat, target.caveat, target.read_as, intervals)


def test_targets_are_read_again_with_their_caveats_and_their_advisories_marked():
    published = PublishedAdvisoryFactory()
    draft = AdvisoryFactory()
    untouched = PublishedAdvisoryFactory()
    kev = PublishedAdvisoryFactory(raw_format="cisa-kev")
    # The previous reader keyed the prose into the version: 4.12 itself was inside.
    glued = _target_as_stored_before(
        published,
        "<V4.12_installed_on_XY200_devices",
        [(None, version_key("V4.12_installed_on_XY200_devices"))],
    )
    # ... and read a vers string without its '|' as one version.
    unbarred = _target_as_stored_before(
        draft, "vers:all/>=V2.10<V3.20", [(version_key("2.10.3.20"), None)]
    )
    plain = _target_as_stored_before(untouched, "< 2.0", [(None, version_key("2.0"))])
    kev_target = AffectedTargetFactory(
        advisory=kev, kind=TargetKind.PRODUCT, vendor=None, product=ProductFactory()
    )
    Advisory.objects.update(match_requested_at=None)

    reread_migration.reread_targets(apps, None)

    assert _stored(glued) == (
        False,
        "installed on XY200 devices",
        "",
        "< 4.12 — condition: installed on XY200 devices",
        [(None, False, version_key("4.12"), False)],
    )
    assert _stored(unbarred)[4] == [(version_key("2.10"), True, version_key("3.20"), False)]
    assert _stored(plain) == (False, "", "", "< 2", [(None, False, version_key("2.0"), False)])
    assert _stored(kev_target)[2:4] == (
        reread_migration.KEV_CAVEAT,
        f"all versions — condition: {reread_migration.KEV_CAVEAT}",
    )
    # What the migration stored is what compiling the target stores today.
    for target in (glued, unbarred, plain, kev_target):
        migrated = _stored(target)
        assert _stored(target_compile(target=target)) == migrated
    # Published advisories whose reading changed wait for matching; a draft matches nothing,
    # and an advisory whose targets read as before is left alone.
    marked = dict(Advisory.objects.values_list("pk", "match_requested_at"))
    assert marked[published.pk] is not None and marked[kev.pk] is not None
    assert marked[draft.pk] is None and marked[untouched.pk] is None


def test_the_kev_caveat_of_the_migration_is_the_importers():
    assert reread_migration.KEV_CAVEAT == NO_VERSIONS_CAVEAT


def test_items_naming_an_upd_or_a_wildcard_get_their_new_key_and_are_marked():
    upd = InventoryItemFactory(version="2017 Upd 2")
    wildcard = InventoryItemFactory(version="7.x")
    revision = InventoryItemFactory(version="2.3x")
    # As the previous parser keyed them: "upd" as a word of its own, "x" as a word.
    InventoryItem.objects.filter(pk=upd.pk).update(version_key="010n042017lupd.n012f")
    InventoryItem.objects.filter(pk=wildcard.pk).update(version_key="010n017lx.f")
    InventoryItem.objects.update(match_requested_at=None)

    keys_migration.refresh_changed_keys(apps, None)

    rows = {row.pk: row for row in InventoryItem.objects.all()}
    assert rows[upd.pk].version_key == version_key("2017 Update 2")
    assert rows[wildcard.pk].version_key is None
    assert rows[upd.pk].match_requested_at is not None
    assert rows[wildcard.pk].match_requested_at is not None
    # "2.3x" is a revision, keyed as before.
    assert rows[revision.pk].version_key == version_key("2.3x")
    assert rows[revision.pk].match_requested_at is None


def test_possible_flags_of_unversioned_items_say_why():
    unversioned = FlagFactory(item=InventoryItemFactory(version=""), confidence="possible")
    confirmed = FlagFactory(item=InventoryItemFactory(version="1.0"))

    reasons_migration.explain_unversioned_possible_flags(apps, None)

    unversioned.refresh_from_db()
    confirmed.refresh_from_db()
    assert unversioned.possible_reason == "version unknown"
    assert confirmed.possible_reason == ""


def test_entries_written_before_they_kept_their_advisory_get_it_from_their_object(tenants):
    flag = FlagFactory()
    other = PublishedAdvisoryFactory()

    def old(object_type: str, object_id: object) -> AuditEntry:
        # As the previous code wrote them: the object named, no advisory kept.
        return audit_record(action="old", object_type=object_type, object_id=str(object_id))

    about_flag = old("exposure.flag", flag.pk)
    about_advisory = old("advisories.advisory", other.pk)
    about_a_user = old("orgs.user", tenants.owner.pk)
    about_nothing = audit_record(action="auth.login_failed", object_repr="someone")
    assert AuditEntry.objects.filter(advisory_id__isnull=False).count() == 0

    audit_migration.advisories_fill(apps, SimpleNamespace(connection=connection))

    kept = dict(AuditEntry.objects.values_list("pk", "advisory_id"))
    assert kept[about_flag.pk] == flag.advisory_id
    assert kept[about_advisory.pk] == other.pk
    assert kept[about_a_user.pk] is None and kept[about_nothing.pk] is None
    # The trail is append-only again afterwards.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE audit_auditentry SET action = 'forged' WHERE id = %s", [about_flag.pk]
        )
