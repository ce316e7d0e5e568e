"""``palermo supply pack|statement|clauses|advance``: the issue-18 commands, registered on
the ``palermo supply`` app (``cli.py`` imports this module). Same services, policy and
audit as the web UI; each acts as a named user (``--as USERNAME``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from palermo.supply.cli import AsOpt, _actor, _invalid, _setup, app

ContractArg = Annotated[str, typer.Argument(help="The contract's reference, e.g. MPW-2026-014.")]


def _contract(org: Any, reference: str) -> Any:
    from palermo.supply.models import Contract

    contract = Contract.objects.filter(organisation=org, reference=reference).first()
    if contract is None:
        typer.secho(
            f"No contract {reference!r} in your organisation.", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(2)
    return contract


@app.command()
def pack(
    contract_ref: ContractArg,
    pdf: Annotated[Path, typer.Option("--pdf", dir_okay=False, help="The PDF file to write.")],
    as_user: AsOpt = None,
) -> None:
    """Write a tender's evidence pack as PDF (measures, evidence SHA-256, clauses, sites)."""
    _setup()
    from palermo.core.policy import Perm
    from palermo.supply import documents, services

    user, org = _actor(as_user, Perm.SUPPLY_VIEW)
    contract = _contract(org, contract_ref)
    result = services.evidence_pack(actor=user, organisation=org, contract=contract, fmt="pdf")
    pdf.write_bytes(documents.evidence_pack_pdf(result))
    typer.echo(f"Written to {pdf}.")


@app.command()
def statement(
    as_user: AsOpt = None,
    docx: Annotated[
        Path | None, typer.Option("--docx", dir_okay=False, help="Write a DOCX file.")
    ] = None,
    text: Annotated[
        Path | None, typer.Option("--text", dir_okay=False, help="Write a plain-text file.")
    ] = None,
) -> None:
    """The draft modern-slavery statement section (printed, or written as DOCX / text)."""
    _setup()
    from palermo.core.policy import Perm
    from palermo.supply import documents, services

    user, org = _actor(as_user, Perm.SUPPLY_VIEW)
    fmt = "docx" if docx else "txt"
    facts, parts = services.statement_draft(actor=user, organisation=org, fmt=fmt)
    if docx:
        docx.write_bytes(documents.statement_docx(facts, parts))
        typer.echo(f"Written to {docx}.")
    body = documents.statement_text(facts, parts)
    if text:
        text.write_text(body, encoding="utf-8")
        typer.echo(f"Written to {text}.")
    if not docx and not text:
        typer.echo(body)


@app.command()
def clauses(
    as_user: AsOpt = None,
    attach: Annotated[
        list[str] | None, typer.Option(help="Clause id to attach to CONTRACT (repeatable).")
    ] = None,
    contract_ref: Annotated[str, typer.Option("--contract", help="The contract's reference.")] = "",
) -> None:
    """List the model-clause library; with --contract and --attach, attach clauses."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.supply import clauses as library
    from palermo.supply import services

    if not attach:
        for c in library.library().clauses:
            typer.echo(f"{c.id}\tv{c.version}\t{''.join(c.measures)}\t{c.stage}\t{c.title}")
        return
    user, org = _actor(as_user, Perm.SUPPLY_MANAGE)
    if not contract_ref:
        typer.secho("Name the contract: --contract REFERENCE", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    contract = _contract(org, contract_ref)
    for clause_id in attach:
        try:
            services.clause_attach(
                actor=user,
                organisation=org,
                contract=contract,
                clause_id=clause_id,
            )
        except InvalidInput as exc:
            _invalid(exc)
        typer.echo(f"Attached {clause_id}.")


@app.command()
def advance(contract_ref: ContractArg, stage: str, as_user: AsOpt = None) -> None:
    """Move a contract to STAGE (refused, naming the measures, while the gate is closed)."""
    _setup()
    from palermo.core.errors import InvalidInput
    from palermo.core.policy import Perm
    from palermo.supply import services

    user, org = _actor(as_user, Perm.SUPPLY_MANAGE)
    contract = _contract(org, contract_ref)
    try:
        services.contract_advance(actor=user, organisation=org, contract=contract, stage=stage)
    except InvalidInput as exc:
        _invalid(exc)
    typer.echo(f"{contract_ref} is now at stage {stage}.")
