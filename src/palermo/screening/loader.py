"""Load indicator sets from YAML files, validate them, and build the catalogue.

Built-in sets live in ``indicator_sets/`` beside this module. A national authority adds
or adapts sets without touching code by pointing ``PALERMO_INDICATOR_SETS_DIR`` at a
directory of YAML files (see docs/screening.md): a file there whose ``id`` equals a
built-in set's id replaces it; any other id is added.

Every file is checked against ``indicator_set.schema.json`` (JSON Schema, jsonschema
library), then for the cross-references a schema cannot express. Any problem raises
:class:`IndicatorSetError` naming the file and the reason, so start-up can stop instead
of screening people against a broken list.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

if TYPE_CHECKING:
    import jsonschema

from palermo.screening.catalogue import (
    ENGINE_OUTCOMES,
    RESERVED_INPUT_FIELDS,
    AgeGroup,
    ChildActRule,
    CriteriaRule,
    Criterion,
    Dimension,
    Grade,
    Indicator,
    IndicatorCatalogue,
    IndicatorRule,
    IndicatorSet,
    Provenance,
    Requirement,
    ScreeningQuestion,
    SetKind,
    Source,
    Stage,
    ThresholdClause,
)

BUILTIN_DIR = Path(__file__).resolve().parent / "indicator_sets"
SCHEMA_PATH = Path(__file__).resolve().parent / "indicator_set.schema.json"
ENV_VAR = "PALERMO_INDICATOR_SETS_DIR"


class IndicatorSetError(Exception):
    """A set file (or directory) cannot be used. ``path`` and ``reason`` are kept apart so
    a caller can show them separately."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    import jsonschema  # only for sets from outside the package: not at every CLI start-up

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return cast(jsonschema.protocols.Validator, validator_class(schema))


def _schema_error(data: object) -> str | None:
    errors = list(_validator().iter_errors(data))
    if not errors:
        return None
    import jsonschema

    best = jsonschema.exceptions.best_match(errors)
    where = best.json_path if best.json_path != "$" else "top level"
    return f"schema violation at {where}: {best.message}"


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IndicatorSetError(path, f"cannot read file: {exc}") from exc
    try:
        # libyaml's loader when PyYAML has it (its wheels do): the same safe subset, parsed
        # about ten times faster, which is most of `palermo screen`'s start-up.
        return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise IndicatorSetError(path, f"invalid YAML: {exc}") from exc


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dup: list[str] = []
    for v in values:
        if v in seen and v not in dup:
            dup.append(v)
        seen.add(v)
    return dup


def _check_unique(path: Path, what: str, values: Iterable[str]) -> None:
    dup = _duplicates(values)
    if dup:
        raise IndicatorSetError(path, f"duplicate {what}: {', '.join(dup)}")


def _build_indicator_rule(path: Path, raw: Mapping[str, Any]) -> IndicatorRule:
    clauses = []
    for c in raw["dimension_positive_when_any"]:
        requires = tuple(
            Requirement(grades=tuple(cast(list[Grade], r["grades"])), at_least=r["at_least"])
            for r in c["requires"]
        )
        grades = [g for r in requires for g in r.grades]
        if len(grades) != len(set(grades)):
            # Overlapping groups would let one indicator count twice; the engine counts
            # each requirement independently, so refuse rather than mis-count.
            raise IndicatorSetError(
                path, f"threshold clause '{c['id']}' uses the same grade in two requirements"
            )
        clauses.append(ThresholdClause(id=c["id"], label=c["label"], requires=requires))
    _check_unique(path, "threshold clause id", (c.id for c in clauses))
    stages = tuple(Stage(key=s["key"], label=s["label"]) for s in raw["stages"])
    _check_unique(path, "stage key", (s.key for s in stages))
    stage_keys = {s.key for s in stages}
    for key in raw["trafficking_when_positive"]:
        if key not in stage_keys:
            raise IndicatorSetError(
                path, f"rule.trafficking_when_positive names unknown stage '{key}'"
            )
    severe = raw.get("severe_exploitation")
    severe_stage = severe["requires_stage"] if severe else None
    if severe_stage is not None and severe_stage not in stage_keys:
        raise IndicatorSetError(
            path, f"rule.severe_exploitation.requires_stage names unknown stage '{severe_stage}'"
        )
    outcome = raw["outcome"]
    if outcome in ENGINE_OUTCOMES:
        raise IndicatorSetError(path, f"rule.outcome '{outcome}' is a code the engine reserves")
    child_rule = _build_child_act_rule(path, raw, stage_keys)
    return IndicatorRule(
        id=raw["id"],
        citation=raw["citation"],
        clauses=tuple(clauses),
        stages=stages,
        trafficking_when_positive=tuple(raw["trafficking_when_positive"]),
        outcome=outcome,
        severe_requires_stage=severe_stage,
        child_act_rule=child_rule,
        severe_stage_present_suffices=bool(severe and severe.get("stage") == "present"),
    )


