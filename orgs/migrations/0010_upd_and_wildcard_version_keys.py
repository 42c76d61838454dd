"""Versions naming an "Upd" and versions with a wildcard part get the key the parser now gives.

"2017 Upd 2" now sorts as "2017 Update 2" (they are the same release), and a version with an
"x" standing alone as a part ("7.x") has no key: it names many versions, so the item can only
be a possible match of a range. Each stored one gets its new key and is marked for matching,
so that the next sweep of pending work re-matches its organization.
"""

from django.db import migrations
from django.utils import timezone

from vendors.matching.versions import version_key

# What the version parser now reads differently: the word "upd", or an "x" alone as a part.
CHANGED = r"upd|(^|[.\s_])x($|[.\s_])"


def refresh_changed_keys(apps, schema_editor):
    InventoryItem = apps.get_model("orgs", "InventoryItem")
    now = timezone.now()
    changed = []
    items = InventoryItem.objects.filter(version__iregex=CHANGED).only(
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
    dependencies = [("orgs", "0009_cpe_part")]

    operations = [
        migrations.RunPython(refresh_changed_keys, migrations.RunPython.noop, elidable=True)
    ]
