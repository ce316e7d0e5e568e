"""Personal fields sealed at rest (docs/security.md, "Encryption at rest").

The columns become text holding ``ev1:`` ciphertexts; the values already there are
sealed with the key file's primary key (reversible: going back opens them).
"""

from django.db import migrations

import palermo.core.encryption
from palermo.core.encryption import seal_existing_values

SEALED = [
    ("investigate_alertdecision", "note", ""),
    ("investigate_investigationparty", "address", ""),
    ("investigate_investigationparty", "email", ""),
    ("investigate_investigationparty", "iban", ""),
    ("investigate_investigationparty", "name", ""),
    ("investigate_investigationparty", "phone", ""),
    ("investigate_matchjudgement", "note", ""),
]


class Migration(migrations.Migration):
    dependencies = [
        ("investigate", "0002_closure"),
    ]

    operations = [
        migrations.AlterField(
            model_name="alertdecision",
            name="note",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="investigationparty",
            name="address",
            field=palermo.core.encryption.EncryptedCharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name="investigationparty",
            name="email",
            field=palermo.core.encryption.EncryptedCharField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name="investigationparty",
            name="iban",
            field=palermo.core.encryption.EncryptedCharField(blank=True, max_length=42),
        ),
        migrations.AlterField(
            model_name="investigationparty",
            name="name",
            field=palermo.core.encryption.EncryptedCharField(max_length=200),
        ),
        migrations.AlterField(
            model_name="investigationparty",
            name="phone",
            field=palermo.core.encryption.EncryptedCharField(blank=True, max_length=40),
        ),
        migrations.AlterField(
            model_name="matchjudgement",
            name="note",
            field=palermo.core.encryption.EncryptedTextField(blank=True),
        ),
        seal_existing_values(SEALED),
    ]
