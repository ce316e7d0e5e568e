"""The web shell's one table: form submissions already acted on (one-time form tokens)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FormSubmission(models.Model):
    """A one-time form token that has been used (``palermo.web.once``).

    The unique ``nonce`` is what makes a double submit create nothing twice: the second
    insert of the same nonce fails, in the same transaction as the write it guards.
    ``result_url`` is where the first submission led (a pseudonymous reference at most:
    never personal data), so the second one is sent there too.
    """

    nonce = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    result_url = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"
