"""Django shell of field encryption at rest (pure core: ``palermo.core.fieldcrypt``).

- ``EncryptedCharField`` / ``EncryptedTextField`` / ``EncryptedDateField``: the model
  attribute holds the plain value; the column holds an ``ev1:…`` ciphertext bound to
  table, column and row id. Values are opened lazily, on first attribute access, so a
  list that never shows a note never decrypts it. Forms, admin, API schemas and exports
  read the attribute and see the plain value.
- ``EncryptedModel``: base of models with such fields. It reserves the row id before the
  insert (the id is part of what a ciphertext is bound to), keeps keyed-hash companion
  fields in step, and its query set seals values given to ``update()``/``bulk_create()``.
- ``keyring()``: the key ring of ``settings.PALERMO_FIELD_KEYS_FILE`` (re-read when the
  file changes, so a new key reaches running servers without a restart).
- ``rotate()`` / ``key_status()``: behind ``palermo keys rotate | status``.

A column value that is not a ciphertext (other than the empty string) is refused on
read: nobody can slip a plain value past the encryption by writing the database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.db.models.query_utils import DeferredAttribute

from palermo.core import fieldcrypt

log = logging.getLogger(__name__)

# --- the key ring --------------------------------------------------------------------------------------

_lock = threading.Lock()
_cache: dict[str, Any] = {"path": None, "mtime": None, "ring": None, "checked": 0.0}
RECHECK_SECONDS = 5.0


def _test_ring() -> fieldcrypt.LocalKeyRing:
    """Fixed keys for the test suite only (PALERMO_TESTING and no key file named)."""

    def k(label: str) -> bytes:
        return hashlib.sha256(
            b"palermo test key ring - never for real data - " + label.encode()
        ).digest()

    return fieldcrypt.LocalKeyRing(
        keys={"test1": k("test1")},
        primary="test1",
        index_key=k("index"),
        source="the test key ring",
    )


def keys_file() -> Path | None:
    path = getattr(settings, "PALERMO_FIELD_KEYS_FILE", None)
    return Path(path) if path else None


def ensure_demo_key_file() -> bool:
    """Create the demo's key file if it is missing (demo and development only). True if created."""
    path = keys_file()
    if (
        path is None
        or path.exists()
        or not getattr(settings, "PALERMO_FIELD_KEYS_AUTOCREATE", False)
    ):
        return False
    if not fieldcrypt.write_key_file(path, fieldcrypt.new_key_file(), exclusive=True):
        return False  # another process created it first: use theirs
    log.warning("created a field-encryption key file for the demo at %s", path)
    return True


def keyring(*, force: bool = False) -> fieldcrypt.LocalKeyRing:
    """The current key ring; the file is re-read when it changed (checked every few seconds)."""
    path = keys_file()
    if path is None:
        if getattr(settings, "TESTING", False):
            ring = _cache.get("test") or _test_ring()
            _cache["test"] = ring
            return ring
        raise fieldcrypt.KeyFileError("PALERMO_FIELD_KEYS_FILE is not set")
    now = time.monotonic()
    with _lock:
        same = _cache["path"] == str(path) and _cache["ring"] is not None
        if same and not force and now - _cache["checked"] < RECHECK_SECONDS:
            return _cache["ring"]
        ensure_demo_key_file()
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            raise fieldcrypt.KeyFileError(
                f"the field-encryption key file {path} does not exist (PALERMO_FIELD_KEYS_FILE). "
                "Create it with `palermo keys generate`, or restore it from the key backup."
            ) from None
        _cache["checked"] = now
        if same and not force and _cache["mtime"] == mtime:
            return _cache["ring"]
        ring = fieldcrypt.load_key_file(path)
        _cache.update(path=str(path), mtime=mtime, ring=ring)
        return ring


def _open(token: str, ctx: bytes) -> str:
    try:
        return fieldcrypt.decrypt(keyring(), token, ctx)
    except fieldcrypt.UnknownKeyError:
        # A key added to the file since we last read it (another server wrote with it).
        return fieldcrypt.decrypt(keyring(force=True), token, ctx)


