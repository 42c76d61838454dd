"""Entries keep the advisory they are about, so that its TLP decides who reads them.

Entries written before this migration get theirs from the object they name: an advisory, a
flag, a campaign, its milestones and plans, an attestation. The trail is append-only, so the
append-only trigger (PostgreSQL) is set aside for this one update, by the table's owner.
"""

from django.db import migrations, models

# (object types, how the advisory's id is found from the entry's object_id)
SOURCES = (
    (("advisories.advisory",), "SELECT a.id FROM advisories_advisory a WHERE a.id = {id}"),
    (("exposure.flag",), "SELECT f.advisory_id FROM exposure_flag f WHERE f.id = {id}"),
    (
        ("campaigns.campaign",),
        "SELECT c.advisory_id FROM campaigns_campaign c WHERE c.id = {id}",
    ),
    (
        ("campaigns.milestone", "campaigns.plan"),
        "SELECT c.advisory_id FROM campaigns_campaign c WHERE c.id = (SELECT x.campaign_id"
        " FROM {table} x WHERE x.id = {id})",
    ),
    (
        ("campaigns.attestation",),
        "SELECT c.advisory_id FROM campaigns_campaign c JOIN campaigns_plan p"
        " ON p.campaign_id = c.id JOIN campaigns_attestation t ON t.plan_id = p.id"
        " WHERE t.id = {id}",
    ),
)
TRIGGER = "audit_entry_append_only"


def advisories_fill(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    entry_id = "CAST(audit_auditentry.object_id AS BIGINT)"
    with schema_editor.connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"ALTER TABLE audit_auditentry DISABLE TRIGGER {TRIGGER}")
        for object_types, select in SOURCES:
            for object_type in object_types:
                table = object_type.replace(".", "_")
                cursor.execute(
                    f"UPDATE audit_auditentry SET advisory_id = ({select})"  # noqa: S608
                    " WHERE object_type = %s AND object_id <> ''".format(id=entry_id, table=table),
                    [object_type],
                )
        if postgres:
            cursor.execute(f"ALTER TABLE audit_auditentry ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_trigger"),
        ("advisories", "0014_severity_rank"),
        ("campaigns", "0003_evidence_stored_by_name"),
        ("exposure", "0011_saved_view"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="advisory_id",
            field=models.BigIntegerField(
                blank=True,
                help_text="The advisory the entry is about (itself, a flag of it, its campaign): "
                "its TLP decides who reads the entry.",
                null=True,
            ),
        ),
        migrations.RunPython(advisories_fill, migrations.RunPython.noop),
    ]
