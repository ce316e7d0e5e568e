"""Scenario packages: versioned YAML files, checked against a JSON Schema and cross-checked.

Pure: no Django imports. A package is a directory of five files (``scenario.yaml``,
``country.yaml``, ``organisations.yaml``, ``personas.yaml``, ``msel.yaml``) and optionally
``translations.yaml`` (its texts in other languages). ``load_package``
returns a ``Scenario`` or raises ``PackageError`` listing *every* problem with its file and
line: a broken package never loads partly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from palermo.cases import vocabulary as case_vocabulary
from palermo.cases.workflow import SERVICE_TYPES
from palermo.exercise.clock import sim_seconds_of
from palermo.exercise.evidence import RULES
from palermo.exercise.vocabulary import (
    CHANNELS,
    CRITERIA,
    INJECT_KINDS,
    ORGANISATION_TYPES,
    PALERMO_ROLES,
    PATHS,
    ROLE_KINDS,
)

SCHEMA_VERSION = 1
# The cases context's CaseSource values (its models are not ours to import).
CASE_SOURCES = ("screening", "hotline", "agency", "transnational", "self_referral")
# Palermo roles that may add to a case's timeline (core.policy's EDIT_CASES; a test keeps the
# two in step): a seeded case's documents become notes written by its opener.
CASE_EDITING_ROLES = ("case_worker", "coordinator")
FILES = ("scenario.yaml", "country.yaml", "organisations.yaml", "personas.yaml", "msel.yaml")
# Optional: the package's texts in other languages (see ``TRANSLATIONS_SCHEMA``).
TRANSLATIONS = "translations.yaml"
MAX_FILE_BYTES = 2 * 1024 * 1024
_KEY = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,39}$"}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 4000}
_AT = {"type": "string", "pattern": r"^D[1-9][0-9]? ([01][0-9]|2[0-3]):[0-5][0-9]$"}
# What a persona reveals, and when: the same shape in the package and in translations.yaml.
_REVEALS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["when", "fact"],
        "properties": {"when": _TEXT, "fact": _TEXT},
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "scenario.yaml": {
        "type": "object",
        "additionalProperties": False,
        "required": ["schema", "id", "version", "title", "summary", "language", "days", "teams"],
        "properties": {
            "schema": {"const": SCHEMA_VERSION},
            "id": _KEY,
            "version": {"type": "string", "pattern": r"^\d+\.\d+(\.\d+)?$"},
            "title": _TEXT,
            "summary": _TEXT,
            "language": {"type": "string", "pattern": "^[a-z]{2}$"},
            "days": {"type": "integer", "minimum": 1, "maximum": 10},
            "day_start": {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "participants": {
                "type": "object",
                "properties": {
                    "min": {"type": "integer", "minimum": 1},
                    "max": {"type": "integer", "minimum": 1},
                },
            },
            "teams": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["key", "name"],
                    "properties": {"key": _KEY, "name": _TEXT},
                },
            },
            "sop_steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["key", "title"],
                    "properties": {"key": _KEY, "title": _TEXT, "source": _TEXT},
                },
            },
        },
    },
    "country.yaml": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "laws", "nrm", "services"],
        "properties": {
            "name": _TEXT,
            "description": _TEXT,
            "laws": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["title", "summary"],
                    "properties": {"title": _TEXT, "summary": _TEXT},
                },
            },
            "nrm": {
                "type": "object",
                "additionalProperties": False,
                "required": ["reflection_period_days", "rules"],
                "properties": {
                    "reflection_period_days": {"type": "integer", "minimum": 0, "maximum": 365},
                    "rules": {"type": "array", "items": _TEXT},
                },
            },
            "services": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "offers"],
                    "properties": {
                        "name": _TEXT,
                        "offers": _TEXT,
                        "region": _TEXT,
                        # Registered in Palermo's service directory (each team's copy of the
                        # organisation), so trainees can refer to it in the real screens.
                        "organisation": _KEY,
                        "service_types": {"type": "array", "items": {"enum": list(SERVICE_TYPES)}},
                        "capacity": {"type": "integer", "minimum": 0, "maximum": 10000},
                        "accepts_children": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "organisations.yaml": {
        "type": "object",
        "additionalProperties": False,
        "required": ["organisations", "roles"],
        "properties": {
            "organisations": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["key", "name", "type"],
                    "properties": {
                        "key": _KEY,
                        "name": _TEXT,
                        "type": {"enum": list(ORGANISATION_TYPES)},
                        "identification_body": {"type": "boolean"},
                    },
                },
            },
            "roles": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["key", "title", "kind"],
                    "properties": {
                        "key": _KEY,
                        "title": _TEXT,
                        "kind": {"enum": list(ROLE_KINDS)},
                        "organisation": _KEY,
                        "palermo_roles": {
                            "type": "array",
                            "items": {"enum": list(PALERMO_ROLES)},
                        },
                        "path": {"enum": list(PATHS)},
                        "per_team": {"type": "integer", "minimum": 0, "maximum": 20},
                        "brief": _TEXT,
                    },
                },
            },
        },
    },
    "personas.yaml": {
        "type": "object",
        "additionalProperties": False,
        "required": ["personas"],
        "properties": {
            "personas": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["key", "name", "background"],
                    "properties": {
                        "key": _KEY,
                        "name": _TEXT,
                        "age": {"type": "integer", "minimum": 0, "maximum": 120},
                        "child": {"type": "boolean"},
                        "languages": {"type": "array", "items": _TEXT},
                        "background": _TEXT,
                        "played_by": _KEY,
                        "reveals": _REVEALS,
                    },
                },
            },
            # Case files each team finds already open when the exercise starts (opened through
            # the cases context's services, by the first account of the ``opened_by`` role).
            "cases": {
                "type": "array",
                "maxItems": 20,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["key", "persona", "opened_by", "source", "exploitation_forms"],
                    "properties": {
                        "key": _KEY,
                        "persona": _KEY,
                        "opened_by": _KEY,
                        "source": {"enum": list(CASE_SOURCES)},
                        "exploitation_forms": {"type": "array", "minItems": 1, "items": _KEY},
                        "child": {"type": "boolean"},
                        "summary": _TEXT,
                        "person": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "given_name": {"type": "string", "maxLength": 100},
                                "family_name": {"type": "string", "maxLength": 100},
                                "birthdate": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                                "gender": {"type": "string"},
                                "citizenship": {
                                    "type": "array",
                                    "items": {"type": "string", "pattern": "^[A-Z]{2}$"},
                                },
                                "primary_language": {"type": "string", "pattern": "^[a-z]{2}$"},
                            },
                        },
                        "documents": {
                            "type": "array",
                            "maxItems": 20,
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["title", "text"],
                                "properties": {"title": _TEXT, "text": _TEXT},
                            },
                        },
                    },
                },
            },
        },
    },
    "msel.yaml": {
        "type": "object",
        "additionalProperties": False,
        "required": ["injects"],
        "properties": {
            "injects": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "kind", "path", "sender", "receivers", "channel", "title"],
                    "properties": {
                        "id": {"type": "string", "pattern": "^[A-Z0-9][A-Z0-9-]{0,19}$"},
                        "kind": {"enum": [k for k in INJECT_KINDS if k != "adhoc"]},
                        "at": _AT,
                        "path": {"enum": list(PATHS)},
                        "sender": _KEY,
                        "receivers": {"type": "array", "minItems": 1, "items": _KEY},
                        "channel": {"enum": list(CHANNELS)},
                        "persona": _KEY,
                        "organisation": _KEY,
                        "title": _TEXT,
                        "content": _TEXT,
                        "cue": _TEXT,
                        # Discussion questions for the tabletop variant (answers per team).
                        "questions": {"type": "array", "maxItems": 10, "items": _TEXT},
                        "condition": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["after_inject", "minutes", "unless"],
                            "properties": {
                                "after_inject": {"type": "string"},
                                "minutes": {"type": "integer", "minimum": 1, "maximum": 7200},
                                "unless": {"enum": sorted(RULES)},
                            },
                        },
                        "expected_actions": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["id", "text", "criterion", "deadline_minutes"],
                                "properties": {
                                    "id": {
                                        "type": "string",
                                        "pattern": "^[A-Z0-9][A-Z0-9.-]{0,29}$",
                                    },
                                    "text": _TEXT,
                                    "criterion": {"enum": list(CRITERIA)},
                                    "sop_step": _KEY,
                                    "deadline_minutes": {
                                        "type": "integer",
                                        "minimum": 1,
                                        "maximum": 7200,
                                    },
                                    "evidence": {"enum": sorted(RULES)},
                                },
                            },
                        },
                    },
                },
            }
        },
    },
}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 1-based; 0 when the problem is the file as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class PackageError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]))


@dataclass(frozen=True)
class ExpectedAction:
    id: str
    text: str
    criterion: str
    deadline_minutes: int
    sop_step: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class Condition:
    after_inject: str
    minutes: int
    unless: str


@dataclass(frozen=True)
class Inject:
    id: str
    kind: str
    path: str
    sender: str
    receivers: tuple[str, ...]
    channel: str
    title: str
    content: str = ""
    cue: str = ""
    at_seconds: int | None = None
    persona: str = ""
    organisation: str = ""
    condition: Condition | None = None
    expected_actions: tuple[ExpectedAction, ...] = ()
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    id: str
    version: str
    title: str
    summary: str
    language: str
    days: int
    day_start_minutes: int
    teams: tuple[dict[str, str], ...]
    sop_steps: tuple[dict[str, str], ...]
    country: dict[str, Any]
    organisations: tuple[dict[str, Any], ...]
    roles: tuple[dict[str, Any], ...]
    personas: tuple[dict[str, Any], ...]
    injects: tuple[Inject, ...]
    cases: tuple[dict[str, Any], ...] = ()
    files: dict[str, str] = field(default_factory=dict)  # name -> text (kept with the exercise)
    translations: dict[str, Any] = field(default_factory=dict)  # language -> texts

    def role(self, key: str) -> dict[str, Any]:
        return next(r for r in self.roles if r["key"] == key)

    def inject(self, inject_id: str) -> Inject:
        return next(i for i in self.injects if i.id == inject_id)


# --- YAML with line numbers ----------------------------------------------------------------


Path_ = tuple[str | int, ...]


def _to_python(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[str]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                problems.append(f"{key_node.start_mark.line + 1}:the key {key!r} appears twice")
            out[key] = _to_python(value_node, (*path, key), lines, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(n, (*path, i), lines, problems) for i, n in enumerate(node.value)]
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def parse_yaml(name: str, text: str) -> tuple[Any, dict[Path_, int], list[Problem]]:
    """(data, line of each path, problems) of one file's text."""
    lines: dict[Path_, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        reason = getattr(exc, "problem", None) or str(exc)
        return None, lines, [Problem(name, line, f"not valid YAML ({reason})")]
    if node is None:
        return None, lines, [Problem(name, 0, "the file is empty")]
    dup: list[str] = []
    data = _to_python(node, (), lines, dup)
    problems = [Problem(name, int(d.split(":", 1)[0]), d.split(":", 1)[1]) for d in dup]
    return data, lines, problems


def _line_of(lines: dict[Path_, int], path: Path_) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _schema_message(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    prefix = f"{where}: " if where else ""
    return prefix + str(error.message)


# --- the package ---------------------------------------------------------------------------


def read_package(directory: Path) -> tuple[dict[str, str], list[Problem]]:
    """The package's files as text, and the files that could not be read (a missing file is
    reported by ``parse_package``, with the problems of the others)."""
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    if not directory.is_dir():
        raise PackageError([Problem(str(directory), 0, "no such scenario package directory")])
    for name in (*FILES, TRANSLATIONS):
        p = directory / name
        if not p.is_file():
            continue
        if p.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(name, 0, "the file is larger than 2 MB"))
            continue
        try:
            texts[name] = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(name, 0, "the file is not UTF-8 text"))
    return texts, problems


