"""Make the audit trail append-only in the database too.

The model and its queryset refuse updates and deletes, but raw SQL, a shell or another
program would not ask them. On PostgreSQL a trigger refuses every UPDATE and DELETE of an
entry, whoever sends it. TRUNCATE is not refused: it needs the table owner's rights (who could
drop the trigger anyway) and it is how a test database is emptied. SQLite, the single-user
quick-start database, keeps only the application's guard: its flush deletes rows.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_refuse_change();
"""


def trigger_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def trigger_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(trigger_create, trigger_drop)]
