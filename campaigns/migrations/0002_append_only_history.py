"""Make a campaign's history (its events and progress samples) append-only in the database.

A report for a past date is rebuilt from these rows; were one changed, the report would say
something that was never true. As for the audit trail, on PostgreSQL a trigger refuses every
UPDATE and DELETE whoever sends it; TRUNCATE, which needs the owner's rights, is how a test
database is emptied. SQLite keeps the application's guard only.
"""

from django.db import migrations

TABLES = ("campaigns_campaignevent", "campaigns_progresssample")

CREATE_FUNCTION = """
CREATE FUNCTION campaign_history_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'campaign history is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def trigger_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION campaign_history_refuse_change();",
            params=None,
        )


def trigger_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};", params=None
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS campaign_history_refuse_change();", params=None)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(trigger_create, trigger_drop)]
