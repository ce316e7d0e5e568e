"""``palermo keys …``: the field-encryption key file (docs/admin-guide.md, "Field encryption keys").

    palermo keys generate --out /etc/palermo/field-keys.json   # a new key file (first install)
    palermo keys generate --add                                 # a new primary key in the current file
    palermo keys status                                         # key ids, and how many values each wraps
    palermo keys rotate                                         # re-wrap every value under the primary key
    palermo keys retire KEY_ID                                  # drop a key no value uses any more

No command ever prints key material; rotations and key changes are audited (key ids only).
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Field-encryption keys: generate, status, rotate, retire.",
    no_args_is_help=True,
    add_completion=False,
)


def _django() -> None:
    from palermo.cli import _setup

    _setup()


def _audit(what: str, **details: Any) -> None:
    from palermo.core import audit

    audit.record(
        action="update",
        object_type="field_keys",
        object_ref=str(details.get("primary", ""))[:80],
        actor_username=f"cli:{getpass.getuser()}"[:150],
        details={"what": what, **details},
    )


def _path(out: str) -> Path:
    path = out or os.environ.get("PALERMO_FIELD_KEYS_FILE", "")
    if not path:
        typer.secho(
            "Name the key file: --out PATH, or set PALERMO_FIELD_KEYS_FILE.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    return Path(path)


@app.command("generate")
def generate(
    out: Annotated[
        str, typer.Option(help="Key file to write (default: $PALERMO_FIELD_KEYS_FILE).")
    ] = "",
    add: Annotated[
        bool, typer.Option("--add", help="Add a key to the existing file instead of creating one.")
    ] = False,
    primary: Annotated[
        bool,
        typer.Option(
            "--primary/--no-primary",
            help="With --add: make the new key the one that seals new values.",
        ),
    ] = True,
) -> None:
    """Create a key file, or add a new key to one (then run `palermo keys rotate`)."""
    from palermo.core import fieldcrypt

    path = _path(out)
    try:
        if add:
            data, kid = fieldcrypt.add_key(fieldcrypt.read_key_file(path), make_primary=primary)
        else:
            if path.exists():
                typer.secho(
                    f"{path} exists: use --add to add a key to it (never overwrite a key file).",
                    fg=typer.colors.RED,
                    err=True,
                )
                raise typer.Exit(1)
            data = fieldcrypt.new_key_file()
            kid = data["primary"]
        if not fieldcrypt.write_key_file(path, data, exclusive=not add):
            typer.secho(
                f"{path} exists: use --add to add a key to it.", fg=typer.colors.RED, err=True
            )
            raise typer.Exit(1)
    except fieldcrypt.KeyFileError as exc:
        typer.secho(f"Key file error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"Key {kid} {'added to' if add else 'written to'} {path} (mode 600)"
        + (", primary" if data["primary"] == kid else ", not primary")
        + "."
    )
    typer.echo(f"Keys in the file: {', '.join(sorted(data['keys']))}; primary: {data['primary']}.")
    typer.echo("Back the key file up now, apart from the database backups (docs/admin-guide.md).")
    if (
        add
        and os.environ.get("PALERMO_FIELD_KEYS_FILE")
        and Path(os.environ["PALERMO_FIELD_KEYS_FILE"]) == path
    ):
        try:
            _django()
            _audit("key_added", primary=data["primary"], key=kid, keys=sorted(data["keys"]))
        except (Exception, SystemExit):
            typer.secho(
                "(The audit entry could not be written: is the database reachable?)", err=True
            )


@app.command("status")
def status() -> None:
    """The key file's ids and primary, and per encrypted column how many values each key wraps."""
    from palermo.core import fieldcrypt

    _django()
    from palermo.core import encryption

    try:
        ring = encryption.keyring(force=True)
    except fieldcrypt.KeyFileError as exc:
        typer.secho(f"Key file error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    path = encryption.keys_file()
    typer.echo(f"Key file: {path or ring.source}")
    for warning in fieldcrypt.key_file_problems(path) if path else []:
        typer.secho(f"  warning: {warning}", fg=typer.colors.YELLOW)
    typer.echo(f"Keys: {', '.join(sorted(ring.key_ids()))}; primary: {ring.primary_key_id}")
    used: dict[str, int] = {}
    bad = 0
    for col in encryption.key_status():
        for kid, n in col.by_key.items():
            used[kid] = used.get(kid, 0) + n
        bad += col.unreadable
        parts = ", ".join(f"{k}: {n}" for k, n in sorted(col.by_key.items())) or "no values"
        typer.echo(
            f"  {col.table}.{col.column}: {parts}"
            + (f"; NOT SEALED: {col.unreadable}" if col.unreadable else "")
        )
    typer.echo(
        "Values per key: " + (", ".join(f"{k}: {n}" for k, n in sorted(used.items())) or "none")
    )
    missing = sorted(set(used) - ring.key_ids())
    old = sorted(k for k in used if k != ring.primary_key_id and k in ring.key_ids())
    retire = sorted(ring.key_ids() - set(used) - {ring.primary_key_id})
    if missing:
        typer.secho(
            f"Values sealed under keys the file does not hold: {', '.join(missing)}",
            fg=typer.colors.RED,
        )
    if old:
        typer.echo(
            f"Not yet rotated to the primary key: {', '.join(old)} -> run `palermo keys rotate`."
        )
    if retire:
        typer.echo(
            f"No value uses {', '.join(retire)}: they can be retired (`palermo keys retire ID`)."
        )
    if missing or bad:
        raise typer.Exit(1)


@app.command("rotate")
def rotate(
    batch_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Rows per transaction.")
    ] = 500,
    reindex: Annotated[
        bool, typer.Option("--reindex", help="Also recompute the keyed hashes (new index key).")
    ] = False,
) -> None:
    """Re-wrap every value under the primary key, batch by batch (resumable; the site stays up)."""
    from palermo.core import fieldcrypt

    _django()
    from palermo.core import encryption

    try:
        ring = encryption.keyring(force=True)
    except fieldcrypt.KeyFileError as exc:
        typer.secho(f"Key file error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    before = {k for col in encryption.key_status() for k in col.by_key}
    _audit(
        "rotation_started",
        primary=ring.primary_key_id,
        keys=sorted(ring.key_ids()),
        batch_size=batch_size,
    )

    def progress(p: encryption.RotationProgress) -> None:
        typer.echo(f"  {p.table}.{p.column}: {p.rewrapped} re-wrapped (up to row {p.last_id})")

    try:
        totals = encryption.rotate(batch_size=batch_size, on_batch=progress)
    except fieldcrypt.FieldCryptError as exc:
        _audit("rotation_failed", primary=ring.primary_key_id, error=exc.__class__.__name__)
        typer.secho(
            f"Rotation stopped: {exc}. Rows done so far keep the new key; run again after fixing.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1) from exc
    n = sum(totals.values())
    indexed = encryption.reindex(batch_size=batch_size) if reindex else None
    _audit(
        "rotation_finished",
        primary=ring.primary_key_id,
        rewrapped=n,
        previous_keys=sorted(before),
        reindexed=indexed,
    )
    typer.echo(
        f"Rotation finished: {n} value(s) re-wrapped under {ring.primary_key_id}."
        + (f" {indexed} row(s) re-indexed." if indexed is not None else "")
    )
    left = sorted(
        k for col in encryption.key_status() for k in col.by_key if k != ring.primary_key_id
    )
    if left:
        typer.secho(
            f"Still under other keys (written meanwhile by a server with an old key file?): "
            f"{', '.join(left)}; run again.",
            fg=typer.colors.YELLOW,
        )
    else:
        typer.echo(
            "Every value is under the primary key; older keys can be retired once backups made "
            "with them have expired."
        )


@app.command("retire")
def retire(
    key_id: Annotated[str, typer.Argument(help="The key id to remove from the key file.")],
) -> None:
    """Remove a key from the key file, refused while any value still uses it."""
    from palermo.core import fieldcrypt

    _django()
    from palermo.core import encryption

    path = encryption.keys_file()
    if path is None:
        typer.secho("PALERMO_FIELD_KEYS_FILE is not set.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    data = fieldcrypt.read_key_file(path)
    if key_id not in data.get("keys", {}):
        typer.secho(f"{key_id} is not in {path}.", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    if key_id == data.get("primary"):
        typer.secho(
            f"{key_id} is the primary key: add a new primary first.", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(1)
    used = sum(col.by_key.get(key_id, 0) for col in encryption.key_status())
    if used:
        typer.secho(
            f"{used} value(s) still use {key_id}: run `palermo keys rotate` first.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    del data["keys"][key_id]
    fieldcrypt.write_key_file(path, data)
    encryption.keyring(force=True)
    _audit("key_retired", primary=data["primary"], key=key_id, keys=sorted(data["keys"]))
    typer.echo(f"{key_id} removed from {path}. Keep a copy with the backups that still need it.")
