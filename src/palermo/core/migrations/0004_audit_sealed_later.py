"""Audit entries are written unsealed and chained by the sealer (issue 13).

On PostgreSQL the append-only trigger now lets exactly one change through: the
sealer filling ``seq``, ``prev_hash`` and ``hash`` of an entry that has no ``seq``
yet, every other column unchanged. Any other UPDATE, and every DELETE, is refused
as before."""

from django.db import migrations, models

_CONTENT = (
    "id, at, actor_id, actor_username, organisation_id, action, object_type, object_ref,"
    " purpose, outcome, client, details"
)
FORWARD = f"""
CREATE OR REPLACE FUNCTION palermo_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
     AND ROW({", ".join("NEW." + c.strip() for c in _CONTENT.split(","))})
         IS NOT DISTINCT FROM ROW({", ".join("OLD." + c.strip() for c in _CONTENT.split(","))}) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit entries are append-only';
END;
$$ LANGUAGE plpgsql;
"""
BACKWARD = """
CREATE OR REPLACE FUNCTION palermo_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit entries are append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_mfa_and_sso"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditentry",
            options={
                "ordering": ["-id"],
                "verbose_name": "audit entry",
                "verbose_name_plural": "audit entries",
            },
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)), fields=["id"], name="core_audit_unsealed"
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
