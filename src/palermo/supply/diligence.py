"""The due-diligence workflow of one contract: measures (a)–(g) along the lifecycle.

A high- or medium-risk contract goes through all seven measures; a low-risk one takes the
light track — (a) the exclusion-list check and (f) the contractor's preventive policy —
as proportionality asks (UK PPN 009: supply-chain information is asked of high-risk
procurements). A measure is done when it is recorded with a note and, except where the
track says otherwise, a piece of evidence (a file kept with its SHA-256).

Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from palermo.supply import vocabulary

_ = vocabulary._

LIGHT_TRACK: Final[tuple[str, ...]] = ("a", "f")
FULL_TRACK: Final[tuple[str, ...]] = tuple(vocabulary.MEASURES)
# Measures whose record needs a file: the audit report, the factory list, the policy, …
NEEDS_EVIDENCE: Final[frozenset[str]] = frozenset({"b", "c", "e", "f"})
OUTCOMES: Final[dict[str, str]] = {
    "met": _("Met"),
    "not_met": _("Not met"),
    "waived": _("Not applicable (reason recorded)"),
}


def required_measures(level: str) -> tuple[str, ...]:
    """The measures a contract of this risk level must go through."""
    if level not in vocabulary.LEVELS:
        raise ValueError(f"unknown level {level!r}")
    return LIGHT_TRACK if level == "low" else FULL_TRACK


@dataclass(frozen=True)
class StepState:
    code: str
    outcome: str  # "" while open
    has_evidence: bool


@dataclass(frozen=True)
class Progress:
    required: tuple[str, ...]
    done: tuple[str, ...]
    missing: tuple[str, ...]
    blocked: tuple[str, ...]  # recorded "not met": the contract cannot proceed as it is

    @property
    def complete(self) -> bool:
        return not self.missing and not self.blocked

    @property
    def share_done(self) -> float:
        return len(self.done) / len(self.required) if self.required else 1.0


def check_step(code: str, outcome: str, note: str, has_evidence: bool) -> list[tuple[str, str]]:
    """What is wrong with recording this step: (field, message) pairs; empty when fine."""
    problems: list[tuple[str, str]] = []
    if code not in vocabulary.MEASURES:
        problems.append(("measure", _("Unknown measure.")))
    if outcome not in OUTCOMES:
        problems.append(("outcome", _("Choose met, not met or not applicable.")))
    if not note.strip():
        problems.append(("note", _("Say what was checked and what was found.")))
    if len(note) > 4000:
        problems.append(("note", _("At most 4,000 characters.")))
    if outcome == "met" and code in NEEDS_EVIDENCE and not has_evidence:
        problems.append(("evidence", _("This measure needs a file as evidence.")))
    return problems


def progress(level: str, steps: Mapping[str, StepState]) -> Progress:
    required = required_measures(level)
    done = tuple(c for c in required if c in steps and steps[c].outcome in ("met", "waived"))
    blocked = tuple(c for c in required if c in steps and steps[c].outcome == "not_met")
    missing = tuple(c for c in required if c not in done and c not in blocked)
    return Progress(required, done, missing, blocked)


def stage_of(progress_: Progress) -> str:
    """The lifecycle stage the contract has reached: the stage of the first open measure."""
    for code in progress_.required:
        if code not in progress_.done:
            return vocabulary.MEASURE_STAGE[code]
    return "management"
