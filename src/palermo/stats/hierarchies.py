"""Generalisation hierarchies for quasi-identifiers, built from data files.

A hierarchy maps every *leaf* (a value as stored: an exact age, a year, an ISO
3166-1 code, a gender) to a released label at each level, from the finest
releasable level 0 to the top level, where the value is suppressed (written as
the missing token, ``-99`` by default). Levels must nest: two leaves that share
a label at one level share it at every level above. The loader checks this,
because an anonymiser that mixes levels (local recoding) is only safe when a
coarse label never overlaps two finer ones.

Information loss uses the normalised certainty penalty (NCP; Xu et al., "Utility-
based anonymization using local recoding", KDD 2006): a label covering ``m`` of
the ``M`` level-0 classes of the domain costs ``(m - 1) / (M - 1)``; level 0
costs 0 and suppression 1. An unknown value (the missing leaf) costs 0 at every
level below the top: anonymisation did not remove anything there.

Pure: no Django imports.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

# Multi-column quasi-identifiers (age → ageBroad + majorityStatus) join their
# column values with this separator inside one label.
LABEL_SEPARATOR = "\x1f"


class HierarchyError(ValueError):
    """A hierarchy's data is inconsistent."""


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """Leaves × levels → labels, with NCP costs; arrays are indexed by leaf code."""

    name: str
    leaves: tuple[str, ...]  # leaf values as text; index = leaf code
    missing_leaf: int  # the code of the unknown value
    level_names: tuple[str, ...]  # last level is "suppressed"
    vocab: tuple[str, ...]  # every distinct label; label ids index this
    label_ids: npt.NDArray[np.int32]  # [level, leaf] → label id
    ncp: npt.NDArray[np.float64]  # [level, leaf] → cost in [0, 1]
    columns: tuple[str, ...]  # output columns the label is split into

    @property
    def levels(self) -> int:
        return len(self.level_names)

    @property
    def top(self) -> int:
        return self.levels - 1

    def leaf_index(self) -> dict[str, int]:
        return {leaf: i for i, leaf in enumerate(self.leaves)}

    def label(self, level: int, leaf: str) -> str:
        return self.vocab[int(self.label_ids[level, self.leaf_index()[leaf]])]

    def level_of(self, name: str) -> int:
        return self.level_names.index(name)


def build_hierarchy(
    name: str,
    leaves: Sequence[str],
    level_labels: Sequence[Sequence[str]],
    level_names: Sequence[str],
    *,
    missing: str,
    columns: Sequence[str] | None = None,
) -> Hierarchy:
    """Make a hierarchy from explicit labels.

    ``level_labels[l][i]`` is the label of ``leaves[i]`` at level ``l``; the
    suppressed top level is added here (every leaf → ``missing``). ``missing``
    must be one of the leaves: it keeps its own label at every level.
    """
    if missing not in leaves:
        raise HierarchyError(f"{name}: the missing value {missing!r} must be a leaf")
    if len(set(leaves)) != len(leaves):
        raise HierarchyError(f"{name}: repeated leaves")
    cols = tuple(columns) if columns else (name,)
    blank = LABEL_SEPARATOR.join([missing] * len(cols))
    rows = [list(level) for level in level_labels] + [[blank] * len(leaves)]
    names = (*level_names, "suppressed")
    if len(rows) != len(names):
        raise HierarchyError(f"{name}: {len(rows)} levels but {len(names)} names")
    mi = list(leaves).index(missing)
    for level in rows:
        if len(level) != len(leaves):
            raise HierarchyError(f"{name}: a level does not label every leaf")
        level[mi] = blank
    for lower, upper in zip(rows, rows[1:], strict=False):
        parent: dict[str, str] = {}
        for a, b in zip(lower, upper, strict=True):
            if parent.setdefault(a, b) != b:
                raise HierarchyError(
                    f"{name}: label {a!r} splits into {parent[a]!r} and {b!r} one level up"
                )
    vocab: dict[str, int] = {}
    ids = np.empty((len(rows), len(leaves)), dtype=np.int32)
    for li, level in enumerate(rows):
        for i, lab in enumerate(level):
            ids[li, i] = vocab.setdefault(lab, len(vocab))
    # NCP in units of level-0 classes (excluding the unknown value).
    base = [lab for i, lab in enumerate(rows[0]) if i != mi]
    total = len(set(base))
    ncp = np.zeros((len(rows), len(leaves)), dtype=np.float64)
    for li, level in enumerate(rows):
        classes: dict[str, set[str]] = {}
        for i, lab in enumerate(level):
            if i != mi:
                classes.setdefault(lab, set()).add(rows[0][i])
        for i, lab in enumerate(level):
            if i == mi:
                continue
            ncp[li, i] = 1.0 if total <= 1 else (len(classes[lab]) - 1) / (total - 1)
    ncp[-1, :] = 1.0
    ncp[:-1, mi] = 0.0
    return Hierarchy(
        name=name,
        leaves=tuple(leaves),
        missing_leaf=mi,
        level_names=names,
        vocab=tuple(vocab),
        label_ids=ids,
        ncp=ncp,
        columns=cols,
    )


# --------------------------------------------------------------------------- data files


@cache
def generalisation_config() -> dict[str, Any]:
    text = (
        resources.files("palermo.stats")
        .joinpath("data", "generalisation.json")
        .read_text(encoding="utf-8")
    )
    return dict(json.loads(text))


