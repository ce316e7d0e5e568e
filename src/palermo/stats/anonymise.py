"""k-anonymous microdata releases: generalise first, suppress only what is left.

Method (documented in docs/statistics.md):

1. **Full-domain generalisation, searched exhaustively.** Every combination of
   one level per quasi-identifier (the generalisation lattice of Samarati 2001
   and Incognito, LeFevre et al. 2005) is scored on the table of distinct
   quasi-identifier combinations with their counts, so a node costs one sort of
   that small table rather than a pass over the records. The chosen node has
   the least information loss, where records in groups smaller than ``k``
   count as suppressed (loss 1) — the utility measure ARX optimises too.
2. **Local recoding of the remainder.** The records that node would suppress
   are anonymised again, on their own, by a new lattice search; repeated until
   nothing more can be kept. This is ARX's local recoding by iterated global
   recoding of the suppressed records (Prasser et al., "A scalable and
   pragmatic method for the safe sharing of high-quality health data", IEEE
   JBHI 2018). Each pass releases only groups of at least ``k`` records of its
   own, and released labels of different passes never overlap partially
   (hierarchies nest), so the union is k-anonymous.
3. **Suppression** of the records no pass could keep.

The released table is checked with :func:`k_anonymity_check` before it is
returned; a violation raises rather than publishes.

Pure: no Django imports. Vectorised with numpy and polars.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from palermo.stats.hierarchies import LABEL_SEPARATOR, Hierarchy

DEFAULT_K = 11  # CTDC's k for its public global dataset


class AnonymisationError(RuntimeError):
    """The release would not be k-anonymous, or the input does not fit the hierarchies."""


@dataclass(frozen=True, slots=True)
class QuasiIdentifier:
    """A column of the input to generalise with ``hierarchy``, between two levels."""

    column: str
    hierarchy: Hierarchy
    min_level: int = 0
    max_level: int | None = None  # default: the suppressed top level

    @property
    def top(self) -> int:
        return self.hierarchy.top if self.max_level is None else self.max_level


@dataclass(frozen=True, slots=True)
class PassReport:
    node: dict[str, str]  # quasi-identifier column → level name
    records_kept: int
    groups: int


@dataclass(frozen=True, slots=True)
class ReleaseMetrics:
    records_in: int
    records_kept: int
    ncp: float  # mean NCP per record and quasi-identifier; suppressed records count 1
    ncp_kept: float  # mean NCP over released records only
    discernibility: float  # Σ|group|² over released groups + suppressed × records_in

    @property
    def share_kept(self) -> float:
        return self.records_kept / self.records_in if self.records_in else 1.0


@dataclass(frozen=True, slots=True)
class KCheck:
    k: int  # the smallest group size (0 for an empty file)
    groups: int
    offending_groups: int  # groups smaller than the threshold asked for
    offending_records: int
    threshold: int

    @property
    def ok(self) -> bool:
        return self.offending_groups == 0


@dataclass(frozen=True)
class Release:
    released: pl.DataFrame  # kept rows; quasi-identifier columns replaced by released labels
    k: int
    quasi_identifiers: tuple[str, ...]  # the released columns that carry quasi-identifiers
    metrics: ReleaseMetrics
    baseline: ReleaseMetrics  # suppression alone, at the finest levels
    passes: tuple[PassReport, ...]
    level_records: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # column → level → records
    check: KCheck | None = None


# --------------------------------------------------------------------------- k check


def k_anonymity_check(
    rows: pl.DataFrame | Iterable[Mapping[str, object]],
    quasi_identifiers: Sequence[str],
    *,
    k: int = DEFAULT_K,
) -> KCheck:
    """The smallest group over ``quasi_identifiers`` and how many groups are under ``k``.

    Empty and null values are values like any other: a reader sees them as such.
    """
    frame = (
        rows
        if isinstance(rows, pl.DataFrame)
        else pl.DataFrame(list(rows), infer_schema_length=None)
    )
    missing = [q for q in quasi_identifiers if q not in frame.columns]
    if missing:
        raise KeyError(f"no such column(s): {', '.join(missing)}")
    if frame.height == 0:
        return KCheck(0, 0, 0, 0, k)
    if not quasi_identifiers:
        return KCheck(
            frame.height, 1, int(frame.height < k), frame.height if frame.height < k else 0, k
        )
    sizes = frame.group_by(list(quasi_identifiers)).len()["len"]
    small = sizes.filter(sizes < k)
    return KCheck(int(sizes.min()), sizes.len(), small.len(), int(small.sum()), k)  # type: ignore[arg-type]


def k_anonymity_check_file(
    path: Path, quasi_identifiers: Sequence[str], *, k: int = DEFAULT_K
) -> KCheck:
    """:func:`k_anonymity_check` over a CSV (any delimiter among , ; tab) or XLSX file."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        header = ["" if h is None else str(h) for h in rows[0]] if rows else []
        data = {
            h: ["" if r[i] is None else str(r[i]) for r in rows[1:]] for i, h in enumerate(header)
        }
        return k_anonymity_check(pl.DataFrame(data), quasi_identifiers, k=k)
    first = path.open(encoding="utf-8-sig").readline()
    sep = max((",", ";", "\t"), key=first.count)
    # Only the quasi-identifier columns are read: a release can be large.
    frame = pl.read_csv(
        path,
        separator=sep,
        infer_schema=False,
        encoding="utf8-lossy",
        columns=list(quasi_identifiers),
    )
    return k_anonymity_check(frame, quasi_identifiers, k=k)


