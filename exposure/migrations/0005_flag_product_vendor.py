"""Flags record their item's product and vendor.

The backfill copies each flag's item's current product and that product's vendor, which is
what the matcher writes from now on. It is plain SQL that PostgreSQL and SQLite both run. The
indexes come in the next migration: PostgreSQL refuses to build an index in the transaction
that has just updated the table's deferred foreign keys, and without them the backfill does
not maintain them row by row.
"""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL_PRODUCT = """
UPDATE exposure_flag SET product_id = (
    SELECT i.product_id FROM orgs_inventoryitem i WHERE i.id = exposure_flag.item_id
)
WHERE item_id IS NOT NULL
"""
BACKFILL_VENDOR = """
UPDATE exposure_flag SET vendor_id = (
    SELECT p.vendor_id FROM vendors_product p WHERE p.id = exposure_flag.product_id
)
WHERE product_id IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("exposure", "0004_drop_duplicate_flag_indexes"),
        ("orgs", "0004_import_job_counts"),
        ("vendors", "0002_match_requested"),
    ]

    operations = [
        migrations.AddField(
            model_name="flag",
            name="product",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="vendors.product",
            ),
        ),
        migrations.AddField(
            model_name="flag",
            name="vendor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="vendors.vendor",
            ),
        ),
        migrations.RunSQL(BACKFILL_PRODUCT, migrations.RunSQL.noop),
        migrations.RunSQL(BACKFILL_VENDOR, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="matchrun",
            name="flags_updated",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Flags whose confidence, priority, due date, label or product changed.",
            ),
        ),
    ]