def load_package(directory: Path) -> Scenario:
    texts, problems = read_package(directory)
    try:
        scenario = parse_package(texts)
    except PackageError as exc:
        unread = {p.file for p in problems}
        raise PackageError(problems + [p for p in exc.problems if p.file not in unread]) from None
    if problems:
        raise PackageError(problems)
    return scenario


# translations.yaml: per language (ISO 639-1), the texts trainees, role-players and the room
# read, by the keys the other files give them. Anything left out is shown in the package's
# language; a translated inject's questions are all translated (answers are kept by index).
_LANG_TEXTS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title": _TEXT,
        "summary": _TEXT,
        "teams": {
            "type": "object",
            "propertyNames": _KEY,
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 100},
        },
        # the fictional country (country.yaml): lists are translated whole, in order
        "country": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "name": _TEXT,
                "description": _TEXT,
                "laws": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["title", "summary"],
                        "properties": {"title": _TEXT, "summary": _TEXT},
                    },
                },
                "nrm_rules": {"type": "array", "items": _TEXT},
                "services": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "offers"],
                        "properties": {"name": _TEXT, "offers": _TEXT, "region": _TEXT},
                    },
                },
            },
        },
        "sop_steps": {"type": "object", "propertyNames": _KEY, "additionalProperties": _TEXT},
        "organisations": {
            "type": "object",
            "propertyNames": _KEY,
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 150},
        },
        "roles": {
            "type": "object",
            "propertyNames": _KEY,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "title": {"type": "string", "minLength": 1, "maxLength": 150},
                    "brief": _TEXT,
                },
            },
        },
        "personas": {
            "type": "object",
            "propertyNames": _KEY,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "name": _TEXT,
                    "background": _TEXT,
                    "languages": {"type": "array", "items": _TEXT},
                    "reveals": _REVEALS,
                },
            },
        },
        "cases": {
            "type": "object",
            "propertyNames": _KEY,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "summary": _TEXT,
                    "documents": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["title", "text"],
                            "properties": {"title": _TEXT, "text": _TEXT},
                        },
                    },
                },
            },
        },
        "injects": {
            "type": "object",
            "propertyNames": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,29}$"},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "title": {"type": "string", "minLength": 1, "maxLength": 300},
                    "content": _TEXT,
                    "cue": _TEXT,
                    "questions": {"type": "array", "items": _TEXT, "maxItems": 10},
                    "expected_actions": {
                        "type": "object",
                        "additionalProperties": _TEXT,
                    },
                },
            },
        },
    },
}
TRANSLATIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"type": "string", "pattern": "^[a-z]{2}$"},
    "additionalProperties": _LANG_TEXTS,
}