def _build_child_act_rule(
    path: Path, raw: Mapping[str, Any], stage_keys: set[str]
) -> ChildActRule | None:
    c = raw.get("child_act_rule")
    if c is None:
        return None
    by = c["act_established_by"]
    act_stages = tuple(by["positive_stages"])
    for key in act_stages:
        if key not in stage_keys:
            raise IndicatorSetError(
                path, f"rule.child_act_rule.act_established_by names unknown stage '{key}'"
            )
    if not by["declared_act"] and not act_stages:
        raise IndicatorSetError(
            path, "rule.child_act_rule: the act must be established by a declared act or a stage"
        )
    overlap = sorted(set(act_stages) & set(raw["trafficking_when_positive"]))
    if overlap:
        # A stage that establishes the act cannot also be required: that would demand
        # recruitment evidence again, which Art. 3(c) does not.
        raise IndicatorSetError(
            path,
            f"rule.child_act_rule: stage(s) {', '.join(overlap)} establish the act and cannot "
            "also be in trafficking_when_positive",
        )
    outcomes = [raw["outcome"], c["outcome_without_act"], c["outcome_without_exploitation"]]
    _check_unique(path, "outcome code in rule and child_act_rule", outcomes)
    reserved = sorted(set(outcomes) & ENGINE_OUTCOMES)
    if reserved:
        raise IndicatorSetError(
            path, f"rule.child_act_rule uses code(s) the engine reserves: {', '.join(reserved)}"
        )
    return ChildActRule(
        id=c["id"],
        citation=c["citation"],
        by_declared_act=by["declared_act"],
        act_stages=act_stages,
        act_label=c["act_label"],
        outcome_without_act=c["outcome_without_act"],
        outcome_without_exploitation=c["outcome_without_exploitation"],
    )


