"""Before the one-current-edition constraint (0011): if two imports of one kind of list ever
both stayed current, keep the newest current and retire the others. Data only, so PostgreSQL
does not alter the table in the same transaction."""

from django.db import migrations


def retire_extra(apps, schema_editor):
    RiskEdition = apps.get_model("supply", "RiskEdition")
    seen: set[str] = set()
    for edition in RiskEdition.objects.filter(is_current=True).order_by("format", "-id"):
        if edition.format in seen:
            RiskEdition.objects.filter(pk=edition.pk).update(is_current=False)
        seen.add(edition.format)


class Migration(migrations.Migration):
    dependencies = [("supply", "0009_edition_sets_required")]

    operations = [migrations.RunPython(retire_extra, migrations.RunPython.noop)]