_Add = Callable[[tuple[Any, ...], str], None]


def _check_translations(
    tr: dict[str, Any], ln: dict[Path_, int], data: dict[str, Any]
) -> list[Problem]:
    """Every key of translations.yaml names something the package has, and every list is
    translated whole (its items are matched by position)."""
    problems: list[Problem] = []
    own = data["scenario.yaml"]["language"]

    def add(path: Path_, message: str) -> None:
        problems.append(Problem(TRANSLATIONS, _line_of(ln, path), message))

    for lang, texts in tr.items():
        if lang == own:
            add(
                (lang,), f"'{lang}' is the package's own language: its texts are in the other files"
            )
        _check_translated_msel(lang, texts, data, add)
        _check_translated_world(lang, texts, data, add)
    return problems


def _whole(add: _Add, path: Path_, got: list[Any], written: list[Any], what: str) -> None:
    if len(got) != len(written):
        add(path, f"{what} has {len(written)} items: translate all of them, in order")


def _check_translated_msel(
    lang: str, texts: dict[str, Any], data: dict[str, Any], add: _Add
) -> None:
    """Teams, injects, their questions and expected actions."""
    teams = {t["key"] for t in data["scenario.yaml"]["teams"]}
    injects = {x["id"]: x for x in data["msel.yaml"]["injects"]}
    for team in texts.get("teams", {}):
        if team not in teams:
            add((lang, "teams", team), f"unknown team '{team}'")
    for iid, t in texts.get("injects", {}).items():
        x = injects.get(iid)
        if x is None:
            add((lang, "injects", iid), f"unknown inject '{iid}'")
            continue
        if "questions" in t and len(t["questions"]) != len(x.get("questions", [])):
            add(
                (lang, "injects", iid, "questions"),
                f"inject '{iid}' has {len(x.get('questions', []))} questions: "
                "translate all of them, in order",
            )
        actions = {ea["id"] for ea in x.get("expected_actions", [])}
        for aid in t.get("expected_actions", {}):
            if aid not in actions:
                add(
                    (lang, "injects", iid, "expected_actions", aid),
                    f"unknown expected action '{aid}' of inject '{iid}'",
                )


