"""``palermo supply rank``: the suppliers by priority, each with its risk as a whole and its
reasons (registered on ``supply.cli.app``). The read is audited; a user who may not view
supply chains is refused, and the refusal audited, as on the web."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from palermo.supply.cli import AsOpt, _setup, app


def _acting(username: str | None) -> tuple[Any, Any]:
    from palermo.core import audit
    from palermo.core.models import User
    from palermo.core.policy import Perm, has_perm

    if not username:
        typer.secho("Name the user to act as: --as USERNAME", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        typer.secho(f"No active user {username!r}.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    orgs = list(user.organisations())
    org = next((o for o in orgs if has_perm(user, Perm.SUPPLY_VIEW, o)), None)
    if org is None:
        audit.record(
            action="refused",
            actor=user,
            organisation=orgs[0] if orgs else None,
            object_type="supply.supplier_risk",
            outcome="refused",
            details={"permission": Perm.SUPPLY_VIEW, "cli": True},
        )
        typer.secho(f"{username} may not do this.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    return user, org


@app.command("rank")
def rank(
    as_user: AsOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many suppliers.")] = 20,
    reasons: Annotated[bool, typer.Option("--reasons", help="Print every reason.")] = False,
) -> None:
    """Suppliers by priority: level, score, exposure at risk, spend (rule supply-portfolio-1)."""
    _setup()
    from palermo.core import audit
    from palermo.supply import portfolio_selectors
    from palermo.supply.views_portfolio import reason_text

    user, org = _acting(as_user)
    ranked = portfolio_selectors.supplier_risks(org)
    audit.record(
        action="read",
        actor=user,
        organisation=org,
        object_type="supply.supplier_risk",
        details={"suppliers": len(ranked), "returned": min(limit, len(ranked)), "cli": True},
    )
    if not ranked:
        typer.echo("No supplier yet.")
        return
    for i, (s, a) in enumerate(ranked[:limit], start=1):
        typer.echo(
            f"{i}. {s.name} [{s.company_id}]: {a.level}, score {a.score}, "
            f"exposure {a.exposure:.2f}, spend {a.spend:.2f}"
        )
        if reasons:
            for r in a.reasons:
                where = f" ({r.source_kind}: {r.source})" if r.source else ""
                typer.echo(f"   {r.points:+d} {reason_text(r.to_dict())}{where}")
