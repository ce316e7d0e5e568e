"""Personal fields sealed at rest (docs/security.md, "Encryption at rest").

The columns become text holding ``ev1:`` ciphertexts; the values already there are
sealed with the key file's primary key (reversible: going back opens them).
"""

import palermo.core.encryption

from django.db import migrations, models

from palermo.core.encryption import seal_existing_values

SEALED = [
    ("cases_appeal", "grounds", ""),
    ("cases_appeal", "outcome_reasons", ""),
    ("cases_breakglassaccess", "reason", ""),
    ("cases_case", "closure_details", ""),
    ("cases_case", "summary", ""),
    ("cases_caseevent", "text", ""),
    ("cases_consent", "notes", ""),
    ("cases_identificationdecision", "reasons", ""),
    ("cases_nonpunishment", "compulsion", ""),
    ("cases_person", "birthdate", ""),
    ("cases_person", "city", ""),
    ("cases_person", "email", ""),
    ("cases_person", "family_name", ""),
    ("cases_person", "given_name", ""),
    ("cases_person", "identity_number", "identity_number_index"),
    ("cases_person", "phone", ""),
    ("cases_person", "postal_code", ""),
    ("cases_person", "street", ""),
    ("cases_returnrecord", "notes", ""),
    ("cases_returnrecord", "override_reason", ""),
    ("cases_returnriskassessment", "notes", ""),
    ("cases_servicereferral", "decline_reason", ""),
    ("cases_servicereferral", "details", ""),
    ("cases_servicereferral", "outcome_details", ""),
    ("cases_suspectlink", "details", ""),
    ("cases_suspectlink", "name_or_alias", ""),
    ("cases_traffickingevent", "description", ""),
]

# The timeline's append-only trigger (0002) lets the sealing, a key rotation and its
# reverse rewrite the text column -- only under the session flag set for them, and
# only when nothing else of the entry changes.
TRIGGER = """
CREATE OR REPLACE FUNCTION palermo_case_event_fixed() RETURNS trigger AS $$
BEGIN
  IF current_setting('palermo.field_rekey', true) = 'on'
     AND NEW.case_id = OLD.case_id AND NEW.at = OLD.at AND NEW.kind = OLD.kind
     AND NEW.summary = OLD.summary AND NEW.corrects_id IS NOT DISTINCT FROM OLD.corrects_id THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'case timeline entries are append-only: add a correction instead';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER_BEFORE = """
CREATE OR REPLACE FUNCTION palermo_case_event_fixed() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'case timeline entries are append-only: add a correction instead';
END;
$$ LANGUAGE plpgsql;
"""


def trigger_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def trigger_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_BEFORE)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_timeline_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="identity_number_index",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="appeal",
            name="grounds",
            field=palermo.core.encryption.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="appeal",
            name="outcome_reasons",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="breakglassaccess",
            name="reason",
            field=palermo.core.encryption.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="case",
            name="closure_details",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="case",
            name="summary",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="text",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="consent",
            name="notes",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="identificationdecision",
            name="reasons",
            field=palermo.core.encryption.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="nonpunishment",
            name="compulsion",
            field=palermo.core.encryption.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="person",
            name="birthdate",
            field=palermo.core.encryption.EncryptedDateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="person",
            name="city",
            field=palermo.core.encryption.EncryptedCharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name="person",
            name="email",
            field=palermo.core.encryption.EncryptedEmailField(blank=True, max_length=254),
        ),
        migrations.AlterField(
            model_name="person",
            name="family_name",
            field=palermo.core.encryption.EncryptedCharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name="person",
            name="given_name",
            field=palermo.core.encryption.EncryptedCharField(blank=True, max_length=100),
        ),
        migrations.AlterField(
            model_name="person",
            name="identity_number",
            field=palermo.core.encryption.EncryptedCharField(
                blank=True, index="identity_number_index", max_length=60
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="phone",
            field=palermo.core.encryption.EncryptedCharField(blank=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="person",
            name="postal_code",
            field=palermo.core.encryption.EncryptedCharField(blank=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="person",
            name="street",
            field=palermo.core.encryption.EncryptedCharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="returnrecord",
            name="notes",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="returnrecord",
            name="override_reason",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="returnriskassessment",
            name="notes",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="servicereferral",
            name="decline_reason",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="servicereferral",
            name="details",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="servicereferral",
            name="outcome_details",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="suspectlink",
            name="details",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="suspectlink",
            name="name_or_alias",
            field=palermo.core.encryption.EncryptedCharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="traffickingevent",
            name="description",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(trigger_forward, trigger_backward),
        seal_existing_values(SEALED),
    ]
