"""Possible flags say why: until now the only reason was an item without a usable version.

The matcher writes every flag's reason when it next matches it; the flags that are possible
because their item has no version key are given that reason now, so that no possible flag is
shown without one in the meantime.
"""

from django.db import migrations

VERSION_UNKNOWN = "version unknown"


def explain_unversioned_possible_flags(apps, schema_editor):
    Flag = apps.get_model("exposure", "Flag")
    Flag.objects.filter(
        confidence="possible",
        possible_reason="",
        item__isnull=False,
        item__version_key__isnull=True,
    ).update(possible_reason=VERSION_UNKNOWN)


class Migration(migrations.Migration):
    dependencies = [("exposure", "0009_flag_possible_reason")]

    operations = [
        migrations.RunPython(
            explain_unversioned_possible_flags, migrations.RunPython.noop, elidable=True
        )
    ]
