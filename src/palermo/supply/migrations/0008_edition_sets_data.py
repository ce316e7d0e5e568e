"""Moves the data to the edition sets (see 0007).

* Each exclusion list still stored (importing one used to delete the one before, so there is
  at most one) becomes an edition of the format ``exclusions``: its file's name as the
  source, the import's date as the edition and the download date, no licence recorded.
* Each order import's set of editions is the edition its lines kept, plus that exclusion
  list when it was imported before the orders (it was then the list in force; one imported
  later replaced the list those orders met, which is gone).

Backwards: each order line gets back its batch's (latest) country × good edition, and the exclusion
lists' editions go (their rows stay, as before)."""

from django.db import migrations

EXCLUSIONS = "exclusions"  # riskdata.EXCLUSIONS


def forward(apps, schema_editor):
    ImportBatch = apps.get_model("supply", "ImportBatch")
    RiskEdition = apps.get_model("supply", "RiskEdition")
    ExclusionEntry = apps.get_model("supply", "ExclusionEntry")
    OrderLine = apps.get_model("supply", "OrderLine")
    BatchEdition = apps.get_model("supply", "BatchEdition")

    batch_ids = sorted(set(ExclusionEntry.objects.values_list("batch_id", flat=True)))
    latest = batch_ids[-1] if batch_ids else None
    exclusion_editions = []
    for batch in ImportBatch.objects.filter(pk__in=batch_ids).order_by("pk"):
        day = batch.created_at.date()
        edition = RiskEdition.objects.create(
            format=EXCLUSIONS,
            source=batch.name,
            edition=day.isoformat(),
            licence="",
            retrieved_on=day,
            url="",
            batch=batch,
            is_current=batch.pk == latest,
        )
        ExclusionEntry.objects.filter(batch=batch).update(edition=edition)
        exclusion_editions.append((batch.created_at, edition))

    pairs = set(
        OrderLine.objects.exclude(edition=None).values_list("batch_id", "edition_id").distinct()
    )
    order_batches = ImportBatch.objects.filter(
        pk__in=set(OrderLine.objects.values_list("batch_id", flat=True))
    )
    for batch in order_batches:
        for created_at, edition in exclusion_editions:
            if created_at <= batch.created_at:
                pairs.add((batch.pk, edition.pk))
    BatchEdition.objects.bulk_create(
        [BatchEdition(batch_id=b, edition_id=e) for b, e in sorted(pairs)]
    )


def backward(apps, schema_editor):
    RiskEdition = apps.get_model("supply", "RiskEdition")
    OrderLine = apps.get_model("supply", "OrderLine")
    BatchEdition = apps.get_model("supply", "BatchEdition")
    ExclusionEntry = apps.get_model("supply", "ExclusionEntry")

    goods = {}
    for batch_id, edition_id in (
        BatchEdition.objects.exclude(edition__format=EXCLUSIONS)
        .order_by("batch_id", "edition_id")
        .values_list("batch_id", "edition_id")
    ):
        goods[batch_id] = edition_id
    for batch_id, edition_id in goods.items():
        OrderLine.objects.filter(batch_id=batch_id).update(edition_id=edition_id)
    BatchEdition.objects.all().delete()
    ExclusionEntry.objects.update(edition=None)
    RiskEdition.objects.filter(format=EXCLUSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("supply", "0007_edition_sets"),
    ]

    operations = [migrations.RunPython(forward, backward)]
