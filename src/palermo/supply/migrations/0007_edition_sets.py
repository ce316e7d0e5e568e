"""Risk-list editions read together (issue 18): an order import records the set of editions
it was screened against (``BatchEdition``), and an exclusion list is kept edition by
edition like the country × good lists (``ExclusionEntry.edition``).

Three steps so that PostgreSQL never alters a table holding rows changed in the same
transaction: this one adds the new tables and a nullable column, 0008 moves the data,
0009 makes the column required and drops ``OrderLine.edition`` (copied into the sets)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supply", "0006_provenance_evidence"),
    ]

    operations = [
        migrations.CreateModel(
            name="BatchEdition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="supply.importbatch",
                    ),
                ),
                (
                    "edition",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="supply.riskedition",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("batch", "edition"), name="supply_batch_edition"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="importbatch",
            name="editions",
            field=models.ManyToManyField(
                blank=True,
                related_name="+",
                through="supply.BatchEdition",
                to="supply.riskedition",
            ),
        ),
        migrations.AddField(
            model_name="exclusionentry",
            name="edition",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="exclusions",
                to="supply.riskedition",
            ),
        ),
        migrations.AlterModelOptions(
            name="exclusionentry",
            options={"ordering": ["edition", "row"]},
        ),
    ]