def _build_set(path: Path, data: Mapping[str, Any]) -> IndicatorSet:
    kind = cast(SetKind, data["kind"])
    src = data["source"]
    prov = data["provenance"]
    indicators_raw = data["indicators"]
    _check_unique(path, "indicator key", (i["key"] for i in indicators_raw))
    reserved = sorted({i["key"] for i in indicators_raw} & RESERVED_INPUT_FIELDS)
    if reserved:
        raise IndicatorSetError(
            path, f"indicator key(s) reuse a screening field name: {', '.join(reserved)}"
        )

    dimensions: tuple[Dimension, ...] = ()
    criteria: tuple[Criterion, ...] = ()
    indicator_rule: IndicatorRule | None = None
    criteria_rule: CriteriaRule | None = None
    indicators: list[Indicator] = []

    if kind == "indicators":
        indicator_rule = _build_indicator_rule(path, data["rule"])
        dimensions = tuple(
            Dimension(
                key=d["key"],
                number=d["number"],
                label=d["label"],
                palermo_element=d["palermo_element"],
                stage=d["stage"],
            )
            for d in data["dimensions"]
        )
        _check_unique(path, "dimension key", (d.key for d in dimensions))
        _check_unique(path, "dimension number", (str(d.number) for d in dimensions))
        stage_keys = {s.key for s in indicator_rule.stages}
        for d in dimensions:
            if d.stage not in stage_keys:
                raise IndicatorSetError(
                    path, f"dimension '{d.key}' names unknown stage '{d.stage}'"
                )
        dim_keys = {d.key for d in dimensions}
        for i in indicators_raw:
            if i["dimension"] not in dim_keys:
                raise IndicatorSetError(
                    path, f"indicator '{i['key']}' names unknown dimension '{i['dimension']}'"
                )
            indicators.append(
                Indicator(
                    key=i["key"],
                    label=i["label"],
                    guidance=i["guidance"],
                    dimension=i["dimension"],
                    grade=i["grade"],
                    severe=bool(i.get("severe", False)),
                    grade_basis=i.get("grade_basis"),
                )
            )
        age_groups = tuple(data["applies_to"]["age_groups"])
        if indicator_rule.child_act_rule is None and "child" in age_groups:
            # Without it a child could be routed to "exploitation without means", i.e.
            # a labour-rights case, which Art. 3(c) rules out for a child.
            raise IndicatorSetError(
                path,
                "a graded list that applies to children needs rule.child_act_rule (Palermo "
                "Protocol Art. 3(c)): for a child, act and exploitation suffice",
            )
        if indicator_rule.child_act_rule is not None and age_groups != ("child",):
            raise IndicatorSetError(
                path,
                "rule.child_act_rule (act and exploitation without means) is for children "
                "only; this list also applies to adults",
            )
        used = {i.dimension for i in indicators}
        empty = [d.key for d in dimensions if d.key not in used]
        if empty:
            raise IndicatorSetError(path, f"dimension(s) without indicators: {', '.join(empty)}")
    else:
        rule = data["rule"]
        criteria_rule = CriteriaRule(
            id=rule["id"],
            citation=rule["citation"],
            criterion_met_when_at_least=rule["criterion_met_when_at_least"],
            outcome=rule["outcome"],
        )
        criteria = tuple(
            Criterion(
                key=c["key"],
                number=c["number"],
                label=c["label"],
                description=c["description"],
                also_met_by=tuple(c.get("also_met_by", ())),
            )
            for c in data["criteria"]
        )
        _check_unique(path, "criterion key", (c.key for c in criteria))
        crit_keys = {c.key for c in criteria}
        for i in indicators_raw:
            if i["criterion"] not in crit_keys:
                raise IndicatorSetError(
                    path, f"item '{i['key']}' names unknown criterion '{i['criterion']}'"
                )
            indicators.append(
                Indicator(
                    key=i["key"],
                    label=i["label"],
                    guidance=i["guidance"],
                    criterion=i["criterion"],
                    marker=bool(i.get("marker", False)),
                )
            )

    return IndicatorSet(
        id=data["id"],
        version=data["version"],
        kind=kind,
        title=data["title"],
        age_groups=tuple(cast(list[AgeGroup], data["applies_to"]["age_groups"])),
        forms=tuple(data["applies_to"]["forms"]),
        source=Source(
            citation=src["citation"],
            year=src.get("year"),
            edition=src.get("edition"),
            url=src.get("url"),
        ),
        provenance=Provenance(
            transcribed=prov["transcribed"],
            note=prov["note"],
            adapted_by=prov.get("adapted_by"),
            adapted_from=prov.get("adapted_from"),
        ),
        origin=str(path),
        indicators=tuple(indicators),
        dimensions=dimensions,
        criteria=criteria,
        indicator_rule=indicator_rule,
        criteria_rule=criteria_rule,
        screening_questions=tuple(
            ScreeningQuestion(key=q["key"], text=q["text"], points_to=tuple(q.get("points_to", ())))
            for q in data.get("screening_questions", ())
        ),
    )


