"""At most one current edition per kind of risk list (a partial unique index)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supply", "0010_retire_extra_current_editions"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="riskedition",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_current", True)),
                fields=("format",),
                name="supply_one_current_edition_per_format",
            ),
        ),
    ]
