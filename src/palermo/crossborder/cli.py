"""``palermo crossborder …``: keys, the trust list, send, receive a carried file, status.

``keys`` and ``trust-list`` are the operator's (database and key-file access already; the
audit trail records "command line"). ``send`` acts as a named user (``--as``) through the
same services and policy as the web pages.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Cross-border hand-over: keys, trust list, send, receive a file, status.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="This instance's signing and encryption keys.", no_args_is_help=True)
trust_app = typer.Typer(help="The signed trust list of partner instances.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(trust_app, name="trust-list")


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    import django

    django.setup()


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@keys_app.command("init")
def keys_init() -> None:
    """Create this instance's key file; print the public keys (JWKS) for the trust list."""
    _setup()
    from palermo.core.errors import PalermoError
    from palermo.crossborder import services

    try:
        typer.echo(json.dumps(services.keys_init(), indent=1))
    except PalermoError as exc:
        raise _fail(exc.detail) from None


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Add a new key pair (old keys stay). Publish the printed JWKS in a new trust list; the
    new signing key signs only once the list in force carries it."""
    _setup()
    from palermo.core.errors import PalermoError
    from palermo.crossborder import services

    try:
        typer.echo(json.dumps(services.keys_rotate(), indent=1))
    except PalermoError as exc:
        raise _fail(exc.detail) from None


@keys_app.command("retire")
def keys_retire(kid: Annotated[str, typer.Argument(help="The key id to drop.")]) -> None:
    """Drop an old key once no partner uses it."""
    _setup()
    from palermo.core.errors import InvalidInput, PalermoError
    from palermo.crossborder import services

    try:
        typer.echo(json.dumps(services.keys_retire(kid), indent=1))
    except InvalidInput as exc:
        raise _fail(str(exc)) from None
    except PalermoError as exc:
        raise _fail(exc.detail) from None


@keys_app.command("show")
def keys_show() -> None:
    """Print the public keys (JWKS)."""
    _setup()
    from palermo.core.errors import PalermoError
    from palermo.crossborder import keys as k
    from palermo.crossborder import services

    try:
        typer.echo(json.dumps(k.public_jwks(services.own_keys()), indent=1))
    except PalermoError as exc:
        raise _fail(exc.detail) from None


@trust_app.command("sign")
def trust_sign(
    document: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Trust list JSON.")],
    anchor_key: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="The anchor's private JWK.")
    ],
) -> None:
    """(The trust anchor's keeper) sign a trust list document; prints the compact JWS."""
    from palermo.crossborder import trust as tr

    try:
        typer.echo(tr.sign(json.loads(document.read_text()), json.loads(anchor_key.read_text())))
    except (tr.TrustError, ValueError) as exc:
        raise _fail(str(exc)) from None


@trust_app.command("load")
def trust_load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Signed list (JWS).")],
) -> None:
    """Verify a signed trust list against the anchor keys and put it in force."""
    _setup()
    from palermo.core.errors import InvalidInput, PalermoError
    from palermo.crossborder import services

    try:
        found = services.trust_list_load(file.read_text())
    except InvalidInput as exc:
        raise _fail(str(exc)) from None
    except PalermoError as exc:
        raise _fail(exc.detail) from None
    typer.echo(f"Trust list version {found.version} in force: {len(found.partners)} instances.")


@trust_app.command("show")
def trust_show() -> None:
    """The partners of the trust list in force, with their validity."""
    _setup()
    from datetime import UTC, datetime

    from palermo.core.errors import PalermoError
    from palermo.crossborder import services

    try:
        t = services.trust_list()
    except PalermoError as exc:
        raise _fail(exc.detail) from None
    now = services.now_ts()
    typer.echo(f"version {t.version}, issued by {t.issuer}")
    for p in t.partners:
        until = datetime.fromtimestamp(p.valid_until, tz=UTC).date().isoformat()
        state = "valid" if p.valid_at(now) else "NOT VALID NOW"
        typer.echo(
            f"{p.entity_id}\t{p.country}\t{p.organisation}\t{p.legal_basis}\t"
            f"until {until}\t{state}\t{','.join(sorted(p.allowed_groups))}"
        )


@app.command("send")
def send(
    case: Annotated[str, typer.Option(help="Case reference.")],
    partner: Annotated[str, typer.Option(help="The partner's entity id.")],
    purpose: Annotated[str, typer.Option(help="assistance, return, proceedings, family_tracing")],
    handling: Annotated[str, typer.Option(help="H0, H1, H2 or H3")] = "H2",
    as_user: Annotated[str, typer.Option("--as", help="Username to act as.")] = "",
    out: Annotated[
        Path | None, typer.Option(help="Also write the sealed envelope here (offline carriage).")
    ] = None,
) -> None:
    """Seal and send a hand-over (the transfer consent must be recorded)."""
    _setup()
    from palermo.core.errors import InvalidInput, PalermoError
    from palermo.core.models import User
    from palermo.core.policy import Perm, has_perm
    from palermo.crossborder import services

    user = User.objects.filter(username=as_user, is_active=True).first()
    org: Any = None
    if user is not None:
        org = next(
            (o for o in user.organisations() if has_perm(user, Perm.CROSSBORDER_SEND, o)), None
        )
    if user is None or org is None:
        raise _fail("Name a user who may send: --as USERNAME", 2)
    try:
        h = services.handover_send(
            user, org, case_ref=case, partner_id=partner, purpose=purpose, handling=handling
        )
    except InvalidInput as exc:
        raise _fail(str(exc)) from None
    except PalermoError as exc:
        raise _fail(exc.detail) from None
    if out is not None:
        out.write_text(h.envelope)
    typer.echo(f"hand-over {h.pk} message {h.jti}: {h.get_state_display()}")


@app.command("receive")
def receive(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Envelope (.jwe).")],
    receipt: Annotated[Path | None, typer.Option(help="Write the signed receipt here.")] = None,
) -> None:
    """Receive an envelope carried offline; prints (or writes) the signed receipt to return."""
    _setup()
    from palermo.crossborder import services

    status, answer = services.receive(file.read_bytes())
    if receipt is not None and status in (200, 422):
        receipt.write_text(answer)
    if status == 200:
        typer.echo(answer if receipt is None else f"Received; receipt written to {receipt}.")
        return
    raise _fail(f"Refused: {answer if status != 422 else 'see the signed receipt'}")


@app.command("status")
def status() -> None:
    """Hand-overs of this instance: direction, state, latest status, overdue loops."""
    _setup()
    from palermo.crossborder import selectors, services
    from palermo.crossborder.models import Handover

    rows = Handover.objects.filter(local_entity=services.entity_id()).order_by("at")
    for h in rows:
        flag = " OVERDUE" if selectors.is_overdue(h) else ""
        typer.echo(
            f"{h.pk}\t{h.direction}\t{h.jti}\t{h.partner}\t{h.state}\t{h.last_status or '-'}{flag}"
        )
    typer.echo(f"{rows.count()} hand-overs.")