# --------------------------------------------------------------------------- engine


def _leaf_codes(frame: pl.DataFrame, qi: QuasiIdentifier) -> npt.NDArray[np.int64]:
    h = qi.hierarchy
    missing = h.leaves[h.missing_leaf]
    col = frame[qi.column]
    if col.dtype.is_float():
        col = col.cast(pl.Int64, strict=False)
    text = col.cast(pl.Utf8).fill_null(missing).replace("", missing)
    codes = text.replace_strict(h.leaf_index(), default=-1, return_dtype=pl.Int64).to_numpy()
    if (codes < 0).any():
        unknown = text.filter(pl.Series(codes < 0)).unique().head(5).to_list()
        raise AnonymisationError(f"{qi.column}: values outside the hierarchy, e.g. {unknown}")
    return codes.astype(np.int64)


@dataclass
class _Combos:
    codes: list[npt.NDArray[np.int64]]  # per quasi-identifier, per distinct combination
    counts: npt.NDArray[np.float64]
    row_combo: npt.NDArray[np.int64]  # per input row, its combination


def _distinct(frame: pl.DataFrame, qis: Sequence[QuasiIdentifier]) -> _Combos:
    leaf_codes = [_leaf_codes(frame, q) for q in qis]
    key = np.zeros(frame.height, dtype=np.int64)
    for q, c in zip(qis, leaf_codes, strict=True):
        key = key * len(q.hierarchy.leaves) + c
    uniq, row_combo, counts = np.unique(key, return_inverse=True, return_counts=True)
    codes: list[npt.NDArray[np.int64]] = []
    rest = uniq.copy()
    for q in reversed(qis):
        n = len(q.hierarchy.leaves)
        codes.append(rest % n)
        rest //= n
    codes.reverse()
    return _Combos(codes, counts.astype(np.float64), row_combo.astype(np.int64))


def _nodes(qis: Sequence[QuasiIdentifier], allow_all_suppressed: bool) -> list[tuple[int, ...]]:
    ranges = [range(q.min_level, q.top + 1) for q in qis]
    tops = tuple(q.hierarchy.top for q in qis)
    nodes = []
    for node in itertools.product(*ranges):
        if not allow_all_suppressed and node == tops:
            continue
        nodes.append(node)
    return nodes


@dataclass
class _Evaluation:
    node: tuple[int, ...]
    kept: npt.NDArray[np.bool_]  # per active combination
    kept_records: float
    kept_cost: float  # Σ over kept records of their NCP
    groups: int


def _evaluate(
    node: tuple[int, ...],
    labels: list[list[npt.NDArray[np.int64]]],
    costs: list[list[npt.NDArray[np.float64]]],
    vocab: list[int],
    counts: npt.NDArray[np.float64],
    k: int,
) -> _Evaluation:
    key = labels[0][node[0]].copy()
    for q in range(1, len(node)):
        key *= vocab[q]
        key += labels[q][node[q]]
    _, inverse = np.unique(key, return_inverse=True)
    sizes = np.bincount(inverse, weights=counts)
    kept = sizes[inverse] >= k
    cost = costs[0][node[0]].copy()
    for q in range(1, len(node)):
        cost += costs[q][node[q]]
    cost /= len(node)
    return _Evaluation(
        node,
        kept,
        float(counts[kept].sum()),
        float((counts * cost)[kept].sum()),
        int((sizes >= k).sum()),
    )


