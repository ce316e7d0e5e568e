"""Counterparty and merchant classification from lookup tables held as data.

The table (``data/counterparty_categories.yaml``) maps merchant category codes
and name keywords to categories that the red-flag rules read (online
advertising, hotels, travel, money transfer, crypto exchanges, recruitment
agencies …). Matching is on whole words of the normalised name, so "inn" does
not fire on "Finnair".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from palermo.investigate.normalise import normalise_name

__all__ = ["Category", "CategoryTable", "load_category_table", "classify_counterparty"]

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "categories"],
    "properties": {
        "version": {"type": "integer"},
        "categories": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "label", "mcc", "names"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z_]+$"},
                    "label": {"type": "string"},
                    "mcc": {
                        "type": "array",
                        "items": {"type": "string", "pattern": r"^\d{4}(-\d{4})?$"},
                    },
                    "names": {"type": "array", "items": {"type": "string", "minLength": 2}},
                },
            },
        },
    },
}


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    label: str
    mcc_ranges: tuple[tuple[int, int], ...]
    phrases: tuple[str, ...]

    def matches_mcc(self, mcc: int) -> bool:
        return any(lo <= mcc <= hi for lo, hi in self.mcc_ranges)

    def matches_text(self, padded: str) -> bool:
        # padded is " <normalised text> ": a phrase matches on word boundaries
        return any(f" {phrase} " in padded for phrase in self.phrases)


@dataclass(frozen=True, slots=True)
class CategoryTable:
    categories: tuple[Category, ...]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.categories)

    def classify(
        self, name: str | None, *, mcc: str | None = None, description: str | None = None
    ) -> str | None:
        """First category matching the MCC, then the name, then the description."""
        if mcc and mcc.strip().isdigit():
            code = int(mcc.strip())
            for category in self.categories:
                if category.matches_mcc(code):
                    return category.id
        for text in (name, description):
            norm = normalise_name(text)
            if not norm:
                continue
            padded = f" {norm} "
            for category in self.categories:
                if category.matches_text(padded):
                    return category.id
        return None


def _parse_range(text: str) -> tuple[int, int]:
    lo, _, hi = text.partition("-")
    return int(lo), int(hi or lo)


def load_category_table(path: Path | None = None) -> CategoryTable:
    """Load and validate a category table; the packaged one when ``path`` is None."""
    if path is None:
        text = (
            resources.files("palermo.investigate")
            .joinpath("data", "counterparty_categories.yaml")
            .read_text("utf-8")
        )
    else:
        text = path.read_text("utf-8")
    data = yaml.safe_load(text)
    jsonschema.validate(data, _SCHEMA)
    seen: set[str] = set()
    categories = []
    for item in data["categories"]:
        if item["id"] in seen:
            raise ValueError(f"category {item['id']!r} defined twice")
        seen.add(item["id"])
        phrases = tuple(p for p in (normalise_name(n) for n in item["names"]) if p)
        categories.append(
            Category(
                id=item["id"],
                label=item["label"],
                mcc_ranges=tuple(_parse_range(m) for m in item["mcc"]),
                phrases=phrases,
            )
        )
    return CategoryTable(categories=tuple(categories))


@cache
def _default_table() -> CategoryTable:
    return load_category_table()


def classify_counterparty(
    name: str | None, *, mcc: str | None = None, description: str | None = None
) -> str | None:
    """Category id of a counterparty under the packaged table, or None."""
    return _default_table().classify(name, mcc=mcc, description=description)
