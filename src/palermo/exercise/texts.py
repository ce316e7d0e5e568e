"""Scenario texts in the reader's language.

A scenario's texts are data, not Palermo's strings: they come in the package's language, and a
package may carry ``translations.yaml`` with the same texts in other languages (checked at
load: unknown injects, actions, teams or a partial question list are named with file and
line). Pages, the API and the CLI show a text in the reader's language when the package has
it, else as written. Palermo's own words around them go through gettext as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.translation import get_language

from palermo.exercise.scenario import TRANSLATIONS, parse_translations


@lru_cache(maxsize=8)
def _parsed(text: str) -> dict[str, Any]:
    return parse_translations(text)


def _language() -> str:
    return (get_language() or "en").split("-")[0].lower()


@dataclass(frozen=True)
class Texts:
    """The package's texts in ``language`` (empty: as written)."""

    language: str
    texts: dict[str, Any]

    def inject(self, inject: Any, name: str) -> str:
        """``name`` (title, content, cue) of ``inject`` (a stored inject)."""
        written = str(getattr(inject, name, "") or "")
        t = self.texts.get("injects", {}).get(getattr(inject, "key", ""), {})
        return str(t.get(name) or written)

    def questions(self, inject: Any) -> list[str]:
        written = list(getattr(inject, "questions", None) or [])
        t = self.texts.get("injects", {}).get(getattr(inject, "key", ""), {})
        translated = t.get("questions")
        return list(translated) if translated and len(translated) == len(written) else written

    def action(self, action: Any) -> str:
        """An expected action's text."""
        inject_key = getattr(getattr(action, "inject", None), "key", "")
        t = self.texts.get("injects", {}).get(inject_key, {}).get("expected_actions", {})
        return str(t.get(getattr(action, "key", "")) or action.text)

    def scenario(self, name: str, written: str) -> str:
        """The exercise's ``title`` or ``summary``."""
        return str(self.texts.get(name) or written)

    def team(self, team: Any) -> str:
        return str(self.texts.get("teams", {}).get(team.key) or team.name)


def for_reader(ex: Any, language: str | None = None) -> Texts:
    """The texts of exercise ``ex`` in ``language`` (default: the active language)."""
    lang = (language or _language()).split("-")[0].lower()
    stored = (ex.package or {}).get(TRANSLATIONS, "") if ex is not None else ""
    return Texts(lang, _parsed(stored).get(lang, {}) if stored else {})
