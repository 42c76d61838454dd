"""The inventory's listing index carries each item's environment and criticality (PostgreSQL;
other databases build it as before), so a page filtered by them is found in the index alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0007_item_unique_external_ref"),
        ("vendors", "0002_match_requested"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="inventoryitem",
            name="item_org_listing_idx",
        ),
        migrations.AddIndex(
            model_name="inventoryitem",
            index=models.Index(
                fields=["organization", "raw_vendor", "raw_product", "version", "id"],
                include=("environment", "criticality"),
                name="item_org_listing_idx",
            ),
        ),
    ]
