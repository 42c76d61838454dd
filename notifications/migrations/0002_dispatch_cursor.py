"""Start the dispatcher at the end of the flags' history as it is when notifications arrive,
so that installing them does not announce every flag ever raised."""

from django.db import migrations
from django.db.models import Max


def cursor_create(apps, schema_editor):
    FlagEvent = apps.get_model("exposure", "FlagEvent")
    DispatchCursor = apps.get_model("notifications", "DispatchCursor")
    position = FlagEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    DispatchCursor.objects.get_or_create(name="flag-events", defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("exposure", "0003_match_run"),
    ]

    operations = [migrations.RunPython(cursor_create, migrations.RunPython.noop)]
