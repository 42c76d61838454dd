"""Within an organization and source, no two inventory items may have the same external
reference (a non-empty one): it names one asset of the system it comes from.

Items added one by one and imports have refused such repeats since before this; the constraint
also holds when two writers race. Should a database still have repeats from before, this
migration changes nothing and stops, naming the command that lists them: which item keeps the
reference is for someone who knows the assets to decide, not for a migration.
"""

from django.db import migrations, models

from orgs.selectors import shared_external_refs


def refuse_shared_references(apps, schema_editor):
    InventoryItem = apps.get_model("orgs", "InventoryItem")
    shared = shared_external_refs(InventoryItem.objects.using(schema_editor.connection.alias))
    if shared:
        raise RuntimeError(
            f"{len(shared)} external reference(s) are held by more than one inventory item of "
            "the same organization and source, so they cannot be made unique. List them with "
            "`python manage.py inventory_shared_refs`, give each item its own reference or "
            "delete the extra items, and migrate again. Nothing has been changed."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0006_r_prefixed_version_keys"),
        ("vendors", "0002_match_requested"),
    ]

    operations = [
        migrations.RunPython(refuse_shared_references, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="inventoryitem",
            constraint=models.UniqueConstraint(
                condition=models.Q(("external_ref", ""), _negated=True),
                fields=("organization", "source", "external_ref"),
                name="item_unique_external_ref",
            ),
        ),
    ]