def _check_translated_world(
    lang: str, texts: dict[str, Any], data: dict[str, Any], add: _Add
) -> None:
    """The country, SOP steps, organisations, roles, personas and seeded case files."""
    country = data["country.yaml"]
    c = texts.get("country", {})
    for name, written in (
        ("laws", country.get("laws", [])),
        ("nrm_rules", country.get("nrm", {}).get("rules", [])),
        ("services", country.get("services", [])),
    ):
        if name in c:
            _whole(add, (lang, "country", name), c[name], written, f"country.yaml's {name}")
    for name, known, what in (
        ("sop_steps", {x["key"] for x in data["scenario.yaml"].get("sop_steps", [])}, "SOP step"),
        (
            "organisations",
            {o["key"] for o in data["organisations.yaml"]["organisations"]},
            "organisation",
        ),
        ("roles", {r["key"] for r in data["organisations.yaml"]["roles"]}, "role"),
    ):
        for key in texts.get(name, {}):
            if key not in known:
                add((lang, name, key), f"unknown {what} '{key}'")
    personas = {p["key"]: p for p in data["personas.yaml"]["personas"]}
    for key, t in texts.get("personas", {}).items():
        p = personas.get(key)
        if p is None:
            add((lang, "personas", key), f"unknown persona '{key}'")
            continue
        for name in ("languages", "reveals"):
            if name in t:
                _whole(
                    add, (lang, "personas", key, name), t[name], p.get(name, []), f"{key}'s {name}"
                )
    cases = {x["key"]: x for x in data["personas.yaml"].get("cases", [])}
    for key, t in texts.get("cases", {}).items():
        case = cases.get(key)
        if case is None:
            add((lang, "cases", key), f"unknown case '{key}'")
        elif "documents" in t:
            docs = case.get("documents", [])
            _whole(
                add, (lang, "cases", key, "documents"), t["documents"], docs, f"{key}'s documents"
            )