# --- fields ------------------------------------------------------------------------------------------------


class Sealed:
    """A column value as read from the database, not opened yet (never shown as text)."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "<sealed value>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)


class _OpeningAttribute(DeferredAttribute):
    """Opens a sealed value on first access, with the row's id; assignments are kept as given."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            f = self.field
            value = f.from_plaintext(_open(value.token, f.crypt_context(instance.pk)))
            instance.__dict__[f.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedMixin:
    """Shared behaviour of the encrypted fields. ``index`` names a keyed-hash companion field."""

    descriptor_class = _OpeningAttribute
    encrypted = True

    def __init__(self, *args: Any, index: str = "", **kwargs: Any) -> None:
        self.index = index
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        if self.index:
            kwargs["index"] = self.index
        return name, path, args, kwargs

    def db_type(self, connection: Any) -> str:
        return "text"

    def rel_db_type(self, connection: Any) -> str:
        return "text"

    def cast_db_type(self, connection: Any) -> str:
        return "text"

    def to_plaintext(self, value: Any) -> str:
        return "" if value is None else str(value)

    def from_plaintext(self, text: str) -> Any:
        return text

    def crypt_context(self, row_id: object) -> bytes:
        return fieldcrypt.context(self.model._meta.db_table, self.column, row_id)

    def seal(self, value: Any, row_id: object) -> Any:
        """The column value for a plain value of row ``row_id`` ("" and None stay as they are)."""
        if value is None or isinstance(value, Sealed):
            return value
        text = self.to_plaintext(value)
        if text == "":
            return None if getattr(self, "null", False) else ""
        return Sealed(fieldcrypt.encrypt(keyring(), text, self.crypt_context(row_id)))

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if add and isinstance(value, Sealed):
            # A loaded row saved as a new one (pk cleared): its ciphertexts are bound to the old id.
            raise fieldcrypt.FieldCryptError(
                f"{self.model.__name__}.{self.name}: a copied row must be given its plain values, "
                "not the sealed values of the row it was copied from"
            )
        return self.seal(value, model_instance.pk)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return value if value is None or value == "" else Sealed(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Sealed) or value == "":
            return value
        raise TypeError(
            f"{self.model.__name__}.{self.name} is encrypted: write it through the model "
            "(save, create, update on its query set); it cannot be filtered by its plain value"
        )

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        return value.token if isinstance(value, Sealed) else value

    def value_to_string(self, obj: Any) -> str:
        return self.to_plaintext(self.value_from_object(obj))

    def get_internal_type(self) -> str:
        return "TextField"


class EncryptedTextField(EncryptedMixin, models.TextField):
    pass


class EncryptedCharField(EncryptedMixin, models.CharField):
    """``max_length`` limits the plain value (forms, validation); the column is text."""


class EncryptedEmailField(EncryptedMixin, models.EmailField):
    pass


class EncryptedDateField(EncryptedMixin, models.DateField):
    """A date kept as a sealed ISO 8601 string; ``None`` stays NULL."""

    def to_plaintext(self, value: Any) -> str:
        if value in (None, ""):
            return ""
        return (
            value.isoformat() if isinstance(value, date) else str(self.to_python(value).isoformat())
        )

    def from_plaintext(self, text: str) -> Any:
        return date.fromisoformat(text) if text else None


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """A JSON document (e.g. a screener's answers with notes) sealed as one value."""

    def to_plaintext(self, value: Any) -> str:
        return (
            ""
            if value is None
            else json.dumps(value, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
        )

    def from_plaintext(self, text: str) -> Any:
        return json.loads(text) if text else None

    def formfield(self, **kwargs: Any) -> Any:
        return models.JSONField().formfield(**kwargs)


def encrypted_fields(model: type[models.Model]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if getattr(f, "encrypted", False)]


def encrypted_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if encrypted_fields(m)]


def index_value(field: Any, value: Any) -> str:
    text = field.to_plaintext(value)
    return fieldcrypt.blind_index(
        keyring().index_key, f"{field.model._meta.db_table}.{field.column}", text
    )


# --- row ids before the insert --------------------------------------------------------------------------


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """Take ``n`` ids from the table's own id sequence, so a row's id is known before it is written."""
    if n <= 0:
        return []
    conn = connections[router.db_for_write(model)]
    table, column = model._meta.db_table, model._meta.pk.column
    qn = conn.ops.quote_name
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, n],
            )
            return [int(r[0]) for r in cur.fetchall()]
        if conn.vendor == "sqlite":
            # AUTOINCREMENT tables keep their high-water mark in sqlite_sequence; SQLite never
            # hands out an id at or below it again. The UPDATE takes the write lock.
            with transaction.atomic(using=conn.alias):
                cur.execute(
                    f"INSERT INTO sqlite_sequence (name, seq) SELECT %s, COALESCE((SELECT MAX({qn(column)}) "  # noqa: S608
                    f"FROM {qn(table)}), 0) WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
                    [table, table],
                )
                cur.execute(
                    "UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s RETURNING seq",
                    [n, table],
                )
                top = int(cur.fetchone()[0])
            return list(range(top - n + 1, top + 1))
    raise NotImplementedError(f"field encryption does not know how to reserve ids on {conn.vendor}")


