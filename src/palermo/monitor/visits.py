"""Country visits, the pure part: what a report proposes, its fingerprint, and the comparison
a follow-up visit makes between then and now.

No Django. A report's ``snapshot`` is plain data assembled when the draft is made (the
register's status by area, the protected indicators, the survey's consolidated answers), so
a published report keeps saying what the figures were at the time, and a follow-up visit
can set them beside today's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

SUPPRESSED = "x"
MAX_TEXT = 20_000


def _(text: str) -> str:
    """Marks a message for translation; the shell translates (``Problem.render``)."""
    return text


@dataclass(frozen=True)
class Problem:
    field: str
    text: str
    params: tuple[tuple[str, str], ...] = ()

    def render(self, translate: Any = _) -> str:
        message: str = translate(self.text)
        return message % dict(self.params) if self.params else message


def check_proposal(
    raw: Mapping[str, Any], *, areas: Sequence[str], taken: Sequence[str]
) -> tuple[dict[str, Any], list[Problem]]:
    """A recommendation the report proposes: paragraph (unique in the report), thematic
    area, addressee, text and an optional due date."""
    problems: list[Problem] = []
    paragraph = str(raw.get("paragraph") or "").strip()
    if not paragraph or len(paragraph) > 40:
        problems.append(
            Problem("paragraph", _("Give the paragraph number (at most 40 characters)."))
        )
    elif paragraph in taken:
        problems.append(
            Problem("paragraph", _("Paragraph %(p)s is already proposed."), (("p", paragraph),))
        )
    area = str(raw.get("area") or "")
    if area not in areas:
        problems.append(Problem("area", _("Choose a thematic area.")))
    addressee = str(raw.get("addressee") or "").strip()
    if not addressee or len(addressee) > 200:
        problems.append(
            Problem("addressee", _("Name who it is addressed to (at most 200 characters)."))
        )
    text = str(raw.get("text") or "").strip()
    if not text or len(text) > MAX_TEXT:
        problems.append(Problem("text", _("Write the recommendation.")))
    due = raw.get("due_on") or ""
    due_text = ""
    if due:
        try:
            due_text = (due if isinstance(due, date) else date.fromisoformat(str(due))).isoformat()
        except ValueError:
            problems.append(Problem("due_on", _("Give a date as YYYY-MM-DD.")))
    for name, value in (("addressee", addressee), ("text", text), ("paragraph", paragraph)):
        if "\x00" in value:
            problems.append(Problem(name, _("Text may not contain NUL characters.")))
    clean = {
        "paragraph": paragraph,
        "area": area,
        "addressee": addressee,
        "text": text,
        "due_on": due_text,
    }
    return clean, problems


def fingerprint(content: Mapping[str, Any]) -> str:
    """SHA-256 of a report's content in a canonical JSON form (what was published)."""
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _figures(snapshot: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for ind in snapshot.get("indicators", []):
        for fig in ind.get("figures", []):
            out[(ind["id"], fig["label"])] = {"title": ind["title"], **fig}
    return out


def _shown(fig: Mapping[str, Any] | None) -> str:
    if fig is None:
        return "—"
    value = fig.get("value")
    if value is None:
        return SUPPRESSED
    den = fig.get("denominator")
    return f"{value} / {den}" if den is not None else str(value)


def compare_indicators(then: Mapping[str, Any], now: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each indicator figure then and now. A suppressed cell stays suppressed on both sides —
    the comparison never lets a small number out by difference."""
    before, after = _figures(then), _figures(now)
    rows = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        change = ""
        if b and a and b.get("denominator") is None and a.get("denominator") is None:
            before_value, after_value = b.get("value"), a.get("value")
            if before_value is not None and after_value is not None:
                change = f"{int(after_value) - int(before_value):+d}"
        rows.append(
            {
                "indicator": key[0],
                "title": (a or b or {}).get("title", key[0]),
                "label": key[1],
                "then": _shown(b),
                "now": _shown(a),
                "change": change,
            }
        )
    return rows


def compare_recommendations(
    issued: Sequence[Mapping[str, Any]], now: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The recommendations the earlier report issued: their status when issued, and now."""
    return [
        {
            "paragraph": r["paragraph"],
            "text": r["text"],
            "then": r.get("status", "not_started"),
            "now": now.get(r["paragraph"], ""),
            "moved": now.get(r["paragraph"], "") != r.get("status", "not_started"),
        }
        for r in issued
    ]
