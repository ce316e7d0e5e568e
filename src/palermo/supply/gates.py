"""Per-stage gates of the procurement lifecycle (rule ``supply-gates-1``).

A contract moves forward through the stages need → specification → selection → award →
contract → contract management → termination. It may not enter a stage while a measure
its track requires (full or light, ``diligence.required_measures``) and which is taken at
an **earlier** stage is missing or recorded "not met". Termination is the exception for
"not met": ending a contract is the remedy for a measure not met, so only a measure never
recorded blocks it. A contract never moves back (a new tender is a new contract).

Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from palermo.core.errors import Problem
from palermo.supply import diligence, vocabulary

ORDER: Final[tuple[str, ...]] = tuple(vocabulary.STAGES)
RULE: Final[str] = "supply-gates-1"


def index(stage: str) -> int:
    if stage not in vocabulary.STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    return ORDER.index(stage)


@dataclass(frozen=True)
class Gate:
    """Whether a contract may enter ``target``, and what stops it."""

    current: str
    target: str
    backwards: bool  # target is the current stage or an earlier one
    missing: tuple[str, ...]  # required earlier measures with no record
    not_met: tuple[str, ...]  # required earlier measures recorded "not met"

    @property
    def open(self) -> bool:
        return not self.backwards and not self.missing and not self.not_met

    @property
    def blocking(self) -> tuple[str, ...]:
        return tuple(sorted(self.missing + self.not_met))


def check(level: str, steps: Mapping[str, diligence.StepState], current: str, target: str) -> Gate:
    """The gate between the contract's ``current`` stage and ``target``."""
    before = index(target)
    backwards = before <= index(current)
    earlier = [
        c for c in diligence.required_measures(level) if index(vocabulary.MEASURE_STAGE[c]) < before
    ]
    outcome = {c: steps[c].outcome for c in earlier if c in steps}
    missing = tuple(c for c in earlier if outcome.get(c, "") not in ("met", "waived", "not_met"))
    not_met = tuple(c for c in earlier if outcome.get(c) == "not_met")
    if target == "termination":
        not_met = ()
    return Gate(current, target, backwards, missing, not_met)


def letters(codes: tuple[str, ...]) -> str:
    return ", ".join(f"({c})" for c in codes)


def message(gate: Gate) -> Problem | None:
    """The refusal, naming the stage and the measures (None when the gate is open)."""
    stage = Problem(vocabulary.STAGES[gate.target])
    if gate.backwards:
        return Problem(
            "The contract is already at this stage or later; a contract never moves back."
        )
    if gate.missing and gate.not_met:
        return Problem(
            "Cannot move to {stage}: measures not recorded: {missing}; measures not met: {not_met}.",
            stage=stage,
            missing=letters(gate.missing),
            not_met=letters(gate.not_met),
        )
    if gate.missing:
        return Problem(
            "Cannot move to {stage} until these measures are recorded: {missing}.",
            stage=stage,
            missing=letters(gate.missing),
        )
    if gate.not_met:
        return Problem(
            "Cannot move to {stage} while these measures are not met: {not_met}.",
            stage=stage,
            not_met=letters(gate.not_met),
        )
    return None


def next_stage(current: str) -> str | None:
    i = index(current)
    return ORDER[i + 1] if i + 1 < len(ORDER) else None