class EncryptedQuerySet(models.QuerySet):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        objs = list(objs)
        missing = [o for o in objs if o.pk is None]
        for obj, pk in zip(missing, reserve_ids(self.model, len(missing)), strict=True):
            obj.pk = pk
        for obj in objs:
            _refresh_indexes(obj)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        names = set(fields)
        if not any(f.name in names for f in encrypted_fields(self.model)):
            return super().bulk_update(objs, fields, batch_size=batch_size)
        n = 0
        with transaction.atomic(using=self.db):
            for obj in objs:
                obj.save(update_fields=list(fields))
                n += 1
        return n

    def update(self, **kwargs: Any) -> int:
        enc = {f.name: f for f in encrypted_fields(self.model)}
        plain = {
            k: v
            for k, v in kwargs.items()
            if k in enc
            and v is not None
            and not isinstance(v, Sealed)
            and enc[k].to_plaintext(v) != ""
        }
        if not plain:
            for k in [k for k in kwargs if k in enc and enc[k].index and kwargs[k] in ("", None)]:
                kwargs[enc[k].index] = ""
            return super().update(**kwargs)
        # Each row's ciphertext is bound to its id: seal per row.
        others = {k: v for k, v in kwargs.items() if k not in plain}
        for k in [k for k in others if k in enc and enc[k].index]:
            others[enc[k].index] = ""
        n = 0
        with transaction.atomic(using=self.db):
            for pk in list(self.values_list("pk", flat=True)):
                row = dict(others)
                for k, v in plain.items():
                    row[k] = enc[k].seal(v, pk)
                    if enc[k].index:
                        row[enc[k].index] = index_value(enc[k], v)
                n += models.QuerySet.update(self.model._base_manager.filter(pk=pk), **row)
        return n


def _refresh_indexes(instance: models.Model) -> list[str]:
    """Recompute the keyed hashes of changed plain values; the index fields' names."""
    names = []
    for f in encrypted_fields(type(instance)):
        if f.index:
            names.append(f.index)
            value = instance.__dict__.get(f.attname)
            if not isinstance(value, Sealed):
                setattr(instance, f.index, index_value(f, value) if value not in (None, "") else "")
    return names


