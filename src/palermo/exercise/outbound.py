"""No outbound e-mail from an exercise instance: messages are kept, subject marked TRAINING."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

log = logging.getLogger("palermo.exercise")

SUBJECT_MARK = "[TRAINING EXERCISE] "
# What an exercise instance would have sent (the direction may show it; nothing leaves).
OUTBOX: list[EmailMessage] = []
OUTBOX_LIMIT = 1000


def mark_subject(subject: str) -> str:
    return subject if subject.startswith(SUBJECT_MARK) else SUBJECT_MARK + subject


class TrainingEmailBackend(BaseEmailBackend):
    """Sends nothing. Keeps the last messages in memory with a TRAINING subject."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for m in email_messages:
            m.subject = mark_subject(str(m.subject))
            OUTBOX.append(m)
            log.info("exercise: e-mail kept, not sent", extra={"recipients": len(m.recipients())})
        del OUTBOX[:-OUTBOX_LIMIT]
        return len(email_messages)

    def open(self) -> Any:
        return None

    def close(self) -> None:
        return None
