"""Red-flag rules as data, and the engine that runs them over a workspace.

A rule (``rules/*.yaml``, validated against ``rules/rule.schema.json``) carries
its id and version, the public source it implements, the form of exploitation
it points to, the fields it needs, its parameters and its SQL query. The query
returns one row per alert: ``subject``, ``tx_ids`` (the transactions behind the
alert), ``score`` and ``summary``.

Three promises the engine keeps:

* a rule whose required fields are absent from the data is **skipped and
  reported** with the missing fields, never run on NULLs and silently passed;
* every alert **names its transactions**;
* an alert once **decided** (confirmed or dismissed) is not raised again on a
  re-run unless new transactions join it;
* a typology is **named once**: a rule may declare ``yields_to`` (more specific
  rules); its alert is dropped when an alert of such a rule has the same subject
  and holds more than half of its transactions (a scatter-gather gatherer or a
  gather-scatter hub is not also reported as a fan-in). An account that plays
  two roles over different payments keeps both alerts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import yaml

__all__ = [
    "RuleSource",
    "RuleParameter",
    "Rule",
    "RulePack",
    "RuleError",
    "Alert",
    "SkippedRule",
    "RuleRunReport",
    "Decision",
    "load_rule",
    "load_rule_pack",
    "available_fields",
    "run_rule_pack",
    "alert_key",
    "apply_precedence",
]

_PARAM_REF = re.compile(r"\$([a-z_][a-z0-9_]*)")
# Columns computed from others: a rule asking for them needs their basis filled.
_VIRTUAL_FIELDS = {
    "tx.booked_time": "SELECT coalesce(bool_or(has_time), false) FROM tx",
}
_FORBIDDEN_TABLES = re.compile(r"\b(tx_label|account_label|alert_decision)\b")


class RuleError(ValueError):
    """A rule file that does not validate."""


@dataclass(frozen=True, slots=True)
class RuleSource:
    id: str
    title: str
    publisher: str
    year: int
    indicator: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class RuleParameter:
    name: str
    type: str
    default: Any
    description: str
    minimum: float | None = None
    maximum: float | None = None

    def coerce(self, value: Any) -> Any:
        """Check an override against the declared type and bounds."""
        if self.type == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise RuleError(f"{self.name}: expected an integer, got {value!r}")
        elif self.type == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RuleError(f"{self.name}: expected a number, got {value!r}")
            value = float(value)
        elif self.type == "string":
            if not isinstance(value, str):
                raise RuleError(f"{self.name}: expected a string, got {value!r}")
        elif self.type == "string_list" and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            raise RuleError(f"{self.name}: expected a list of strings, got {value!r}")
        if self.minimum is not None and isinstance(value, int | float) and value < self.minimum:
            raise RuleError(f"{self.name}: {value} is below the minimum {self.minimum}")
        if self.maximum is not None and isinstance(value, int | float) and value > self.maximum:
            raise RuleError(f"{self.name}: {value} is above the maximum {self.maximum}")
        return value


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    title: str
    description: str
    exploitation: tuple[str, ...]
    typology: str
    sources: tuple[RuleSource, ...]
    requires: tuple[str, ...]
    parameters: Mapping[str, RuleParameter]
    subject: str
    query: str
    query_parameters: tuple[str, ...] = ()
    derived: str | None = None
    backtest_label: str | None = None
    yields_to: tuple[str, ...] = ()

    def resolve_parameters(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults merged with checked overrides; unknown names are an error."""
        overrides = dict(overrides or {})
        unknown = set(overrides) - set(self.parameters)
        if unknown:
            raise RuleError(f"{self.id}: unknown parameters {sorted(unknown)}")
        return {
            name: p.coerce(overrides[name]) if name in overrides else p.default
            for name, p in self.parameters.items()
        }


@dataclass(frozen=True)
class RulePack:
    rules: tuple[Rule, ...]

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)


@dataclass(frozen=True, slots=True)
class Alert:
    alert_key: str
    rule_id: str
    rule_version: int
    subject: str
    tx_ids: tuple[str, ...]
    score: float
    summary: str
    exploitation: tuple[str, ...]
    typology: str


@dataclass(frozen=True, slots=True)
class SkippedRule:
    rule_id: str
    missing_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """An investigator's judgement on an alert, as the shell stores it."""

    alert_key: str
    rule_id: str
    subject: str
    tx_ids: tuple[str, ...]
    decision: str  # confirmed | dismissed


