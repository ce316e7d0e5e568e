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

    def country(self, written: dict[str, Any]) -> dict[str, Any]:
        """The fictional country (``country.yaml`` as stored) with its texts in this language:
        name, description, laws, the NRM's rules and the service directory."""
        t = self.texts.get("country", {})
        out = dict(written)
        for name in ("name", "description"):
            if t.get(name):
                out[name] = t[name]
        laws = list(written.get("laws", []))
        if len(t.get("laws", [])) == len(laws):
            out["laws"] = [{**w, **x} for w, x in zip(laws, t["laws"], strict=True)]
        nrm = dict(written.get("nrm", {}))
        if len(t.get("nrm_rules", [])) == len(nrm.get("rules", [])) and "nrm_rules" in t:
            nrm["rules"] = list(t["nrm_rules"])
        out["nrm"] = nrm
        services = list(written.get("services", []))
        if len(t.get("services", [])) == len(services) and "services" in t:
            out["services"] = [{**w, **x} for w, x in zip(services, t["services"], strict=True)]
        return out

    def sop(self, step: dict[str, Any]) -> str:
        """An SOP step's title."""
        return str(self.texts.get("sop_steps", {}).get(step.get("key", "")) or step["title"])

    def organisation(self, key: str, written: str) -> str:
        return str(self.texts.get("organisations", {}).get(key) or written)

    def role(self, key: str, written: str, name: str = "title") -> str:
        """A role's ``title`` or ``brief``."""
        return str(self.texts.get("roles", {}).get(key, {}).get(name) or written)

    def persona(self, written: dict[str, Any]) -> dict[str, Any]:
        """A persona (as stored) with its name, background, languages and reveals translated."""
        t = self.texts.get("personas", {}).get(written.get("key", ""), {})
        out = dict(written)
        for name in ("name", "background"):
            if t.get(name):
                out[name] = t[name]
        for name in ("languages", "reveals"):
            w = list(written.get(name, []))
            if name in t and len(t[name]) == len(w):
                out[name] = (
                    [{**a, **b} for a, b in zip(w, t[name], strict=True)]
                    if (name == "reveals")
                    else list(t[name])
                )
        return out

    def case(self, written: dict[str, Any]) -> dict[str, Any]:
        """A seeded case file's summary and documents."""
        t = self.texts.get("cases", {}).get(written.get("key", ""), {})
        out = dict(written)
        if t.get("summary"):
            out["summary"] = t["summary"]
        docs = list(written.get("documents", []))
        if "documents" in t and len(t["documents"]) == len(docs):
            out["documents"] = [{**a, **b} for a, b in zip(docs, t["documents"], strict=True)]
        return out


def of_package(translations: dict[str, Any], language: str | None) -> Texts:
    """The texts of a checked scenario (``Scenario.translations``) in ``language`` (None or
    the package's own language: as written), for what is stored at load time."""
    lang = (language or "").split("-")[0].lower()
    return Texts(lang, dict(translations.get(lang, {})) if lang else {})


def for_reader(ex: Any, language: str | None = None) -> Texts:
    """The texts of exercise ``ex`` in ``language`` (default: the active language)."""
    lang = (language or _language()).split("-")[0].lower()
    stored = (ex.package or {}).get(TRANSLATIONS, "") if ex is not None else ""
    return Texts(lang, _parsed(stored).get(lang, {}) if stored else {})