def _choose(evaluations: Sequence[_Evaluation], total: float, penalty: float) -> _Evaluation | None:
    best: tuple[float, float, int, tuple[int, ...]] | None = None
    chosen = None
    for ev in evaluations:
        if ev.kept_records == 0:
            continue
        rank = (
            ev.kept_cost + penalty * (total - ev.kept_records),
            -ev.kept_records,
            sum(ev.node),
            ev.node,
        )
        if best is None or rank < best:
            best, chosen = rank, ev
    return chosen


def _search(
    combos: _Combos,
    active: npt.NDArray[np.bool_],
    qis: Sequence[QuasiIdentifier],
    nodes: Sequence[tuple[int, ...]],
    k: int,
) -> _Evaluation | None:
    """One pass: the lattice node to apply to the active combinations, with a look-ahead.

    Records a node would suppress are not lost yet: the next pass will try
    them again. So the node is chosen with their cost estimated as the mean
    loss of the node that is best when suppression costs 1 (what they would at
    worst get next), rather than as a full loss of 1 — which would favour
    coarse nodes that keep almost everyone at once. Both choices come from one
    scan of the lattice.
    """
    idx = np.flatnonzero(active)
    counts = combos.counts[idx]
    total = float(counts.sum())
    labels = [
        [
            q.hierarchy.label_ids[level][c[idx]].astype(np.int64)
            for level in range(q.hierarchy.levels)
        ]
        for q, c in zip(qis, combos.codes, strict=True)
    ]
    costs = [
        [q.hierarchy.ncp[level][c[idx]] for level in range(q.hierarchy.levels)]
        for q, c in zip(qis, combos.codes, strict=True)
    ]
    vocab = [len(q.hierarchy.vocab) for q in qis]
    evaluations = []
    for node in nodes:
        ev = _evaluate(node, labels, costs, vocab, counts, k)
        ev.kept = np.empty(
            0, dtype=bool
        )  # masks are rebuilt for the chosen node only, to save memory
        evaluations.append(ev)
    fallback = _choose(evaluations, total, 1.0)
    if fallback is None:
        return None
    future_cost = fallback.kept_cost / fallback.kept_records
    best = _choose(evaluations, total, future_cost)
    assert best is not None
    chosen = _evaluate(best.node, labels, costs, vocab, counts, k)
    full = np.zeros(active.shape, dtype=bool)
    full[idx[chosen.kept]] = True
    chosen.kept = full
    return chosen


def _metrics(
    combos: _Combos,
    qis: Sequence[QuasiIdentifier],
    level_of_combo: npt.NDArray[np.int64],
    labels_of_combo: npt.NDArray[np.int64],
) -> ReleaseMetrics:
    """Metrics of a release given, per combination, its levels (−1: suppressed) and label key."""
    counts = combos.counts
    total = float(counts.sum())
    kept = level_of_combo[:, 0] >= 0
    cost = np.zeros(len(counts))
    for q, (qi, c) in enumerate(zip(qis, combos.codes, strict=True)):
        levels = np.where(kept, level_of_combo[:, q], 0)
        cost += qi.hierarchy.ncp[levels, c]
    cost /= max(len(qis), 1)
    kept_records = float(counts[kept].sum())
    ncp = (float((counts * cost)[kept].sum()) + (total - kept_records)) / total if total else 0.0
    ncp_kept = float((counts * cost)[kept].sum()) / kept_records if kept_records else 0.0
    if kept.any():
        _, inverse = np.unique(labels_of_combo[kept], return_inverse=True)
        sizes = np.bincount(inverse, weights=counts[kept])
        disc = float((sizes**2).sum())
    else:
        disc = 0.0
    disc += (total - kept_records) * total
    return ReleaseMetrics(int(total), int(kept_records), ncp, ncp_kept, disc)


