"""Evidence is written through the ``evidence`` storage of STORAGES, looked up when a file is
stored or read (so that a deployment, or a test, can point it elsewhere); the row keeps the
random name the file was stored as. No evidence has been stored before this migration."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_append_only_history")]

    operations = [
        migrations.RemoveField(model_name="evidence", name="file"),
        migrations.AddField(
            model_name="evidence",
            name="stored_as",
            field=models.CharField(default="", editable=False, max_length=100),
            preserve_default=False,
        ),
    ]
