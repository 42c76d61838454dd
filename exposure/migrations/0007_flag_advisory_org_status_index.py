"""An advisory's flags are indexed by organization too: its flag counts among the organizations
a user sees read a narrow range of the index instead of combining two indexes. It replaces the
index on advisory and status: a lookup by advisory and status reads the advisory's range of
this one and checks the status in the index."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("advisories", "0005_r_prefixed_ranges"),
        ("exposure", "0006_flag_list_indexes"),
        ("orgs", "0007_item_unique_external_ref"),
        ("vendors", "0002_match_requested"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="flag",
            name="flag_advisory_status_idx",
        ),
        migrations.AddIndex(
            model_name="flag",
            index=models.Index(
                fields=["advisory", "organization", "status"], name="flag_advisory_org_status_idx"
            ),
        ),
    ]
