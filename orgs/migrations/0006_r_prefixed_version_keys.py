"""Versions written with an "R" before the number (firmware "R1.30.0") now have a key.

Until now such a version had none: the item could only ever be a "possible" match of a
version range. This gives every stored one its key and marks the item for matching, so that
the next sweep of pending work re-matches its organization.
"""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

from vendors.matching.versions import version_key

# What the version parser now reads as a prefix (versions with "v" already had keys).
R_PREFIXED = r"^\s*(r|rel\.?|release)\s*[0-9]"


def refresh_r_prefixed_keys(apps, schema_editor):
    InventoryItem = apps.get_model("orgs", "InventoryItem")
    now = timezone.now()
    changed = []
    items = InventoryItem.objects.filter(Q(version__iregex=R_PREFIXED)).only(
        "pk", "version", "purl_type", "version_key"
    )
    for item in items.iterator(chunk_size=2000):
        key = version_key(item.version, scheme=item.purl_type or None)
        if key != item.version_key:
            item.version_key = key
            item.match_requested_at = now
            changed.append(item)
    InventoryItem.objects.bulk_update(
        changed, ["version_key", "match_requested_at"], batch_size=2000
    )


class Migration(migrations.Migration):
    dependencies = [("orgs", "0005_item_org_listing_index")]

    operations = [
        migrations.RunPython(refresh_r_prefixed_keys, migrations.RunPython.noop, elidable=True)
    ]
