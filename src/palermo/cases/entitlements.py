"""Entitlements and deadlines held as data (``data/nrm_rules.yaml``).

A rule says: when <trigger> happens to a case that <applies_to>, a period of
<days> starts, ending in a task. The reflection and recovery period is one
such rule; its length is a deployment setting with a floor of 30 days, and the
loader refuses any file that would make it depend on co-operation with the
authorities (Council of Europe Convention, Art. 13).

Pure: no Django imports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from palermo.cases.workflow import PHASES, due_date

REFLECTION_RULE = "reflection_recovery_period"
REFLECTION_SETTING = "reflection_period_days"
TRIGGERS = frozenset(
    {"case.opened", "identification.presumed", "identification.identified"}
    | {f"phase.{p}" for p in PHASES}
)
APPLIES_TO = frozenset({"all", "child", "adult", "foreign_national"})
KINDS = frozenset({"entitlement", "deadline"})


class RulesError(ValueError):
    """The rules file is inconsistent or breaks a minimum standard."""


@dataclass(frozen=True)
class Source:
    key: str
    citation: str


@dataclass(frozen=True)
class Setting:
    name: str
    default: int
    minimum: int
    environment: str  # the variable a deployment sets it with, "" for none


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    label: str
    trigger: str
    applies_to: str
    days: int | None  # fixed length, or None when ``days_setting`` gives it
    days_setting: str
    task: str
    sources: tuple[Source, ...]
    when_cooperating: bool | None = None


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: str
    title: str
    settings: Mapping[str, Setting]
    rules: tuple[Rule, ...]

    def rule(self, key: str) -> Rule:
        for r in self.rules:
            if r.key == key:
                return r
        raise KeyError(key)


@dataclass(frozen=True)
class CaseFacts:
    """What the rules may look at. Deliberately small: nothing else can make a right conditional."""

    is_child: bool
    is_foreign_national: bool
    cooperates_with_authorities: bool | None = None  # None: not known or not asked


@dataclass(frozen=True)
class PlannedDeadline:
    rule_key: str
    rule_version: str
    kind: str
    label: str
    task: str
    starts_on: date
    due_on: date
    days: int
    citations: tuple[str, ...]


def _require(doc: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in doc:
        raise RulesError(f"{where}: '{key}' is missing")
    return doc[key]


def parse_rules(doc: Mapping[str, Any]) -> RuleSet:
    """Check and type a rules document. Raises ``RulesError`` naming the rule and the reason."""
    sources = {
        k: Source(k, str(_require(v, "citation", f"source {k}")))
        for k, v in dict(_require(doc, "sources", "rules file")).items()
    }
    settings: dict[str, Setting] = {}
    for name, raw in dict(doc.get("settings") or {}).items():
        s = Setting(
            name,
            int(_require(raw, "default", f"setting {name}")),
            int(raw.get("minimum", 0)),
            str(raw.get("environment", "")),
        )
        if s.default < s.minimum:
            raise RulesError(
                f"setting {name}: default {s.default} is below the minimum {s.minimum}"
            )
        settings[name] = s
    if REFLECTION_SETTING in settings and settings[REFLECTION_SETTING].minimum < 30:
        raise RulesError(
            "setting reflection_period_days: the minimum may not be below 30 days (CoE Convention, Art. 13)"
        )
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw in list(_require(doc, "rules", "rules file")):
        key = str(_require(raw, "key", "a rule"))
        where = f"rule {key}"
        if key in seen:
            raise RulesError(f"{where}: defined twice")
        seen.add(key)
        kind = str(_require(raw, "kind", where))
        trigger = str(_require(raw, "trigger", where))
        applies = str(raw.get("applies_to", "all"))
        if kind not in KINDS:
            raise RulesError(f"{where}: kind must be one of {sorted(KINDS)}")
        if trigger not in TRIGGERS:
            raise RulesError(f"{where}: unknown trigger '{trigger}'")
        if applies not in APPLIES_TO:
            raise RulesError(f"{where}: applies_to must be one of {sorted(APPLIES_TO)}")
        days_raw = _require(raw, "days", where)
        days: int | None
        setting = ""
        if isinstance(days_raw, Mapping):
            setting = str(_require(days_raw, "setting", where))
            if setting not in settings:
                raise RulesError(f"{where}: unknown setting '{setting}'")
            days = None
        else:
            days = int(days_raw)
            if days < 0:
                raise RulesError(f"{where}: days cannot be negative")
        cooperating = raw.get("when_cooperating")
        if cooperating is not None and not isinstance(cooperating, bool):
            raise RulesError(f"{where}: when_cooperating must be true or false")
        refs = list(_require(raw, "sources", where))
        if not refs:
            raise RulesError(f"{where}: cite at least one source")
        missing = [r for r in refs if r not in sources]
        if missing:
            raise RulesError(f"{where}: unknown sources {missing}")
        if key == REFLECTION_RULE:
            if cooperating is not None:
                raise RulesError(
                    f"{where}: the reflection period may not depend on co-operation with the authorities (CoE Convention, Art. 13)"
                )
            if setting != REFLECTION_SETTING:
                raise RulesError(
                    f"{where}: its length must come from the setting {REFLECTION_SETTING}"
                )
            if applies != "all":
                raise RulesError(f"{where}: the reflection period applies to every presumed victim")
        rules.append(
            Rule(
                key=key,
                kind=kind,
                label=str(_require(raw, "label", where)),
                trigger=trigger,
                applies_to=applies,
                days=days,
                days_setting=setting,
                task=str(_require(raw, "task", where)),
                sources=tuple(sources[r] for r in refs),
                when_cooperating=cooperating,
            )
        )
    return RuleSet(
        id=str(_require(doc, "id", "rules file")),
        version=str(_require(doc, "version", "rules file")),
        title=str(doc.get("title", "")),
        settings=settings,
        rules=tuple(rules),
    )


def setting_values(rules: RuleSet, overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Each setting's value: the override if given (checked against the minimum), else the default."""
    values: dict[str, int] = {}
    for name, s in rules.settings.items():
        value = int((overrides or {}).get(name, s.default))
        if value < s.minimum:
            raise RulesError(f"setting {name}: {value} is below the minimum of {s.minimum}")
        values[name] = value
    return values