def _label_key(
    combos: _Combos, qis: Sequence[QuasiIdentifier], level_of_combo: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    key = np.zeros(len(combos.counts), dtype=np.int64)
    for q, (qi, c) in enumerate(zip(qis, combos.codes, strict=True)):
        levels = np.maximum(level_of_combo[:, q], 0)
        key = key * len(qi.hierarchy.vocab) + qi.hierarchy.label_ids[levels, c]
    return key


def anonymise(
    frame: pl.DataFrame,
    quasi_identifiers: Sequence[QuasiIdentifier],
    *,
    k: int = DEFAULT_K,
    max_passes: int = 16,
    allow_all_suppressed: bool = False,
) -> Release:
    """Release ``frame`` k-anonymous over ``quasi_identifiers``; see the module docstring.

    ``allow_all_suppressed`` lets a pass release records with every
    quasi-identifier suppressed (a group that tells nothing about who is in
    it); off by default, so that "records kept" means records that still say
    something about the person.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    qis = list(quasi_identifiers)
    if not qis:
        raise ValueError("at least one quasi-identifier is needed")
    for q in qis:
        if not 0 <= q.min_level <= q.top <= q.hierarchy.top:
            raise ValueError(
                f"{q.column}: levels {q.min_level}..{q.top} outside 0..{q.hierarchy.top}"
            )
    combos = _distinct(frame, qis)
    n = len(combos.counts)
    level_of_combo = np.full((n, len(qis)), -1, dtype=np.int64)
    active = np.ones(n, dtype=bool)
    nodes = _nodes(qis, allow_all_suppressed)
    passes: list[PassReport] = []
    for _ in range(max_passes):
        if combos.counts[active].sum() < k:
            break
        best = _search(combos, active, qis, nodes, k)
        if best is None:
            break
        level_of_combo[best.kept] = np.array(best.node, dtype=np.int64)
        active &= ~best.kept
        passes.append(
            PassReport(
                {
                    q.column: q.hierarchy.level_names[level]
                    for q, level in zip(qis, best.node, strict=True)
                },
                int(best.kept_records),
                best.groups,
            )
        )
    metrics = _metrics(combos, qis, level_of_combo, _label_key(combos, qis, level_of_combo))
    base_levels = np.tile(np.array([q.min_level for q in qis], dtype=np.int64), (n, 1))
    base_key = _label_key(combos, qis, base_levels)
    _, inv = np.unique(base_key, return_inverse=True)
    base_sizes = np.bincount(inv, weights=combos.counts)
    base_levels[base_sizes[inv] < k] = -1
    baseline = _metrics(combos, qis, base_levels, base_key)

    released, columns = _render(frame, qis, combos, level_of_combo)
    check = k_anonymity_check(released, columns, k=k)
    if released.height and not check.ok:
        raise AnonymisationError(f"release is not {k}-anonymous: {check}")
    level_records = {}
    for position, qi in enumerate(qis):
        per: dict[str, int] = {}
        for level, name in enumerate(qi.hierarchy.level_names):
            per[name] = int(combos.counts[level_of_combo[:, position] == level].sum())
        per["record suppressed"] = int(combos.counts[level_of_combo[:, position] < 0].sum())
        level_records[qi.column] = per
    return Release(released, k, columns, metrics, baseline, tuple(passes), level_records, check)


def _render(
    frame: pl.DataFrame,
    qis: Sequence[QuasiIdentifier],
    combos: _Combos,
    level_of_combo: npt.NDArray[np.int64],
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Kept rows with each quasi-identifier column replaced by its released label column(s)."""
    kept_combo = level_of_combo[:, 0] >= 0
    row_kept = kept_combo[combos.row_combo]
    rows = frame.filter(pl.Series(row_kept))
    row_combo = combos.row_combo[row_kept]
    replacements: dict[str, pl.Series] = {}
    out_columns: list[str] = []
    for q, (qi, c) in enumerate(zip(qis, combos.codes, strict=True)):
        h = qi.hierarchy
        combo_label = h.label_ids[np.maximum(level_of_combo[:, q], 0), c]
        label_ids = combo_label[row_combo]
        vocab = pl.Series(list(h.vocab), dtype=pl.Utf8)
        labels = vocab.gather(pl.Series(label_ids.astype(np.uint32)))
        if len(h.columns) == 1:
            replacements[h.columns[0]] = labels.alias(h.columns[0])
        else:
            parts = labels.str.split_exact(LABEL_SEPARATOR, len(h.columns) - 1).struct.unnest()
            for i, name in enumerate(h.columns):
                replacements[name] = parts[f"field_{i}"].alias(name)
        out_columns.extend(h.columns)
    source_columns = [qi.column for qi in qis]
    kept_columns = [
        col for col in rows.columns if col not in source_columns and col not in replacements
    ]
    ordered: list[pl.Series] = []
    for col in rows.columns:
        if col in source_columns:
            for each in qis:
                if each.column == col:
                    ordered.extend(replacements[name] for name in each.hierarchy.columns)
        elif col in kept_columns:
            ordered.append(rows[col])
    return pl.DataFrame(ordered), tuple(out_columns)
