"""CSV mapping profiles: how one bank's statement export maps to Palermo's fields.

A profile is data (YAML here; the Django shell stores the same mapping per bank
and passes it in as a dict). It names the source column for each canonical
field and says how dates, amounts and debit/credit are written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

__all__ = [
    "CsvProfile",
    "ProfileError",
    "profile_from_dict",
    "load_profile",
    "packaged_profiles",
    "CANONICAL_COLUMNS",
]

# Canonical fields a profile can map. ``account`` is the statement account
# (the bank customer); ``counterparty_*`` the other side. Graph-shaped exports
# (one row = payer -> payee) map ``payer_*`` and ``payee_*`` instead.
CANONICAL_COLUMNS = (
    "booked_at",
    "time",
    "amount",
    "debit",
    "credit",
    "direction",
    "currency",
    "account",
    "account_name",
    "counterparty_name",
    "counterparty_account",
    "counterparty_bic",
    "payer_account",
    "payer_name",
    "payee_account",
    "payee_name",
    "description",
    "bank_ref",
    "mcc",
    "channel",
    "location",
)

PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "label", "columns", "date_format", "amount_mode"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]*$"},
        "label": {"type": "string"},
        "version": {"type": "integer"},
        "encoding": {"enum": ["utf-8", "latin-1", "utf-16"]},
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
        "quote": {"type": "string", "maxLength": 1},
        "header": {"type": "boolean"},
        "skip_rows": {"type": "integer", "minimum": 0},
        "date_format": {"type": "string"},
        "time_format": {"type": "string"},
        "decimal": {"enum": [".", ","]},
        "thousands": {"enum": ["", ".", ",", " ", "'"]},
        "amount_mode": {"enum": ["signed", "split", "direction", "graph"]},
        "direction_values": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "debit": {"type": "array", "items": {"type": "string"}},
                "credit": {"type": "array", "items": {"type": "string"}},
            },
        },
        "default_currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "bank": {"type": "string"},
        "columns": {
            "type": "object",
            "additionalProperties": False,
            "properties": {c: {"type": "string", "minLength": 1} for c in CANONICAL_COLUMNS},
        },
    },
    "allOf": [
        {
            "if": {"properties": {"amount_mode": {"const": "split"}}},
            "then": {"properties": {"columns": {"required": ["debit", "credit"]}}},
        },
        {
            "if": {"properties": {"amount_mode": {"const": "direction"}}},
            "then": {
                "properties": {"columns": {"required": ["amount", "direction"]}},
                "required": ["direction_values"],
            },
        },
        {
            "if": {"properties": {"amount_mode": {"const": "signed"}}},
            "then": {"properties": {"columns": {"required": ["amount"]}}},
        },
        {
            "if": {"properties": {"amount_mode": {"const": "graph"}}},
            "then": {
                "properties": {
                    "columns": {"required": ["amount", "payer_account", "payee_account"]}
                }
            },
        },
    ],
}


class ProfileError(ValueError):
    """A mapping profile that does not validate, or that does not fit a file."""


@dataclass(frozen=True)
class CsvProfile:
    id: str
    label: str
    columns: dict[str, str]
    date_format: str
    amount_mode: str
    encoding: str = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    header: bool = True
    skip_rows: int = 0
    time_format: str | None = None
    decimal: str = "."
    thousands: str = ""
    direction_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_currency: str | None = None
    bank: str | None = None
    version: int = 1


@functools.cache
def _profile_validator() -> Any:
    """What ``jsonschema.validate(data, PROFILE_SCHEMA)`` builds on every call (the schema
    checked, then a validator for it), built once: it took ~40 ms, and every upload page and
    profile list validates each packaged profile."""
    cls = jsonschema.validators.validator_for(PROFILE_SCHEMA)
    cls.check_schema(PROFILE_SCHEMA)
    return cls(PROFILE_SCHEMA)


def profile_from_dict(data: dict[str, Any]) -> CsvProfile:
    """Validate a mapping (as stored by the shell) and build a profile."""
    error = jsonschema.exceptions.best_match(_profile_validator().iter_errors(data))
    if error is not None:
        raise ProfileError(f"profile {data.get('id', '?')}: {error.message}") from error
    if data.get("decimal", ".") == data.get("thousands", ""):
        raise ProfileError("decimal and thousands separators must differ")
    values = {k: tuple(v) for k, v in data.get("direction_values", {}).items()}
    return CsvProfile(
        id=data["id"],
        label=data["label"],
        columns=dict(data["columns"]),
        date_format=data["date_format"],
        amount_mode=data["amount_mode"],
        encoding=data.get("encoding", "utf-8"),
        delimiter=data.get("delimiter", ","),
        quote=data.get("quote", '"'),
        header=data.get("header", True),
        skip_rows=data.get("skip_rows", 0),
        time_format=data.get("time_format"),
        decimal=data.get("decimal", "."),
        thousands=data.get("thousands", ""),
        direction_values=values,
        default_currency=data.get("default_currency"),
        bank=data.get("bank"),
        version=data.get("version", 1),
    )


def load_profile(path_or_id: str | Path) -> CsvProfile:
    """A profile from a YAML file path, or a packaged profile by id."""
    path = Path(path_or_id)
    if path.suffix in {".yaml", ".yml"} and path.exists():
        text = path.read_text("utf-8")
    else:
        packaged = resources.files("palermo.investigate").joinpath("profiles", f"{path_or_id}.yaml")
        if not packaged.is_file():
            raise ProfileError(f"no profile {path_or_id!r}")
        text = packaged.read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ProfileError(f"{path_or_id}: expected a mapping")
    return profile_from_dict(data)


def packaged_profiles() -> list[CsvProfile]:
    """Every profile shipped with Palermo, validated."""
    folder = resources.files("palermo.investigate").joinpath("profiles")
    return [
        profile_from_dict(yaml.safe_load(item.read_text("utf-8")))
        for item in sorted(folder.iterdir(), key=lambda p: p.name)
        if item.name.endswith(".yaml")
    ]