def parse_translations(text: str) -> dict[str, Any]:
    """The checked texts of a stored translations.yaml (already validated at load)."""
    data = yaml.safe_load(text) if text else None
    return data if isinstance(data, dict) else {}


def parse_package(texts: dict[str, str]) -> Scenario:
    """Check every file and every cross-reference; return the scenario or raise with all problems."""
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    lines: dict[str, dict[Path_, int]] = {}
    for name in FILES:
        if name not in texts:
            problems.append(Problem(name, 0, "this file is missing from the package"))
            continue
        d, ln, probs = parse_yaml(name, texts[name])
        problems.extend(probs)
        lines[name] = ln
        if d is None:
            continue
        schema_errors = sorted(
            Draft202012Validator(SCHEMAS[name]).iter_errors(d),
            key=lambda e: _line_of(ln, tuple(e.absolute_path)),
        )
        for err in schema_errors:
            problems.append(
                Problem(name, _line_of(ln, tuple(err.absolute_path)), _schema_message(err))
            )
        if not schema_errors:
            data[name] = d
    translations: dict[str, Any] = {}
    if TRANSLATIONS in texts:
        d, ln, probs = parse_yaml(TRANSLATIONS, texts[TRANSLATIONS])
        problems.extend(probs)
        if d is not None:
            errs = sorted(
                Draft202012Validator(TRANSLATIONS_SCHEMA).iter_errors(d),
                key=lambda e: _line_of(ln, tuple(e.absolute_path)),
            )
            problems.extend(
                Problem(TRANSLATIONS, _line_of(ln, tuple(e.absolute_path)), _schema_message(e))
                for e in errs
            )
            if not errs and len(data) == len(FILES):
                problems.extend(_check_translations(d, ln, data))
                translations = d
    if len(data) == len(FILES):
        problems.extend(_cross_check(data, lines))
    if problems:
        raise PackageError(problems)
    return _build(data, texts, translations)