class EncryptedModel(models.Model):
    """Base of a model with encrypted fields: ids reserved before the insert, hashes kept in step."""

    objects = EncryptedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            for f in encrypted_fields(type(self)):
                if isinstance(self.__dict__.get(f.attname), Sealed):
                    f.pre_save(
                        self, True
                    )  # refuses, before any query, a copy carrying sealed values
        if self.pk is None and self._state.adding:
            self.pk = reserve_ids(type(self), 1)[0]
            kwargs["force_insert"] = True
            kwargs.pop("force_update", None)
        indexes = _refresh_indexes(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and indexes:
            by_index = {f.index: f.name for f in encrypted_fields(type(self)) if f.index}
            extra = [i for i in indexes if by_index[i] in update_fields and i not in update_fields]
            kwargs["update_fields"] = [*update_fields, *extra]
        super().save(*args, **kwargs)


# --- status and rotation ------------------------------------------------------------------------------


@dataclass
class ColumnStatus:
    table: str
    column: str
    by_key: dict[str, int]
    empty: int
    unreadable: int  # not a ciphertext at all (should be 0)


def _columns() -> Iterator[tuple[type[models.Model], Any]]:
    for model in encrypted_models():
        for f in encrypted_fields(model):
            yield model, f


def key_status() -> list[ColumnStatus]:
    """How many values each key id wraps, per encrypted column (counted in the database)."""
    out = []
    for model, f in _columns():
        conn = connections[router.db_for_read(model)]
        qn = conn.ops.quote_name
        col, table = qn(f.column), qn(model._meta.db_table)
        # ev1:<key id>:… → the key id is between the first and the second colon.
        if conn.vendor == "postgresql":
            kid = f"split_part({col}, ':', 2)"
        else:
            kid = f"substr({col}, 5, instr(substr({col}, 5), ':') - 1)"
        sql = (
            f"SELECT CASE WHEN {col} IS NULL OR {col} = '' THEN '' WHEN {col} LIKE 'ev1:%%' THEN {kid} "  # noqa: S608
            f"ELSE '?' END AS k, COUNT(*) FROM {table} GROUP BY k"
        )
        with conn.cursor() as cur:
            cur.execute(sql)
            counts = {k: int(n) for k, n in cur.fetchall()}
        out.append(
            ColumnStatus(
                model._meta.db_table,
                f.column,
                {k: n for k, n in counts.items() if k not in ("", "?")},
                counts.get("", 0),
                counts.get("?", 0),
            )
        )
    return out


@dataclass
class RotationProgress:
    table: str
    column: str
    rewrapped: int
    last_id: int


def _allow_timeline_rekey(conn: Any) -> None:
    """The timeline trigger (PostgreSQL) lets a key rotation re-wrap a note, and nothing else."""
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute("SET LOCAL palermo.field_rekey = 'on'")


def _like_literal(text: str) -> str:
    return text.replace("!", "!!").replace("_", "!_").replace("%", "!%")


def rotate(
    *,
    batch_size: int = 500,
    on_batch: Callable[[RotationProgress], None] | None = None,
    seal_plaintext: bool = False,
) -> dict[str, int]:
    """Re-wrap every value not wrapped by the primary key, in batches (one transaction each).

    Resumable: values already under the primary key are skipped, so an interrupted run
    continues where it stopped. Each update is a compare-and-set on the old ciphertext,
    so a value changed by a user meanwhile is left as the user wrote it.
    ``seal_plaintext`` also encrypts legacy plain values (the data migration's job).
    """
    ring = keyring(force=True)
    primary = ring.primary_key_id
    totals: dict[str, int] = {}
    for model, f in _columns():
        conn = connections[router.db_for_write(model)]
        qn = conn.ops.quote_name
        table, col, pk = qn(model._meta.db_table), qn(f.column), qn(model._meta.pk.column)
        last = 0
        done = 0
        while True:
            with transaction.atomic(using=conn.alias), conn.cursor() as cur:
                _allow_timeline_rekey(conn)
                cur.execute(
                    f"SELECT {pk}, {col} FROM {table} WHERE {pk} > %s AND {col} <> '' "  # noqa: S608
                    f"AND {col} NOT LIKE %s ESCAPE '!' ORDER BY {pk} LIMIT %s",
                    [last, f"ev1:{_like_literal(primary)}:%", batch_size],
                )
                rows = cur.fetchall()
                if not rows:
                    break
                for row_id, token in rows:
                    ctx = f.crypt_context(row_id)
                    if fieldcrypt.is_sealed(token):
                        new = fieldcrypt.rewrap(ring, token, ctx)
                    elif seal_plaintext:
                        new = fieldcrypt.encrypt(ring, token, ctx)
                    else:
                        raise fieldcrypt.DecryptionError(
                            f"{model._meta.db_table}.{f.column} row {row_id} holds a value that is not a ciphertext"
                        )
                    cur.execute(
                        f"UPDATE {table} SET {col} = %s WHERE {pk} = %s AND {col} = %s",  # noqa: S608
                        [new, row_id, token],
                    )
                    done += cur.rowcount
                last = rows[-1][0]
            if on_batch:
                on_batch(RotationProgress(model._meta.db_table, f.column, done, last))
        totals[f"{model._meta.db_table}.{f.column}"] = done
    return totals


def reindex(*, batch_size: int = 500) -> int:
    """Recompute every keyed hash (after the index key was replaced)."""
    n = 0
    for model in encrypted_models():
        fields = [f for f in encrypted_fields(model) if f.index]
        if not fields:
            continue
        qs = model._base_manager.order_by("pk")
        last = 0
        while True:
            rows = list(qs.filter(pk__gt=last)[:batch_size])
            if not rows:
                break
            with transaction.atomic():
                for obj in rows:
                    upd = {
                        f.index: index_value(f, getattr(obj, f.attname))
                        if getattr(obj, f.attname) not in (None, "")
                        else ""
                        for f in fields
                    }
                    models.QuerySet.update(model._base_manager.filter(pk=obj.pk), **upd)
                    n += 1
            last = rows[-1].pk
    return n


# --- data migrations ----------------------------------------------------------------------------------------


def _seal_rows(
    conn: Any, table: str, column: str, index_column: str, *, reverse: bool, batch_size: int = 1000
) -> int:
    qn = conn.ops.quote_name
    ring = keyring()
    n = 0
    last = 0
    cond = (
        f"{qn(column)} LIKE 'ev1:%%'"
        if reverse
        else f"{qn(column)} <> '' AND {qn(column)} NOT LIKE 'ev1:%%'"
    )
    with conn.cursor() as cur:
        _allow_timeline_rekey(conn)
        while True:
            cur.execute(
                f"SELECT id, {qn(column)} FROM {qn(table)} WHERE id > %s AND {qn(column)} IS NOT NULL "  # noqa: S608
                f"AND {cond} ORDER BY id LIMIT %s",
                [last, batch_size],
            )
            rows = cur.fetchall()
            if not rows:
                return n
            for row_id, value in rows:
                ctx = fieldcrypt.context(table, column, row_id)
                text = str(value)
                new = (
                    fieldcrypt.decrypt(ring, text, ctx)
                    if reverse
                    else fieldcrypt.encrypt(ring, text, ctx)
                )
                sets, params = [f"{qn(column)} = %s"], [new]
                if index_column:
                    sets.append(f"{qn(index_column)} = %s")
                    params.append(
                        ""
                        if reverse
                        else fieldcrypt.blind_index(ring.index_key, f"{table}.{column}", text)
                    )
                sql = f"UPDATE {qn(table)} SET {', '.join(sets)} WHERE id = %s"  # noqa: S608 – quoted names
                cur.execute(sql, [*params, row_id])
                n += 1
            last = rows[-1][0]


def seal_existing_values(columns: list[tuple[str, str, str]]) -> Any:
    """A migration operation: seal the plain values of (table, column, index column or "").

    Reversible: going back opens them again (the key file must still hold their keys).
    Values already sealed are left alone, so a re-run is harmless.
    """
    from django.db import migrations

    def forward(apps: Any, schema_editor: Any) -> None:
        for table, column, index_column in columns:
            _seal_rows(schema_editor.connection, table, column, index_column, reverse=False)

    def backward(apps: Any, schema_editor: Any) -> None:
        for table, column, index_column in columns:
            _seal_rows(schema_editor.connection, table, column, index_column, reverse=True)

    return migrations.RunPython(forward, backward, elidable=False)
