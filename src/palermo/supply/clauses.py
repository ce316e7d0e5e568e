"""The library of model contract clauses (``data/clauses.yaml``), checked on load.

Each clause has a stable id, a version (a whole number, raised when the text changes; a
contract keeps the version it was given), a title, a text, the measures (a)–(g) it serves
and the lifecycle stage where it is used. Titles and texts are English msgids, translated
by the shell when shown (``palermo i18n data-msgids`` collects them).

Pure: no Django imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import yaml

from palermo.supply import vocabulary

DATA: Final[Path] = Path(__file__).parent / "data" / "clauses.yaml"
_ID = re.compile(r"^[a-z][a-z0-9-]{2,59}$")


@dataclass(frozen=True)
class Clause:
    id: str
    version: int
    title: str
    text: str
    measures: tuple[str, ...]
    stage: str

    @property
    def key(self) -> str:
        """``id@version``: what a contract records."""
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class Library:
    name: str
    edition: str
    clauses: tuple[Clause, ...]

    def get(self, clause_id: str) -> Clause | None:
        return next((c for c in self.clauses if c.id == clause_id), None)

    def for_measure(self, code: str) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if code in c.measures)


class LibraryError(ValueError):
    """The data file is not a valid clause library (names the clause and the field)."""


def _words(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def parse(data: Any) -> Library:
    """Check a loaded library: every field present and known, ids unique."""
    if not isinstance(data, dict) or not isinstance(data.get("clauses"), list):
        raise LibraryError("the library needs a list of clauses")
    out: list[Clause] = []
    seen: set[str] = set()
    for n, raw in enumerate(data["clauses"], start=1):
        where = f"clause {n}"
        if not isinstance(raw, dict):
            raise LibraryError(f"{where}: not a mapping")
        cid = raw.get("id")
        if not isinstance(cid, str) or not _ID.match(cid):
            raise LibraryError(f"{where}: id must be lower-case letters, digits and hyphens")
        where = f"clause {cid}"
        if cid in seen:
            raise LibraryError(f"{where}: id used twice")
        seen.add(cid)
        version = raw.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise LibraryError(f"{where}: version must be a whole number from 1")
        title, text = _words(raw.get("title")), _words(raw.get("text"))
        if not title or not text:
            raise LibraryError(f"{where}: title and text are required")
        measures = raw.get("measures")
        if (
            not isinstance(measures, list)
            or not measures
            or any(m not in vocabulary.MEASURES for m in measures)
        ):
            raise LibraryError(f"{where}: measures must be a list of (a)–(g) letters")
        stage = raw.get("stage")
        if stage not in vocabulary.STAGES:
            raise LibraryError(f"{where}: unknown stage {stage!r}")
        out.append(Clause(cid, version, title, text, tuple(sorted(set(measures))), stage))
    stage_order = list(vocabulary.STAGES)
    out.sort(key=lambda c: (stage_order.index(c.stage), c.measures, c.id))
    return Library(str(data.get("library", "")), str(data.get("edition", "")), tuple(out))


@lru_cache(maxsize=1)
def library() -> Library:
    """The library shipped with the package."""
    return parse(yaml.safe_load(DATA.read_text(encoding="utf-8")))