def _parse_at(at: str, day_start: int) -> tuple[int, int]:
    m = re.fullmatch(r"D(\d+) (\d\d):(\d\d)", at)
    assert m is not None  # the schema's pattern
    return int(m.group(1)), sim_seconds_of(
        int(m.group(1)), int(m.group(2)), int(m.group(3)), day_start
    )


def _day_start(scenario: dict[str, Any]) -> int:
    hh, mm = str(scenario.get("day_start", "09:00")).split(":")
    return int(hh) * 60 + int(mm)


def _dupes(items: list[dict[str, Any]], key: str) -> list[tuple[int, str]]:
    seen: set[str] = set()
    out = []
    for i, item in enumerate(items):
        if item[key] in seen:
            out.append((i, item[key]))
        seen.add(item[key])
    return out


def _cross_check(  # noqa: C901, PLR0912 – one branch per rule of the package format
    data: dict[str, Any], lines: dict[str, dict[Path_, int]]
) -> list[Problem]:
    problems: list[Problem] = []

    def add(name: str, path: Path_, msg: str) -> None:
        problems.append(Problem(name, _line_of(lines[name], path), msg))

    sc, orgs_file, personas_file, msel = (
        data["scenario.yaml"],
        data["organisations.yaml"],
        data["personas.yaml"],
        data["msel.yaml"],
    )
    day_start = _day_start(sc)
    orgs = {o["key"] for o in orgs_file["organisations"]}
    roles = {r["key"]: r for r in orgs_file["roles"]}
    personas = {p["key"] for p in personas_file["personas"]}
    sops = {s["key"] for s in sc.get("sop_steps", [])}
    for listname, name, items in [
        ("teams", "scenario.yaml", sc["teams"]),
        ("sop_steps", "scenario.yaml", sc.get("sop_steps", [])),
        ("organisations", "organisations.yaml", orgs_file["organisations"]),
        ("roles", "organisations.yaml", orgs_file["roles"]),
        ("personas", "personas.yaml", personas_file["personas"]),
    ]:
        for i, key in _dupes(items, "key"):
            add(name, (listname, i, "key"), f"the key {key!r} is used twice")
    for i, r in enumerate(orgs_file["roles"]):
        if r["kind"] == "trainee":
            if r.get("organisation") not in orgs:
                add(
                    "organisations.yaml",
                    ("roles", i),
                    f"trainee role {r['key']!r} names no known organisation "
                    f"({r.get('organisation', 'none')!r})",
                )
            if not r.get("palermo_roles"):
                add(
                    "organisations.yaml",
                    ("roles", i),
                    f"trainee role {r['key']!r} needs palermo_roles (what they may do in Palermo)",
                )
        elif r.get("organisation") and r["organisation"] not in orgs:
            add("organisations.yaml", ("roles", i, "organisation"), "unknown organisation")
    for i, svc in enumerate(data["country.yaml"]["services"]):
        if svc.get("organisation") and svc["organisation"] not in orgs:
            add("country.yaml", ("services", i, "organisation"), "unknown organisation")
        if svc.get("organisation") and not svc.get("service_types"):
            add(
                "country.yaml",
                ("services", i),
                "a service run by an organisation needs service_types",
            )
    for i, p in enumerate(personas_file["personas"]):
        if p.get("played_by") and p["played_by"] not in roles:
            add("personas.yaml", (("personas", i, "played_by")), "unknown role")
    problems.extend(_check_cases(personas_file, roles, personas, lines["personas.yaml"]))
    injects = msel["injects"]
    ids = [x["id"] for x in injects]
    for i, x in enumerate(injects):
        base: Path_ = ("injects", i)
        if ids.count(x["id"]) > 1 and ids.index(x["id"]) != i:
            add("msel.yaml", (*base, "id"), f"the inject id {x['id']!r} is used twice")
        if x["sender"] not in roles:
            add("msel.yaml", (*base, "sender"), f"unknown role {x['sender']!r} as sender")
        for j, rcv in enumerate(x["receivers"]):
            if rcv not in roles:
                add("msel.yaml", (*base, "receivers", j), f"unknown role {rcv!r} as receiver")
        if x.get("persona") and x["persona"] not in personas:
            add("msel.yaml", (*base, "persona"), f"unknown persona {x['persona']!r}")
        if x.get("organisation") and x["organisation"] not in orgs:
            add("msel.yaml", (*base, "organisation"), f"unknown organisation {x['organisation']!r}")
        if x["kind"] == "scheduled":
            if "at" not in x:
                add("msel.yaml", base, "a scheduled inject needs 'at' (e.g. D1 09:30)")
            else:
                day, secs = _parse_at(x["at"], day_start)
                if secs < 0 or day > sc["days"]:
                    add("msel.yaml", (*base, "at"), "this time is outside the exercise's days")
        if x["kind"] == "conditional":
            cond = x.get("condition")
            if cond is None:
                add("msel.yaml", base, "a contingency inject needs a 'condition'")
            elif cond["after_inject"] not in ids:
                add(
                    "msel.yaml",
                    (*base, "condition", "after_inject"),
                    f"unknown inject {cond['after_inject']!r}",
                )
        elif "condition" in x:
            add("msel.yaml", (*base, "condition"), "only a contingency inject has a condition")
        for k, ea in enumerate(x.get("expected_actions", [])):
            if ea.get("sop_step") and ea["sop_step"] not in sops:
                add(
                    "msel.yaml",
                    (*base, "expected_actions", k, "sop_step"),
                    f"unknown SOP step {ea['sop_step']!r}",
                )
    all_ea = [ea["id"] for x in injects for ea in x.get("expected_actions", [])]
    for dup in sorted({e for e in all_ea if all_ea.count(e) > 1}):
        add("msel.yaml", ("injects",), f"the expected action id {dup!r} is used more than once")
    return problems


