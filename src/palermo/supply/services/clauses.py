"""Writes of the due-diligence workflow added for issue 18: model clauses attached to a
contract, and the contract's move along the lifecycle through the per-stage gates.

Each function checks the permission, validates whole, changes nothing on an error and
audits inside its transaction (as the rest of ``supply.services``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from palermo.core.errors import FieldError, InvalidInput, NotAllowed
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm
from palermo.supply import clauses, diligence, gates, vocabulary
from palermo.supply.models import Contract, ContractClause, RiskEdition
from palermo.supply.services import _audit, _require


def _own(contract: Contract, organisation: Organisation) -> None:
    if contract.organisation_id != organisation.pk:
        raise NotAllowed("This contract belongs to another organisation.")


def clause_attach(
    *, actor: User | None, organisation: Organisation, contract: Contract, clause_id: str
) -> ContractClause:
    """Attach the library's current version of a clause to a contract (once per clause)."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    _own(contract, organisation)
    clause = clauses.library().get(clause_id)
    if clause is None:
        raise InvalidInput([FieldError("clause", "No clause with this id in the library.")])
    if contract.clauses.filter(clause_id=clause_id).exists():
        raise InvalidInput([FieldError("clause", "This clause is attached already.")])
    with transaction.atomic():
        row = ContractClause.objects.create(
            contract=contract,
            clause_id=clause.id,
            version=clause.version,
            title=clause.title,
            text=clause.text,
            measures="".join(clause.measures),
            stage=clause.stage,
            attached_by=actor,
            attached_at=timezone.now(),
        )
        _audit(
            "create",
            actor,
            organisation,
            "supply.contract_clause",
            f"{contract.pk}:{clause.id}",
            version=clause.version,
        )
    return row


def clause_detach(
    *, actor: User | None, organisation: Organisation, contract: Contract, clause_id: str
) -> None:
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    _own(contract, organisation)
    row = contract.clauses.filter(clause_id=clause_id).first()
    if row is None:
        raise InvalidInput([FieldError("clause", "This clause is not attached.")])
    with transaction.atomic():
        version = row.version
        row.delete()
        _audit(
            "delete",
            actor,
            organisation,
            "supply.contract_clause",
            f"{contract.pk}:{clause_id}",
            version=version,
        )


@dataclass(frozen=True)
class EvidencePack:
    contract: Contract
    progress: diligence.Progress
    measures: list[Any]  # selectors.MeasureRow
    clauses: list[ContractClause]
    sites: list[Any]
    editions: list[RiskEdition]  # the current edition of each kind of risk list


def evidence_pack(
    *, actor: User | None, organisation: Organisation, contract: Contract, fmt: str
) -> EvidencePack:
    """The tender's evidence pack (every measure, its record and file SHA-256, the clauses
    attached, the sites disclosed); audited as an export with its format."""
    from palermo.supply import selectors

    _require(actor, organisation, Perm.SUPPLY_VIEW)
    _own(contract, organisation)
    _audit("export", actor, organisation, "supply.evidence_pack", contract.pk, format=fmt)
    return EvidencePack(
        contract=contract,
        progress=selectors.progress(contract),
        measures=selectors.measure_rows(contract),
        clauses=list(contract.clauses.select_related("attached_by")),
        sites=list(contract.sites.all()),
        editions=selectors.current_risk_editions(),
    )


def steps_of(contract: Contract) -> dict[str, diligence.StepState]:
    return {
        m.code: diligence.StepState(m.code, m.outcome, bool(m.evidence_sha256))
        for m in contract.measures.all()
    }


def gate_for(contract: Contract, target: str) -> gates.Gate:
    return gates.check(contract.risk_level, steps_of(contract), contract.stage, target)


def contract_advance(
    *, actor: User | None, organisation: Organisation, contract: Contract, stage: str
) -> Contract:
    """Move a contract forward to ``stage``, if the gate lets it (rule ``supply-gates-1``):
    refused, naming the measures, while one required at an earlier stage is missing or
    not met."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    _own(contract, organisation)
    if stage not in vocabulary.STAGES:
        raise InvalidInput([FieldError("stage", "Choose a stage of the lifecycle.")])
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        gate = gate_for(locked, stage)
        if not gate.open:
            raise InvalidInput([FieldError("stage", gates.message(gate) or "")])
        previous = locked.stage
        locked.stage = stage
        locked.save(update_fields=["stage"])
        _audit(
            "update",
            actor,
            organisation,
            "supply.contract_stage",
            locked.pk,
            previous=previous,
            stage=stage,
            rule=gates.RULE,
        )
    contract.stage = stage
    return contract
