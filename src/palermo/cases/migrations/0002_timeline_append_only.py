"""On PostgreSQL, the database refuses to rewrite a timeline entry: its time, kind,
wording and text are fixed once written (a correction is a new entry). Deleting a
whole case (a retention purge) and clearing a removed user's id stay possible.
SQLite, the single-user demo database, relies on the model's own guard."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION palermo_case_event_fixed() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'case timeline entries are append-only: add a correction instead';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_caseevent_fixed
  BEFORE UPDATE OF case_id, at, kind, summary, text, corrects_id ON cases_caseevent
  FOR EACH ROW EXECUTE FUNCTION palermo_case_event_fixed();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS cases_caseevent_fixed ON cases_caseevent;
DROP FUNCTION IF EXISTS palermo_case_event_fixed();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
