"""Indexes of an organization's flags in the lists' order, and of active flags by vendor."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("exposure", "0005_flag_product_vendor")]

    operations = [
        migrations.AddIndex(
            model_name="flag",
            index=models.Index(
                fields=["organization", "-priority", "due_date", "id"],
                name="flag_org_priority_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="flag",
            index=models.Index(
                fields=["vendor", "organization", "status"], name="flag_vendor_org_idx"
            ),
        ),
    ]