def settings_from_environment(
    rules: RuleSet, environ: Mapping[str, str] | None = None
) -> dict[str, int]:
    env = os.environ if environ is None else environ
    found: dict[str, int] = {}
    for name, s in rules.settings.items():
        if s.environment and env.get(s.environment, "").strip():
            try:
                found[name] = int(env[s.environment])
            except ValueError as exc:
                raise RulesError(f"{s.environment} must be a whole number of days") from exc
    return setting_values(rules, found)


def _applies(rule: Rule, facts: CaseFacts) -> bool:
    if rule.applies_to == "child" and not facts.is_child:
        return False
    if rule.applies_to == "adult" and facts.is_child:
        return False
    if rule.applies_to == "foreign_national" and not facts.is_foreign_national:
        return False
    return (
        rule.when_cooperating is None or facts.cooperates_with_authorities is rule.when_cooperating
    )


def plan(
    trigger: str, on: date, facts: CaseFacts, rules: RuleSet, settings: Mapping[str, int]
) -> list[PlannedDeadline]:
    """The entitlements and deadlines that ``trigger`` on day ``on`` starts for a case."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    out: list[PlannedDeadline] = []
    for rule in rules.rules:
        if rule.trigger != trigger or not _applies(rule, facts):
            continue
        days = rule.days if rule.days is not None else int(settings[rule.days_setting])
        out.append(
            PlannedDeadline(
                rule_key=rule.key,
                rule_version=rules.version,
                kind=rule.kind,
                label=rule.label,
                task=rule.task,
                starts_on=on,
                due_on=due_date(on, days),
                days=days,
                citations=tuple(s.citation for s in rule.sources),
            )
        )
    return out


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rules file: ``path``, else $PALERMO_NRM_RULES, else the one shipped with Palermo."""
    chosen = path or os.environ.get("PALERMO_NRM_RULES", "")
    if chosen:
        text = Path(chosen).read_text(encoding="utf-8")
    else:
        text = (
            resources.files("palermo.cases")
            .joinpath("data", "nrm_rules.yaml")
            .read_text(encoding="utf-8")
        )
    return parse_rules(yaml.safe_load(text))


@cache
def default_rules() -> RuleSet:
    return load_rules()