def load_indicator_set(path: Path, *, check_schema: bool = True) -> IndicatorSet:
    """Read, schema-check and build one set file; raises IndicatorSetError.

    ``check_schema=False`` is for the sets shipped in ``BUILTIN_DIR`` only: they are checked
    against the schema by the test suite (``test_builtin_sets_pass_the_schema``), and the
    check took a third of a second of every ``palermo screen`` start-up."""
    data = _read_yaml(path)
    problem = _schema_error(data) if check_schema else None
    if problem:
        raise IndicatorSetError(path, problem)
    return _build_set(path, cast(Mapping[str, Any], data))


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise IndicatorSetError(directory, "indicator set directory does not exist")
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _check_catalogue(sets: Sequence[IndicatorSet]) -> None:
    """Rules that span files: a key means one thing everywhere, cross-references resolve,
    and no two sets of one kind compete for the same people."""
    meaning: dict[str, tuple[str, IndicatorSet]] = {}
    for s in sets:
        for i in s.indicators:
            what = (
                f"dimension {i.dimension}" if s.kind == "indicators" else f"criterion {i.criterion}"
            )
            earlier = meaning.get(i.key)
            if earlier is None:
                meaning[i.key] = (what, s)
            elif earlier[0] != what:
                raise IndicatorSetError(
                    s.origin,
                    f"indicator key '{i.key}' is in {what} here but in {earlier[0]} in set "
                    f"'{earlier[1].id}' ({earlier[1].origin}); a key must mean one thing",
                )
    graded = {i.key for s in sets if s.kind == "indicators" for i in s.indicators}
    known = set(meaning)
    for s in sets:
        for c in s.criteria:
            missing = [k for k in c.also_met_by if k not in graded]
            if missing:
                raise IndicatorSetError(
                    s.origin,
                    f"criterion '{c.key}' also_met_by unknown indicator key(s): {', '.join(missing)}",
                )
        for q in s.screening_questions:
            missing = [k for k in q.points_to if k not in known]
            if missing:
                raise IndicatorSetError(
                    s.origin,
                    f"screening question '{q.key}' points to unknown key(s): {', '.join(missing)}",
                )
    claimed: dict[tuple[str, str, str], IndicatorSet] = {}
    for s in sets:
        for age_group in s.age_groups:
            for form in s.forms:
                slot = (s.kind, age_group, form)
                other = claimed.get(slot)
                if other is not None:
                    raise IndicatorSetError(
                        s.origin,
                        f"set '{s.id}' and set '{other.id}' ({other.origin}) are both {s.kind} "
                        f"sets for {age_group}s screened for {form}; give this file the id "
                        f"'{other.id}' to replace that set, or change applies_to",
                    )
                claimed[slot] = s


def load_catalogue(
    extra_dirs: Sequence[Path] = (), *, use_env: bool = True, builtin: bool = True
) -> IndicatorCatalogue:
    """Load the built-in sets, then each directory in ``extra_dirs``, then the directory
    named by ``PALERMO_INDICATOR_SETS_DIR`` (if ``use_env`` and it is set). A later
    directory's set replaces an earlier set with the same id."""
    directories: list[Path] = [BUILTIN_DIR] if builtin else []
    directories.extend(Path(d) for d in extra_dirs)
    env_dir = os.environ.get(ENV_VAR, "").strip() if use_env else ""
    if env_dir:
        directories.append(Path(env_dir))
    chosen: dict[str, IndicatorSet] = {}
    for directory in directories:
        in_this_dir: dict[str, IndicatorSet] = {}
        for path in _files(directory):
            loaded = load_indicator_set(path, check_schema=directory != BUILTIN_DIR)
            twin = in_this_dir.get(loaded.id)
            if twin is not None:
                raise IndicatorSetError(
                    path,
                    f"set id '{loaded.id}' is also used by {twin.origin} in the same directory",
                )
            in_this_dir[loaded.id] = loaded
        # dict order keeps a replaced set at its original position, so results stay in the
        # same order after an authority adapts a list.
        chosen.update(in_this_dir)
    if not chosen:
        raise IndicatorSetError(
            ", ".join(str(d) for d in directories) or "(none)", "no indicator set loaded"
        )
    sets = list(chosen.values())
    _check_catalogue(sets)
    return IndicatorCatalogue(sets)


@functools.lru_cache(maxsize=8)
def _cached_catalogue(env_dir: str) -> IndicatorCatalogue:
    return load_catalogue([Path(env_dir)] if env_dir else [], use_env=False)


def default_catalogue() -> IndicatorCatalogue:
    """Built-in sets plus ``PALERMO_INDICATOR_SETS_DIR``; loaded once per value of the
    variable. Raises IndicatorSetError if any file is broken."""
    return _cached_catalogue(os.environ.get(ENV_VAR, "").strip())
