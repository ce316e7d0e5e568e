"""Every exclusion list row belongs to an edition; an order line's editions are its batch's
(the data was moved by 0008)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supply", "0008_edition_sets_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="exclusionentry",
            name="edition",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="exclusions",
                to="supply.riskedition",
            ),
        ),
        migrations.RemoveField(
            model_name="orderline",
            name="edition",
        ),
    ]