def _check_cases(
    personas_file: dict[str, Any],
    roles: dict[str, dict[str, Any]],
    personas: set[str],
    lines: dict[Path_, int],
) -> list[Problem]:
    """The seeded cases: known persona, a trainee role that opens them, values the cases
    context accepts (checked here so a bad entry is named with its line, not at creation)."""
    problems: list[Problem] = []

    def add(path: Path_, msg: str) -> None:
        problems.append(Problem("personas.yaml", _line_of(lines, path), msg))

    cases = personas_file.get("cases", [])
    for i, key in _dupes(cases, "key"):
        add(("cases", i, "key"), f"the key {key!r} is used twice")
    genders = case_vocabulary.values("prs_Gender")
    for i, c in enumerate(cases):
        base: Path_ = ("cases", i)
        if c["persona"] not in personas:
            add((*base, "persona"), f"unknown persona {c['persona']!r}")
        role = roles.get(c["opened_by"])
        if role is None:
            add((*base, "opened_by"), f"unknown role {c['opened_by']!r}")
        elif role["kind"] != "trainee" or not role.get("per_team", 1):
            add((*base, "opened_by"), f"role {c['opened_by']!r} is not a trainee role of the teams")
        elif c.get("documents") and not set(role.get("palermo_roles", [])) & set(
            CASE_EDITING_ROLES
        ):
            add(
                (*base, "opened_by"),
                f"role {c['opened_by']!r} cannot add the documents to the case "
                f"(needs palermo_roles {' or '.join(CASE_EDITING_ROLES)})",
            )
        _codes, unknown = case_vocabulary.exploitation_codes(c["exploitation_forms"])
        for form in unknown:
            j = c["exploitation_forms"].index(form)
            add((*base, "exploitation_forms", j), f"unknown form of exploitation {form!r}")
        person = c.get("person", {})
        if person.get("gender") and person["gender"] not in genders:
            add((*base, "person", "gender"), f"unknown gender {person['gender']!r}")
        for j, cc in enumerate(person.get("citizenship", [])):
            if not case_vocabulary.is_country(cc):
                add((*base, "person", "citizenship", j), f"unknown country code {cc!r}")
        lang = person.get("primary_language")
        if lang and not case_vocabulary.is_language(lang):
            add((*base, "person", "primary_language"), f"unknown language code {lang!r}")
        if c["source"] == "transnational":
            add((*base, "source"), "a seeded case cannot be a transnational referral")
    return problems


