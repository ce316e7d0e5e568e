"""The statistics context's one table: which case an imported record became.

An HTCDS or ODK/KoboToolbox record carries no Palermo reference; its identity
key (``htcds_rows.record_identity_key``: a keyed hash of name, birthdate,
citizenship, referring organisation and referral date, or the ODK instance ID)
is kept here so that importing the same file again updates the case instead of
opening a second one. The key is a hash, not the values: it reveals nothing
without the instance's secret.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportedRecord(models.Model):
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="imported_records"
    )
    key = models.CharField(max_length=255, unique=True)
    source = models.CharField(max_length=10)  # "htcds" or "kobo"
    # HTCDS cas_ReferringOrganisation as the file wrote it (an organisation name, no personal data):
    # the case's referring organisation in Palermo is the organisation that imported it.
    referring_organisation = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"imported record {self.pk}"