@dataclass(frozen=True, slots=True)
class M49Row:
    alpha2: str
    name: str
    region: str
    sub_region: str
    intermediate_region: str


@cache
def m49_table() -> dict[str, M49Row]:
    """ISO 3166-1 alpha-2 → UN M49 regions (``data/m49_regions.csv``)."""
    text = (
        resources.files("palermo.stats")
        .joinpath("data", "m49_regions.csv")
        .read_text(encoding="utf-8")
    )
    out = {}
    for row in csv.DictReader(text.splitlines()):
        out[row["alpha2"]] = M49Row(
            row["alpha2"], row["name"], row["region"], row["sub_region"], row["intermediate_region"]
        )
    return out


def ctdc_age_band(age: int, bands: Sequence[Sequence[int | None]] | None = None) -> str:
    """CTDC's ageBroad label for an exact age (``18--20``, ``48+``)."""
    cfg = generalisation_config()["age"]
    for low, high in bands or cfg["ctdc_bands"]:
        assert low is not None
        if age >= low and (high is None or age <= high):
            if high is None:
                return str(cfg["ctdc_open_band_format"].format(low=low))
            return str(cfg["ctdc_band_format"].format(low=low, high=high))
    raise HierarchyError(f"age {age} is in no CTDC band")


def majority_status(age: int) -> str:
    return "Minor" if age < int(generalisation_config()["age"]["majority_age"]) else "Adult"


def age_hierarchy(*, exact_level: bool = False, name: str = "age") -> Hierarchy:
    """Age at registration → [exact →] CTDC band → Minor/Adult → suppressed.

    Released as two CTDC columns (ageBroad, majorityStatus): at the band level
    both are filled; at the majority level only majorityStatus. With
    ``exact_level`` a finer level writes the exact age into ageBroad, which is
    *not* CTDC-compatible and is meant for internal releases only.
    """
    cfg = generalisation_config()
    missing = cfg["missing"]
    ages = list(range(int(cfg["age"]["max_age"]) + 1))
    leaves = [str(a) for a in ages] + [missing]
    sep = LABEL_SEPARATOR
    band = [f"{ctdc_age_band(a)}{sep}{majority_status(a)}" for a in ages] + [missing]
    major = [f"{missing}{sep}{majority_status(a)}" for a in ages] + [missing]
    levels: list[list[str]] = [band, major]
    names = ["ctdc_band", "majority"]
    if exact_level:
        levels.insert(0, [f"{a}{sep}{majority_status(a)}" for a in ages] + [missing])
        names.insert(0, "exact")
    return build_hierarchy(
        name, leaves, levels, names, missing=missing, columns=("ageBroad", "majorityStatus")
    )


def year_hierarchy(
    years: Iterable[int],
    *,
    name: str = "yearOfRegistration",
    widths: Sequence[int] | None = None,
    origin: int | None = None,
) -> Hierarchy:
    """Year → aligned ranges of growing width (``2018--2019``) → suppressed."""
    cfg = generalisation_config()
    missing = cfg["missing"]
    widths = list(widths or cfg["year"]["widths"])
    origin = int(cfg["year"]["origin"] if origin is None else origin)
    fmt = cfg["year"]["range_format"]
    if widths[0] != 1 or any(b % a for a, b in zip(widths, widths[1:], strict=False)):
        raise HierarchyError(f"year widths {widths} must start at 1 and each divide the next")
    span = sorted(set(int(y) for y in years))
    leaves = [str(y) for y in span] + [missing]
    levels = []
    for w in widths:
        labels = []
        for y in span:
            low = origin + ((y - origin) // w) * w
            labels.append(str(y) if w == 1 else fmt.format(low=low, high=low + w - 1))
        levels.append(labels + [missing])
    names = ["year" if w == 1 else f"{w}-year" for w in widths]
    return build_hierarchy(name, leaves, levels, names, missing=missing)


def country_hierarchy(name: str, extra_codes: Iterable[str] = ()) -> Hierarchy:
    """ISO 3166-1 alpha-2 → M49 intermediate region → sub-region → region → suppressed.

    Codes M49 does not place (Antarctica, or codes outside ISO 3166-1 given in
    ``extra_codes``, such as XK) share an "Unclassified" branch.
    """
    cfg = generalisation_config()
    missing = cfg["missing"]
    other = cfg["country"]["unclassified"]
    table = m49_table()
    codes = sorted(set(table) | {c for c in extra_codes if c and c != missing})
    leaves = codes + [missing]
    inter, sub, region = [], [], []
    for code in codes:
        row = table.get(code)
        if row is None or not row.region:
            inter.append(other)
            sub.append(other)
            region.append(other)
            continue
        inter.append(row.intermediate_region or row.sub_region)
        sub.append(row.sub_region)
        region.append(row.region)
    levels = [codes + [missing], inter + [missing], sub + [missing], region + [missing]]
    return build_hierarchy(
        name,
        leaves,
        levels,
        ["country", "intermediate_region", "sub_region", "region"],
        missing=missing,
    )


def categorical_hierarchy(name: str, values: Iterable[str]) -> Hierarchy:
    """A value is either released as it is or suppressed."""
    missing = generalisation_config()["missing"]
    vals = sorted({v for v in values if v and v != missing})
    leaves = vals + [missing]
    return build_hierarchy(name, leaves, [leaves], ["value"], missing=missing)