def _build(
    data: dict[str, Any], texts: dict[str, str], translations: dict[str, Any] | None = None
) -> Scenario:
    sc = data["scenario.yaml"]
    day_start = _day_start(sc)
    injects = []
    for x in data["msel.yaml"]["injects"]:
        cond = x.get("condition")
        injects.append(
            Inject(
                id=x["id"],
                kind=x["kind"],
                path=x["path"],
                sender=x["sender"],
                receivers=tuple(x["receivers"]),
                channel=x["channel"],
                title=x["title"],
                content=x.get("content", ""),
                cue=x.get("cue", ""),
                at_seconds=_parse_at(x["at"], day_start)[1] if x.get("at") else None,
                persona=x.get("persona", ""),
                organisation=x.get("organisation", ""),
                condition=Condition(cond["after_inject"], cond["minutes"], cond["unless"])
                if cond
                else None,
                questions=tuple(x.get("questions", [])),
                expected_actions=tuple(
                    ExpectedAction(
                        id=ea["id"],
                        text=ea["text"],
                        criterion=ea["criterion"],
                        deadline_minutes=ea["deadline_minutes"],
                        sop_step=ea.get("sop_step", ""),
                        evidence=ea.get("evidence", ""),
                    )
                    for ea in x.get("expected_actions", [])
                ),
            )
        )
    return Scenario(
        id=sc["id"],
        version=sc["version"],
        title=sc["title"],
        summary=sc["summary"],
        language=sc["language"],
        days=sc["days"],
        day_start_minutes=day_start,
        teams=tuple(sc["teams"]),
        sop_steps=tuple(sc.get("sop_steps", [])),
        country=data["country.yaml"],
        organisations=tuple(data["organisations.yaml"]["organisations"]),
        roles=tuple(data["organisations.yaml"]["roles"]),
        personas=tuple(data["personas.yaml"]["personas"]),
        cases=tuple(data["personas.yaml"].get("cases", [])),
        injects=tuple(injects),
        files=dict(texts),
        translations=translations or {},
    )


SHIPPED = Path(__file__).resolve().parent / "scenarios"


def shipped_packages() -> list[str]:
    return sorted(
        p.name for p in SHIPPED.iterdir() if p.is_dir() and (p / "scenario.yaml").is_file()
    )


def resolve_package(name_or_path: str) -> Path:
    """A shipped scenario's name, or a directory path."""
    if re.fullmatch(r"[a-z0-9_]+", name_or_path) and (SHIPPED / name_or_path).is_dir():
        return SHIPPED / name_or_path
    return Path(name_or_path)
