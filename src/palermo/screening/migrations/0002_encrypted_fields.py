"""Personal fields sealed at rest (docs/security.md, "Encryption at rest").

The columns become text holding ``ev1:`` ciphertexts; the values already there are
sealed with the key file's primary key (reversible: going back opens them).
"""

from django.db import migrations

import palermo.core.encryption
from palermo.core.encryption import seal_existing_values

SEALED = [
    ("screening_screening", "answers", ""),
]


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="screening",
            name="answers",
            field=palermo.core.encryption.EncryptedJSONField(default=dict),
        ),
        seal_existing_values(SEALED),
    ]