@dataclass(frozen=True)
class RuleRunReport:
    run_id: str
    alerts: tuple[Alert, ...]
    ran: tuple[str, ...]
    skipped: tuple[SkippedRule, ...]
    suppressed: int
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ran": list(self.ran),
            "skipped": [
                {"rule_id": s.rule_id, "missing_fields": list(s.missing_fields)}
                for s in self.skipped
            ],
            "suppressed": self.suppressed,
            "alerts": len(self.alerts),
            "parameters": {k: dict(v) for k, v in self.parameters.items()},
        }


def _schema() -> dict[str, Any]:
    text = (
        resources.files("palermo.investigate")
        .joinpath("rules", "rule.schema.json")
        .read_text("utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def rule_from_dict(data: Mapping[str, Any], *, origin: str = "<dict>") -> Rule:
    """Validate one rule mapping and build it; every inconsistency is a RuleError."""
    try:
        jsonschema.validate(dict(data), _schema())
    except jsonschema.ValidationError as exc:
        path = "/".join(str(p) for p in exc.absolute_path)
        raise RuleError(f"{origin}: {path}: {exc.message}") from exc
    query = data["query"]
    referenced = set(_PARAM_REF.findall(query))
    declared = set(data["parameters"])
    # a derivation (e.g. cycle search) may consume parameters the query never sees
    if not referenced <= declared or (referenced != declared and not data.get("derived")):
        raise RuleError(
            f"{origin}: parameters declared {sorted(declared)} but the query uses {sorted(referenced)}"
        )
    if _FORBIDDEN_TABLES.search(query):
        raise RuleError(f"{origin}: a rule may not read labels or decisions")
    params = {}
    for name, spec in data["parameters"].items():
        param = RuleParameter(
            name=name,
            type=spec["type"],
            default=spec["default"],
            description=spec["description"],
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
        )
        param.coerce(param.default)
        params[name] = param
    return Rule(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        description=data["description"],
        exploitation=tuple(data["exploitation"]),
        typology=data["typology"],
        sources=tuple(RuleSource(**s) for s in data["sources"]),
        requires=tuple(data["requires"]),
        parameters=params,
        subject=data["subject"],
        query=query,
        query_parameters=tuple(sorted(referenced)),
        derived=data.get("derived"),
        backtest_label=(data.get("backtest") or {}).get("typology_label"),
        yields_to=tuple(data.get("yields_to") or ()),
    )


def load_rule(path: Path) -> Rule:
    data = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(data, dict):
        raise RuleError(f"{path}: expected a mapping")
    return rule_from_dict(data, origin=str(path))


def load_rule_pack(folder: Path | None = None) -> RulePack:
    """Every ``*.yaml`` rule in ``folder`` (the packaged pack when None), validated."""
    if folder is None:
        base = resources.files("palermo.investigate").joinpath("rules")
        items = [
            (item.name, item.read_text("utf-8"))
            for item in base.iterdir()
            if item.name.endswith(".yaml")
        ]
    else:
        items = [(p.name, p.read_text("utf-8")) for p in folder.glob("*.yaml")]
    rules = []
    for name, text in sorted(items):
        data = yaml.safe_load(text)
        if not isinstance(data, dict):
            raise RuleError(f"{name}: expected a mapping")
        rules.append(rule_from_dict(data, origin=name))
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleError(f"rule ids defined twice: {dupes}")
    for r in rules:
        unknown = sorted(set(r.yields_to) - set(ids))
        if unknown or r.id in r.yields_to:
            raise RuleError(f"{r.id}: yields to unknown or itself: {unknown or [r.id]}")
    return RulePack(rules=tuple(rules))


# an alert yields when a more specific alert on its subject holds more than this share of its transactions
YIELD_MIN_OVERLAP = 0.5


def apply_precedence(alerts: list[Alert], pack: RulePack) -> list[Alert]:
    """Drop alerts better explained by a more specific rule (``yields_to``)."""
    by_rule_subject: dict[tuple[str, str], list[set[str]]] = {}
    for a in alerts:
        by_rule_subject.setdefault((a.rule_id, a.subject), []).append(set(a.tx_ids))
    rules = {r.id: r for r in pack.rules}
    kept = []
    for a in alerts:
        rule = rules.get(a.rule_id)
        txs = set(a.tx_ids)
        yielded = rule is not None and any(
            len(txs & other) > YIELD_MIN_OVERLAP * len(txs)
            for specific in rule.yields_to
            for other in by_rule_subject.get((specific, a.subject), [])
        )
        if not yielded:
            kept.append(a)
    return kept


# The tables a rule's ``requires`` may name (the rule schema's pattern says the same).
_FIELD_TABLES = ("tx", "account", "party")


def available_fields(con: duckdb.DuckDBPyConnection, fields: set[str]) -> set[str]:
    """The subset of ``table.column`` fields that hold at least one value.

    A field naming another table, or a column the table does not have, is simply absent:
    the names reach SQL only after both were found in the workspace's own catalogue, and
    then quoted by DuckDB."""
    present: set[str] = set()
    for fld in sorted(fields):
        if fld in _VIRTUAL_FIELDS:
            if con.execute(_VIRTUAL_FIELDS[fld]).fetchone()[0]:  # type: ignore[index]
                present.add(fld)
            continue
        table, _dot, column = fld.partition(".")
        if table not in _FIELD_TABLES:
            continue
        cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        if column not in cols:
            continue
        quoted = duckdb.ColumnExpression(column)
        row = con.execute(f"SELECT count({quoted}) > 0 FROM {table}").fetchone()  # noqa: S608 - a table of _FIELD_TABLES; a column of its own, quoted by DuckDB
        if row and row[0]:
            present.add(fld)
    return present


def alert_key(rule_id: str, subject: str, tx_ids: tuple[str, ...]) -> str:
    """Stable id of an alert: the same rule, subject and transactions give the same key."""
    payload = "\x1f".join((rule_id, subject, *sorted(tx_ids)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def _is_suppressed(alert: Alert, decisions: list[Decision]) -> bool:
    """Decided before, and no transaction added since."""
    txs = set(alert.tx_ids)
    for d in decisions:
        if d.alert_key == alert.alert_key:
            return True
        if d.rule_id == alert.rule_id and d.subject == alert.subject and txs <= set(d.tx_ids):
            return True
    return False


def run_rule_pack(
    con: duckdb.DuckDBPyConnection,
    pack: RulePack,
    *,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    decisions: list[Decision] | None = None,
    derive: Mapping[str, Callable[[duckdb.DuckDBPyConnection, Mapping[str, Any]], object]]
    | None = None,
    only: set[str] | None = None,
    run_id: str | None = None,
) -> RuleRunReport:
    """Run every rule of the pack whose fields are present; report the others.

    ``derive`` maps a rule's ``derived`` name (e.g. ``cycles``) to a function
    that materialises the table the query reads, given the rule's parameters.
    """
    overrides = overrides or {}
    decisions = decisions or []
    derive = derive or {}
    rules = [r for r in pack.rules if only is None or r.id in only]
    unknown = set(overrides) - set(pack.ids)
    if unknown:
        raise RuleError(f"overrides for unknown rules {sorted(unknown)}")
    # check every override up front, also of rules the data will make us skip
    resolved = {r.id: r.resolve_parameters(overrides.get(r.id)) for r in rules}
    present = available_fields(con, {f for r in rules for f in r.requires})
    found: list[Alert] = []
    ran: list[str] = []
    skipped: list[SkippedRule] = []
    used_params: dict[str, dict[str, Any]] = {}
    suppressed = 0
    derived_done: set[tuple[str, str]] = set()
    for rule in rules:
        missing = tuple(f for f in rule.requires if f not in present)
        if missing:
            skipped.append(SkippedRule(rule.id, missing))
            continue
        params = resolved[rule.id]
        used_params[rule.id] = params
        if rule.derived:
            if rule.derived not in derive:
                raise RuleError(f"{rule.id}: no derivation registered for {rule.derived!r}")
            # rules sharing a derivation with the same parameters (bipartite, stack) build it once
            done = (rule.derived, json.dumps(params, sort_keys=True, default=str))
            if done not in derived_done:
                derive[rule.derived](con, params)
                derived_done.add(done)
        rows = con.execute(rule.query, {k: params[k] for k in rule.query_parameters}).fetchall()
        ran.append(rule.id)
        for subject, tx_ids, score, summary in rows:
            txs = tuple(sorted(set(tx_ids or ())))
            if not txs:
                raise RuleError(f"{rule.id}: an alert on {subject!r} names no transaction")
            alert = Alert(
                alert_key=alert_key(rule.id, str(subject), txs),
                rule_id=rule.id,
                rule_version=rule.version,
                subject=str(subject),
                tx_ids=txs,
                score=float(score) if score is not None else 0.0,
                summary=str(summary or ""),
                exploitation=rule.exploitation,
                typology=rule.typology,
            )
            found.append(alert)
    alerts: list[Alert] = []
    for alert in apply_precedence(found, pack):
        if _is_suppressed(alert, decisions):
            suppressed += 1
            continue
        alerts.append(alert)
    alerts.sort(key=lambda a: (a.rule_id, -a.score, a.subject))
    return RuleRunReport(
        run_id=run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ"),
        alerts=tuple(alerts),
        ran=tuple(ran),
        skipped=tuple(skipped),
        suppressed=suppressed,
        parameters=used_params,
    )
