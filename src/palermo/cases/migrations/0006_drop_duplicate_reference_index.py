"""Drop the second pattern index on the case reference.

``case_ref_like_idx`` (``varchar_pattern_ops``) duplicated the ``…_like`` index Django already
creates on PostgreSQL for a unique CharField: two identical indexes cost every case insert
twice and doubled the planner's choices for nothing. On SQLite it duplicated the unique index.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_reference_statistics")]

    operations = [migrations.RemoveIndex(model_name="case", name="case_ref_like_idx")]
