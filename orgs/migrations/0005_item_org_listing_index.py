"""An index in the inventory lists' order within an organization; it starts with the
organization, like (organization, product), so the organization's own index goes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0004_import_job_counts"),
        ("vendors", "0002_match_requested"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="inventoryitem",
            index=models.Index(
                fields=["organization", "raw_vendor", "raw_product", "version", "id"],
                name="item_org_listing_idx",
            ),
        ),
        migrations.AlterField(
            model_name="inventoryitem",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="inventory_items",
                to="orgs.organization",
            ),
        ),
    ]
