"""Import files held between upload, preview and confirmation.

An uploaded HTCDS or Kobo file waits under ``<VAR_DIR>/stats-imports/`` with a random
name (kept in the uploader's session) until it is confirmed or cancelled. Files never
confirmed hold personal data for nobody: they are removed after a day — whenever
anyone uploads or opens the import page, and by ``palermo import sweep`` from cron, so
that they do not wait for the next upload.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

UPLOAD_MAX_AGE_S = 24 * 3600


def upload_dir() -> Path:
    d = Path(settings.VAR_DIR) / "stats-imports"
    d.mkdir(parents=True, exist_ok=True)
    return d


def sweep(max_age_s: float = UPLOAD_MAX_AGE_S, *, now: float | None = None) -> int:
    """Remove held uploads older than ``max_age_s``; returns how many were removed."""
    cutoff = (time.time() if now is None else now) - max_age_s
    removed = 0
    for p in upload_dir().glob("*.upload"):
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink()
                removed += 1
        except OSError:  # removed meanwhile by a confirm, a cancel or another sweep
            pass
    return removed
